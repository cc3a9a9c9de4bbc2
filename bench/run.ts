// `npm run bench`: steer against ansible-playbook on lab hosts (issue 8). Brings up its own labs,
// runs the workloads (steer and Ansible alternating), prints a Markdown table with the targets, and
// writes the results to bench/results/<time>.json. Settings: bench/config.ts, docs/benchmark.md.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { ensureTools } from '../lab/preflight.js';
import { configFromEnv } from './config.js';
import {
  addScaleLabs, bringUpLab, installPythonApt, takeDownLab, takeDownLabs, takeDownOnSignals, writeInventory,
} from './labs.js';
import { markdownTable, rows, saveResults } from './report.js';
import { closeControlMasters, stopRunning, writeAnsibleConfig, type AnsibleSetup } from './runners.js';
import { factsOnly, linesAtPiSpeed, linesFirstRun, linesSecondRun, prepareRoles, scale, type Env, type WorkloadResult } from './workloads.js';

const RESULTS = join(import.meta.dirname, 'results');
const PYTHON_APT_CACHE = '/var/cache/steer/bench-debs';
const say = (line: string): void => void process.stderr.write(`# ${line}\n`);

/** The bench's Ansible: Debian's `ansible` (its playbooks use ansible.posix), installed when missing. */
async function ansibleVersion(): Promise<string> {
  await ensureTools([['ansible-playbook', 'ansible'], ['/usr/lib/python3/dist-packages/ansible_collections/ansible/posix', 'ansible']], 'npm run bench');
  return execFileSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
}

if (process.getuid?.() !== 0) {
  process.stderr.write('npm run bench needs root (it boots lab hosts: systemd-nspawn, network namespaces)\n');
  process.exit(1);
}
const config = configFromEnv();
const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  memoryGb: Math.round(totalmem() / 2 ** 30),
  kernel: release(),
  node: process.version,
  ansible: await ansibleVersion(),
  loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
};
const started = Date.now();
const tmp = await mkdtemp(join(tmpdir(), 'steer-bench-'));
const results: WorkloadResult[] = [];
let ansible: AnsibleSetup | undefined;
takeDownOnSignals(async () => {
  stopRunning();
  if (ansible) await closeControlMasters(ansible.controlDir);
});
const errors: string[] = [];
say(`bench: workloads ${[...config.workloads].join(', ')}; iterations ${JSON.stringify(config.iterations)}${config.quick ? ' (BENCH_QUICK)' : ''}`);

try {
  const main = await bringUpLab(config.lab, config.hosts, tmp);
  const inventory = await writeInventory(join(tmp, 'bench.yaml'), main.hosts, main.allVars);
  ansible = await writeAnsibleConfig(tmp, config.hosts, [main.knownHostsPath]);
  const env: Env = { config, hosts: main.hosts, inventory, ansible, tmp, allVars: main.allVars };
  const workload = async <T>(title: string, body: () => Promise<T>): Promise<T> => {
    say(`${title} (${((Date.now() - started) / 1000).toFixed(0)} s in)`);
    return body();
  };

  // A workload that fails is reported and the next one still runs.
  const attempt = async (body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (err) {
      errors.push((err as Error).message);
      say(`workload failed: ${(err as Error).stack ?? (err as Error).message}`);
    }
  };
  if (config.workloads.has('first')) await attempt(async () => void results.push(await workload('workload 2: lines, first run', () => linesFirstRun(env))));
  if (config.workloads.has('lines')) await attempt(async () => void results.push(await workload('workload 1: lines, second run', () => linesSecondRun(env))));
  if (config.workloads.has('pi')) await attempt(async () => void results.push(await workload('workload 6: lines at Pi speed', () => linesAtPiSpeed(env))));
  if (config.workloads.has('facts')) await attempt(async () => void results.push(await workload('workload 3: facts', () => factsOnly(env))));
  if (config.workloads.has('scale')) {
    await closeControlMasters(ansible.controlDir);
    const extra = Math.max(0, Math.max(...config.scaleHosts) - main.hosts.length);
    const labs: string[] = [];
    await attempt(async () => {
      const added = await workload(`workload 5: scale (${extra} more hosts)`, () => addScaleLabs(`${config.lab}-scale-`, extra, tmp, labs));
      results.push(...(await scale(env, [...main.hosts, ...added], main.allVars)));
    });
    for (const lab of labs) await takeDownLab(lab);
  }
  if (config.workloads.has('prepare')) {
    await attempt(async () => {
      await installPythonApt(main.hosts, PYTHON_APT_CACHE);
      results.push(...(await workload('workload 4: preparation roles', () => prepareRoles(env))));
    });
  }
} catch (err) {
  errors.push((err as Error).message);
  say(`bench failed: ${(err as Error).stack ?? (err as Error).message}`);
} finally {
  if (ansible) await closeControlMasters(ansible.controlDir);
  await takeDownLabs();
  await rm(tmp, { recursive: true, force: true });
}

const table = rows(results);
const seconds = Math.round((Date.now() - started) / 1000);
process.stdout.write(`\n${markdownTable(table)}\n\n`);
for (const r of results) for (const p of r.problems) say(`⚠ workload ${r.id}: ${p}`);
say(`${machine.cpus} CPUs, ${machine.ansible}, node ${machine.node}; load average at start ${machine.loadAverageAtStart.join(' ')}; ${seconds} s in all`);
const path = await saveResults(RESULTS, {
  startedAt: new Date(started).toISOString(),
  seconds,
  machine: { ...machine, loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100) },
  config,
  table,
  results,
  ...(errors.length ? { errors } : {}),
});
say(`results: ${path}`);
process.exit(errors.length ? 1 : 0);
