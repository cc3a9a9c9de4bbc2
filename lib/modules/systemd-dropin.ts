// systemd_dropin: /etc/systemd/system/UNIT.d/NAME.conf with the given content, followed by a
// daemon-reload when it changed (restarting the unit is the role's call).
import { mkdirCommand, removeCommand } from '../connection/host-functions.js';
import { sh } from '../command/command.js';
import { argError, presentOrAbsent } from './args.js';
import { contentDiff, describeChanges, fileSections, parseFileState, planContent, type FileState } from './file-state.js';
import type { Action, Module, Plan } from './module.js';
import { runProbe } from './probe.js';
import { unitName } from './systemd.js';

export interface SystemdDropinArgs {
  unit: string;
  /** The drop-in's name, without .conf. */
  name: string;
  content?: string;
  state?: 'present' | 'absent';
}

export interface SystemdDropinState {
  dir: FileState;
  file: FileState;
}

export function dropinPaths(args: Pick<SystemdDropinArgs, 'unit' | 'name'>): { dir: string; file: string } {
  const dir = `/etc/systemd/system/${unitName(args.unit)}.d`;
  return { dir, file: `${dir}/${args.name}.conf` };
}

export const systemd_dropin: Module<SystemdDropinArgs, SystemdDropinState> = {
  name: 'systemd_dropin',
  args: {
    type: 'object',
    properties: {
      unit: { type: 'string' },
      name: { type: 'string' },
      content: { type: 'string' },
      state: presentOrAbsent,
    },
    required: ['unit', 'name'],
    additionalProperties: false,
  },
  validate(args) {
    if (!/^[A-Za-z0-9:_.@\\-]+$/.test(args.unit)) argError('systemd_dropin', `"${args.unit}" is not a unit name`);
    if (!/^[A-Za-z0-9_.@-]+$/.test(args.name)) argError('systemd_dropin', `"${args.name}" is not a plain file name`);
    if (args.state !== 'absent' && args.content === undefined) argError('systemd_dropin', 'content is required');
  },
  async probe(args, ctx) {
    const paths = dropinPaths(args);
    const outputs = await runProbe(ctx, { ...fileSections('dir', paths.dir), ...fileSections('file', paths.file, { content: true }) });
    return { dir: parseFileState(outputs, 'dir'), file: parseFileState(outputs, 'file') };
  },
  plan(args, state): Plan {
    const paths = dropinPaths(args);
    const reload: Action = { kind: 'run', command: sh`systemctl daemon-reload` };
    if (args.state === 'absent') {
      if (!state.file.exists) return { actions: [] };
      return {
        actions: [{ kind: 'run', command: removeCommand(paths.file, false) }, reload],
        diffs: [contentDiff(paths.file, state.file, undefined)],
        summary: `remove ${paths.file}; daemon-reload`,
      };
    }
    const content = planContent(paths.file, args.content!, state.file, { mode: '0644' });
    if (content.actions.length === 0) return { actions: [] };
    const mkdir: Action[] = state.dir.exists ? [] : [{ kind: 'run', command: mkdirCommand(paths.dir, '0755') }];
    return {
      actions: [...mkdir, ...content.actions, reload],
      diffs: content.diffs,
      summary: `${describeChanges(paths.file, content.changes)}; daemon-reload`,
    };
  },
};
