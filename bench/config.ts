// What `npm run bench` runs, from the environment (see docs/benchmark.md):
//   BENCH_QUICK=1            one iteration of each, scale 1 and 10 hosts
//   BENCH_ITERATIONS=N       every workload's iteration count (1..20)
//   BENCH_ONLY=a,b           a subset of: lines, first, facts, prepare, scale
//   BENCH_SCALE=1,10,30,60   host counts of the scale workload (1..200; 1..250 with light hosts)
//   BENCH_HOSTS=light        workloads 1, 3 and 5 on light hosts (bench/light-hosts.ts), not lab hosts
//   BENCH_SCALE_FORKS=N      steer's -f in the scale workload (default: the run's host count)
//   BENCH_CPU_PROF=DIR       every steer run writes a V8 CPU profile into DIR (bench/runners.ts)
//   BENCH_PREPARE_FIRST=1    also time both first runs of workload 4 (hosts reset between them)
//   BENCH_LAB=name           the lab's name (default bench; scale labs are NAME-scale-a, …)

export const WORKLOADS = ['first', 'lines', 'pi', 'facts', 'scale', 'prepare'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** Where workloads 1 (lines), 3 (facts) and 5 (scale) run: lab hosts (systemd-nspawn) or light hosts (sshd in a netns). */
export type HostKind = 'lab' | 'light';
/** The workloads light hosts take over; the others (Pi speed, first runs, preparation roles) need lab hosts. */
export const LIGHT_WORKLOADS: ReadonlySet<WorkloadName> = new Set(['lines', 'facts', 'scale']);

export interface BenchConfig {
  quick: boolean;
  hostKind: HostKind;
  /** Scale workload: steer's -f; undefined = the run's host count. */
  scaleForks?: number;
  /** Name of the benchmark's lab. */
  lab: string;
  /** Hosts of workloads 1–4. */
  hosts: number;
  /** Steps of the lines workloads. */
  steps: number;
  iterations: Record<WorkloadName, number>;
  scaleHosts: number[];
  workloads: Set<WorkloadName>;
  prepareFirstRun: boolean;
}

function intFrom(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
  return n;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const quick = env['BENCH_QUICK'] === '1';
  const iterations: Record<WorkloadName, number> = quick
    ? { first: 1, lines: 1, pi: 1, facts: 1, scale: 1, prepare: 1 }
    : { first: 3, lines: 3, pi: 3, facts: 3, scale: 3, prepare: 2 };
  const forced = env['BENCH_ITERATIONS'];
  if (forced) for (const w of WORKLOADS) iterations[w] = intFrom('BENCH_ITERATIONS', forced, 1, 20);

  const only = env['BENCH_ONLY'];
  const workloads = new Set<WorkloadName>(WORKLOADS);
  if (only) {
    workloads.clear();
    for (const w of only.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`BENCH_ONLY: unknown workload "${w}" (known: ${WORKLOADS.join(', ')})`);
      workloads.add(w as WorkloadName);
    }
  }

  const kind = env['BENCH_HOSTS'] ?? 'lab';
  if (kind !== 'lab' && kind !== 'light') throw new Error(`BENCH_HOSTS must be "lab" or "light", not ${JSON.stringify(kind)}`);
  const hostKind: HostKind = kind;
  const scale = env['BENCH_SCALE'];
  const scaleHosts = scale
    ? [...new Set(scale.split(',').map((s) => intFrom('BENCH_SCALE', s.trim(), 1, hostKind === 'light' ? 250 : 200)))].sort((a, b) => a - b)
    : quick
      ? [1, 10]
      : hostKind === 'light'
        ? [1, 10, 50, 100, 200, 250]
        : [1, 10, 30, 60];
  const forks = env['BENCH_SCALE_FORKS'];

  const prepareFirst = env['BENCH_PREPARE_FIRST'];
  const lab = env['BENCH_LAB'] ?? 'bench';
  if (!/^[a-z][a-z0-9-]{0,11}$/.test(lab)) throw new Error(`BENCH_LAB must be a short lab name (a-z, 0-9, -), not ${JSON.stringify(lab)}`);
  return {
    quick,
    hostKind,
    ...(forks ? { scaleForks: intFrom('BENCH_SCALE_FORKS', forks, 1, 1000) } : {}),
    lab,
    hosts: 10,
    steps: 20,
    iterations,
    scaleHosts,
    workloads,
    // Off by default: resetting 10 hosts (apt purge) and two first runs add minutes.
    prepareFirstRun: prepareFirst === '1',
  };
}
