// swap: off now and at boot, as the kubelet wants. Now: swapoff -a when any swap is active. At boot:
// fstab swap lines commented out; dphys-swapfile (older Raspberry Pi OS) and zram-tools' zramswap
// disabled and masked; rpi-swap (newer Raspberry Pi OS) told Mechanism=none by a drop-in; zram swap
// units made by a generator masked.
import { mkdirCommand } from '../connection/host-functions.js';
import { sh } from '../command/command.js';
import { describeChanges, fileSections, parseFileState, planContent, type FileState } from './file-state.js';
import type { Action, Module, Plan } from './module.js';
import { runProbe, sectionText, type SectionOutputs } from './probe.js';
import { parseSystemctlShow, type UnitState } from './systemd.js';
import { joinLines, splitLines } from './text.js';

export interface SwapArgs {
  /** Only 'off' is supported: swap is what the kubelet refuses. */
  state?: 'off';
  /** Default /etc/fstab. */
  fstab?: string;
}

export interface SwapState {
  /** Active swap devices and files (/proc/swaps). */
  active: string[];
  fstab: FileState;
  /** Swap services found on the host, by unit name (not-found ones left out). */
  services: Record<string, UnitState>;
  /** rpi-swap is installed. */
  rpiSwap: boolean;
  /** The drop-in that switches rpi-swap off. */
  rpiSwapDropin: FileState;
  /** zram swap units (dev-zram0.swap) and whether they are masked. */
  zramUnits: Record<string, boolean>;
}

export const SWAP_SERVICES = ['dphys-swapfile.service', 'zramswap.service'];
export const RPI_SWAP_DROPIN = '/etc/rpi/swap.conf.d/90-steer-swap-off.conf';
export const RPI_SWAP_OFF = '[Main]\nMechanism=none\n';
const RPI_SWAP_MARKERS = [
  '/etc/rpi/swap.conf',
  '/usr/lib/rpi/swap.conf',
  '/usr/lib/systemd/system-generators/rpi-swap-generator',
  '/lib/systemd/system-generators/rpi-swap-generator',
];

/** The pure fstab edit: every active swap line commented out. */
export function commentSwapLines(content: string): string {
  const text = splitLines(content);
  let changed = false;
  const lines = text.lines.map((l) => {
    const fields = l.trim().split(/\s+/);
    if (l.trim().startsWith('#') || fields.length < 3 || fields[2] !== 'swap') return l;
    changed = true;
    return `#${l}`;
  });
  return changed ? joinLines({ lines, trailingNewline: text.trailingNewline }) : content;
}

export const swap: Module<SwapArgs, SwapState> = {
  name: 'swap',
  args: {
    type: 'object',
    properties: {
      state: { enum: ['off'] },
      fstab: { type: 'string' },
    },
    required: [],
    additionalProperties: false,
  },
  async probe(args, ctx) {
    return parseSwapProbe(
      await runProbe(ctx, {
        swaps: sh`tail -n +2 /proc/swaps`,
        ...fileSections('fstab', args.fstab ?? '/etc/fstab', { content: true }),
        services: sh`systemctl show --property=Id,LoadState,ActiveState,UnitFileState,NeedDaemonReload -- ${SWAP_SERVICES}`,
        rpiswap: sh`for p in ${RPI_SWAP_MARKERS}; do if [ -e "$p" ]; then printf '%s\\n' "$p"; fi; done`,
        ...fileSections('dropin', RPI_SWAP_DROPIN, { content: true }),
        zram: sh`for u in $(systemctl list-units --type=swap --all --plain --no-legend 2>/dev/null | awk '{print $1}' | grep '^dev-zram'); do printf '%s %s\\n' "$u" "$(systemctl is-enabled -- "$u" 2>/dev/null)"; done`,
      }),
    );
  },
  plan(args, state, facts): Plan {
    const actions: Action[] = [];
    const notes: string[] = [];
    const diffs: NonNullable<Plan['diffs']> = [];
    const run = (command: ReturnType<typeof sh>): void => void actions.push({ kind: 'run', command });

    if (state.active.length > 0) {
      run(sh`swapoff -a`);
      notes.push(`swapoff ${state.active.join(' ')}`);
    }
    const fstab = args.fstab ?? '/etc/fstab';
    if (state.fstab.content !== undefined) {
      const after = commentSwapLines(state.fstab.content);
      if (after !== state.fstab.content) {
        const content = planContent(fstab, after, state.fstab, {});
        actions.push(...content.actions);
        diffs.push(...content.diffs);
        notes.push(`${fstab}: comment out swap lines`);
        // systemd made swap units from the old fstab: reload so they go.
        if (facts?.initSystem === 'systemd') run(sh`systemctl daemon-reload`);
      }
    }
    for (const [unit, u] of Object.entries(state.services)) {
      if (u.unitFileState === 'masked') continue;
      run(sh`systemctl disable --now -- ${unit}`);
      run(sh`systemctl mask -- ${unit}`);
      notes.push(`disable and mask ${unit}`);
    }
    if (state.rpiSwap) {
      const content = planContent(RPI_SWAP_DROPIN, RPI_SWAP_OFF, state.rpiSwapDropin, { mode: '0644' });
      if (content.actions.length) {
        run(mkdirCommand(RPI_SWAP_DROPIN.replace(/\/[^/]+$/, '')));
        actions.push(...content.actions);
        diffs.push(...content.diffs);
        notes.push(describeChanges(RPI_SWAP_DROPIN, content.changes)!);
      }
    }
    const zram = Object.entries(state.zramUnits).filter(([, masked]) => !masked).map(([u]) => u);
    if (zram.length > 0) {
      run(sh`systemctl mask -- ${zram}`);
      notes.push(`mask ${zram.join(' ')}`);
    }
    return { actions, diffs, summary: notes.join('; ') || undefined };
  },
};

/** Splits `systemctl show a b` output (blocks separated by empty lines) by Id. */
export function parseSystemctlShowMany(text: string): Record<string, UnitState> {
  const units: Record<string, UnitState> = {};
  for (const block of text.split(/\n\s*\n/)) {
    const id = /^Id=(.*)$/m.exec(block)?.[1];
    if (id) units[id] = parseSystemctlShow(block);
  }
  return units;
}

export function parseSwapProbe(outputs: SectionOutputs): SwapState {
  const services = Object.fromEntries(
    Object.entries(parseSystemctlShowMany(sectionText(outputs, 'services'))).filter(([, u]) => u.loadState !== 'not-found' && u.loadState !== ''),
  );
  const zramUnits: Record<string, boolean> = {};
  for (const line of sectionText(outputs, 'zram').split('\n')) {
    const [unit, enabled] = line.trim().split(/\s+/);
    if (unit) zramUnits[unit] = enabled === 'masked';
  }
  return {
    active: sectionText(outputs, 'swaps')
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter(Boolean),
    fstab: parseFileState(outputs, 'fstab'),
    services,
    rpiSwap: sectionText(outputs, 'rpiswap').trim() !== '',
    rpiSwapDropin: parseFileState(outputs, 'dropin'),
    zramUnits,
  };
}
