// Processes the lab starts are recorded as "pid starttime" so that `down` only ever signals the
// process it started, never an unrelated one that reused the pid.
import { readFile, writeFile, rm } from 'node:fs/promises';
import { sleep } from './run.js';

/** The kernel's start time of a process (clock ticks since boot), or undefined if it is gone. */
export async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

export async function recordPid(file: string, pid: number): Promise<void> {
  const start = await processStartTime(pid);
  await writeFile(file, `${pid} ${start ?? '?'}\n`);
}

/** The recorded pid if that very process is still alive (zombies count as gone). */
export async function livePid(file: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const [pidText, start] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  if ((await processStartTime(pid)) !== start) return undefined;
  if (await isZombie(pid)) return undefined;
  return pid;
}

async function isZombie(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

export async function isAlive(pid: number): Promise<boolean> {
  return (await processStartTime(pid)) !== undefined && !(await isZombie(pid));
}

/** Direct children of a process (e.g. the container's init under systemd-nspawn). */
export async function childrenOf(pid: number): Promise<number[]> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Waits until the process is gone; returns false on timeout. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await isAlive(pid))) return true;
    await sleep(100);
  }
  return !(await isAlive(pid));
}

/** Ends a recorded process: SIGTERM, then SIGKILL after the grace period. Removes the pid file. */
export async function endRecorded(file: string, graceMs: number): Promise<void> {
  const pid = await livePid(file);
  if (pid !== undefined) {
    signal(pid, 'SIGTERM');
    if (!(await waitForExit(pid, graceMs))) {
      signal(pid, 'SIGKILL');
      await waitForExit(pid, 5000);
    }
  }
  await rm(file, { force: true });
}
