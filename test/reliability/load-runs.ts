// Repeated in-process runs of one playbook, measuring what a leak would grow: open file descriptors,
// sockets (and listening ones), and the heap after a full garbage collection. Used by the reduced
// load test (test/reliability/load.lab.test.ts) and the full one (bench/load.ts).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadInventory } from '../../lib/inventory/load.js';
import type { Renderer, RunEvent } from '../../lib/output/events.js';
import { loadPlaybook } from '../../lib/playbook/load.js';
import { buildPlan } from '../../lib/plan/build.js';
import { loadRole } from '../../lib/runner/role-loader.js';
import { runPlaybook } from '../../lib/runner/run.js';

export interface ProcessResources {
  fds: number;
  sockets: number;
  /** Sockets of this process in the listening state (TCP, TCP6, unix). */
  listening: number;
  heapUsedBytes: number;
  rssBytes: number;
}

export interface MeasuredRun {
  code: number;
  durationMs: number;
  /** Hosts whose every step ended ok or changed. */
  hostsOk: number;
  hosts: number;
  after: ProcessResources;
}

// A full collection before each heap reading; --expose-gc cannot be passed to every runner.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function socketInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

function listeningInodes(): Set<string> {
  const listening = new Set<string>();
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') listening.add(cols[9]!); // st 0A = LISTEN; column 9 = inode
    }
  }
  for (const line of readFileSync('/proc/self/net/unix', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols[5] === '01' && cols[3] === '00010000') listening.add(cols[6]!); // st 01 + __SO_ACCEPTCON
  }
  return listening;
}

export async function processResources(): Promise<ProcessResources> {
  // Let closed handles finish closing, then collect twice (weak references, finalizers).
  await new Promise((r) => setTimeout(r, 200));
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
  const sockets = socketInodes();
  const listening = listeningInodes();
  return {
    fds: readdirSync('/proc/self/fd').length,
    sockets: sockets.size,
    listening: [...sockets].filter((s) => listening.has(s)).length,
    heapUsedBytes: process.memoryUsage().heapUsed,
    rssBytes: process.memoryUsage().rss,
  };
}

/** Counts step results per host; nothing is printed. */
class CountingRenderer implements Renderer {
  readonly bad = new Set<string>();
  readonly hosts = new Set<string>();
  event(e: RunEvent): void {
    if (e.type !== 'step-result') return;
    this.hosts.add(e.host);
    if (e.status === 'failed' || e.status === 'unreachable') this.bad.add(e.host);
  }
  async end(): Promise<void> {}
}

export interface RepeatedRunsOptions {
  playbookPath: string;
  inventoryPaths: string[];
  runs: number;
  forks: number;
  /** Where the retry file of a failed run goes (none is expected). */
  retryFile: string;
  onRun?: (index: number, run: MeasuredRun) => void;
}

/** Runs the playbook `runs` times in this process, as `steer run` would; resources after each. */
export async function repeatedRuns(options: RepeatedRunsOptions): Promise<{ before: ProcessResources; runs: MeasuredRun[] }> {
  const playbook = await loadPlaybook(options.playbookPath, { cwd: process.cwd(), rolesPath: [] });
  const inventory = await loadInventory(options.inventoryPaths, { playbookDir: playbook.dir });
  const plan = await buildPlan({
    playbook,
    inventory,
    extra: { vars: {}, sources: {} },
    options: {
      tags: [],
      skipTags: [],
      check: false,
      diff: false,
      forks: options.forks,
      output: 'json',
      verbosity: 0,
      hostKeyChecking: 'strict',
      retryFile: options.retryFile,
      inventorySources: options.inventoryPaths,
    },
  });
  // Role scripts load once per process (tsx starts its compiler service for the first): do it
  // before the baseline, so that what is measured is what a run leaves behind.
  for (const play of playbook.plays) for (const ref of play.roles) await loadRole(ref);
  const before = await processResources();
  const runs: MeasuredRun[] = [];
  for (let i = 0; i < options.runs; i++) {
    const renderer = new CountingRenderer();
    const started = Date.now();
    const code = await runPlaybook(plan, renderer);
    const durationMs = Date.now() - started;
    const run: MeasuredRun = {
      code,
      durationMs,
      hosts: renderer.hosts.size,
      hostsOk: [...renderer.hosts].filter((h) => !renderer.bad.has(h)).length,
      after: await processResources(),
    };
    runs.push(run);
    options.onRun?.(i, run);
  }
  return { before, runs };
}
