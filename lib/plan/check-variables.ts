// Before anything runs, every role's declared variables are checked on every host its play
// targets (type, required, templates that render), so a mistake stops the run before the first host
// is touched. Values that need facts or published values are checked when the role runs.
import type { RunPlan } from './plan.js';
import { plannerVars, preRunScope } from './build.js';

/** Throws the first UserError found (undefined variable, wrong type, missing required variable). */
export function checkPlanVariables(plan: RunPlan): void {
  const vars = plannerVars(plan.input);
  for (const play of plan.plays) {
    const scope = preRunScope(play);
    const selected = play.roles.filter((r) => r.selected);
    for (const host of play.hosts) for (const role of selected) vars.roleVars(host, scope, role.ref);
  }
}
