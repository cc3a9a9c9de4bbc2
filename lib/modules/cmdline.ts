// cmdline: options on the kernel command line of a Raspberry Pi (cmdline.txt). The file is one line
// (the firmware ignores any other), so words are added to, replaced in or removed from that first
// line only, everything else kept byte for byte. Words are exact tokens: `cgroup_enable=memory` and
// `cgroup_enable=cpuset` are different words and may both be present.
import { sh } from '../command/command.js';
import type { Facts } from '../facts/facts.js';
import { argError, stringList } from './args.js';
import type { Module, Plan } from './module.js';
import { ModuleError } from './module.js';
import { runProbe, sectionText, type SectionOutputs } from './probe.js';

export interface CmdlineArgs {
  /** Words that must be on the line: `key=value` or a flag; appended when missing. */
  set?: string[];
  /**
   * `key=value` words that must be the only word with their key: existing `key=…` words are replaced
   * (the first in place, the others removed); appended when there is none.
   */
  replace?: string[];
  /** Words to take off: an exact word, or `key=` for every word with that key. */
  remove?: string[];
  /** The file; default: facts.cmdlineFile, else /boot/firmware/cmdline.txt, else /boot/cmdline.txt. */
  file?: string;
}

export interface CmdlineState {
  /** The file found, or undefined. */
  file?: string;
  content?: string;
  /** /proc/cmdline: what the running kernel booted with. */
  proc: string;
  /** Where it looked. */
  candidates: string[];
}

export interface CmdlineData extends Record<string, unknown> {
  /** The file has managed words the running kernel lacks (or still runs with removed ones). */
  rebootNeeded: boolean;
  file: string;
}

export const CMDLINE_FILES = ['/boot/firmware/cmdline.txt', '/boot/cmdline.txt'];

const word = /^\S+$/;

export const cmdline: Module<CmdlineArgs, CmdlineState, CmdlineData> = {
  name: 'cmdline',
  args: {
    type: 'object',
    properties: {
      set: stringList,
      replace: stringList,
      remove: stringList,
      file: { type: 'string' },
    },
    required: [],
    additionalProperties: false,
  },
  validate(args) {
    for (const w of [...(args.set ?? []), ...(args.replace ?? []), ...(args.remove ?? [])]) {
      if (!word.test(w)) argError('cmdline', `"${w}" is not one word`);
    }
    for (const w of args.replace ?? []) {
      if (!/^[^=]+=/.test(w)) argError('cmdline', `replace takes key=value words (got "${w}")`);
    }
    if (!args.set?.length && !args.replace?.length && !args.remove?.length) {
      argError('cmdline', 'give at least one of set, replace, remove');
    }
    // A word both wanted and removed would flip on every run.
    for (const r of args.remove ?? []) {
      const clash = [...(args.set ?? []), ...(args.replace ?? [])].find((w) => removes(r, w));
      if (clash) argError('cmdline', `"${clash}" is both set and removed (by "${r}")`);
    }
  },
  async probe(args, ctx) {
    const candidates = cmdlineCandidates(args, ctx.facts);
    const outputs = await runProbe(ctx, {
      cmdline: sh`for f in ${candidates}; do if [ -f "$f" ]; then printf '%s\\n' "$f"; cat -- "$f"; exit 0; fi; done; exit 1`,
      proc: sh`cat /proc/cmdline`,
    });
    return parseCmdlineProbe(outputs, candidates);
  },
  plan(args, state): Plan<CmdlineData> {
    if (state.file === undefined || state.content === undefined) {
      throw new ModuleError(`cmdline: no kernel command line file found (looked for ${state.candidates.join(', ')})`);
    }
    const { content, added, removed } = editCmdline(state.content, args);
    const rebootNeeded = cmdlineRebootNeeded(content, state.proc, args);
    const data = { rebootNeeded, file: state.file };
    if (content === state.content) return { actions: [], data };
    const parts = [added.length ? `add ${added.join(' ')}` : '', removed.length ? `remove ${removed.join(' ')}` : ''].filter(Boolean);
    return {
      // No mode/owner: cmdline.txt usually lives on the FAT boot partition.
      actions: [{ kind: 'put', path: state.file, content }],
      diffs: [{ path: state.file, before: state.content, after: content }],
      summary: `${state.file}: ${parts.join('; ')}`,
      data,
    };
  },
};

export function cmdlineCandidates(args: CmdlineArgs, facts: Partial<Facts> | undefined): string[] {
  if (args.file) return [args.file];
  if (facts?.cmdlineFile) return [facts.cmdlineFile];
  return CMDLINE_FILES;
}

export function parseCmdlineProbe(outputs: SectionOutputs, candidates: string[]): CmdlineState {
  const proc = sectionText(outputs, 'proc').trim();
  const found = outputs['cmdline'];
  if (!found || found.code !== 0) return { proc, candidates };
  const text = found.text;
  const newline = text.indexOf('\n');
  return { file: text.slice(0, newline), content: text.slice(newline + 1), proc, candidates };
}

/** Whether a `remove` entry takes this word: an exact word, or `key=` for every word with that key. */
export function removes(entry: string, word: string): boolean {
  return entry.endsWith('=') ? word.startsWith(entry) : word === entry;
}

interface Token {
  space: string;
  word: string;
}

/** The pure edit of the file's content: only its first line changes. */
export function editCmdline(content: string, args: CmdlineArgs): { content: string; added: string[]; removed: string[] } {
  const newline = content.indexOf('\n');
  const line = newline < 0 ? content : content.slice(0, newline);
  const rest = newline < 0 ? '' : content.slice(newline);
  const trailingSpace = /\s*$/.exec(line)![0];
  let tokens: Token[] = [...line.slice(0, line.length - trailingSpace.length).matchAll(/(\s*)(\S+)/g)].map((m) => ({
    space: m[1]!,
    word: m[2]!,
  }));
  const added: string[] = [];
  const removed: string[] = [];
  const drop = (predicate: (w: string) => boolean): void => {
    tokens = tokens.filter((t) => {
      if (!predicate(t.word)) return true;
      removed.push(t.word);
      return false;
    });
  };
  const append = (w: string): void => {
    tokens.push({ space: tokens.length === 0 ? '' : ' ', word: w });
    added.push(w);
  };

  for (const r of args.remove ?? []) drop((w) => removes(r, w));
  for (const r of args.replace ?? []) {
    const key = r.slice(0, r.indexOf('=') + 1);
    const first = tokens.findIndex((t) => t.word.startsWith(key));
    if (first < 0) {
      append(r);
      continue;
    }
    const next: Token[] = [];
    tokens.forEach((t, i) => {
      if (i === first) {
        if (t.word !== r) {
          removed.push(t.word);
          added.push(r);
        }
        next.push({ space: t.space, word: r });
      } else if (i > first && t.word.startsWith(key)) {
        removed.push(t.word);
      } else {
        next.push(t);
      }
    });
    tokens = next;
  }
  for (const s of args.set ?? []) if (!tokens.some((t) => t.word === s)) append(s);

  if (tokens.length > 0 && tokens[0]!.space !== '' && !/^\s/.test(line)) tokens[0] = { ...tokens[0]!, space: '' };
  const newLine = tokens.map((t) => t.space + t.word).join('') + trailingSpace;
  return { content: newLine + rest, added, removed };
}

/**
 * Whether a reboot is needed for the managed words to take effect: a set/replace word is on the
 * file's line but not in /proc/cmdline, or a removed word is still in /proc/cmdline. Only managed
 * words count: the firmware rewrites others (console=serial0 becomes console=ttyAMA0).
 */
export function cmdlineRebootNeeded(content: string, proc: string, args: CmdlineArgs): boolean {
  const running = new Set(proc.split(/\s+/).filter(Boolean));
  const line = new Set(content.split('\n')[0]!.split(/\s+/).filter(Boolean));
  for (const w of [...(args.set ?? []), ...(args.replace ?? [])]) if (line.has(w) && !running.has(w)) return true;
  for (const r of args.remove ?? []) {
    const gone = (w: string): boolean => (r.endsWith('=') ? w.startsWith(r) : w === r);
    if ([...running].some(gone) && ![...line].some(gone)) return true;
  }
  return false;
}
