// Reaching lab hosts with OpenSSH, strictly: the lab's key, and only the host keys the lab made.
import { ExitCode, SteerError } from '../lib/errors.js';
import { labPaths } from './paths.js';
import type { LabHostState, LabState } from './state.js';
import { run, sleep } from './run.js';

export function sshArgs(state: LabState, host: LabHostState, extra: string[] = []): string[] {
  const paths = labPaths(state.name);
  return [
    '-i', paths.key,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${paths.knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR',
    ...extra,
    `pi@${host.address}`,
  ];
}

/** Runs a command on a lab host as `pi` and returns its stdout. */
export function sshRun(state: LabState, host: LabHostState, command: string, timeoutMs = 60_000): Promise<string> {
  return run('ssh', [...sshArgs(state, host, ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5']), command], { timeoutMs });
}

/** Waits until the host accepts the lab key over SSH (its host key checked); returns its boot id. */
export async function waitForSsh(state: LabState, host: LabHostState, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      return (await sshRun(state, host, 'cat /proc/sys/kernel/random/boot_id', 10_000)).trim();
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new SteerError(
        `lab host ${host.name} (${host.address}) did not answer SSH within ${Math.round(timeoutMs / 1000)} s (is the machine overloaded?): ${last}`,
        'LAB_HOST_TIMEOUT',
        ExitCode.hostUnreachable,
      );
    await sleep(250);
  }
}
