// blockinfile: a block of lines between two marker lines, after Ansible's blockinfile. The markers
// find the block again on the next run, so the block is replaced as a whole, never duplicated.
import { argError, fileAttributes, presentOrAbsent } from './args.js';
import { planFileEdit, probeEditedFile } from './file-edit.js';
import type { FileState } from './file-state.js';
import { insertIndex } from './lineinfile.js';
import type { Module, Plan } from './module.js';
import { joinLines, pythonRegExp, splitLines } from './text.js';

export interface BlockInFileArgs {
  path: string;
  /** The lines of the block (a trailing newline is ignored). Empty means absent. */
  block?: string;
  /** Tells several blocks in one file apart: the markers become `# BEGIN STEER MANAGED BLOCK NAME`. */
  name?: string;
  /** The marker line template; {mark} becomes BEGIN / END. Default `# {mark} STEER MANAGED BLOCK`. */
  marker?: string;
  state?: 'present' | 'absent';
  /** Where a new block goes: a regular expression or 'EOF' (default). */
  insertafter?: string;
  /** Where a new block goes: a regular expression or 'BOF'. */
  insertbefore?: string;
  create?: boolean;
  mode?: string;
  owner?: string;
  group?: string;
}

export const blockinfile: Module<BlockInFileArgs, FileState> = {
  name: 'blockinfile',
  args: {
    type: 'object',
    properties: {
      path: { type: 'string' },
      block: { type: 'string' },
      name: { type: 'string' },
      marker: { type: 'string' },
      state: presentOrAbsent,
      insertafter: { type: 'string' },
      insertbefore: { type: 'string' },
      create: { type: 'boolean' },
      ...fileAttributes,
    },
    required: ['path'],
    additionalProperties: false,
  },
  validate(args) {
    if (!args.path.startsWith('/')) argError('blockinfile', `path must be absolute (got "${args.path}")`);
    if (args.marker !== undefined && !args.marker.includes('{mark}')) argError('blockinfile', 'marker must contain {mark}');
    if (args.name?.includes('\n') || args.marker?.includes('\n')) argError('blockinfile', 'name and marker must be one line');
    if (args.insertafter !== undefined && args.insertbefore !== undefined) {
      argError('blockinfile', 'give insertafter or insertbefore, not both');
    }
    for (const key of ['insertafter', 'insertbefore'] as const) {
      const value = args[key];
      if (value === undefined || value === 'EOF' || value === 'BOF') continue;
      try {
        pythonRegExp(value);
      } catch (e) {
        argError('blockinfile', `${key} is not a valid regular expression: ${(e as Error).message}`);
      }
    }
  },
  probe: (args, ctx) => probeEditedFile(ctx, args.path),
  plan(args, state): Plan {
    return planFileEdit('blockinfile', args, state, args.state === 'absent' || !args.block, (before) => editBlock(before, args));
  },
};

export function blockMarkers(args: Pick<BlockInFileArgs, 'marker' | 'name'>): [begin: string, end: string] {
  const template = args.marker ?? `# {mark} STEER MANAGED BLOCK${args.name ? ` ${args.name}` : ''}`;
  return [template.replace('{mark}', 'BEGIN'), template.replace('{mark}', 'END')];
}

/** The pure edit: the content with the block ensured (or removed). */
export function editBlock(content: string, args: BlockInFileArgs): string {
  const text = splitLines(content);
  const lines = [...text.lines];
  const [begin, end] = blockMarkers(args);
  const start = lines.lastIndexOf(begin);
  const stop = start >= 0 ? lines.indexOf(end, start + 1) : -1;
  const found = start >= 0 && stop > start;

  if (args.state === 'absent' || !args.block) {
    if (!found) return content;
    lines.splice(start, stop - start + 1);
    return joinLines({ lines, trailingNewline: text.trailingNewline });
  }

  const block = [begin, ...splitLines(args.block).lines, end];
  if (found) {
    const current = lines.slice(start, stop + 1);
    if (current.length === block.length && current.every((l, i) => l === block[i])) return content;
    lines.splice(start, stop - start + 1, ...block);
    return joinLines({ lines, trailingNewline: text.trailingNewline || stop === text.lines.length - 1 });
  }
  const at = insertIndex(lines, args.insertafter, args.insertbefore, 'last');
  lines.splice(at, 0, ...block);
  return joinLines({ lines, trailingNewline: at + block.length === lines.length ? true : text.trailingNewline });
}
