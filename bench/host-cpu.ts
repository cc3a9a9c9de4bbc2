// The lab hosts' own CPU: what a run costs the hosts (cgroup v2 `cpu.stat` of each host's cgroup,
// which lab/supervise-host.sh makes), and the Pi-speed mode, which holds each host to a share of
// one core (a cgroup CPU quota) as a Raspberry Pi's slower core would.
import { mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostPaths } from '../lab/paths.js';
import type { BenchHost } from './labs.js';

/** The cgroup (v2) directory of a host: a light host's own, or a lab host's from the list its supervisor recorded. */
async function unifiedCgroup(host: BenchHost): Promise<string> {
  if (host.cgroup) return host.cgroup;
  const dirs = (await readFile(hostPaths(host.lab, host.name).cgroups, 'utf8')).split('\n').filter(Boolean);
  const dir = dirs.find((d) => !d.includes('/systemd/'));
  if (!dir) throw new Error(`${host.name}: no cgroup v2 directory in its supervisor's list`);
  return dir;
}

/** CPU time the hosts have used since they booted, summed, in seconds. */
export async function hostsCpuSeconds(hosts: BenchHost[]): Promise<number> {
  let usec = 0;
  for (const host of hosts) {
    const stat = await readFile(join(await unifiedCgroup(host), 'cpu.stat'), 'utf8');
    usec += Number(/^usage_usec (\d+)$/m.exec(stat)?.[1] ?? NaN);
  }
  return usec / 1e6;
}

/** Every process id in a cgroup and its descendants. */
async function pidsUnder(dir: string): Promise<number[]> {
  const own = (await readFile(join(dir, 'cgroup.procs'), 'utf8')).split('\n').filter(Boolean).map(Number);
  const subs = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory());
  return [...own, ...(await Promise.all(subs.map((s) => pidsUnder(join(dir, s.name))))).flat()];
}

/** cgroup v1's cpu controller (hybrid hierarchy) or v2's, whichever has the quota files. */
const V1_CPU = '/sys/fs/cgroup/cpu';
const PERIOD_US = 100_000;

/**
 * Holds each host to `percent` of one core: a cpu cgroup per host with a CFS quota, every process
 * of the host moved into it (processes it forks later follow). Returns the function that lets the
 * hosts go again. Needs cgroup v1's cpu controller at /sys/fs/cgroup/cpu (this machine's hybrid
 * hierarchy; the hosts' v2 cgroups have no cpu controller there).
 */
export async function holdHosts(hosts: BenchHost[], percent: number): Promise<() => Promise<void>> {
  const made: string[] = [];
  const release = async (): Promise<void> => {
    for (const dir of made) {
      const pids = (await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
      for (const pid of pids) await writeFile(join(V1_CPU, 'cgroup.procs'), pid).catch(() => {});
      await rmdir(dir).catch(() => {});
    }
  };
  try {
    for (const host of hosts) {
      const dir = join(V1_CPU, `steer-bench-${host.lab}-${host.name}`);
      await mkdir(dir, { recursive: true });
      made.push(dir);
      await writeFile(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      await writeFile(join(dir, 'cpu.cfs_quota_us'), String(Math.round((PERIOD_US * percent) / 100)));
      // Twice: a process forked by one not yet moved is caught the second time.
      for (let pass = 0; pass < 2; pass++) {
        for (const pid of await pidsUnder(await unifiedCgroup(host))) await writeFile(join(dir, 'cgroup.procs'), String(pid)).catch(() => {});
      }
    }
  } catch (err) {
    await release();
    throw err;
  }
  return release;
}
