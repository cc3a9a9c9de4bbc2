// sysctl: kernel parameters persisted in one /etc/sysctl.d/ file (its whole content) and applied
// live, with `sysctl -w` only for the keys whose running value differs.
import { sh } from '../command/command.js';
import { withOp } from '../connection/host-ops.js';
import { argError } from './args.js';
import { describeChanges, fileSections, parseFileState, planContent, type FileState } from './file-state.js';
import type { Action, Module, Plan } from './module.js';
import { runProbe, type SectionOutputs } from './probe.js';

export interface SysctlArgs {
  /** The file, e.g. /etc/sysctl.d/k8s.conf: it holds exactly these keys. */
  file: string;
  values: Record<string, string | number>;
}

export interface SysctlState {
  file: FileState;
  /** Running values; undefined when the key does not exist (yet), e.g. before br_netfilter loads. */
  live: Record<string, string | undefined>;
}

const KEY = /^[A-Za-z0-9_][A-Za-z0-9_.\/-]*$/;

/** Whitespace-insensitive: `32768\t60999` equals `32768 60999`. */
export function sameSysctlValue(a: string, b: string): boolean {
  return a.trim().split(/\s+/).join(' ') === b.trim().split(/\s+/).join(' ');
}

export function sysctlFileContent(values: SysctlArgs['values']): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} = ${String(v)}\n`)
    .join('');
}

export const sysctl: Module<SysctlArgs, SysctlState> = {
  name: 'sysctl',
  args: {
    type: 'object',
    properties: {
      file: { type: 'string' },
      values: { type: 'object' },
    },
    required: ['file', 'values'],
    additionalProperties: false,
  },
  validate(args) {
    if (!args.file.startsWith('/')) argError('sysctl', `file must be absolute (got "${args.file}")`);
    if (Object.keys(args.values).length === 0) argError('sysctl', 'values is empty');
    for (const [k, v] of Object.entries(args.values)) {
      if (!KEY.test(k)) argError('sysctl', `"${k}" is not a sysctl key`);
      if ((typeof v !== 'string' && typeof v !== 'number') || String(v).includes('\n') || String(v).trim() === '') {
        argError('sysctl', `the value of ${k} must be a one-line string or a number`);
      }
    }
  },
  async probe(args, ctx) {
    const keys = Object.keys(args.values);
    const outputs = await runProbe(ctx, {
      ...fileSections('file', args.file, { content: true }),
      ...Object.fromEntries(keys.map((k, i) => [`live${i}`, withOp(sh`sysctl -n -- ${k}`, { op: 'sysctl', key: k })])),
    });
    return parseSysctlProbe(outputs, keys);
  },
  plan(args, state): Plan {
    const content = planContent(args.file, sysctlFileContent(args.values), state.file, {});
    const writes: Action[] = [];
    const changed: string[] = [];
    for (const [key, value] of Object.entries(args.values)) {
      const live = state.live[key];
      if (live !== undefined && sameSysctlValue(live, String(value))) continue;
      writes.push({ kind: 'run', command: sh`sysctl -w ${`${key}=${String(value)}`}` });
      changed.push(`${key} ${live ?? '(missing)'} -> ${String(value)}`);
    }
    const notes = [describeChanges(args.file, content.changes), changed.length ? `set ${changed.join(', ')}` : undefined].filter(Boolean);
    return { actions: [...content.actions, ...writes], diffs: content.diffs, summary: notes.join('; ') || undefined };
  },
};

export function parseSysctlProbe(outputs: SectionOutputs, keys: string[]): SysctlState {
  const live: Record<string, string | undefined> = {};
  keys.forEach((k, i) => {
    const o = outputs[`live${i}`];
    live[k] = o && o.code === 0 ? o.text.replace(/\n$/, '') : undefined;
  });
  return { file: parseFileState(outputs, 'file'), live };
}
