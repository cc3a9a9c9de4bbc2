// directory: a directory (and its parents) with the given attributes.
import { mkdirCommand } from '../connection/host-functions.js';
import { argError, fileAttributes } from './args.js';
import { describeChanges, fileSections, parseFileState, planAttributes, type FileState } from './file-state.js';
import type { Module, Plan } from './module.js';
import { ModuleError } from './module.js';
import { runProbe } from './probe.js';

export interface DirectoryArgs {
  path: string;
  mode?: string;
  owner?: string;
  group?: string;
}

export const directory: Module<DirectoryArgs, FileState> = {
  name: 'directory',
  args: {
    type: 'object',
    properties: {
      path: { type: 'string' },
      ...fileAttributes,
    },
    required: ['path'],
    additionalProperties: false,
  },
  validate(args) {
    if (!args.path.startsWith('/')) argError('directory', `path must be absolute (got "${args.path}")`);
  },
  async probe(args, ctx) {
    return parseFileState(await runProbe(ctx, fileSections('dir', args.path)), 'dir');
  },
  plan(args, state): Plan {
    const wanted = { mode: args.mode, owner: args.owner, group: args.group };
    if (state.exists && state.type !== 'directory') {
      throw new ModuleError(`directory: ${args.path} exists and is not a directory`);
    }
    const { actions, changes } = planAttributes(args.path, state, wanted);
    if (!state.exists) {
      return {
        actions: [{ kind: 'run', command: mkdirCommand(args.path) }, ...actions],
        summary: `create directory ${args.path}${args.mode ? ` (mode ${args.mode})` : ''}`,
      };
    }
    return { actions, summary: describeChanges(args.path, changes) };
  },
};
