// The full load check (issue 9): three runs of one playbook over 60 lab hosts in one process;
// prints per run the time, the hosts that succeeded, and the process's file descriptors, sockets,
// listening sockets, heap and RSS, then whether they stayed steady. Run by hand as root:
//   node --import tsx bench/load.ts [--hosts 60] [--runs 3] [--forks 60]
// The hosts are split over labs of at most 20 (load-1, load-2, …) brought up one after the other,
// which keeps each boot burst small on a 2-core machine (labUp raises root's inotify instance limit
// for all lab hosts). All are taken down at the end, on failure and on Ctrl-C.
// CI runs the reduced form (test/reliability/load.lab.test.ts, 20 hosts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { labDown, labUp } from '../lab/lab.js';
import { repeatedRuns, type ProcessResources } from '../test/reliability/load-runs.js';
import { playbook } from '../test/reliability/support.js';

const MAX_PER_LAB = 20;
const MB = 1024 * 1024;

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '60' },
    runs: { type: 'string', default: '3' },
    forks: { type: 'string' },
  },
});
const hosts = Number(values.hosts);
const runs = Number(values.runs);
const forks = Number(values.forks ?? values.hosts);
for (const [name, n] of [['--hosts', hosts], ['--runs', runs], ['--forks', forks]] as const) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
}

const work = await mkdtemp(join(tmpdir(), 'steer-load-'));
const labs: string[] = [];
const teardown = async () => {
  for (const name of labs.splice(0)) await labDown(name).catch((e: Error) => process.stderr.write(`lab ${name}: ${e.message}\n`));
  await rm(work, { recursive: true, force: true });
};
const onSignal = (signal: NodeJS.Signals) => {
  process.stderr.write(`${signal}: taking the labs down\n`);
  void teardown().then(() => process.exit(99));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

const show = (r: ProcessResources) =>
  `fds ${r.fds}, sockets ${r.sockets}, listening ${r.listening}, heap ${(r.heapUsedBytes / MB).toFixed(1)} MB, rss ${(r.rssBytes / MB).toFixed(1)} MB`;

let ok = false;
try {
  const inventories: string[] = [];
  const labCount = Math.ceil(hosts / MAX_PER_LAB);
  const started = Date.now();
  for (let i = 0; i < labCount; i++) {
    const name = `load-${i + 1}`;
    const size = Math.floor(hosts / labCount) + (i < hosts % labCount ? 1 : 0);
    const inventoryPath = join(work, `${name}.yaml`);
    labs.push(name);
    await labUp({ name, hosts: size, inventoryPath, log: (l) => process.stderr.write(`  ${name}: ${l}\n`) });
    inventories.push(inventoryPath);
  }
  console.log(`labs up: ${hosts} hosts in ${labCount} lab(s), ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const result = await repeatedRuns({
    playbookPath: playbook('load.yaml'),
    inventoryPaths: inventories,
    runs,
    forks,
    retryFile: join(work, 'load.retry'),
    onRun: (i, r) => console.log(`run ${i + 1}: exit ${r.code}, ${r.hostsOk}/${r.hosts} hosts ok, ${(r.durationMs / 1000).toFixed(1)} s; ${show(r.after)}`),
  });
  console.log(`before the runs: ${show(result.before)}`);

  const last = result.runs.at(-1)!;
  const first = result.runs[0]!;
  const checks = [
    { what: 'every run exit 0 on every host', ok: result.runs.every((r) => r.code === 0 && r.hostsOk === hosts && r.hosts === hosts) },
    { what: 'no descriptor leak (fds after each run = before)', ok: result.runs.every((r) => r.after.fds === result.before.fds) },
    { what: 'no socket leak', ok: result.runs.every((r) => r.after.sockets === result.before.sockets) },
    { what: 'no listener leak', ok: result.runs.every((r) => r.after.listening === result.before.listening) },
    {
      what: `heap steady from run 1 to run ${runs} (< 8 MB growth; grew ${((last.after.heapUsedBytes - first.after.heapUsedBytes) / MB).toFixed(1)} MB)`,
      ok: last.after.heapUsedBytes - first.after.heapUsedBytes < 8 * MB,
    },
  ];
  for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.what}`);
  ok = checks.every((c) => c.ok);
} finally {
  await teardown();
}
process.exit(ok ? 0 : 1);
