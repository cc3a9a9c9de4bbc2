// file: a file with given content (or just attributes), or no file at all.
import { removeCommand } from '../connection/host-functions.js';
import { argError, fileAttributes, presentOrAbsent } from './args.js';
import { contentDiff, describeChanges, fileSections, parseFileState, planAttributes, planContent, type FileState } from './file-state.js';
import type { Module, Plan } from './module.js';
import { runProbe } from './probe.js';

export interface FileArgs {
  path: string;
  /** The whole content (render templates with the role's template()). Omit to manage attributes only. */
  content?: string | Buffer;
  /** 'absent' removes the file (a directory recursively). Default 'present'. */
  state?: 'present' | 'absent';
  mode?: string;
  owner?: string;
  group?: string;
  /** The content is secret: no diff is shown. */
  secret?: boolean;
}

export const file: Module<FileArgs, FileState> = {
  name: 'file',
  args: {
    type: 'object',
    properties: {
      path: { type: 'string' },
      content: { anyOf: [{ type: 'string' }, { instanceof: 'Buffer' }], errorMessage: 'must be a string or a Buffer' },
      state: presentOrAbsent,
      ...fileAttributes,
      secret: { type: 'boolean' },
    },
    required: ['path'],
    additionalProperties: false,
  },
  validate(args) {
    if (!args.path.startsWith('/')) argError('file', `path must be absolute (got "${args.path}")`);
    if (args.state === 'absent' && (args.content !== undefined || args.mode || args.owner || args.group)) {
      argError('file', "state 'absent' takes no content, mode, owner or group");
    }
  },
  async probe(args, ctx) {
    const wantContent = args.content !== undefined || args.state === 'absent';
    return parseFileState(await runProbe(ctx, fileSections('file', args.path, { content: wantContent })), 'file');
  },
  plan(args, state): Plan {
    const { path } = args;
    if (args.state === 'absent') {
      if (!state.exists) return { actions: [] };
      const directory = state.type === 'directory';
      return {
        actions: [{ kind: 'run', command: removeCommand(path, directory) }],
        diffs: directory || args.secret ? [] : [contentDiff(path, state, undefined)],
        summary: `remove ${directory ? 'directory ' : ''}${path}`,
      };
    }
    const wanted = { mode: args.mode, owner: args.owner, group: args.group };
    if (args.content === undefined) {
      if (!state.exists) argError('file', `${path} does not exist (give content to create it)`);
      const { actions, changes } = planAttributes(path, state, wanted);
      return { actions, summary: describeChanges(path, changes) };
    }
    const { actions, diffs, changes } = planContent(path, args.content, state, wanted, { secret: args.secret });
    return { actions, diffs, summary: describeChanges(path, changes) };
  },
};
