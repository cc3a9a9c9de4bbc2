// Reads the resident probe helper (probe-helper.py) answers without forking. Each op gives exactly
// the output and exit status of the shell command it stands for: the Command keeps that shell text
// (the fallback, and what -v and --check show) and carries the op beside it.
import { Command } from '../command/command.js';

/** One read, named after the shell command whose bytes and exit status it reproduces. */
export type ReadOp =
  /** `__steer_stat PATH LIMIT HASH` (host-functions.sh). */
  | { op: 'stat'; path: string; limit: number; hash: boolean }
  /** `__steer_read PATH LIMIT`. */
  | { op: 'read'; path: string; limit: number }
  /** `sysctl -n -- KEY` (procps-ng). */
  | { op: 'sysctl'; key: string }
  /** `date +%s`. */
  | { op: 'now' }
  /** `stat -c %Y PATH…`. */
  | { op: 'mtimes'; paths: string[] }
  /** `ls FOLDER | grep -c WORD` (WORD a plain string without regex characters). */
  | { op: 'count'; folder: string; word: string }
  /**
   * `dpkg-query -W -f='${Package}\t${db:Status-Abbrev}\t${Version}\n' NAMES` (plain names);
   * `admindir` stands for `--admindir` (tests only).
   */
  | { op: 'dpkg'; names: string[]; admindir?: string };

/** A whole probe (probe.ts): its sections in order, each one a read op. */
export interface ProbeOp {
  op: 'probe';
  sections: [name: string, op: ReadOp][];
}

export type HostOp = ReadOp | ProbeOp;

/** `command`, which the helper may answer with `op` instead of running it. */
export function withOp(command: Command, op: ReadOp): Command {
  return new Command(command.text, command.display, op);
}

/** The probe op of a command, when the helper can answer it whole. */
export function probeOpOf(command: Command): ProbeOp | undefined {
  return command.op?.op === 'probe' ? command.op : undefined;
}
