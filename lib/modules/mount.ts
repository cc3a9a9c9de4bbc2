// mount: an /etc/fstab entry for a mount point (a device, UUID=…/LABEL=…, or a bind mount) and,
// for state 'mounted', the mount itself (creating the mount point). One fstab line per mount point:
// a different line for it is replaced, duplicates dropped, the rest of the file kept as it is.
import { mkdirCommand } from '../connection/host-functions.js';
import { sh } from '../command/command.js';
import type { Facts } from '../facts/facts.js';
import { argError } from './args.js';
import { describeChanges, fileSections, parseFileState, planContent, type FileState } from './file-state.js';
import type { Action, Module, Plan } from './module.js';
import { ModuleError } from './module.js';
import { runProbe, type SectionOutputs } from './probe.js';
import { joinLines, splitLines } from './text.js';

export interface MountArgs {
  /** The mount point, e.g. /var/lib/etcd. */
  path: string;
  /** What is mounted: /dev/sda1, UUID=…, LABEL=…, PARTUUID=…, or the directory of a bind mount. */
  src?: string;
  /** ext4, vfat…; 'none' for a bind mount. */
  fstype?: string;
  /** Mount options (default 'defaults'); a bind mount has 'bind' here ('defaults,bind'). */
  opts?: string;
  dump?: number;
  passno?: number;
  /** mounted (default): in fstab and mounted; present: in fstab only; unmounted: in fstab, not mounted; absent: neither. */
  state?: 'mounted' | 'present' | 'unmounted' | 'absent';
  /** Default /etc/fstab. */
  fstab?: string;
}

export interface MountedFs {
  source: string;
  fstype: string;
  options: string;
  uuid: string;
  label: string;
  partuuid: string;
}

export interface MountState {
  fstab: FileState;
  /** What is mounted on the path now, if anything. */
  mounted?: MountedFs;
  /** The mount point exists as a directory. */
  pointExists: boolean;
}

/** fstab escapes spaces, tabs, newlines and backslashes as octal. */
export function fstabEscape(field: string): string {
  return field.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

export function fstabUnescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function isBind(args: Pick<MountArgs, 'opts'>): boolean {
  return (args.opts ?? '').split(',').some((o) => o === 'bind' || o === 'rbind');
}

export function fstabLine(args: MountArgs): string {
  return [fstabEscape(args.src!), fstabEscape(args.path), args.fstype ?? 'auto', args.opts ?? 'defaults', args.dump ?? 0, args.passno ?? 0].join(' ');
}

/** The pure fstab edit: one line for the mount point (or none). */
export function editFstab(content: string, path: string, line: string | undefined): string {
  const text = splitLines(content);
  const out: string[] = [];
  let placed = false;
  for (const l of text.lines) {
    const fields = l.trim().split(/\s+/);
    const isEntry = !l.trim().startsWith('#') && fields.length >= 2;
    if (!isEntry || fstabUnescape(fields[1]!) !== path) {
      out.push(l);
      continue;
    }
    if (line !== undefined && !placed) {
      // Keep the existing line when only its spacing differs.
      out.push(l.trim().split(/\s+/).join(' ') === line ? l : line);
      placed = true;
    }
  }
  if (line !== undefined && !placed) {
    out.push(line);
    return joinLines({ lines: out, trailingNewline: true });
  }
  return joinLines({ lines: out, trailingNewline: text.trailingNewline });
}

function sameSource(args: MountArgs, m: MountedFs): boolean {
  const src = args.src!;
  const eq = /^(UUID|LABEL|PARTUUID)=(.*)$/.exec(src);
  if (eq) return (eq[1] === 'UUID' ? m.uuid : eq[1] === 'LABEL' ? m.label : m.partuuid) === eq[2];
  // Bind mounts and /dev/disk/by-* links show as the underlying device: not comparable here.
  if (isBind(args) || !src.startsWith('/dev/') || src.startsWith('/dev/disk/')) return true;
  return m.source === src;
}

export const mount: Module<MountArgs, MountState> = {
  name: 'mount',
  args: {
    type: 'object',
    properties: {
      path: { type: 'string' },
      src: { type: 'string' },
      fstype: { type: 'string' },
      opts: { type: 'string' },
      dump: { type: 'integer', minimum: 0 },
      passno: { type: 'integer', minimum: 0 },
      state: { enum: ['mounted', 'present', 'unmounted', 'absent'] },
      fstab: { type: 'string' },
    },
    required: ['path'],
    additionalProperties: false,
  },
  validate(args) {
    if (!args.path.startsWith('/')) argError('mount', `path must be absolute (got "${args.path}")`);
    const state = args.state ?? 'mounted';
    if ((state === 'mounted' || state === 'present') && (!args.src || !args.fstype)) {
      argError('mount', `state '${state}' needs src and fstype`);
    }
    for (const w of [args.fstype, args.opts]) if (w !== undefined && !/^\S+$/.test(w)) argError('mount', `"${w}" must be one word`);
  },
  async probe(args, ctx) {
    return parseMountProbe(
      await runProbe(ctx, {
        ...fileSections('fstab', args.fstab ?? '/etc/fstab', { content: true }),
        findmnt: sh`findmnt -n -P -o SOURCE,FSTYPE,OPTIONS,UUID,LABEL,PARTUUID --mountpoint ${args.path}`,
        point: sh`test -d ${args.path}`,
      }),
    );
  },
  plan(args, state, facts: Facts): Plan {
    const fstab = args.fstab ?? '/etc/fstab';
    const want = args.state ?? 'mounted';
    if (state.fstab.exists && state.fstab.content === undefined) throw new ModuleError(`mount: cannot read ${fstab}`);
    const before = state.fstab.content ?? '';
    const after = editFstab(before, args.path, want === 'absent' ? undefined : fstabLine(args));
    const actions: Action[] = [];
    const notes: string[] = [];
    let diffs: Plan['diffs'] = [];
    if (after !== before) {
      const content = planContent(fstab, after, state.fstab, {});
      actions.push(...content.actions);
      diffs = content.diffs;
      notes.push(describeChanges(fstab, content.changes)!);
      // systemd generates mount units from fstab; without a reload `mount` warns and uses the old ones.
      if (facts?.initSystem === 'systemd') actions.push({ kind: 'run', command: sh`systemctl daemon-reload` });
    }
    const m = state.mounted;
    if (want === 'mounted') {
      if (m && !sameSource(args, m)) {
        actions.push({ kind: 'run', command: sh`umount -- ${args.path}` });
        notes.push(`unmount ${m.source} from ${args.path}`);
      }
      if (!m || !sameSource(args, m)) {
        if (!state.pointExists) actions.push({ kind: 'run', command: mkdirCommand(args.path) });
        // mount reads the entry from the fstab; a non-default one is named (-T).
        actions.push({ kind: 'run', command: args.fstab ? sh`mount -T ${args.fstab} -- ${args.path}` : sh`mount -- ${args.path}` });
        notes.push(`mount ${args.src} on ${args.path}`);
      }
    } else if ((want === 'unmounted' || want === 'absent') && m) {
      actions.push({ kind: 'run', command: sh`umount -- ${args.path}` });
      notes.push(`unmount ${args.path}`);
    }
    return { actions, diffs, summary: notes.join('; ') || undefined };
  },
};

/** Parses `findmnt -P` output: KEY="value" pairs. */
export function parseFindmnt(text: string): MountedFs | undefined {
  const line = text.split('\n').find((l) => l.trim() !== '');
  if (!line) return undefined;
  const props: Record<string, string> = {};
  for (const m of line.matchAll(/([A-Z_]+)="((?:[^"\\]|\\.)*)"/g)) {
    props[m[1]!] = m[2]!.replace(/\\x([0-9a-fA-F]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  return {
    source: props['SOURCE'] ?? '',
    fstype: props['FSTYPE'] ?? '',
    options: props['OPTIONS'] ?? '',
    uuid: props['UUID'] ?? '',
    label: props['LABEL'] ?? '',
    partuuid: props['PARTUUID'] ?? '',
  };
}

export function parseMountProbe(outputs: SectionOutputs): MountState {
  const findmnt = outputs['findmnt'];
  const state: MountState = {
    fstab: parseFileState(outputs, 'fstab'),
    pointExists: outputs['point']?.code === 0,
  };
  const mounted = findmnt && findmnt.code === 0 ? parseFindmnt(findmnt.text) : undefined;
  if (mounted) state.mounted = mounted;
  return state;
}
