// Memory a lab host uses on the controller: the proportional set size (shared pages divided among
// their users) of every process the lab runs for that host, found through the host's cgroup.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { hostPaths } from './paths.js';

export interface HostMemory {
  /** The host's own processes (its systemd and everything under it), bytes. */
  containerBytes: number;
  /** Plus what the lab runs beside it (systemd-nspawn and the supervisor), bytes. */
  totalBytes: number;
  /** Resident set size of all of them, counting shared pages in full (an upper bound), bytes. */
  rssBytes: number;
  processes: number;
}

export async function hostMemory(lab: string, host: string): Promise<HostMemory | undefined> {
  const recorded = await readFile(hostPaths(lab, host).cgroups, 'utf8').catch(() => '');
  // The unified (cgroup v2) hierarchy is the one nspawn places the container in.
  const dir = recorded.split('\n').find((d) => d.includes('/steer-lab-') && !d.includes('/systemd/'));
  if (!dir) return undefined;
  const result: HostMemory = { containerBytes: 0, totalBytes: 0, rssBytes: 0, processes: 0 };
  const walk = async (cgroup: string, inContainer: boolean): Promise<void> => {
    const procs = await readFile(join(cgroup, 'cgroup.procs'), 'utf8').catch(() => '');
    for (const pid of procs.split('\n').filter(Boolean)) {
      const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
      const kb = Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      result.totalBytes += kb * 1024;
      result.rssBytes += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0) * 1024;
      if (inContainer) result.containerBytes += kb * 1024;
      result.processes++;
    }
    const entries = await readdir(cgroup, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isDirectory()) await walk(join(cgroup, entry.name), inContainer || entry.name === 'payload');
    }
  };
  await walk(dir, false);
  return result;
}
