// Role scripts are imperative, so their steps are found by running them against a host that is not
// there: the same role API a run gets (runner/role/context.ts), where steps are recorded, not run,
// modules change nothing, and commands answer from a made-up "world". A step behind a host-dependent
// branch (`if (!initialised) await step(…)`) shows up in some world: the script is walked in four
// (commands succeed or fail, printing nothing or something) and the step lists merged in order.
import type { RunResult } from '../connection/connection.js';
import type { Facts } from '../facts/facts.js';
import type { Vars } from '../inventory/inventory.js';
import { bindModules } from '../modules/index.js';
import type { ModuleContext } from '../modules/module.js';
import type { RoleRef } from '../playbook/playbook.js';
import { createRoleContext } from '../runner/role/context.js';
import { makeShell } from '../runner/role/shell.js';
import type { RoleDefinition, StepOptions } from '../runner/role-api.js';
import type { ListedStep } from './plan.js';

/** What every command answers in one world. */
const WORLDS: RunResult[] = [
  { code: 0, stdout: '', stderr: '' },
  { code: 1, stdout: '', stderr: '' },
  { code: 0, stdout: '(unknown)\n', stderr: '' },
  { code: 1, stdout: '(unknown)\n', stderr: '' },
];

export interface WalkScope {
  host: string;
  /** The role's variables on that host (pre-run); reads that need runtime values give placeholders. */
  vars: Vars;
  hostvars: Record<string, Vars>;
  groups: Record<string, string[]>;
  playHosts: string[];
  /** Tags every step of the role has (play, role entry, role name). */
  roleTags: readonly string[];
}

/** The steps `role` reaches on `scope.host`, in order, over every world. */
export async function walkRole(ref: RoleRef, role: RoleDefinition<any>, scope: WalkScope): Promise<ListedStep[]> {
  let merged: ListedStep[] = [];
  for (const answer of WORLDS) merged = mergeInOrder(merged, await walkOnce(ref, role, scope, answer));
  return merged;
}

async function walkOnce(ref: RoleRef, role: RoleDefinition<any>, scope: WalkScope, answer: RunResult): Promise<ListedStep[]> {
  const steps: ListedStep[] = [];
  const executor = async () => answer;
  const shells = { $: makeShell(executor, true), probe: makeShell(executor, false) };
  const ctx = createRoleContext({
    host: scope.host,
    ref,
    vars: placeholderVars(scope.vars),
    facts: () => placeholder('facts') as Facts,
    // Not check mode: a role may skip in check mode steps a real run has, and those are listed too.
    check: false,
    step: async (name: string, options: StepOptions) => {
      steps.push({ role: ref.name, name, tags: [...new Set([...scope.roleTags, ...(options.tags ?? [])])], own: [...(options.tags ?? [])] });
      return { status: 'skipped', results: [] };
    },
    ...shells,
    m: bindModules({} as ModuleContext, async () => ({ changed: false })),
    notify: () => {},
    flushHandlers: async () => {},
    reboot: async () => {},
    publish: () => {},
    hostvars: scope.hostvars,
    groups: scope.groups,
    playHosts: scope.playHosts,
    warn: () => {},
    note: () => {},
    on: () => shells,
    local: { ...shells, m: bindModules({} as ModuleContext, async () => ({ changed: false })) },
  });
  try {
    await role.run(ctx);
  } catch {
    // The script stopped in this world (fail(), or made-up output it could not use): what it
    // reached so far is listed; other worlds go further.
  }
  return steps;
}

/** A value that reads as `<path>` and has any property, so `facts.os.id` works without a host. */
function placeholder(path: string): unknown {
  const target = () => undefined;
  return new Proxy(target, {
    get: (_t, key) => {
      if (key === Symbol.toPrimitive || key === 'toString' || key === 'toJSON') return () => `<${path}>`;
      if (key === 'then' || typeof key === 'symbol') return undefined;
      return placeholder(`${path}.${key}`);
    },
    apply: () => placeholder(`${path}()`),
  });
}

/** The role's variables; one that cannot be known before the run reads as a placeholder. */
function placeholderVars(vars: Vars): Vars {
  return new Proxy(vars, {
    get: (target, key) => {
      try {
        return Reflect.get(target, key);
      } catch {
        return typeof key === 'string' ? placeholder(key) : undefined;
      }
    },
  });
}

/** Merges two step lists keeping each one's order (an LCS merge); equal steps appear once. */
export function mergeInOrder(a: ListedStep[], b: ListedStep[]): ListedStep[] {
  const key = (s: ListedStep) => `${s.role}\u0000${s.name}`;
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = key(a[i]!) === key(b[j]!) ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: ListedStep[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (key(a[i]!) === key(b[j]!)) {
      out.push({ ...a[i]!, tags: [...new Set([...a[i]!.tags, ...b[j]!.tags])], own: [...new Set([...a[i]!.own, ...b[j]!.own])] });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return [...out, ...a.slice(i), ...b.slice(j)];
}
