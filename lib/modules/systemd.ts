// systemd: a unit enabled or disabled, started, stopped, restarted or reloaded, masked or not.
// A daemon-reload comes first when systemd says a unit file changed on disk (NeedDaemonReload), so a
// file written by an earlier step takes effect. 'restarted' always restarts: ask for it when a
// config changed (a handler, or `if (result.changed)`).
import { sh } from '../command/command.js';
import { argError } from './args.js';
import type { Action, Module, Plan } from './module.js';
import { ModuleError } from './module.js';
import { runProbe } from './probe.js';

export interface SystemdArgs {
  /** The unit, e.g. 'containerd' or 'kubelet.service'. */
  unit: string;
  enabled?: boolean;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  masked?: boolean;
  /** Run daemon-reload first even when systemd does not ask for it. */
  daemonReload?: boolean;
}

export interface UnitState {
  /** loaded | not-found | masked | error … */
  loadState: string;
  /** active | inactive | failed | activating … */
  activeState: string;
  /** enabled | disabled | static | masked | generated | '' … */
  unitFileState: string;
  needDaemonReload: boolean;
}

export interface SystemdState {
  /** systemctl answered (false: the host does not run systemd). */
  systemd: boolean;
  unit: UnitState;
}

/** Unit-file states in which there is nothing to enable. */
const ENABLED_STATES = new Set(['enabled', 'static', 'generated', 'transient', 'alias', 'indirect']);
const DISABLED_STATES = new Set(['disabled', 'static', 'generated', 'transient', 'masked', 'indirect', '']);
const RUNNING_STATES = new Set(['active', 'activating', 'reloading']);

export function unitName(unit: string): string {
  return /\.[a-z]+$/.test(unit) ? unit : `${unit}.service`;
}

export const systemd: Module<SystemdArgs, SystemdState> = {
  name: 'systemd',
  args: {
    type: 'object',
    properties: {
      unit: { type: 'string' },
      enabled: { type: 'boolean' },
      state: { enum: ['started', 'stopped', 'restarted', 'reloaded'] },
      masked: { type: 'boolean' },
      daemonReload: { type: 'boolean' },
    },
    required: ['unit'],
    additionalProperties: false,
  },
  validate(args) {
    if (!/^[A-Za-z0-9:_.@\\-]+$/.test(args.unit)) argError('systemd', `"${args.unit}" is not a unit name`);
    if (args.masked && (args.enabled || (args.state && args.state !== 'stopped'))) {
      argError('systemd', 'a masked unit cannot be enabled or started');
    }
  },
  async probe(args, ctx) {
    const outputs = await runProbe(ctx, {
      show: sh`systemctl show --property=LoadState,ActiveState,UnitFileState,NeedDaemonReload -- ${unitName(args.unit)}`,
    });
    const show = outputs['show']!;
    return { systemd: show.code === 0, unit: parseSystemctlShow(show.text) };
  },
  plan(args, state): Plan {
    if (!state.systemd) throw new ModuleError('systemd: systemctl does not answer on this host (no systemd?)');
    const unit = unitName(args.unit);
    const u = state.unit;
    const actions: Action[] = [];
    const notes: string[] = [];
    const run = (command: ReturnType<typeof sh>, note: string): void => {
      actions.push({ kind: 'run', command });
      notes.push(note);
    };
    const masked = u.unitFileState === 'masked' || u.loadState === 'masked';

    if (args.daemonReload || u.needDaemonReload) run(sh`systemctl daemon-reload`, 'daemon-reload');
    if (args.masked === false && masked) run(sh`systemctl unmask -- ${unit}`, 'unmask');
    if (args.enabled === true && !ENABLED_STATES.has(u.unitFileState)) run(sh`systemctl enable -- ${unit}`, 'enable');
    if (args.enabled === false && !DISABLED_STATES.has(u.unitFileState)) run(sh`systemctl disable -- ${unit}`, 'disable');
    const running = RUNNING_STATES.has(u.activeState);
    switch (args.state) {
      case 'started':
        if (!running) run(sh`systemctl start -- ${unit}`, 'start');
        break;
      case 'stopped':
        if (running) run(sh`systemctl stop -- ${unit}`, 'stop');
        break;
      case 'restarted':
        run(sh`systemctl restart -- ${unit}`, 'restart');
        break;
      case 'reloaded':
        run(running ? sh`systemctl reload -- ${unit}` : sh`systemctl start -- ${unit}`, running ? 'reload' : 'start');
        break;
    }
    if (args.masked === true && !masked) run(sh`systemctl mask -- ${unit}`, 'mask');
    return { actions, summary: notes.length ? `${unit}: ${notes.join(', ')}` : undefined };
  },
};

export function parseSystemctlShow(text: string): UnitState {
  const props: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) props[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return {
    loadState: props['LoadState'] ?? '',
    activeState: props['ActiveState'] ?? '',
    unitFileState: props['UnitFileState'] ?? '',
    needDaemonReload: props['NeedDaemonReload'] === 'yes',
  };
}
