// The host side of safe path handling (host-functions.sh): every steer shell defines these
// functions once at its start, and the commands below call them. The rules are documented in the
// .sh file and in docs/security.md ("Paths on hosts").
import { readFileSync } from 'node:fs';
import { packagePath } from '../package-root.js';
import { sh, type Command } from '../command/command.js';
import { withOp } from './host-ops.js';

/** The function definitions, as bash reads them (part of the shell prelude). */
export const HOST_FUNCTIONS = readFileSync(packagePath('lib', 'connection', 'host-functions.sh'), 'utf8');

/** Exit status of the functions for "refused or failed" (the message is on stderr). */
export const REFUSED_CODE = 97;

/**
 * A probe of `path` (see __steer_stat): nothing when it does not exist; `refused|why`; else the
 * stat line, the real path and, for a regular file, its sha256 when `hash` or when it is larger
 * than `limit`. An untrusted symlink is described (stat line, path, target text), not followed.
 */
export function statCommand(path: string, limit: number, hash: boolean): Command {
  return withOp(sh`__steer_stat ${path} ${limit} ${hash ? 1 : 0}`, { op: 'stat', path, limit, hash });
}

/** The first `limit` bytes of the regular file `path`, never through an untrusted symlink. */
export function readCommand(path: string, limit: number): Command {
  return withOp(sh`__steer_read ${path} ${limit}`, { op: 'read', path, limit });
}

/** Runs `command… /proc/self/fd/N` on the existing file or folder `path` (chmod, chown). */
export function onPathCommand(path: string, command: readonly string[]): Command {
  return sh`__steer_on ${path} ${command}`;
}

/** Removes `path` itself (a symlink is removed, not followed); `recursive` for a folder. */
export function removeCommand(path: string, recursive: boolean): Command {
  return recursive ? sh`__steer_rm ${path} -r` : sh`__steer_rm ${path}`;
}

/** Makes the folder `path` and its missing parents (`mkdir -p`); a new `path` gets `mode`. */
export function mkdirCommand(path: string, mode?: string): Command {
  return mode === undefined ? sh`__steer_mkdir ${path}` : sh`__steer_mkdir ${path} ${mode}`;
}
