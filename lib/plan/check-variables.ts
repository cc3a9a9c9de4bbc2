// Before anything runs, every role's declared variables are checked on every host its play
// targets (type, required, templates that render), and so is each role entry's `when` (it must be a
// boolean: ansible-core 2.19), so a mistake stops the run before the first host is touched. Values
// that need facts or published values are checked when the role runs.
import { needsRuntime } from '../vars/precedence.js';
import type { RunPlan } from './plan.js';
import { plannerVars, preRunScope } from './build.js';

/**
 * Throws the first UserError found (undefined variable, wrong type, missing required variable, a
 * `when` that is not a boolean or reads an undefined variable).
 */
export function checkPlanVariables(plan: RunPlan): void {
  const vars = plannerVars(plan.input);
  for (const play of plan.plays) {
    const scope = preRunScope(play);
    const selected = play.roles.filter((r) => r.selected);
    for (const host of play.hosts) {
      for (const role of selected) {
        const roleVars = vars.roleVars(host, scope, role.ref);
        if (role.ref.when === undefined) continue;
        try {
          vars.condition(role.ref.when, roleVars, host, 'pre-run');
        } catch (err) {
          if (!needsRuntime(err)) throw err;
        }
      }
    }
  }
}
