// Runs one module call: validate the arguments, probe (read-only, also in check mode), plan (pure),
// then either report (check mode) or apply. "Changed" is decided by the plan, before anything runs,
// so a check run predicts exactly what a real run does from the same state.
import { maskSecrets } from '../secrets/masker.js';
import type { Action, Module, ModuleContext, ModuleResult, Plan } from './module.js';
import { ModuleError } from './module.js';
import { validateArgs } from './args.js';

export { validateArgs };

export async function executeModule<A, S, D>(module: Module<A, S, D>, args: A, ctx: ModuleContext): Promise<ModuleResult<D>> {
  validateArgs(module as Module<A, unknown, unknown>, args);
  const state = await module.probe(args, ctx);
  const plan = module.plan(args, state, ctx.facts);
  const changes = planChanges(plan);
  if (ctx.check) return withoutUndefined({ ...reportOf(plan, changes), checkOnly: true });
  if (plan.actions.length === 0) return withoutUndefined(reportOf(plan, false));
  if (module.apply) return module.apply(plan, args, ctx);
  await applyActions(plan.actions, ctx);
  return withoutUndefined(reportOf(plan, changes));
}

/** Whether a plan counts as a change: its own say, else "it has actions". */
export function planChanges(plan: Plan<unknown>): boolean {
  return plan.changes ?? plan.actions.length > 0;
}

function reportOf<D>(plan: Plan<D>, changed: boolean): ModuleResult<D> {
  return {
    changed,
    summary: changed ? plan.summary : undefined,
    diffs: changed && plan.diffs && plan.diffs.length > 0 ? plan.diffs : undefined,
    data: plan.data,
  };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The default apply: each action in order; the first failing one throws ModuleError. */
export async function applyActions(actions: readonly Action[], ctx: ModuleContext): Promise<void> {
  for (const action of actions) await applyAction(action, ctx);
}

export async function applyAction(action: Action, ctx: ModuleContext): Promise<void> {
  if (action.kind === 'put') {
    const options = { mode: action.mode, owner: action.owner, group: action.group };
    if (ctx.put) await ctx.put(action.path, action.content, options);
    else await ctx.connection.put(action.path, action.content, options);
    return;
  }
  const result = await ctx.run(action.command, action.stdin === undefined ? undefined : { stdin: action.stdin });
  const okCodes = action.okCodes ?? [0];
  if (!okCodes.includes(result.code)) {
    throw new ModuleError(failureMessage(action.command.display, result), result);
  }
}

/** `CMD failed (exit N): stderr` with secrets masked; the output is trimmed to its last lines. */
export function failureMessage(display: string, result: { code: number; stderr: string; stdout: string }): string {
  // Masked before the cut: a multi-line secret cut in two would no longer match as a whole.
  const output = maskSecrets(result.stderr.trim() || result.stdout.trim()).split('\n').slice(-20).join('\n');
  return maskSecrets(`${display} failed (exit ${result.code})${output ? `: ${output}` : ''}`);
}
