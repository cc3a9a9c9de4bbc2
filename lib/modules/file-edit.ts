// What modules that edit part of a text file share (lineinfile, blockinfile): the probe of the
// whole file with its content, and the plan around their pure edit — create or refuse a missing
// file, refuse what cannot be read whole, then content and attributes.
import { describeChanges, fileSections, parseFileState, planAttributes, planContent, untrustedLink, type FileState } from './file-state.js';
import { ModuleError, type ModuleContext, type Plan } from './module.js';
import { runProbe } from './probe.js';

export interface EditedFileArgs {
  path: string;
  create?: boolean;
  mode?: string;
  owner?: string;
  group?: string;
}

export async function probeEditedFile(ctx: ModuleContext, path: string): Promise<FileState> {
  return parseFileState(await runProbe(ctx, fileSections('file', path, { content: true })), 'file');
}

/**
 * `edit` maps the current content to the wanted one, or to undefined when there is nothing to
 * write. `removing`: the edit only takes something out, so a missing file is already right.
 */
export function planFileEdit(
  module: string,
  args: EditedFileArgs,
  state: FileState,
  removing: boolean,
  edit: (before: string) => string | undefined,
): Plan {
  const wanted = { mode: args.mode, owner: args.owner, group: args.group };
  if (!state.exists) {
    if (removing) return { actions: [] };
    if (!args.create) throw new ModuleError(`${module}: ${args.path} does not exist (create: true creates it)`);
  }
  // The file it points to is not read, so it cannot be edited (a whole-file write replaces it).
  if (state.type === 'link') throw untrustedLink(args.path, state);
  if (state.exists && state.content === undefined) {
    throw new ModuleError(`${module}: ${args.path} is not a regular file of at most 256 KiB`);
  }
  const before = state.content ?? '';
  const after = edit(before);
  if (after === undefined) return { actions: [] };
  if (state.exists && after === before) {
    const { actions, changes } = planAttributes(args.path, state, wanted);
    return { actions, summary: describeChanges(args.path, changes) };
  }
  const { actions, diffs, changes } = planContent(args.path, after, state, wanted);
  return { actions, diffs, summary: describeChanges(args.path, changes) };
}
