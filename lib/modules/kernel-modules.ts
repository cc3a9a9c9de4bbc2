// kernel_modules: kernel modules loaded now (modprobe) and at boot (/etc/modules-load.d/FILE.conf).
// A module counts as loaded when /proc/modules lists it, /sys/module has it, the kernel lists it as
// built in (modules.builtin), or a path only it creates exists (br_netfilter: /proc/sys/net/bridge).
import { sh } from '../command/command.js';
import { argError, stringList } from './args.js';
import { describeChanges, fileSections, parseFileState, planContent, type FileState } from './file-state.js';
import type { Action, Module, Plan } from './module.js';
import { runProbe, sectionText, type SectionOutputs } from './probe.js';

export interface KernelModulesArgs {
  names: string[];
  /** The boot-time list: a name ('k8s' -> /etc/modules-load.d/k8s.conf) or an absolute path. Default 'steer'. */
  file?: string;
}

export interface KernelModulesState {
  file: FileState;
  /** Module names (underscored) that are loaded or built in. */
  loaded: string[];
}

/** Built-in modules without parameters leave no /sys/module entry; these paths show them. */
export const MODULE_EVIDENCE: Record<string, string> = {
  br_netfilter: '/proc/sys/net/bridge',
};

/** The kernel treats - and _ in module names alike; /proc/modules uses _. */
export function moduleKey(name: string): string {
  return name.replace(/-/g, '_');
}

export function modulesLoadPath(file: string | undefined): string {
  const f = file ?? 'steer';
  return f.startsWith('/') ? f : `/etc/modules-load.d/${f}.conf`;
}

export const kernel_modules: Module<KernelModulesArgs, KernelModulesState> = {
  name: 'kernel_modules',
  args: {
    type: 'object',
    properties: {
      names: stringList,
      file: { type: 'string' },
    },
    required: ['names'],
    additionalProperties: false,
  },
  validate(args) {
    if (args.names.length === 0) argError('kernel_modules', 'names is empty');
    for (const n of args.names) if (!/^[A-Za-z0-9_-]+$/.test(n)) argError('kernel_modules', `"${n}" is not a module name`);
    if (args.file !== undefined && !args.file.startsWith('/') && !/^[A-Za-z0-9_.-]+$/.test(args.file)) {
      argError('kernel_modules', `file must be a plain name or an absolute path (got "${args.file}")`);
    }
  },
  async probe(args, ctx) {
    const evidence = args.names.map((n) => MODULE_EVIDENCE[moduleKey(n)]).filter((p): p is string => p !== undefined);
    const outputs = await runProbe(ctx, {
      ...fileSections('file', modulesLoadPath(args.file), { content: true }),
      proc: sh`cut -d' ' -f1 /proc/modules`,
      sys: sh`ls /sys/module`,
      builtin: sh`cat "/lib/modules/$(uname -r)/modules.builtin"`,
      evidence: evidence.length ? sh`for p in ${evidence}; do if [ -e "$p" ]; then printf '%s\\n' "$p"; fi; done` : sh`true`,
    });
    return parseKernelModulesProbe(outputs);
  },
  plan(args, state): Plan {
    const loaded = new Set(state.loaded);
    const path = modulesLoadPath(args.file);
    const content = planContent(path, args.names.map((n) => `${n}\n`).join(''), state.file, {});
    const missing = args.names.filter((n) => !loaded.has(moduleKey(n)));
    const load: Action[] = missing.map((n) => ({ kind: 'run', command: sh`modprobe -- ${n}` }));
    const notes = [missing.length ? `load ${missing.join(' ')}` : undefined, describeChanges(path, content.changes)].filter(Boolean);
    return { actions: [...load, ...content.actions], diffs: content.diffs, summary: notes.join('; ') || undefined };
  },
};

export function parseKernelModulesProbe(outputs: SectionOutputs): KernelModulesState {
  const loaded = new Set<string>();
  const words = (name: string): string[] => sectionText(outputs, name).split('\n').map((l) => l.trim()).filter(Boolean);
  for (const m of words('proc')) loaded.add(moduleKey(m));
  for (const m of words('sys')) loaded.add(moduleKey(m));
  // modules.builtin lines: kernel/net/bridge/br_netfilter.ko
  for (const line of words('builtin')) loaded.add(moduleKey(line.replace(/^.*\//, '').replace(/\.ko(\.[a-z]+)?$/, '')));
  for (const path of words('evidence')) {
    for (const [name, p] of Object.entries(MODULE_EVIDENCE)) if (p === path) loaded.add(name);
  }
  return { file: parseFileState(outputs, 'file'), loaded: [...loaded].sort() };
}
