// What a probe learns about one path, and the plan that makes a file have given content and
// attributes. Shared by every module that owns a whole file (file, sysctl, kernel_modules, dropins…)
// and by those that edit one (lineinfile, blockinfile, cmdline, fstab edits).
import { createHash } from 'node:crypto';
import { onPathCommand, readCommand, statCommand } from '../connection/host-functions.js';
import { ModuleError, type Action, type FileDiff } from './module.js';
import { type SectionOutputs, type Sections, sectionText } from './probe.js';

/** Files up to this size come back whole with the probe, for diffs and line edits. */
export const CONTENT_LIMIT = 256 * 1024;

export interface FileState {
  exists: boolean;
  /** 'link': a symlink steer does not follow (another user could have made or changed it). */
  type?: 'file' | 'directory' | 'link' | 'other';
  /** Permission bits as stat prints them ('644', '1777'). */
  mode?: string;
  uid?: number;
  user?: string;
  gid?: number;
  group?: string;
  size?: number;
  sha256?: string;
  /** Where the path really is (trusted symlinks followed). */
  target?: string;
  /** For type 'link': what the symlink points to (text from the host, shown, never used as a path). */
  linkTarget?: string;
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
 * Probe sections for one path: `<prefix>.stat`, and `<prefix>.content` when asked. The host
 * functions (host-functions.sh) walk the path as docs/security.md says: a symlink another user
 * could have made is described, never followed, and nothing is read through one. Every process
 * forked on the host counts (a small board, many steps): the hash of content that is read is
 * computed here, not by sha256sum — except for a file too big to read whole, hashed on the host.
 */
export function fileSections(prefix: string, path: string, options: { content?: boolean } = {}): Sections {
  if (!options.content) return { [`${prefix}.stat`]: statCommand(path, CONTENT_LIMIT, true) };
  return {
    [`${prefix}.stat`]: statCommand(path, CONTENT_LIMIT, false),
    // One byte more than the limit tells "too big to read whole" apart from "exactly the limit".
    [`${prefix}.content`]: readCommand(path, CONTENT_LIMIT + 1),
  };
}

/** Parses the sections of fileSections. Throws ModuleError when the host refused the path. */
export function parseFileState(outputs: SectionOutputs, prefix: string): FileState {
  const text = sectionText(outputs, `${prefix}.stat`);
  if (text.startsWith('refused|')) throw new ModuleError(text.slice('refused|'.length).trim());
  const [statLine, target, ...rest] = text.split('\n');
  if (!statLine) return { exists: false };
  const [kind, mode, uid, user, gid, group, size] = statLine.split('|');
  const type = kind === 'directory' ? 'directory' : kind?.startsWith('regular') ? 'file' : kind === 'symbolic link' ? 'link' : 'other';
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
  if (type === 'link') {
    state.linkTarget = rest.join('\n').replace(/\n$/, '');
    return state;
  }
  if (rest[0]) state.sha256 = rest[0];
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

/** Why a symlink steer does not follow stops a change that would go through it. */
export function untrustedLink(path: string, state: FileState): ModuleError {
  return new ModuleError(
    `${path} is a symlink (to ${state.linkTarget ?? '?'}) owned by ${state.user ?? '?'} in a folder other users can change: steer does not follow it (remove it, or manage the file it points to)`,
  );
}

/**
 * chmod/chown actions for attributes that differ on an existing path, applied through the host
 * functions: never through a symlink another user could have made (that is refused here, at plan
 * time), never on a name swapped between the check and the change.
 */
export function planAttributes(path: string, state: FileState, wanted: FileAttributes): { actions: Action[]; changes: string[] } {
  const actions: Action[] = [];
  const changes: string[] = [];
  const owner = wanted.owner !== undefined && !sameOwner(wanted.owner, state.user, state.uid) ? wanted.owner : undefined;
  const group = wanted.group !== undefined && !sameOwner(wanted.group, state.group, state.gid) ? wanted.group : undefined;
  const mode = wanted.mode !== undefined && !(state.mode !== undefined && sameMode(wanted.mode, state.mode)) ? wanted.mode : undefined;
  if (state.type === 'link' && (owner !== undefined || group !== undefined || mode !== undefined)) throw untrustedLink(path, state);
  if (mode !== undefined) {
    actions.push({ kind: 'run', command: onPathCommand(path, ['chmod', normalMode(mode)]) });
    changes.push(`mode ${state.mode ? normalMode(state.mode) : '?'} -> ${normalMode(mode)}`);
  }
  if (owner !== undefined || group !== undefined) {
    const spec = owner !== undefined ? (group !== undefined ? `${owner}:${group}` : owner) : `:${group}`;
    actions.push({ kind: 'run', command: onPathCommand(path, ['chown', spec]) });
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
    if (state.type === 'link') before = `<symlink to ${state.linkTarget ?? '?'}, not followed>\n`;
    else if (state.content !== undefined && !state.content.includes('\u0000')) before = state.content;
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
  if (state.exists && state.type !== 'file' && state.type !== 'link') {
    throw new ModuleError(`${path} exists and is ${state.type === 'directory' ? 'a directory' : 'not a regular file'}`);
  }
  // An untrusted symlink is replaced by the file (as Ansible's copy does), never written through:
  // nothing of it (owner, mode) carries over, and the diff shows the link, not what it points to.
  const link = state.type === 'link' ? state : undefined;
  const current: FileState = link ? { exists: false } : state;
  if (current.exists && current.sha256 === sha256(content)) {
    const { actions, changes } = planAttributes(path, current, wanted);
    return { actions, diffs: [], changes };
  }
  const preserve = options.preserve ?? true;
  const put: Action = { kind: 'put', path, content };
  const mode = wanted.mode ?? (preserve && current.exists && current.mode ? current.mode : undefined);
  const owner = wanted.owner ?? (preserve && current.exists ? current.user : undefined);
  const group = wanted.group ?? (preserve && current.exists ? current.group : undefined);
  if (mode !== undefined) put.mode = normalMode(mode);
  if (owner !== undefined && owner !== 'UNKNOWN') put.owner = owner;
  if (group !== undefined && group !== 'UNKNOWN') put.group = group;
  const diffs = options.secret || options.diff === false ? [] : [contentDiff(path, link ?? current, content)];
  const changes = link
    ? [`replaces the symlink to ${link.linkTarget ?? '?'} (owned by ${link.user ?? '?'}; not followed)`]
    : [current.exists ? (options.secret ? 'content (hidden)' : 'content') : 'created'];
  if (current.exists) changes.push(...planAttributes(path, current, wanted).changes);
  return { actions: [put], diffs, changes };
}

/** `what: change, change`, or undefined when nothing changes. */
export function describeChanges(what: string, changes: string[]): string | undefined {
  return changes.length === 0 ? undefined : `${what}: ${changes.join(', ')}`;
}
