// One play of the plan: its hosts in serial batches; per batch, connect and gather facts, then each
// role in order — every host finishes a role (and its handlers) before any host starts the next —
// `forks` hosts at a time. Roles the tags deselect are not run and not shown.
import pLimit from 'p-limit';
import { RunStopped, UserError } from '../errors.js';
import type { Vars } from '../inventory/inventory.js';
import type { PlayPlan, RolePlan } from '../plan/plan.js';
import type { PlayVarsScope } from '../vars/host-vars.js';
import { gatherFacts } from '../facts/gather.js';
import { connectHosts, gatherFactsStep } from './connect.js';
import type { HostState } from './host-state.js';
import { applyFailurePolicy, stopWhenBatchFailed } from './policy.js';
import { OnceSteps } from './role/steps.js';
import { startAtMatcher } from './start-at.js';
import { loadRole } from './role-loader.js';
import { runRoleOnHost, type RoleEnv, type RoleOutcome } from './role-on-host.js';
import type { RunState } from './run-state.js';
import { conditionsText } from '../vars/condition.js';
import { shouldRunTags, stepTags } from './tags.js';

const DEFAULT_REBOOT_TIMEOUT_S = 600;

export async function runPlay(plan: PlayPlan, run: RunState): Promise<void> {
  const { play } = plan;
  // --start-at-step: the plays before the one holding the step do not run at all.
  if (plan.skippedByStartAt) return;
  // Hosts join the run (and the recap) when their batch starts, as in Ansible.
  const hosts = plan.hosts.filter((h) => run.isActive(h));
  run.reporter.emit({ type: 'play-start', play: play.name, pattern: play.hosts, hosts });
  if (hosts.length === 0) {
    run.reporter.emit({ type: 'warning', message: `play '${play.name}': no hosts to run on (pattern '${play.hosts}')` });
    return;
  }
  const limit = pLimit(Math.max(1, run.plan.input.options.forks));
  for (const names of plan.batches) {
    run.checkStopped();
    const batch = names.filter((n) => run.isActive(n)).map((n) => run.host(n));
    if (batch.length === 0) continue;
    await connectHosts(run, batch);
    if (play.gatherFacts) await Promise.all(batch.filter((h) => h.active).map((h) => limit(() => gatherFactsStep(run, h))));
    const scope = playScope(plan, run, batch);
    const env = roleEnv(plan, scope, run);
    for (const role of plan.roles) {
      if (!role.selected) continue;
      if (batch.every((h) => !h.active)) break;
      run.checkStopped();
      const policy = () => applyFailurePolicy(play, role.ref, { hosts: batch, size: names.length }, run);
      const roleRun = { ...env, onFailure: policy, once: new OnceSteps(), ...(role.startAt ? { startAt: startAtMatcher(role.startAt) } : {}) };
      await runRoleOnBatch(role, batch, { scope, env: roleRun, run, limit });
      policy();
    }
    stopWhenBatchFailed({ hosts: batch, size: names.length }, run);
  }
  run.reporter.emit({ type: 'play-end', play: play.name });
}

/** The play as the variables service sees it (ansible_play_hosts, ansible_play_batch …). */
function playScope(plan: PlayPlan, run: RunState, batch: HostState[]): PlayVarsScope {
  const active = (names: readonly string[]) => names.filter((n) => run.isActive(n));
  return {
    name: plan.play.name,
    hosts: plan.hosts,
    activeHosts: () => active(plan.hosts),
    batchOf: () => active(batch.map((h) => h.name)),
    roleNames: plan.roles.map((r) => r.ref.name),
    vars: plan.play.vars,
    varsFromFiles: plan.play.varsFromFiles,
    ...(plan.play.varSources ? { varSources: plan.play.varSources } : {}),
  };
}

/** What every role of a batch shares. */
interface BatchRun {
  scope: PlayVarsScope;
  env: RoleEnv;
  run: RunState;
  limit: ReturnType<typeof pLimit>;
}

/** Runs one role on the batch's active hosts: variables and `when` first, then the role itself. */
async function runRoleOnBatch(role: RolePlan, batch: HostState[], { scope, env, run, limit }: BatchRun): Promise<void> {
  const { reporter } = run;
  const definition = await loadRole(role.ref);
  const prepared = batch.filter((h) => h.active).map((host) => ({ host, vars: hostRoleVars(role, host, scope, run, env.play.tags) }));
  const runnable = prepared.filter((p) => p.vars !== 'failed');
  // run_once on a role entry: the first host that runs it runs it for the batch.
  const shown = role.ref.runOnce ? runnable.filter((p) => p.vars !== 'skipped').slice(0, 1) : runnable;
  reporter.emit({ type: 'role-start', play: scope.name, role: role.ref.name, hosts: shown.map((p) => p.host.name) });
  try {
    await Promise.all(
      shown.map(({ host, vars }) =>
        limit(async () => {
          if (run.stopping()) return;
          const outcome = vars === 'skipped' ? skippedOutcome() : await runOrStop(() => runRoleOnHost(host, role.ref, definition, vars as Vars, { ...env, playHosts: [...scope.batchOf(host.name)] }));
          reporter.emit({ type: 'role-host-end', role: role.ref.name, host: host.name, status: outcome.status, counts: outcome.counts });
        }),
      ),
    );
  } finally {
    reporter.emit({ type: 'role-end', play: scope.name, role: role.ref.name });
    await reporter.flush();
  }
}

/** The role's variables on a host, or why it does not run there ('skipped': `when` is false). */
function hostRoleVars(role: RolePlan, host: HostState, scope: PlayVarsScope, run: RunState, playTags: readonly string[]): Vars | 'skipped' | 'failed' {
  try {
    const vars = run.vars.roleVars(host.name, scope, role.ref, { facts: host.facts, published: host.published }, (n) => run.runtimeOf(n));
    if (role.ref.when === undefined || run.vars.condition(role.ref.when, vars, host.name, 'play')) return vars;
    // Like a skipped task: only reported when the tags select the role.
    const o = run.plan.input.options;
    if (shouldRunTags(stepTags(playTags, role.ref), { tags: o.tags, skipTags: o.skipTags })) {
      run.reporter.emit({ type: 'step-result', host: host.name, role: role.ref.name, step: '(role)', status: 'skipped', message: `when: ${conditionsText(role.ref.when)}`, durationMs: 0 });
    }
    return 'skipped';
  } catch (err) {
    // A mistake the pre-run check could not see (it needed facts or published values).
    host.status = 'failed';
    const message = err instanceof UserError || err instanceof Error ? err.message : String(err);
    run.reporter.emit({ type: 'step-result', host: host.name, role: role.ref.name, step: '(variables)', status: 'failed', message, durationMs: 0 });
    return 'failed';
  }
}

function skippedOutcome(): RoleOutcome {
  return { status: 'ok', counts: { ok: 0, changed: 0, skipped: 1 } };
}

/** A role cut short by the run stopping counts as neither failed nor changed. */
async function runOrStop(fn: () => Promise<RoleOutcome>): Promise<RoleOutcome> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RunStopped) return { status: 'ok', counts: { ok: 0, changed: 0, skipped: 0 } };
    throw err;
  }
}

function roleEnv(plan: PlayPlan, scope: PlayVarsScope, run: RunState): RoleEnv {
  const o = run.plan.input.options;
  const { play } = plan;
  return {
    play: { name: play.name, become: play.become, ...(play.becomeUser !== undefined ? { becomeUser: play.becomeUser } : {}), tags: play.tags },
    check: o.check,
    tags: { tags: o.tags, skipTags: o.skipTags },
    reporter: run.reporter,
    hostvars: run.hostvars,
    groups: run.vars.groups,
    playHosts: [...scope.batchOf('')],
    gatherFacts: (h) => gatherFacts(h.connection!),
    delegate: (name) => run.delegate(name),
    controller: () => run.controller(),
    checkStopped: () => run.checkStopped(),
    stopping: () => run.stopping(),
    rebootTimeoutMs: (vars) => Number(vars['reboot_timeout'] ?? DEFAULT_REBOOT_TIMEOUT_S) * 1000,
    onFailure: () => {},
    forceHandlers: play.forceHandlers || o.forceHandlers === true,
    once: new OnceSteps(),
  };
}
