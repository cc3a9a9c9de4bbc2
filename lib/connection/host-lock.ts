// The per-host run lock (issue 14 item 12): two steer runs acting on one host at once lose each
// other's updates, so each run holds `flock` on a lock file of the host for as long as it is
// connected. The lock lives in a process of its own on the host (an ssh exec channel, or a child
// process for ansible_connection=local) that blocks reading its stdin: when the connection drops or
// the controller dies, stdin ends, the process exits and the kernel releases the lock — a lock never
// outlives its run and needs no cleaning. Ansible takes no such lock; the shape copies what apt and
// dpkg do with /var/lib/dpkg/lock (refuse at once, naming who holds it).
import { hostname } from 'node:os';
import type { Readable } from 'node:stream';
import { sh } from '../command/command.js';
import { HostError, UserError } from '../errors.js';
import { randomToken } from './framing.js';

/** Who this run is, as written into the host's holder file. */
export interface HostLockOwner {
  /** Random per run: a host reached under two inventory names in one run is not a conflict. */
  readonly runId: string;
  /** `pid=<controller pid> controller=<hostname> started=<ISO time> run=<runId>`. */
  readonly line: string;
}

/** What a connection locks: the run's owner and, for tests, the lock file path on every host. */
export interface HostLock {
  readonly owner: HostLockOwner;
  /** Default: /run/lock/steer.lock, or /tmp/steer.lock on a host without a writable /run/lock. */
  readonly path?: string;
}

/** The host is locked by another run, or the lock could not be taken: the host is "failed" (exit 2). */
export class HostLockError extends HostError {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message, 'HOST_LOCKED');
    this.name = 'HostLockError';
  }
}

/** A new owner for one run. */
export function hostLockOwner(): HostLockOwner {
  const runId = randomToken();
  return { runId, line: `pid=${process.pid} controller=${hostname()} started=${new Date().toISOString()} run=${runId}` };
}

/**
 * The run's lock as the environment asks: STEER_HOST_LOCK unset → the default path; `off` → no lock
 * (test suites that run many steer runs against one machine at once); an absolute path → that file.
 * Throws UserError for any other value.
 */
export function hostLockFromEnv(env: NodeJS.ProcessEnv = process.env): HostLock | undefined {
  const value = env.STEER_HOST_LOCK;
  if (value === 'off') return undefined;
  if (value === undefined || value === '') return { owner: hostLockOwner() };
  if (!value.startsWith('/')) throw new UserError(`STEER_HOST_LOCK must be "off" or an absolute path, not ${JSON.stringify(value)}`);
  return { owner: hostLockOwner(), path: value };
}

// $1 lock path ('' = default), $2 holder line, $3 marker token. fd 8 (the holder file) serialises
// writers and readers of the holder line, so a refused run always reads the current holder's line.
const SCRIPT = `f=$1
if [ -z "$f" ]; then if [ -d /run/lock ] && [ -w /run/lock ]; then f=/run/lock/steer.lock; else f=/tmp/steer.lock; fi; fi
command -v flock >/dev/null 2>&1 || { echo "flock is not installed (util-linux)" >&2; exit 3; }
exec 8>>"$f.holder" 9>>"$f" || exit 3
flock -w 10 8 || { echo "timed out reading $f.holder" >&2; exit 3; }
if flock -n 9; then
  printf '%s\\n' "$2" >"$f.holder"
  exec 8>&-
  printf 'ok-%s\\n' "$3"
  exec cat >/dev/null
fi
printf 'held-%s %s\\n' "$3" "$f"
head -c 1024 "$f.holder"
exit 2`;

/** The command that takes the lock; `token` marks its answer among anything a login shell prints. */
export function hostLockCommand(lock: HostLock, token: string) {
  return sh`sh -c ${SCRIPT} steer-lock ${lock.path ?? ''} ${lock.owner.line} ${token}`;
}

/** Host data for a message: control characters dropped, at most `max` characters. */
export function boundedHostText(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, ' ').replace(/ +/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** The lock process as a connection started it. */
export interface LockProcess {
  stdout: Readable;
  stderr: Readable;
  onClose(listener: () => void): void;
}

const MAX_ANSWER = 16 * 1024;

/**
 * Waits for the lock process's answer. Resolves 'held' (the process now holds the lock until it
 * ends) or 'shared' (this same run holds it through another inventory name of the host). Throws
 * HostLockError naming the holder (bounded host data) when another run holds it, or saying why the
 * lock could not be taken.
 */
export function awaitHostLock(host: string, lock: HostLock, token: string, proc: LockProcess, timeoutMs = 30_000): Promise<'held' | 'shared'> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let done = false;
    const finish = (result: 'held' | 'shared' | HostLockError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (result instanceof HostLockError) reject(result);
      else resolve(result);
    };
    const timer = setTimeout(() => finish(new HostLockError(host, `${host}: taking the host lock timed out after ${timeoutMs / 1000} s`)), timeoutMs);
    proc.stdout.on('data', (d: Buffer) => {
      if (out.length < MAX_ANSWER) out += d.toString('utf8');
      if (out.includes(`ok-${token}\n`)) finish('held');
    });
    proc.stderr.on('data', (d: Buffer) => {
      if (err.length < MAX_ANSWER) err += d.toString('utf8');
    });
    proc.onClose(() => finish(refusal(host, lock, token, out, err)));
  });
}

/** What a lock process that ended without the lock said, as a result or an error. */
function refusal(host: string, lock: HostLock, token: string, out: string, err: string): 'shared' | HostLockError {
  const at = out.indexOf(`held-${token} `);
  if (at < 0) {
    const why = boundedHostText(err) || 'the lock process ended without an answer';
    return new HostLockError(host, `${host}: cannot take the host lock: ${why}`);
  }
  const rest = out.slice(at + token.length + 6);
  const newline = rest.indexOf('\n');
  const path = boundedHostText(newline < 0 ? rest : rest.slice(0, newline), 100);
  const holderRaw = newline < 0 ? '' : rest.slice(newline + 1).split('\n')[0]!;
  if (holderRaw.split(' ').includes(`run=${lock.owner.runId}`)) return 'shared';
  const holder = boundedHostText(holderRaw) || 'a holder that left no line';
  return new HostLockError(host, `${host}: another steer run is acting on this host (${path} is held by ${holder}); wait for it to end, then run again`);
}
