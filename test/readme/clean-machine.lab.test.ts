// The README's test command on a fresh machine: a minimal Debian root (debootstrap minbase) with only
// this machine's Node and npm added and this checkout copied in as a clone, the command run there as
// written. A step the README lacks (a package the tests need and do not install) fails here.
// Inside, lab tests skip themselves (see labSkipReason) and this test does not start itself again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startCleanMachine } from '../support/clean-machine.js';
import { ensureCleanRoot } from '../support/clean-root.js';
import { INSIDE_CLEAN_MACHINE, labSkipReason } from '../support/lab.js';
import { readmeCommands } from '../support/readme.js';
import { repoRoot } from '../support/steer-cli.js';

const skip = labSkipReason() ?? (existsSync(join(repoRoot, '.git')) ? undefined : 'not a git checkout: the clone to copy in is its tracked files');
const log = (line: string) => process.stderr.write(`# clean machine: ${line}\n`);

test("the README's test command passes on a clean Debian machine with only Node added", { skip, timeout: 75 * 60_000 }, async (t) => {
  const command = readmeCommands().test;
  const started = Date.now();
  const image = await ensureCleanRoot(log);
  const machine = await startCleanMachine(image.rootfs, repoRoot);
  t.after(() => machine.remove());
  log(`machine ready in ${seconds(started)} s (root ${image.builtSeconds === undefined ? 'cached' : `built in ${image.builtSeconds} s`}); running: ${command}`);

  const ran = Date.now();
  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    [INSIDE_CLEAN_MACHINE]: '1',
    ...machine.hostEnv,
  };
  for (const name of ['STEER_TEST_LAB_PREFIX', 'CI']) if (process.env[name] !== undefined) env[name] = process.env[name];
  // The run's own installer line and the test counts, as they come.
  const summary = /^(steer tests: |ℹ (tests|pass|fail|skipped|cancelled) )/;
  const r = await machine.run(command, { env, timeoutMs: 70 * 60_000, onLine: (line) => summary.test(line) && log(line) });
  log(`the test command ended with ${r.code} in ${seconds(ran)} s`);
  assert.equal(r.code, 0, `the README's test command failed on a clean machine; its last lines:\n${r.output.split('\n').slice(-120).join('\n')}`);
  assert.match(r.output, /^ℹ fail 0$/m);
});

const seconds = (since: number) => Math.round((Date.now() - since) / 100) / 10;
