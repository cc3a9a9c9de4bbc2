// The built-in reboot handler, after Ansible's reboot module: read the boot id, reboot, then poll
// (backing off, capped) until the host answers with a different, non-empty boot id. A changed host
// key ends the wait at once (HostKeyError: the host counts as unreachable), never retried.
import { sh } from '../command/command.js';
import type { Connection } from '../connection/connection.js';
import { HostKeyError } from '../connection/errors.js';
import { HostLockError } from '../connection/host-lock.js';

export interface RebootOptions {
  timeoutMs: number;
  /** Called before each poll, for -v output. */
  log?: (message: string) => void;
  /** Checked between polls: stop waiting when the run is stopping. */
  stopped?: () => boolean;
}

const BOOT_ID = sh`cat /proc/sys/kernel/random/boot_id`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Reboots the host and waits until it answers with a new boot id. Resolves with that id and the
 * time taken (ms). Throws HostKeyError at once when the host comes back with another host key, an
 * Error when it does not come back within `timeoutMs` or the run is stopping.
 */
export async function rebootAndWait(connection: Connection, options: RebootOptions): Promise<{ bootId: string; elapsedMs: number }> {
  const started = Date.now();
  const before = (await connection.run(BOOT_ID)).stdout.trim();
  // Detached and delayed, so the command returns before sshd goes down.
  await connection.run(sh`nohup sh -c 'sleep 1; systemctl reboot || shutdown -r now || reboot' >/dev/null 2>&1 &`, { become: true });
  const deadline = started + options.timeoutMs;
  let delay = 1000;
  let lastError = '';
  while (Date.now() < deadline) {
    if (options.stopped?.()) throw new Error('reboot wait stopped: the run is stopping');
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    delay = Math.min(delay * 2, 12_000) + Math.floor(Math.random() * 250);
    try {
      await connection.reconnect({ timeoutMs: Math.max(1000, Math.min(30_000, deadline - Date.now())) });
      const now = (await connection.run(BOOT_ID, { timeoutMs: 10_000 })).stdout.trim();
      if (now && now !== before) return { bootId: now, elapsedMs: Date.now() - started };
      options.log?.(`still the same boot (${before.slice(0, 8)}…), waiting`);
    } catch (err) {
      // A host that comes back with another host key is not the host that went down (or someone
      // sits in between): waiting longer cannot fix that, and the step stops at once as unreachable.
      if (err instanceof HostKeyError) throw new HostKeyError(err.host, `during the reboot wait: ${err.message}`);
      // Another run took the host's lock while it rebooted: this run must not go on acting on it.
      if (err instanceof HostLockError) throw err;
      lastError = (err as Error).message;
      options.log?.(`not back yet: ${lastError}`);
    }
  }
  throw new Error(
    `the host did not come back from the reboot within ${Math.round(options.timeoutMs / 1000)} s` + (lastError ? ` (last error: ${lastError})` : ''),
  );
}
