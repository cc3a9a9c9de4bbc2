// The three ways the same work is run and timed: steer (its CLI, as users run it), ansible-playbook
// (a generated ansible.cfg: pipelining, ControlPersist, forks = hosts, strict host keys), and one
// OpenSSH process per step over a ControlMaster connection per host.
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sh } from '../lib/command/command.js';
import { ExitCode } from '../lib/errors.js';
import type { BenchHost } from './labs.js';

const BENCH = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(BENCH, '..');
const STEER = join(REPO, 'bin', 'steer.js');
const PEAK_MEMORY = join(BENCH, 'peak-memory.mjs');
/** No single run may take longer than this. */
const RUN_TIMEOUT_MS = 600_000;

export interface Counts {
  ok: number;
  changed: number;
  failed: number;
  unreachable: number;
}

export interface RunResult {
  seconds: number;
  /** Summed over hosts, from the recap. */
  counts: Counts;
  /** ansible only: the tasks that reported a change (to explain a "second run" that changed). */
  changedTasks?: string[];
  /** steer only: peak RSS of the steer process, MB. */
  peakRssMb?: number;
  /** steer only: seconds from the first facts step to the last facts result (after connecting). */
  factsSeconds?: number;
  /** The hosts' CPU time during the run, summed over hosts, seconds (bench/host-cpu.ts). */
  hostCpuSeconds?: number;
}

interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Process groups of the programs running now (each started in a group of its own). */
const running = new Set<number>();

/** Ends every program this process started that is still running (on Ctrl-C): its whole group. */
export function stopRunning(): void {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

function exec(argv: string[], env: NodeJS.ProcessEnv, timeoutMs = RUN_TIMEOUT_MS): Promise<Exec> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    // detached: a group of its own, so that Ansible's forks and ssh processes end with it.
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const pid = child.pid;
    if (pid !== undefined) running.add(pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      if (pid !== undefined) process.kill(-pid, 'SIGTERM');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      if (pid !== undefined) running.delete(pid);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (pid !== undefined) running.delete(pid);
      resolvePromise({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), seconds: (performance.now() - t0) / 1000 });
    });
  });
}

function failure(what: string, r: Exec, why = ''): Error {
  const tail = (r.stdout + '\n' + r.stderr).trim().split('\n').slice(-25).join('\n');
  return new Error(`${what} exited ${r.code} after ${r.seconds.toFixed(1)} s:\n${why ? `${why}\n…\n` : ''}${tail}`);
}

/** The --json events that say why a host failed (the tail of the output seldom does), at most 5. */
function hostFailures(stdout: string): string {
  const lines = stdout.split('\n').filter((l) => /"status":"(failed|unreachable)"|"type":"host-(failed|unreachable)"|"type":"error"/.test(l));
  return lines.slice(0, 5).map((l) => l.slice(0, 600)).join('\n');
}

const zero = (): Counts => ({ ok: 0, changed: 0, failed: 0, unreachable: 0 });

// ---------------------------------------------------------------------------------------------
// steer

/** BENCH_CPU_PROF=DIR: every steer run writes a V8 CPU profile (`node --cpu-prof`) into DIR. */
function cpuProfile(): string[] {
  const dir = process.env['BENCH_CPU_PROF'];
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(dir)}`] : [];
}

/** `env`: added to steer's environment (light hosts set STEER_HOST_LOCK, see bench/workloads.ts's Env). */
export async function runSteer(
  playbook: string,
  inventory: string,
  forks: number,
  tmp: string,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
  /** Return the run (its counts say which hosts failed) when it exited 2 or 4 (hosts failed or unreachable). */
  hostFailuresAreResults = false,
): Promise<RunResult> {
  const peakFile = join(tmp, `peak-${process.pid}-${Date.now()}`);
  const r = await exec(
    [process.execPath, ...cpuProfile(), '--import', PEAK_MEMORY, STEER, 'run', playbook, '-i', inventory, '--json', '-f', String(forks), '--retry-file', join(tmp, 'steer.retry'), ...extra],
    { ...process.env, BENCH_PEAK_FILE: peakFile, STEER_ROLES_PATH: join(REPO, 'roles'), NO_COLOR: '1', ...env },
  );
  const hostsFailed = r.code === ExitCode.hostFailed || r.code === ExitCode.hostUnreachable;
  if (r.code !== 0 && !(hostFailuresAreResults && hostsFailed)) throw failure(`steer run ${playbook}`, r, hostFailures(r.stdout));
  const counts = zero();
  let factsStart = Infinity;
  let factsEnd = -Infinity;
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line) as { type: string; step?: string; time: string; hosts?: Record<string, Counts> };
    if (event.type === 'recap') {
      for (const c of Object.values(event.hosts ?? {})) for (const k of Object.keys(counts) as (keyof Counts)[]) counts[k] += c[k];
    } else if (event.step === 'Gathering Facts') {
      const t = Date.parse(event.time);
      if (event.type === 'step-start') factsStart = Math.min(factsStart, t);
      if (event.type === 'step-result') factsEnd = Math.max(factsEnd, t);
    }
  }
  const peak = Number(await readFile(peakFile, 'utf8').catch(() => 'NaN'));
  await rm(peakFile, { force: true });
  return {
    seconds: r.seconds,
    counts,
    peakRssMb: peak / 1024,
    ...(factsEnd >= factsStart ? { factsSeconds: (factsEnd - factsStart) / 1000 } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// ansible-playbook

export interface AnsibleSetup {
  config: string;
  controlDir: string;
}

/** A private ansible.cfg for these hosts: the issue's settings, nothing from ~/.ansible.cfg. */
export async function writeAnsibleConfig(dir: string, forks: number, knownHostsFiles: string[]): Promise<AnsibleSetup> {
  const controlDir = join(dir, 'cp');
  await mkdir(controlDir, { recursive: true, mode: 0o700 });
  const config = join(dir, 'ansible.cfg');
  await writeFile(
    config,
    [
      '[defaults]',
      `forks = ${forks}`,
      'gathering = explicit',
      'host_key_checking = True',
      'retry_files_enabled = False',
      'interpreter_python = /usr/bin/python3',
      'deprecation_warnings = False',
      'nocolor = True',
      `local_tmp = ${join(dir, 'ansible-local')}`,
      '',
      '[privilege_escalation]',
      'become = True',
      'become_method = sudo',
      '',
      '[ssh_connection]',
      'pipelining = True',
      `ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile="${knownHostsFiles.join(' ')}" -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`,
      `control_path_dir = ${controlDir}`,
      'control_path = %(directory)s/%%C',
      '',
    ].join('\n'),
  );
  return { config, controlDir };
}

/** `host : ok=1 changed=0 unreachable=0 failed=0 …` lines of the PLAY RECAP, summed. */
export function parseAnsibleRecap(stdout: string): Counts {
  const counts = zero();
  const recap = stdout.slice(stdout.lastIndexOf('PLAY RECAP'));
  for (const line of recap.split('\n')) {
    const fields = Object.fromEntries([...line.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
    for (const k of Object.keys(counts) as (keyof Counts)[]) counts[k] += fields[k] ?? 0;
  }
  return counts;
}

function changedTasks(stdout: string): string[] {
  const tasks = new Set<string>();
  let task = '';
  for (const line of stdout.split('\n')) {
    const m = /^(?:TASK|RUNNING HANDLER) \[(.*)\]/.exec(line);
    if (m) task = m[1]!;
    else if (line.startsWith('changed:')) tasks.add(task);
  }
  return [...tasks];
}

export async function runAnsible(playbook: string, inventory: string, setup: AnsibleSetup): Promise<RunResult> {
  const r = await exec(['ansible-playbook', '-i', inventory, playbook], {
    ...process.env,
    ANSIBLE_CONFIG: setup.config,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_STDOUT_CALLBACK: 'default',
  });
  if (r.code !== 0) throw failure(`ansible-playbook ${playbook}`, r);
  const counts = parseAnsibleRecap(r.stdout);
  return { seconds: r.seconds, counts, ...(counts.changed ? { changedTasks: changedTasks(r.stdout) } : {}) };
}

/** Closes the ControlPersist masters Ansible left (they are ours; they would linger 60 s). */
export async function closeControlMasters(controlDir: string): Promise<void> {
  const sockets = await readdir(controlDir).catch(() => [] as string[]);
  await Promise.all(sockets.map((s) => exec(['ssh', '-o', `ControlPath=${join(controlDir, s)}`, '-O', 'exit', 'bench'], process.env, 10_000).catch(() => {})));
}

// ---------------------------------------------------------------------------------------------
// One OpenSSH process per step over a ControlMaster connection

/**
 * Per host, in parallel: `steps` ssh processes one after the other, each running
 * `grep -qxF LINE FILE || echo LINE | sudo tee -a FILE` (FILE: the host's benchFile, else `file`);
 * the first one opens the host's master connection (ControlMaster=auto, ControlPersist), which is
 * closed after the clock stops.
 */
export async function runSshPerStep(hosts: BenchHost[], steps: number, file: string, tmp: string): Promise<RunResult> {
  const dir = join(tmp, `ssh-${Date.now()}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const base = (h: BenchHost): string[] => [
    'ssh', '-i', h.keyPath, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${h.knownHostsPath}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
    '-o', `ControlPath=${join(dir, h.name)}`,
  ];
  let changed = 0;
  const t0 = performance.now();
  try {
    await Promise.all(
      hosts.map(async (h) => {
        for (let i = 1; i <= steps; i++) {
          const line = `bench line ${i}`;
          const path = h.benchFile ?? file;
          const command = sh`grep -qxF -- ${line} ${path} 2>/dev/null || { echo ${line} | sudo tee -a -- ${path} >/dev/null && echo changed; }`;
          const r = await exec([...base(h), '-o', 'ControlMaster=auto', '-o', 'ControlPersist=60s', `${h.user}@${h.address}`, command.text], process.env, 60_000);
          if (r.code !== 0) throw failure(`ssh ${h.name}`, r);
          if (r.stdout.includes('changed')) changed++;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, counts: { ok: hosts.length * steps - changed, changed, failed: 0, unreachable: 0 } };
  } finally {
    await Promise.all(hosts.map((h) => exec([...base(h), '-O', 'exit', `${h.user}@${h.address}`], process.env, 10_000).catch(() => {})));
    await rm(dir, { recursive: true, force: true });
  }
}
