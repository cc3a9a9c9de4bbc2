// The plan stage: from what was loaded to what will run. Host patterns and --limit are evaluated
// once here, batches cut, tags resolved per role (walking role scripts when their step tags decide);
// nothing connects. The runner and the listing options consume the result.
import { UserError } from '../errors.js';
import { evaluatePattern, splitHostPattern, unmatchedWarning } from '../inventory/patterns.js';
import type { Play } from '../playbook/playbook.js';
import { serialBatches } from '../runner/batches.js';
import { loadRole } from '../runner/role-loader.js';
import { matchesStartAt } from '../runner/start-at.js';
import { shouldRunTags, stepTags, type TagFilter } from '../runner/tags.js';
import { HostVariables, type PlayVarsScope } from '../vars/host-vars.js';
import type { ListedStep, PlayPlan, RolePlan, RunInput, RunPlan } from './plan.js';
import { mergeInOrder, walkRole } from './walk.js';

export interface PlanOptions {
  /** Walk every role script for its steps (--list-tasks, --list-tags). */
  walk?: boolean;
}

/** Builds the plan. Throws UserError when --limit matches no host. */
export async function buildPlan(input: RunInput, options: PlanOptions = {}): Promise<RunPlan> {
  const { inventory, playbook } = input;
  const o = input.options;
  const warnings = new Set<string>();
  let allowed: Set<string> | undefined;
  if (o.limit !== undefined) {
    const result = evaluatePattern(inventory, splitHostPattern(o.limit));
    for (const part of result.unmatched) warnings.add(unmatchedWarning(part));
    if (result.hosts.length === 0) throw new UserError(`--limit '${o.limit}' does not match any host (expected hosts or groups of the inventory)`, 'LIMIT_NO_HOSTS');
    allowed = new Set(result.hosts);
  }
  const vars = plannerVars(input);
  const filter: TagFilter = { tags: o.tags, skipTags: o.skipTags };
  const plays: PlayPlan[] = [];
  for (const [index, play] of playbook.plays.entries()) {
    const result = evaluatePattern(inventory, splitHostPattern(play.hosts));
    for (const part of result.unmatched) warnings.add(unmatchedWarning(part));
    const hosts = allowed ? result.hosts.filter((h) => allowed!.has(h)) : result.hosts;
    const batches = serialBatches(hosts, play.serial);
    const partial: PlayPlan = { play, index, hosts, batches, roles: [] };
    const needSteps = options.walk === true || filter.tags.length > 0 || filter.skipTags.length > 0 || o.startAtStep !== undefined;
    for (const ref of play.roles) {
      const tags = [...new Set([...play.tags, ...ref.tags, ref.name])];
      const steps = needSteps ? await roleSteps(partial, ref, tags, vars) : undefined;
      const selected = steps && steps.length > 0 ? steps.some((s) => shouldRunTags(stepTags(play.tags, ref, s.own), filter)) : shouldRunTags(stepTags(play.tags, ref), filter);
      const role: RolePlan = { ref, tags, selected, ...(steps ? { steps } : {}) };
      partial.roles.push(role);
    }
    plays.push(partial);
  }
  if (o.startAtStep !== undefined) startAt(plays, o.startAtStep);
  return { input, plays, warnings: [...warnings] };
}

/**
 * --start-at-step: the plays and roles before the first step that matches do not run; the role
 * holding it starts there. Throws UserError when no step matches (as ansible-playbook does).
 */
function startAt(plays: PlayPlan[], pattern: string): void {
  for (const play of plays) {
    for (const role of play.roles) {
      if (role.steps?.some((s) => matchesStartAt(pattern, s.role, s.name))) {
        role.startAt = { pattern, role: role.ref.name };
        return;
      }
      role.selected = false;
    }
    play.skippedByStartAt = true;
  }
  throw new UserError(`--start-at-step '${pattern}': no step of the playbook matches (expected a step name, a glob such as 'kubeadm*', or 'role : step'; see --list-tasks)`, 'START_AT_NO_MATCH');
}

/** The variables service as the plan uses it (pre-run: no facts, nothing published). */
export function plannerVars(input: RunInput): HostVariables {
  const o = input.options;
  return new HostVariables(input.inventory, input.extra, {
    check: o.check,
    diff: o.diff,
    forks: o.forks,
    ...(o.limit !== undefined ? { limit: o.limit } : {}),
    tags: o.tags,
    skipTags: o.skipTags,
    verbosity: o.verbosity,
    playbookDir: input.playbook.dir,
    inventorySources: o.inventorySources,
  });
}

/** The play as the variables service sees it before the run (every host active). */
export function preRunScope(plan: Pick<PlayPlan, 'play' | 'hosts' | 'batches'>, play: Play = plan.play): PlayVarsScope {
  return {
    name: play.name,
    hosts: plan.hosts,
    activeHosts: () => plan.hosts,
    batchOf: (host) => plan.batches.find((b) => b.includes(host)) ?? plan.hosts,
    roleNames: play.roles.map((r) => r.name),
    vars: play.vars,
    varsFromFiles: play.varsFromFiles,
    ...(play.varSources ? { varSources: play.varSources } : {}),
  };
}

/** Walks a role for its steps, on the play's hosts (up to a few: steps may differ by host). */
async function roleSteps(plan: PlayPlan, ref: Play['roles'][number], roleTags: string[], vars: HostVariables): Promise<ListedStep[]> {
  const role = await loadRole(ref);
  const scope = preRunScope(plan);
  const hosts = plan.hosts.length > 0 ? plan.hosts.slice(0, 5) : [undefined];
  let merged: ListedStep[] = [];
  for (const host of hosts) {
    const roleVars = host === undefined ? defaults(ref) : safeRoleVars(() => vars.roleVars(host, scope, ref), ref);
    const steps = await walkRole(ref, role, {
      host: host ?? '(no host)',
      vars: roleVars,
      hostvars: vars.hostvars(),
      groups: vars.groups,
      playHosts: host === undefined ? [] : [...scope.batchOf(host)],
      roleTags,
    });
    merged = mergeInOrder(merged, steps);
  }
  return merged;
}

function defaults(ref: Play['roles'][number]): Record<string, unknown> {
  return { ...Object.fromEntries(ref.variables.map((v) => [v.name, v.default])), ...ref.params };
}

/** The role's variables for a walk; when they cannot be computed (a mistake), the defaults. */
function safeRoleVars(fn: () => Record<string, unknown>, ref: Play['roles'][number]): Record<string, unknown> {
  try {
    return fn();
  } catch {
    return defaults(ref);
  }
}
