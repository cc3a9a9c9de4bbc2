// A role's `probe` (read-only commands, never rejecting) over a bare connection, for `steer doctor`:
// the checks written for roles (roles/storage/health.ts checkStorage) run unchanged. Commands run
// as root through the connection's become settings; every one is bounded in time.
import type { Connection } from '../connection/connection.js';
import type { Shell } from '../runner/role-api.js';
import { makeShell } from '../runner/role/shell.js';

const DEFAULT_TIMEOUT_MS = 60_000;

/** `probe` bound to `connection`: `probe\`cmd ${arg}\``, `probe({ timeoutMs })\`cmd\``. */
export function connectionProbe(connection: Connection): Shell {
  return makeShell((command, options) => connection.run(command, { become: options.become ?? true, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS }), false);
}
