// The wire format between the controller and a persistent remote bash. Each command travels as one
// line (its text quoted as bash $'…', so no newline or quote inside it can break the frame) plus an
// optional here-doc carrying its stdin in base64 (data in bash's memory, never in a process list).
// After the command, the shell prints a per-command random end marker with the exit status on
// stdout AND on stderr, so both streams end at a known point and stay apart.
//
// One command's output must never reach another's result. A command runs as its own job (process
// group); when the job's leader has exited but a process of its group still runs (a background
// child that may keep writing to the shell's output), the marker says so ("stray") and the session
// retires the shell: the next command gets a fresh one, and the child's later output goes nowhere.
// The check is a shell builtin (`kill -0`), so it forks nothing.
import { randomBytes } from 'node:crypto';
import { quote } from '../command/command.js';
import { HOST_FUNCTIONS } from './host-functions.js';

/** Lines the shell runs once, before the first command. */
export const SHELL_PRELUDE =
  // fd 3 is the real stderr (commands and markers write there); the shell's own stderr goes to
  // /dev/null so bash's job notices ("Terminated", "Killed") never leak into a command's stderr.
  // Job control (-m) gives every command its own process group, which a timeout kills as a whole.
  // fd 4 is a pipe nobody writes to: `read -t N -u 4` is a sleep that forks nothing (watchdogs).
  // Then the functions that reach paths safely (host-functions.sh).
  'exec 3>&2 2>/dev/null 4<> <(:); set -m; export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"\n' + HOST_FUNCTIONS;

/** Grace between SIGTERM and SIGKILL when a command times out. */
export const KILL_GRACE_SECONDS = 2;

export function randomToken(): string {
  return randomBytes(12).toString('hex');
}

export interface Frame {
  /** What is written to the shell's stdin. */
  text: string;
  /** The end marker both streams finish with. */
  marker: string;
  /** What the watchdog writes on stderr when it kills the command (`\n TOKEN \n`). */
  timeoutToken: string;
}

/** Builds the framed form of one command. */
export function frameCommand(command: string, stdin?: Buffer, timeoutMs?: number): Frame {
  const marker = `STEER${randomToken()}`;
  const body = `( eval ${quote(command)} )`;
  let job: string;
  let hereDoc = '';
  if (stdin === undefined) {
    job = `${body} </dev/null 2>&3 3>&- 4<&-`;
  } else {
    const end = `STEER_IN_${randomToken()}`;
    const encoded = base64Lines(stdin);
    // The outer subshell is the job (its pid is the process group a timeout kills). A frame cut
    // short by a dropped connection still runs (bash ends a here-doc at end-of-file): the input's
    // length is checked first, so a command never runs on part of its stdin.
    const length = encoded.replace(/\n$/, '').length;
    job =
      `( __steer_in=$(cat); if [ "\${#__steer_in}" != ${length} ]; then echo 'steer: the input arrived incomplete; command not run' >&2; exit 125; fi;` +
      ` printf '%s\\n' "$__steer_in" | base64 -d | ${body} ) <<'${end}' 2>&3 3>&- 4<&-`;
    hereDoc = encoded + end + '\n';
  }
  const seconds = timeoutMs === undefined ? undefined : Math.max(timeoutMs, 1) / 1000;
  const timeoutToken = `${marker}TIMEOUT`;
  // The watchdog says on stderr that it struck, so a timeout is told apart from a command that
  // merely exits 143, whatever the clocks on both sides say. It sleeps with `read -t` on fd 4 (a
  // subshell, no exec). The strays check runs after it is reaped: it is a job of its own.
  const watchdog =
    seconds === undefined
      ? ''
      : ` ( read -t ${seconds.toFixed(3)} -u 4; printf '\\n%s\\n' ${timeoutToken} >&3; kill -TERM -- -$__steer_p; read -t ${KILL_GRACE_SECONDS} -u 4; kill -KILL -- -$__steer_p ) </dev/null >/dev/null 2>&1 & __steer_w=$!;`;
  const reap = seconds === undefined ? '' : ' kill -- -$__steer_w; wait $__steer_w;';
  const line =
    `${job} & __steer_p=$!;${watchdog} wait $__steer_p; __steer_s=$?;${reap}` +
    ` __steer_x=0; kill -0 -- -$__steer_p && __steer_x=1;` +
    ` printf '\\n%s:%d:%d\\n' ${marker} $__steer_s $__steer_x; printf '\\n%s:%d:%d\\n' ${marker} $__steer_s $__steer_x >&3\n`;
  return { text: line + hereDoc, marker, timeoutToken };
}

function base64Lines(data: Buffer): string {
  const b64 = data.toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += b64.slice(i, i + 76) + '\n';
  return out;
}

/**
 * What a command may print on each stream before steer stops it (16 MiB): output is captured in
 * the controller's memory, so a host that prints without end (`yes`) cannot exhaust it. Past the cap
 * the command is killed and fails with OutputLimitError; read bigger files with a put/get of their
 * own or a command that writes them on the host.
 */
export const OUTPUT_LIMIT_BYTES = 16 * 1024 * 1024;

/** How one stream of one command ended. */
export interface StreamEnd {
  data: Buffer;
  code: number;
  /** The shell saw processes of the command still running after it exited. */
  stray: boolean;
}

/**
 * Collects one stream of one command until its end marker (`\n MARKER : status : stray \n`).
 * Searches only the new bytes plus a short overlap, so long outputs stay linear. Holds at most
 * `limit` bytes of output (then `overflow` is set and nothing more is kept); bytes after the marker
 * are counted in `trailing` (output that arrived after the command ended: never part of a result).
 */
export class MarkerScanner {
  private readonly needle: Buffer;
  private readonly chunks: Buffer[] = [];
  private length = 0;
  /** Absolute offset of the needle once found. */
  private found = -1;
  /** Bytes already searched (the next search starts a needle length before). */
  private searched = 0;
  result: StreamEnd | undefined;
  overflow = false;
  trailing = 0;

  constructor(
    marker: string,
    private readonly limit = OUTPUT_LIMIT_BYTES,
  ) {
    this.needle = Buffer.from(`\n${marker}:`);
  }

  /** Feeds bytes; returns true once the marker line is complete (or the output overflowed). */
  push(chunk: Buffer): boolean {
    if (this.result) {
      this.trailing += chunk.length;
      return true;
    }
    if (this.overflow) return true;
    this.chunks.push(chunk);
    this.length += chunk.length;
    if (this.found < 0) {
      const from = Math.max(0, this.searched - this.needle.length + 1);
      const window = this.slice(from, this.length);
      const at = window.indexOf(this.needle);
      this.searched = this.length;
      if (at < 0) {
        // Room for the marker line itself beyond the cap.
        if (this.length > this.limit + this.needle.length + 32) {
          this.overflow = true;
          this.chunks.length = 0;
          return true;
        }
        return false;
      }
      this.found = from + at;
    }
    const rest = this.slice(this.found + this.needle.length, this.length);
    const eol = rest.indexOf(0x0a);
    if (eol < 0) return false;
    const all = Buffer.concat(this.chunks, this.length);
    const [code, stray] = rest.subarray(0, eol).toString('latin1').split(':');
    this.result = { data: all.subarray(0, this.found), code: Number(code), stray: stray === '1' };
    this.trailing = rest.length - eol - 1;
    this.chunks.length = 0;
    return true;
  }

  private slice(from: number, to: number): Buffer {
    // Walk the chunks from the end: searches only ever look at the recent tail.
    const parts: Buffer[] = [];
    let end = this.length;
    for (let i = this.chunks.length - 1; i >= 0 && end > from; i--) {
      const chunk = this.chunks[i]!;
      const start = end - chunk.length;
      parts.unshift(chunk.subarray(Math.max(0, from - start), Math.min(chunk.length, to - start)));
      end = start;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}
