// `npm run bench`: steer against ansible-playbook on lab hosts (issue 8). Brings up its own labs,
// runs the workloads (steer and Ansible alternating), prints a Markdown table with the targets, and
// writes the results to bench/results/<time>.json. Settings: bench/config.ts, docs/benchmark.md.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { ensureTools } from '../lab/preflight.js';
import { configFromEnv, LIGHT_WORKLOADS, type HostKind, type WorkloadName } from './config.js';
import { bringUpLightHosts, takeDownLightHosts } from './light-hosts.js';
import {
  addScaleLabs, bringUpLab, installPythonApt, takeDownLab, takeDownLabs, takeDownOnSignals, writeInventory,
} from './labs.js';
import { markdownTable, rows, saveResults } from './report.js';
import { closeControlMasters, stopRunning, writeAnsibleConfig, type AnsibleSetup } from './runners.js';
import { factsOnly, linesAtPiSpeed, linesFirstRun, linesSecondRun, PI_HOSTS, prepareRoles, scale, type Env, type WorkloadResult } from './workloads.js';

const RESULTS = join(import.meta.dirname, 'results');
const PYTHON_APT_CACHE = '/var/cache/steer/bench-debs';
const say = (line: string): void => void process.stderr.write(`# ${line}\n`);
/** The light-host set's name (a-z0-9, ≤ 10 characters: interface names) from the lab's. */
const lightName = (lab: string): string => `l${lab.replace(/[^a-z0-9]/g, '')}`.slice(0, 10);

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
  await takeDownLightHosts();
});
const errors: string[] = [];
say(`bench: workloads ${[...config.workloads].join(', ')}${config.hostKind === 'light' ? ' (lines, facts, scale on light hosts)' : ''}; iterations ${JSON.stringify(config.iterations)}${config.quick ? ' (BENCH_QUICK)' : ''}`);

try {
  // Light hosts take workloads 1, 3 and 5 (BENCH_HOSTS=light); the others need lab hosts, which
  // boot only when one of them is selected (Pi speed: 3 of them).
  const onLight = (w: WorkloadName): boolean => config.hostKind === 'light' && LIGHT_WORKLOADS.has(w);
  const labWorkloads = [...config.workloads].filter((w) => !onLight(w));
  const labHosts = labWorkloads.length === 0 ? 0 : labWorkloads.every((w) => w === 'pi') ? PI_HOSTS : config.hosts;
  const main = labHosts ? await bringUpLab(config.lab, labHosts, tmp) : undefined;
  const lightCount = Math.max(config.hosts, ...(config.workloads.has('scale') ? config.scaleHosts : []));
  const light = [...config.workloads].some(onLight) ? await bringUpLightHosts(lightName(config.lab), lightCount) : undefined;
  if (light) say(`light hosts: ${light.hosts.length} up in ${light.upSeconds.toFixed(1)} s`);
  ansible = await writeAnsibleConfig(tmp, config.hosts, [main?.knownHostsPath, light?.knownHostsPath].filter((p): p is string => p !== undefined));
  const envs: Partial<Record<HostKind, Env>> = {};
  if (main) envs.lab = { config, hosts: main.hosts, inventory: await writeInventory(join(tmp, 'bench.yaml'), main.hosts, main.allVars), ansible, tmp, allVars: main.allVars };
  if (light) {
    const hosts = light.hosts.slice(0, config.hosts);
    envs.light = {
      config, hosts, inventory: await writeInventory(join(tmp, 'light.yaml'), hosts, {}), ansible, tmp, allVars: {},
      steerEnv: { STEER_HOST_LOCK: join(tmp, 'steer-light.lock') },
      ...(config.scaleForks ? { scaleForks: config.scaleForks } : {}),
    };
  }
  const envFor = (w: WorkloadName): Env => envs[onLight(w) ? 'light' : 'lab']!;
  const tag = (w: WorkloadName, r: WorkloadResult): WorkloadResult => (onLight(w) ? { ...r, title: `${r.title} (light hosts)`, lightHosts: true } : r);
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
  if (config.workloads.has('first')) await attempt(async () => void results.push(await workload('workload 2: lines, first run', () => linesFirstRun(envFor('first')))));
  if (config.workloads.has('lines')) await attempt(async () => void results.push(tag('lines', await workload('workload 1: lines, second run', () => linesSecondRun(envFor('lines'))))));
  if (config.workloads.has('pi')) await attempt(async () => void results.push(await workload('workload 6: lines at Pi speed', () => linesAtPiSpeed(envFor('pi')))));
  if (config.workloads.has('facts')) await attempt(async () => void results.push(tag('facts', await workload('workload 3: facts', () => factsOnly(envFor('facts'))))));
  if (config.workloads.has('scale')) {
    await closeControlMasters(ansible.controlDir);
    const env = envFor('scale');
    if (light && onLight('scale')) {
      await attempt(async () => void results.push(...(await workload('workload 5: scale (light hosts)', () => scale(env, light.hosts, {}))).map((r) => tag('scale', r))));
    } else {
      const extra = Math.max(0, Math.max(...config.scaleHosts) - env.hosts.length);
      const labs: string[] = [];
      await attempt(async () => {
        const added = await workload(`workload 5: scale (${extra} more hosts)`, () => addScaleLabs(`${config.lab}-scale-`, extra, tmp, labs));
        results.push(...(await scale(env, [...env.hosts, ...added], env.allVars)));
      });
      for (const lab of labs) await takeDownLab(lab);
    }
  }
  if (config.workloads.has('prepare')) {
    await attempt(async () => {
      const env = envFor('prepare');
      await installPythonApt(env.hosts, PYTHON_APT_CACHE);
      results.push(...(await workload('workload 4: preparation roles', () => prepareRoles(env))));
    });
  }
} catch (err) {
  errors.push((err as Error).message);
  say(`bench failed: ${(err as Error).stack ?? (err as Error).message}`);
} finally {
  if (ansible) await closeControlMasters(ansible.controlDir);
  await takeDownLightHosts();
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
