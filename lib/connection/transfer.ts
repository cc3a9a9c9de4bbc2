// The shell side of put() and get(), shared by the ssh and local connections, on top of the host
// functions (host-functions.sh __steer_put / __steer_get). A put writes a new temp file in the
// target's real folder (same file system, so the final rename is atomic), gives it its mode and
// owner through its file descriptor, then renames it over the name: an untrusted symlink there is
// replaced, never written through. Any failure removes the temp file; a put killed half-way
// leaves one, which a later put into the same folder sweeps (`.steer-put.*`, the writing user's
// own, untouched for 10 minutes).
import { Command, sh } from '../command/command.js';
import type { PutOptions } from './connection.js';
import { randomToken } from './framing.js';

/** Content up to this size goes inline through the shell; larger content over SFTP. */
export const INLINE_PUT_LIMIT = 64 * 1024;

/** get() exits with this when the file does not exist (cat itself only ever exits 0 or 1). */
export const GET_MISSING_CODE = 3;

/** The prefix of every temp file a put leaves in a folder while it runs. */
export const PUT_TEMP_PREFIX = '.steer-put.';

const MODE = /^[0-7]{3,4}$/;
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$|^[0-9]+$/;

export function checkPutOptions(options: PutOptions): void {
  if (options.mode !== undefined && !MODE.test(options.mode)) throw new Error(`invalid file mode ${JSON.stringify(options.mode)} (octal, e.g. '0644')`);
  for (const name of [options.owner, options.group]) {
    if (name !== undefined && !NAME.test(name)) throw new Error(`invalid owner/group name ${JSON.stringify(name)}`);
  }
}

export interface PutCommandOptions {
  /** Names the temp file (random by default). */
  token?: string;
  /** Also sweep stale temp files of earlier, killed puts from the target's folder. */
  sweep?: boolean;
}

function putArgs(path: string, options: PutOptions, extra: PutCommandOptions): string[] {
  return [path, extra.token ?? randomToken(), extra.sweep ? '1' : '0', options.mode ?? '', options.owner ?? '', options.group ?? ''];
}

/** Writes stdin to the target atomically. */
export function putFromStdinCommand(path: string, options: PutOptions, extra: PutCommandOptions = {}): Command {
  return sh`__steer_put ${putArgs(path, options, extra)}`;
}

/** Copies an uploaded file (anywhere on the host) into place atomically, then removes the upload. */
export function putFromUploadCommand(upload: string, path: string, options: PutOptions, extra: PutCommandOptions = {}): Command {
  return sh`__steer_put ${putArgs(path, options, extra)} ${upload}; s=$?; rm -f -- ${upload}; exit $s`;
}

/** Renames an upload that already sits beside the target (siblingTempPath) into place. */
export function putRenameCommand(upload: string, path: string, options: PutOptions, extra: PutCommandOptions = {}): Command {
  return sh`__steer_put ${putArgs(path, options, extra)} ${upload} 1 || { s=$?; rm -f -- ${upload}; exit $s; }`;
}

/** Removes stale temp files of killed puts from `folder` (see __steer_sweep). */
export function sweepCommand(folder: string): Command {
  return sh`__steer_walk ${`${folder}/`} 1 0 && __steer_sweep`;
}

/** A part of a file: `length` bytes from byte `offset` (for files larger than the output cap). */
export interface ByteRange {
  offset: number;
  length: number;
}

export function getCommand(path: string, range?: ByteRange): Command {
  if (!range) return sh`__steer_get ${path}`;
  if (![range.offset, range.length].every((n) => Number.isSafeInteger(n) && n >= 0)) throw new Error(`invalid byte range ${JSON.stringify(range)}`);
  return sh`__steer_get ${path} ${String(range.offset)} ${String(range.length)}`;
}

/** A temp name beside the target, for uploads that land there directly. */
export function siblingTempPath(path: string, token: string): string {
  const slash = path.lastIndexOf('/');
  const dir = slash < 0 ? '.' : slash === 0 ? '/' : path.slice(0, slash);
  return `${dir === '/' ? '' : dir}/${PUT_TEMP_PREFIX}${token}`;
}

/** The folder a path is in, as written (for remembering which folders were swept). */
export function folderOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

/** A failed put/get's stderr as a message (the host functions start theirs with "steer: "). */
export function transferMessage(stderr: string, code: number): string {
  return stderr.trim().replace(/^steer: /, '') || `exit ${code}`;
}

/**
 * Which folders a connection has swept already (per user): the first put into a folder sweeps it,
 * later ones skip the `find` (one process less per put).
 */
export class SweptFolders {
  private readonly seen = new Set<string>();

  /** True the first time `user` writes into the folder of `path`. */
  first(user: string, path: string): boolean {
    const key = `${user}\0${folderOf(path)}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
}
