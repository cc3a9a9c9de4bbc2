// Before anything runs, every role's declared variables are checked on every targeted host, so a
// wrong type or an undefined variable stops the run before the first host is touched.
import type { Vars } from '../inventory/inventory.js';
import type { Play, Playbook } from '../playbook/playbook.js';
import { evaluateConditions } from './condition.js';
import { needsRuntime, resolveRoleVars, type VarSources } from './precedence.js';

export interface PreflightInput {
  playbook: Playbook;
  /** The hosts a play targets (its pattern, narrowed by --limit). */
  hostsOf(play: Play): string[];
  inventoryVars(host: string): Vars;
  magic(host: string): Vars;
  extraVars: Vars;
  /** Where extra vars were set (-e @file lines), for messages. */
  extraSources?: Record<string, string>;
  /** Where a host's inventory variable was set, when the inventory knows. */
  inventorySource?(host: string, name: string): string | undefined;
}

/**
 * Throws the first UserError found (a variable's type, an undefined variable, a role entry's `when`
 * that is not a boolean); values needing facts or published values are checked when the role runs.
 */
export function preflightRoleVars(input: PreflightInput): void {
  for (const play of input.playbook.plays) {
    for (const host of input.hostsOf(play)) {
      const sources: VarSources = {
        ...(input.extraSources ? { extra: input.extraSources } : {}),
        ...(input.inventorySource ? { inventory: (name: string) => input.inventorySource!(host, name) } : {}),
      };
      for (const role of play.roles) {
        const vars = resolveRoleVars(
          {
            role,
            host,
            play,
            inventoryVars: input.inventoryVars(host),
            magic: input.magic(host),
            playVars: play.vars,
            varsFromFiles: play.varsFromFiles,
            published: {},
            extraVars: input.extraVars,
            sources,
          },
          { beforeRun: true },
        );
        // A condition that is not a boolean, or reads an undefined variable, stops the run now.
        if (role.when) {
          try {
            evaluateConditions(role.when, vars, host);
          } catch (err) {
            if (!needsRuntime(err)) throw err;
          }
        }
      }
    }
  }
}
