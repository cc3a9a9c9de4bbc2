#!/usr/bin/env node
// Runs every test file through node:test with tsx. Unit tests run first, concurrently; tests that
// boot lab hosts (*.lab.test.ts, root and systemd-nspawn needed) run after, two files at a time.
// `--unit` runs only the unit tests; extra arguments filter files by substring.
// First it installs (as root, with apt-get) or lists what the selected tests need on this machine.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { register } from 'tsx/esm/api';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'fixtures' || name === 'node_modules') return [];
    return statSync(path).isDirectory() ? find(path) : name.endsWith('.test.ts') ? [path] : [];
  });
}

const files = find(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
const unit = files.filter((f) => !f.endsWith('.lab.test.ts'));
// The longest lab files first (minutes measured in CI on this 2-core machine), so the two runners
// end together instead of one finishing a long file alone at the end; the rest keep their order.
const LONGEST = ['clean-machine', 'nodes.lab', 'upgrade.lab', 'storage.lab', 'standins-day2', 'site.lab', 'care.lab'];
const rank = (f) => {
  const i = LONGEST.findIndex((name) => f.includes(name));
  return i < 0 ? LONGEST.length : i;
};
const lab = unitOnly ? [] : files.filter((f) => f.endsWith('.lab.test.ts')).sort((a, b) => rank(a) - rank(b));

register();
const { ensureTestPrerequisites } = await import('./support/prerequisites.ts');
try {
  if (files.length > 0) await ensureTestPrerequisites(lab.length > 0);
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}

// Test files run many steer runs against this one machine at once (local hosts, the loopback
// sshd): the per-host run lock would make them refuse each other. test/security/host-lock.test.ts
// turns it on for its own runs, with a lock file of its own.
process.env.STEER_HOST_LOCK ??= 'off';

function run(list, concurrency) {
  if (list.length === 0) return 0;
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...list],
    { cwd: root, stdio: 'inherit' },
  );
  return r.status ?? 1;
}

// Lab test files spend most of their time waiting (hosts booting and rebooting, timeouts, the
// cluster settling): two at a time use the machine without crowding it. Each brings its own lab
// (its own subnet, allocated under a lock), so they cannot meet. STEER_TEST_LAB_JOBS=1 runs them
// one by one.
const labJobs = Math.max(1, Number(process.env.STEER_TEST_LAB_JOBS ?? 2) || 1);
const unitStatus = run(unit, 2);
const labStatus = run(lab, labJobs);
process.exit(unitStatus || labStatus);
