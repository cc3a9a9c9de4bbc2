// The shell side of put() and get(), shared by the ssh and local connections. A put writes a temp
// file in the target's folder (same file system, so the final `mv -f` is an atomic rename), sets its
// mode and owner, then renames it into place; any failure removes the temp file.
import { Command, raw, sh, type ShellValue } from '../command/command.js';
import type { PutOptions } from './connection.js';

/** Content up to this size goes inline through the shell; larger content over SFTP. */
export const INLINE_PUT_LIMIT = 64 * 1024;

/** get() exits with this when the file does not exist (cat itself only ever exits 0 or 1). */
export const GET_MISSING_CODE = 3;

const MODE = /^[0-7]{3,4}$/;
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$|^[0-9]+$/;

export function checkPutOptions(options: PutOptions): void {
  if (options.mode !== undefined && !MODE.test(options.mode)) throw new Error(`invalid file mode ${JSON.stringify(options.mode)} (octal, e.g. '0644')`);
  for (const name of [options.owner, options.group]) {
    if (name !== undefined && !NAME.test(name)) throw new Error(`invalid owner/group name ${JSON.stringify(name)}`);
  }
}

/** Sets mode and owner of "$t": as asked, else like the file being replaced, else the umask default. */
function finishTemp(path: string, options: PutOptions): Command {
  const mode: ShellValue = options.mode
    ? sh`chmod ${options.mode} "$t"`
    : sh`if [ -e ${path} ]; then chmod --reference=${path} "$t"; else chmod "$(printf %o $(( 0666 & ~$(umask) )))" "$t"; fi`;
  let owner: Command;
  if (options.owner !== undefined || options.group !== undefined) {
    const spec = `${options.owner ?? ''}${options.group !== undefined ? `:${options.group}` : ''}`;
    owner = sh`chown ${spec} "$t"`;
  } else {
    owner = sh`if [ -e ${path} ] && [ "$(id -u)" = 0 ]; then chown --reference=${path} "$t"; else :; fi`;
  }
  return sh`${mode} && ${owner} && mv -f -- "$t" ${path}`;
}

/** Writes stdin to the target atomically. */
export function putFromStdinCommand(path: string, options: PutOptions): Command {
  return sh`t=$(mktemp -p "$(dirname -- ${path})" .steer-put.XXXXXXXX) && { cat > "$t" && ${finishTemp(path, options)}; } || { s=$?; ${raw('[ -n "$t" ] && rm -f -- "$t"')}; exit $s; }`;
}

/** Moves an uploaded file (anywhere on the host) into place atomically, removing the upload. */
export function putFromUploadCommand(upload: string, path: string, options: PutOptions): Command {
  return sh`t=$(mktemp -p "$(dirname -- ${path})" .steer-put.XXXXXXXX) && { cat -- ${upload} > "$t" && ${finishTemp(path, options)}; } || { s=$?; ${raw('[ -n "$t" ] && rm -f -- "$t"')}; rm -f -- ${upload}; exit $s; }; rm -f -- ${upload} 2>/dev/null || :`;
}

/** Renames an upload that already sits beside the target into place. */
export function putRenameCommand(upload: string, path: string, options: PutOptions): Command {
  return sh`t=${upload}; { ${finishTemp(path, options)}; } || { s=$?; rm -f -- "$t"; exit $s; }`;
}

export function getCommand(path: string): Command {
  return sh`if [ -e ${path} ]; then cat -- ${path}; else exit ${GET_MISSING_CODE}; fi`;
}

/** A temp name beside the target, for uploads that land there directly. */
export function siblingTempPath(path: string, token: string): string {
  const slash = path.lastIndexOf('/');
  const dir = slash < 0 ? '.' : slash === 0 ? '/' : path.slice(0, slash);
  return `${dir === '/' ? '' : dir}/.steer-put.${token}`;
}
