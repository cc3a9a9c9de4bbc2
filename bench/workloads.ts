// The five workloads of issue 8. Each alternates steer and Ansible (A B A B …) on the same hosts and
// returns every run, checked against what the run must have done (e.g. nothing changed).
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchConfig } from './config.js';
import { holdHosts, hostsCpuSeconds } from './host-cpu.js';
import { onHosts, writeInventory, type BenchHost } from './labs.js';
import { closeControlMasters, runAnsible, runSshPerStep, runSteer, type AnsibleSetup, type RunResult } from './runners.js';
import { median, round, speedup } from './stats.js';

const BENCH = import.meta.dirname;
const STEER_PLAYBOOK = (name: string): string => join(BENCH, 'steer', `${name}.yaml`);
const ANSIBLE_PLAYBOOK = (name: string): string => join(BENCH, 'ansible', `${name}.yaml`);
export const BENCH_FILE = '/etc/bench.conf';

export interface Env {
  config: BenchConfig;
  hosts: BenchHost[];
  inventory: string;
  ansible: AnsibleSetup;
  tmp: string;
  /** Variables of `all` for inventories of a subset of the hosts. */
  allVars: Record<string, unknown>;
  /**
   * Added to steer's environment. Light hosts share the controller's filesystem, where another
   * steer on this machine may hold the default run lock (/run/lock/steer.lock): they get
   * STEER_HOST_LOCK=<a file of their own> — the lock's work on the host is the same.
   */
  steerEnv?: NodeJS.ProcessEnv;
  /** Scale only: steer's -f (default: the run's host count). */
  scaleForks?: number;
}

export interface Series {
  runs: RunResult[];
  median: number;
}

export interface WorkloadResult {
  id: string;
  title: string;
  hosts: number;
  steer: Series;
  ansible?: Series;
  ssh?: Series;
  /** ansible median / steer median */
  ratioAnsible?: number;
  /** ssh-per-step median / steer median */
  ratioSsh?: number;
  /** Facts only: steer's median time after connecting. */
  steerFactsSeconds?: number;
  /** The hosts' CPU per step (median run's host CPU ÷ hosts × steps), ms; connecting included. */
  hostCpuMsPerStep?: { steer: number; ansible?: number; ssh?: number };
  /** Pi-speed only: the share of one core each host was held to, percent. */
  cpuQuotaPercent?: number;
  /** Scale only: steer's median peak RSS, MB. */
  steerPeakRssMb?: number;
  /** Run on light hosts (bench/light-hosts.ts): the issue 18 targets apply. */
  lightHosts?: boolean;
  /** Runs that did not do what the workload says (e.g. a "second run" that changed something). */
  problems: string[];
}

const log = (line: string): void => void process.stderr.write(`#   ${line}\n`);
const series = (runs: RunResult[]): Series => ({ runs, median: round(median(runs.map((r) => r.seconds))) });
const describe = (r: RunResult): string =>
  `${r.seconds.toFixed(2)} s (changed ${r.counts.changed}${r.counts.failed ? `, FAILED ${r.counts.failed}` : ''}${r.peakRssMb ? `, peak ${r.peakRssMb.toFixed(0)} MB` : ''}${r.hostCpuSeconds !== undefined ? `, host CPU ${(r.hostCpuSeconds * 1000).toFixed(0)} ms` : ''})`;

/** `run`, with the CPU time the hosts spent meanwhile. */
const withHostCpu = (hosts: BenchHost[], run: () => Promise<RunResult>) => async (): Promise<RunResult> => {
  const before = await hostsCpuSeconds(hosts);
  const r = await run();
  return { ...r, hostCpuSeconds: (await hostsCpuSeconds(hosts)) - before };
};

/** Median host CPU per step, ms. */
const cpuPerStep = (runs: RunResult[], steps: number): number => round(median(runs.map((r) => ((r.hostCpuSeconds ?? NaN) * 1000) / steps)));

/**
 * Ansible cold, as steer runs: its ControlPersist masters opened inside the timed run and closed
 * (untimed) right after, so no run reuses the previous run's connections.
 */
const ansibleCold = (env: Env, playbook: string, inventory = env.inventory) => async (): Promise<RunResult> => {
  try {
    return await runAnsible(playbook, inventory, env.ansible);
  } finally {
    await closeControlMasters(env.ansible.controlDir);
  }
};

function expectChanged(problems: string[], who: string, run: RunResult, expected: number | ((c: number) => boolean)): void {
  const { counts } = run;
  const ok = typeof expected === 'number' ? counts.changed === expected : expected(counts.changed);
  if (!ok || counts.failed || counts.unreachable) {
    const tasks = run.changedTasks?.length ? ` in: ${run.changedTasks.join(', ')}` : '';
    problems.push(`${who}: changed ${counts.changed}${typeof expected === 'number' ? ` (expected ${expected})` : ''}${tasks}, failed ${counts.failed}, unreachable ${counts.unreachable}`);
  }
}

/** steer then Ansible (then `third`, when given), `n` times; `before` runs (untimed) before every single run. */
async function alternate(
  n: number,
  steer: () => Promise<RunResult>,
  ansible: () => Promise<RunResult>,
  before: () => Promise<void> = async () => {},
  third?: (iteration: number) => Promise<void>,
): Promise<{ steer: RunResult[]; ansible: RunResult[] }> {
  const out = { steer: [] as RunResult[], ansible: [] as RunResult[] };
  for (let i = 1; i <= n; i++) {
    await before();
    const s = await steer();
    log(`[${i}/${n}] steer   ${describe(s)}`);
    out.steer.push(s);
    await before();
    const a = await ansible();
    log(`[${i}/${n}] ansible ${describe(a)}`);
    out.ansible.push(a);
    if (third) {
      await before();
      await third(i);
    }
  }
  return out;
}

function compared(id: string, title: string, hosts: number, runs: { steer: RunResult[]; ansible: RunResult[] }, problems: string[]): WorkloadResult {
  const steer = series(runs.steer);
  const ansible = series(runs.ansible);
  return { id, title, hosts, steer, ansible, ratioAnsible: round(speedup(ansible.median, steer.median), 1), problems };
}

// ---------------------------------------------------------------------------------------------

/** Workload 2: the 20 lines, first run: the file is removed before every run. */
export async function linesFirstRun(env: Env): Promise<WorkloadResult> {
  const { hosts, config } = env;
  const problems: string[] = [];
  const all = hosts.length * config.steps;
  const runs = await alternate(
    config.iterations.first,
    () => runSteer(STEER_PLAYBOOK('lines'), env.inventory, hosts.length, env.tmp, [], env.steerEnv),
    () => runAnsible(ANSIBLE_PLAYBOOK('lines'), env.inventory, env.ansible),
    async () => void (await onHosts(hosts, `sudo rm -f ${BENCH_FILE}`)),
  );
  runs.steer.forEach((r) => expectChanged(problems, 'steer', r, all));
  runs.ansible.forEach((r) => expectChanged(problems, 'ansible', r, all));
  return compared('2', `${hosts.length} hosts × ${config.steps} lines, first run`, hosts.length, runs, problems);
}

/**
 * Workload 1: the 20 lines, second run (nothing to change): steer, Ansible and one ssh process per
 * step alternating, every one cold (its connections opened and closed by the run), with the hosts'
 * CPU per step.
 */
export async function linesSecondRun(env: Env): Promise<WorkloadResult> {
  const { hosts, config } = env;
  const problems: string[] = [];
  // Make sure the lines are there (untimed).
  await runSteer(STEER_PLAYBOOK('lines'), env.inventory, hosts.length, env.tmp, [], env.steerEnv);
  const ssh: RunResult[] = [];
  const runs = await alternate(
    config.iterations.lines,
    withHostCpu(hosts, () => runSteer(STEER_PLAYBOOK('lines'), env.inventory, hosts.length, env.tmp, [], env.steerEnv)),
    withHostCpu(hosts, ansibleCold(env, ANSIBLE_PLAYBOOK('lines'))),
    async () => {},
    async (i) => {
      const r = await withHostCpu(hosts, () => runSshPerStep(hosts, config.steps, BENCH_FILE, env.tmp))();
      log(`[${i}/${config.iterations.lines}] ssh     ${describe(r)}`);
      ssh.push(r);
    },
  );
  runs.steer.forEach((r) => expectChanged(problems, 'steer', r, 0));
  runs.ansible.forEach((r) => expectChanged(problems, 'ansible', r, 0));
  ssh.forEach((r) => expectChanged(problems, 'ssh per step', r, 0));
  const result = compared('1', `${hosts.length} hosts × ${config.steps} lines, second run`, hosts.length, runs, problems);
  result.ssh = series(ssh);
  result.ratioSsh = round(speedup(result.ssh.median, result.steer.median), 1);
  const steps = hosts.length * config.steps;
  result.hostCpuMsPerStep = { steer: cpuPerStep(runs.steer, steps), ansible: cpuPerStep(runs.ansible, steps), ssh: cpuPerStep(ssh, steps) };
  return result;
}

/** Pi speed: the hosts of the home lab's size, each held to 30% of one core, as a Pi's core. */
export const PI_HOSTS = 3;
const PI_PERCENT = 30;

/** Workload 6: 3 hosts × 20 lines, second run, each host held to 30% of a core; steer and Ansible cold. */
export async function linesAtPiSpeed(env: Env): Promise<WorkloadResult> {
  const { config } = env;
  const hosts = env.hosts.slice(0, PI_HOSTS);
  const inventory = await writeInventory(join(env.tmp, 'pi.yaml'), hosts, env.allVars);
  const problems: string[] = [];
  await runSteer(STEER_PLAYBOOK('lines'), inventory, hosts.length, env.tmp, [], env.steerEnv);
  const release = await holdHosts(hosts, PI_PERCENT);
  let runs: { steer: RunResult[]; ansible: RunResult[] };
  try {
    runs = await alternate(
      config.iterations.lines,
      withHostCpu(hosts, () => runSteer(STEER_PLAYBOOK('lines'), inventory, hosts.length, env.tmp, [], env.steerEnv)),
      withHostCpu(hosts, ansibleCold(env, ANSIBLE_PLAYBOOK('lines'), inventory)),
    );
  } finally {
    await release();
  }
  runs.steer.forEach((r) => expectChanged(problems, 'steer', r, 0));
  runs.ansible.forEach((r) => expectChanged(problems, 'ansible', r, 0));
  const result = compared('6', `${hosts.length} hosts at Pi speed (${PI_PERCENT}% of a core each) × ${config.steps} lines, second run`, hosts.length, runs, problems);
  const steps = hosts.length * config.steps;
  result.hostCpuMsPerStep = { steer: cpuPerStep(runs.steer, steps), ansible: cpuPerStep(runs.ansible, steps) };
  result.cpuQuotaPercent = PI_PERCENT;
  return result;
}

/** Workload 3: facts alone. */
export async function factsOnly(env: Env): Promise<WorkloadResult> {
  const { hosts, config } = env;
  const problems: string[] = [];
  const runs = await alternate(
    config.iterations.facts,
    () => runSteer(STEER_PLAYBOOK('facts'), env.inventory, hosts.length, env.tmp, [], env.steerEnv),
    () => runAnsible(ANSIBLE_PLAYBOOK('facts'), env.inventory, env.ansible),
  );
  for (const r of runs.steer) {
    expectChanged(problems, 'steer', r, 0);
    log(`        steer facts after connecting: ${((r.factsSeconds ?? NaN) * 1000).toFixed(0)} ms`);
  }
  runs.ansible.forEach((r) => expectChanged(problems, 'ansible', r, 0));
  const result = compared('3', `facts on ${hosts.length} hosts`, hosts.length, runs, problems);
  result.steerFactsSeconds = round(median(runs.steer.map((r) => r.factsSeconds ?? NaN)));
  return result;
}

// ---------------------------------------------------------------------------------------------
// Workload 4: the preparation roles

/** Undoes what the preparation roles did (but not cmdline.txt: that would need a reboot). */
const UNPREPARE = [
  'apt-mark unhold kubelet kubeadm kubectl >/dev/null 2>&1 || true',
  'systemctl disable --now kubelet containerd >/dev/null 2>&1 || true',
  'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q kubelet kubeadm kubectl containerd runc >/dev/null 2>&1 || true',
  'DEBIAN_FRONTEND=noninteractive apt-get autoremove --purge -y -q >/dev/null 2>&1 || true',
  'rm -rf /etc/containerd /etc/apt/sources.list.d/kubernetes.list /etc/apt/keyrings/kubernetes-apt-keyring.gpg /etc/sysctl.d/k8s.conf /etc/modules-load.d/k8s.conf',
].join('; ');

export async function prepareRoles(env: Env): Promise<WorkloadResult[]> {
  const { hosts, config } = env;
  const n = hosts.length;
  const steer = () => runSteer(STEER_PLAYBOOK('prepare'), env.inventory, n, env.tmp, [], env.steerEnv);
  const ansible = () => runAnsible(ANSIBLE_PLAYBOOK('prepare'), env.inventory, env.ansible);

  // The cgroups role reboots a host whose kernel command line lacks cgroup_enable=memory: let it do
  // so once, untimed, so that no measured run (steer's or Ansible's) includes a reboot.
  log('setup: cgroups role once (edits cmdline.txt and reboots the hosts)');
  const setup = await runSteer(STEER_PLAYBOOK('prepare'), env.inventory, n, env.tmp, ['--tags', 'cgroups'], env.steerEnv);
  log(`setup done in ${setup.seconds.toFixed(1)} s`);

  const problems: string[] = [];
  const fromImage = await steer();
  log(`steer first run from the fresh image: ${describe(fromImage)}`);

  const second = await alternate(config.iterations.prepare, steer, ansible);
  second.steer.forEach((r) => expectChanged(problems, 'steer', r, 0));
  second.ansible.forEach((r) => expectChanged(problems, 'ansible', r, 0));
  const results = [compared('4', `preparation roles on ${n} hosts, second run`, n, second, problems)];

  if (config.prepareFirstRun) {
    const firstProblems: string[] = [];
    const unprepare = async () => {
      log('resetting the hosts (packages purged, files removed)');
      await onHosts(hosts, `sudo sh -c '${UNPREPARE}'`, 600_000);
    };
    const first = await alternate(1, steer, ansible, unprepare);
    first.steer.forEach((r) => expectChanged(firstProblems, 'steer', r, (c) => c > 0));
    first.ansible.forEach((r) => expectChanged(firstProblems, 'ansible', r, (c) => c > 0));
    results.push(compared('4f', `preparation roles on ${n} hosts, first run`, n, first, firstProblems));
  } else {
    results.push({ id: '4f', title: `preparation roles on ${n} hosts, first run (steer only)`, hosts: n, steer: series([fromImage]), problems: [] });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Workload 5: scale

/** The lines workload's file after its first run: `bench line 1` … `bench line N`. */
const linesContent = (steps: number): string => Array.from({ length: steps }, (_, i) => `bench line ${i + 1}\n`).join('');

export async function scale(env: Env, allHosts: BenchHost[], allVars: Record<string, unknown>): Promise<WorkloadResult[]> {
  const results: WorkloadResult[] = [];
  for (const count of env.config.scaleHosts) {
    const hosts = allHosts.slice(0, count);
    const inventory = await writeInventory(join(env.tmp, `scale-${count}.yaml`), hosts, allVars);
    const problems: string[] = [];
    const forks = Math.min(count, env.scaleForks ?? count);
    if (hosts.every((h) => h.benchFile)) {
      // Light hosts' files are on this machine: write what a first run leaves (untimed), instead
      // of a warm-up run that costs as much as a measured one (minutes at 250 hosts here).
      await Promise.all(hosts.map((h) => writeFile(h.benchFile!, linesContent(env.config.steps), { mode: 0o644 }).then(() => chmod(h.benchFile!, 0o644))));
    } else {
      const warm = await runSteer(STEER_PLAYBOOK('lines'), inventory, forks, env.tmp, [], env.steerEnv);
      log(`${count} hosts: warm-up ${describe(warm)}`);
    }
    const runs: RunResult[] = [];
    for (let i = 1; i <= env.config.iterations.scale; i++) {
      // A host that fails (e.g. cannot connect in time with hundreds connecting at once) is a
      // finding of this workload (⚠, counts below), not a reason to lose its time and memory.
      const r = await withHostCpu(hosts, () => runSteer(STEER_PLAYBOOK('lines'), inventory, forks, env.tmp, [], env.steerEnv, true))();
      log(`${count} hosts: [${i}/${env.config.iterations.scale}] steer ${describe(r)}`);
      expectChanged(problems, 'steer', r, 0);
      runs.push(r);
    }
    results.push({
      id: `5.${count}`,
      title: `scale: ${count} host${count === 1 ? '' : 's'} × ${env.config.steps} lines, second run${forks < count ? ` (-f ${forks})` : ''}`,
      hosts: count,
      steer: series(runs),
      steerPeakRssMb: round(median(runs.map((r) => r.peakRssMb ?? NaN)), 1),
      hostCpuMsPerStep: { steer: cpuPerStep(runs, count * env.config.steps) },
      problems,
    });
  }
  return results;
}
