// lineinfile: one line in a file, after Ansible's lineinfile. With `regexp`, the last matching line
// (the first with firstmatch) is replaced by `line`; without a match the line is inserted unless it
// is already there. `backrefs` fills \1… from the match and changes nothing when nothing matches.
import { argError, fileAttributes, presentOrAbsent } from './args.js';
import { planFileEdit, probeEditedFile } from './file-edit.js';
import type { FileState } from './file-state.js';
import type { Module, Plan } from './module.js';
import { expandBackrefs, findLine, joinLines, pythonRegExp, splitLines } from './text.js';

export interface LineInFileArgs {
  path: string;
  /** The line wanted (required for state 'present'). */
  line?: string;
  /** Lines matching this (Python/JS regular expression) are the ones replaced or removed. */
  regexp?: string;
  state?: 'present' | 'absent';
  /** A regular expression, or 'EOF' (default): insert after the last line matching it. */
  insertafter?: string;
  /** A regular expression, or 'BOF': insert before the last line matching it. */
  insertbefore?: string;
  /** Use the first match (regexp, insertafter, insertbefore) instead of the last. */
  firstmatch?: boolean;
  /** `line` holds \1, \g<name> references to regexp's groups; no match means no change. */
  backrefs?: boolean;
  /** Create the file when it does not exist (default false: a missing file is an error). */
  create?: boolean;
  mode?: string;
  owner?: string;
  group?: string;
}

export const lineinfile: Module<LineInFileArgs, FileState> = {
  name: 'lineinfile',
  args: {
    type: 'object',
    properties: {
      path: { type: 'string' },
      line: { type: 'string' },
      regexp: { type: 'string' },
      state: presentOrAbsent,
      insertafter: { type: 'string' },
      insertbefore: { type: 'string' },
      firstmatch: { type: 'boolean' },
      backrefs: { type: 'boolean' },
      create: { type: 'boolean' },
      ...fileAttributes,
    },
    required: ['path'],
    additionalProperties: false,
  },
  validate(args) {
    if (!args.path.startsWith('/')) argError('lineinfile', `path must be absolute (got "${args.path}")`);
    if (args.state !== 'absent' && args.line === undefined) argError('lineinfile', "line is required for state 'present'");
    if (args.state === 'absent' && args.line === undefined && args.regexp === undefined) {
      argError('lineinfile', "state 'absent' needs line or regexp");
    }
    if (args.line?.includes('\n')) argError('lineinfile', 'line must be one line (use blockinfile for several)');
    if (args.backrefs && args.regexp === undefined) argError('lineinfile', 'backrefs needs regexp');
    if (args.insertafter !== undefined && args.insertbefore !== undefined) {
      argError('lineinfile', 'give insertafter or insertbefore, not both');
    }
    for (const key of ['regexp', 'insertafter', 'insertbefore'] as const) {
      const value = args[key];
      if (value === undefined || value === 'EOF' || value === 'BOF') continue;
      try {
        pythonRegExp(value);
      } catch (e) {
        argError('lineinfile', `${key} is not a valid regular expression: ${(e as Error).message}`);
      }
    }
  },
  probe: (args, ctx) => probeEditedFile(ctx, args.path),
  plan(args, state): Plan {
    return planFileEdit('lineinfile', args, state, args.state === 'absent', (before) => {
      const after = editLine(before, args);
      // backrefs with no match on a missing file: nothing to create.
      return !state.exists && args.backrefs && after === '' ? undefined : after;
    });
  },
};

/** The pure edit: the file's content with the line ensured (or removed). */
export function editLine(content: string, args: LineInFileArgs): string {
  const text = splitLines(content);
  const lines = [...text.lines];
  const which = args.firstmatch ? 'first' : 'last';
  const re = args.regexp !== undefined ? pythonRegExp(args.regexp) : undefined;

  if (args.state === 'absent') {
    const kept = lines.filter((l) => (re ? !re.test(l) : l !== args.line));
    return kept.length === lines.length ? content : joinLines({ lines: kept, trailingNewline: text.trailingNewline });
  }

  const line = args.line!;
  if (re) {
    const index = findLine(lines, re, which);
    if (index >= 0) {
      const wanted = args.backrefs ? expandBackrefs(line, re.exec(lines[index]!)!) : line;
      if (lines[index] === wanted) return content;
      lines[index] = wanted;
      return joinLines({ lines, trailingNewline: text.trailingNewline });
    }
    if (args.backrefs) return content;
  }
  if (lines.includes(line)) return content;

  const at = insertIndex(lines, args.insertafter, args.insertbefore, which);
  lines.splice(at, 0, line);
  // A line added at the end gets its newline (and the old last line one if it lacked it).
  return joinLines({ lines, trailingNewline: at === lines.length - 1 ? true : text.trailingNewline || lines.length === 1 });
}

/** Where a new line or block goes: after/before the matching line, else at the end. */
export function insertIndex(lines: readonly string[], after: string | undefined, before: string | undefined, which: 'first' | 'last'): number {
  if (before === 'BOF') return 0;
  if (before !== undefined) {
    const i = findLine(lines, pythonRegExp(before), which);
    return i >= 0 ? i : lines.length;
  }
  if (after !== undefined && after !== 'EOF') {
    const i = findLine(lines, pythonRegExp(after), which);
    return i >= 0 ? i + 1 : lines.length;
  }
  return lines.length;
}
