// What a probe learns about one path, and the plan that makes a file have given content and
// attributes. Shared by every module that owns a whole file (file, sysctl, kernel_modules, dropins…)
// and by those that edit one (lineinfile, blockinfile, cmdline, fstab edits).
import { createHash } from 'node:crypto';
import { sh } from '../command/command.js';
import { ModuleError, type Action, type FileDiff } from './module.js';
import { type SectionOutputs, type Sections, sectionText } from './probe.js';

/** Files up to this size come back whole with the probe, for diffs and line edits. */
export const CONTENT_LIMIT = 256 * 1024;

export interface FileState {
  exists: boolean;
  type?: 'file' | 'directory' | 'other';
  /** Permission bits as stat prints them ('644', '1777'). */
  mode?: string;
  uid?: number;
  user?: string;
  gid?: number;
  group?: string;
  size?: number;
  sha256?: string;
  /** Where the path really is (symlinks followed); writes go there. */
  target?: string;
  /** The content, when the file is a regular file of at most CONTENT_LIMIT bytes. */
  content?: string;
  /** The raw bytes of that content (binary files such as keyrings). */
  bytes?: Buffer;
}

export interface FileAttributes {
  mode?: string;
  owner?: string;
  group?: string;
}

/**
 * Probe sections for one path: `<prefix>.stat`, and `<prefix>.content` when asked. Every process
 * forked on the host counts (a small board, many steps): `readlink` runs only for a symlink, and
 * when the content is read its hash is computed here, not by sha256sum — except for a file too big
 * to read whole, which is hashed on the host.
 */
export function fileSections(prefix: string, path: string, options: { content?: boolean } = {}): Sections {
  const resolve = sh`if [ -L ${path} ]; then readlink -f -- ${path}; else printf '%s\\n' ${path}; fi`;
  const sections: Sections = options.content
    ? {
        [`${prefix}.stat`]: sh`if [ -e ${path} ]; then st=$(stat -L -c '%F|%a|%u|%U|%g|%G|%s' -- ${path}) && printf '%s\\n' "$st" && ${resolve} && if [ -f ${path} ] && [ "\${st##*|}" -gt ${CONTENT_LIMIT} ]; then sha256sum < ${path} | cut -d' ' -f1; fi; fi`,
        // One byte more than the limit tells "too big to read whole" apart from "exactly the limit".
        [`${prefix}.content`]: sh`[ -f ${path} ] && head -c ${CONTENT_LIMIT + 1} -- ${path}`,
      }
    : {
        [`${prefix}.stat`]: sh`if [ -e ${path} ]; then stat -L -c '%F|%a|%u|%U|%g|%G|%s' -- ${path} && ${resolve} && if [ -f ${path} ]; then sha256sum < ${path} | cut -d' ' -f1; fi; fi`,
      };
  return sections;
}

/** Parses the sections of fileSections. */
export function parseFileState(outputs: SectionOutputs, prefix: string): FileState {
  const [statLine, target, sha] = sectionText(outputs, `${prefix}.stat`).split('\n');
  if (!statLine) return { exists: false };
  const [kind, mode, uid, user, gid, group, size] = statLine.split('|');
  const type = kind === 'directory' ? 'directory' : kind?.startsWith('regular') ? 'file' : 'other';
  const state: FileState = {
    exists: true,
    type,
    mode,
    uid: Number(uid),
    user,
    gid: Number(gid),
    group,
    size: Number(size),
  };
  if (target) state.target = target;
  if (sha) state.sha256 = sha;
  const content = outputs[`${prefix}.content`];
  if (type === 'file' && content && content.code === 0 && content.bytes.length <= CONTENT_LIMIT) {
    state.content = content.text;
    state.bytes = content.bytes;
    state.sha256 ??= sha256(content.bytes);
  }
  return state;
}

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** '0644', '644' and '00644' are the same mode. */
export function sameMode(a: string, b: string): boolean {
  return parseInt(a, 8) === parseInt(b, 8);
}

/** The four-digit form ('644' -> '0644'). */
export function normalMode(mode: string): string {
  return parseInt(mode, 8).toString(8).padStart(4, '0');
}

function sameOwner(wanted: string, name: string | undefined, id: number | undefined): boolean {
  return /^\d+$/.test(wanted) ? Number(wanted) === id : wanted === name;
}

/** Where writes go: the symlink's target when the path is one. */
export function writePath(path: string, state: FileState): string {
  return state.exists && state.target ? state.target : path;
}

/** chmod/chown actions for attributes that differ on an existing path. */
export function planAttributes(path: string, state: FileState, wanted: FileAttributes): { actions: Action[]; changes: string[] } {
  const actions: Action[] = [];
  const changes: string[] = [];
  const at = writePath(path, state);
  if (wanted.mode !== undefined && !(state.mode !== undefined && sameMode(wanted.mode, state.mode))) {
    actions.push({ kind: 'run', command: sh`chmod ${normalMode(wanted.mode)} -- ${at}` });
    changes.push(`mode ${state.mode ? normalMode(state.mode) : '?'} -> ${normalMode(wanted.mode)}`);
  }
  const owner = wanted.owner !== undefined && !sameOwner(wanted.owner, state.user, state.uid) ? wanted.owner : undefined;
  const group = wanted.group !== undefined && !sameOwner(wanted.group, state.group, state.gid) ? wanted.group : undefined;
  if (owner !== undefined || group !== undefined) {
    const spec = owner !== undefined ? (group !== undefined ? `${owner}:${group}` : owner) : `:${group}`;
    actions.push({ kind: 'run', command: sh`chown ${spec} -- ${at}` });
    if (owner !== undefined) changes.push(`owner ${state.user ?? '?'} -> ${owner}`);
    if (group !== undefined) changes.push(`group ${state.group ?? '?'} -> ${group}`);
  }
  return { actions, changes };
}

function isText(content: string | Buffer): content is string {
  return typeof content === 'string';
}

/** The diff of a content change; binary or oversized content is described, not shown. */
export function contentDiff(path: string, state: FileState, after: string | Buffer | undefined): FileDiff {
  let before: string | undefined;
  if (state.exists) {
    if (state.content !== undefined && !state.content.includes('\u0000')) before = state.content;
    else before = `<${state.size ?? '?'} bytes, not shown>\n`;
  }
  let afterText: string | undefined;
  if (after !== undefined) afterText = isText(after) && !after.includes('\u0000') ? after : `<${after.length} bytes, not shown>\n`;
  return withoutUndefinedDiff({ path, before, after: afterText });
}

function withoutUndefinedDiff(diff: FileDiff): FileDiff {
  const out: FileDiff = { path: diff.path };
  if (diff.before !== undefined) out.before = diff.before;
  if (diff.after !== undefined) out.after = diff.after;
  return out;
}

export interface ContentPlan {
  actions: Action[];
  diffs: FileDiff[];
  /** What changes, e.g. ['content', 'mode 0644 -> 0600'] or ['created']. */
  changes: string[];
}

/**
 * Makes `path` hold `content` with the given attributes. Content goes in one 'put' (temp file and
 * rename on the host), which also sets the attributes; when the content is already right, only the
 * attributes that differ are fixed. An existing file's mode/owner/group are kept unless given
 * (preserve: false leaves them to the connection, e.g. on vfat).
 */
export function planContent(
  path: string,
  content: string | Buffer,
  state: FileState,
  wanted: FileAttributes,
  options: { preserve?: boolean; secret?: boolean; diff?: boolean } = {},
): ContentPlan {
  if (state.exists && state.type !== 'file') {
    throw new ModuleError(`${path} exists and is ${state.type === 'directory' ? 'a directory' : 'not a regular file'}`);
  }
  const same = state.exists && state.sha256 === sha256(content);
  if (same) {
    const { actions, changes } = planAttributes(path, state, wanted);
    return { actions, diffs: [], changes };
  }
  const preserve = options.preserve ?? true;
  const put: Action = { kind: 'put', path: writePath(path, state), content };
  const mode = wanted.mode ?? (preserve && state.exists && state.mode ? state.mode : undefined);
  const owner = wanted.owner ?? (preserve && state.exists ? state.user : undefined);
  const group = wanted.group ?? (preserve && state.exists ? state.group : undefined);
  if (mode !== undefined) put.mode = normalMode(mode);
  if (owner !== undefined && owner !== 'UNKNOWN') put.owner = owner;
  if (group !== undefined && group !== 'UNKNOWN') put.group = group;
  const diffs = options.secret || options.diff === false ? [] : [contentDiff(path, state, content)];
  const changes = [state.exists ? (options.secret ? 'content (hidden)' : 'content') : 'created'];
  if (state.exists) changes.push(...planAttributes(path, state, wanted).changes);
  return { actions: [put], diffs, changes };
}

/** `what: change, change`, or undefined when nothing changes. */
export function describeChanges(what: string, changes: string[]): string | undefined {
  return changes.length === 0 ? undefined : `${what}: ${changes.join(', ')}`;
}
