// Runs one role on one host: wires the role API (role/context.ts) to the host's connection, runs
// the script, flushes its handlers, and turns what happened into the host's outcome for the role.
import { HostFailed, RunStopped } from '../errors.js';
import type { Facts } from '../facts/facts.js';
import type { Vars } from '../inventory/inventory.js';
import type { RoleRef } from '../playbook/playbook.js';
import type { ModuleResult } from '../modules/module.js';
import type { HostState } from './host-state.js';
import { rebootAndWait } from './reboot.js';
import type { Reporter } from './reporter.js';
import type { RoleDefinition, StepReturn } from './role-api.js';
import { delegatedExecutor, type CommandEnv } from './role/commands.js';
import { createRoleContext, NO_FACTS } from './role/context.js';
import { Handlers } from './role/handlers.js';
import { moduleContext, stepModules } from './role/modules.js';
import { makeShell } from './role/shell.js';
import { Steps, type OnceSteps } from './role/steps.js';
import { stepTags, type TagFilter } from './tags.js';
import { throttled } from './throttle.js';

/** What the play gives every role it runs on a host. */
export interface RoleEnv {
  play: { name: string; become: boolean; becomeUser?: string; tags: readonly string[] };
  check: boolean;
  tags: TagFilter;
  reporter: Reporter;
  hostvars: Record<string, Vars>;
  groups: Record<string, string[]>;
  /** The play's batch, failed hosts removed (ansible_play_batch). */
  playHosts: string[];
  gatherFacts(host: HostState): Promise<Facts>;
  /** Another host, connected on demand (for on(host)); throws HostError when it cannot be reached. */
  delegate(name: string): Promise<HostState>;
  /** The controller (for `local`). */
  controller(): HostState;
  checkStopped(): void;
  stopping(): boolean;
  rebootTimeoutMs(vars: Vars): number;
  /** Called when a step fails a host: the play's stop rules are checked at once. */
  onFailure(): void;
  /** Notified handlers run even when the host failed later in the role (force_handlers). */
  forceHandlers: boolean;
  /** --start-at-step, for the role holding that step: steps before it are not run. */
  startAt?: (step: string) => boolean;
  /** The role's run_once steps on this batch, shared by its hosts. */
  once: OnceSteps;
}

export interface RoleOutcome {
  status: 'ok' | 'changed' | 'failed' | 'unreachable';
  counts: { ok: number; changed: number; skipped: number };
}

export async function runRoleOnHost(host: HostState, ref: RoleRef, role: RoleDefinition<any>, vars: Vars, env: RoleEnv): Promise<RoleOutcome> {
  const commandEnv: CommandEnv = { reporter: env.reporter, check: env.check, become: env.play.become, becomeUser: env.play.becomeUser };
  const handlers = new Handlers(
    { names: Object.keys(role.handlers ?? {}), run: (name) => role.handlers![name]!(ctx) },
    (name) => builtinHandler(name, host, vars, env),
    env.check,
  );
  const steps = new Steps(
    host,
    {
      role: ref.name,
      tagsOf: (own) => stepTags(env.play.tags, ref, own),
      tags: env.tags,
      check: env.check,
      reporter: env.reporter,
      checkStopped: env.checkStopped,
      onFailure: env.onFailure,
      once: env.once,
      // The run's reporter identifies the run: throttles are per run, by play, role and step.
      throttle: (step, limit, body) => throttled(env.reporter, { play: env.play.name, role: ref.name, step }, limit, body),
      ...(env.startAt ? { startAt: env.startAt } : {}),
    },
    (n) => handlers.notify(n),
  );
  const facts = () => host.facts ?? NO_FACTS;
  const shellsOn = (target: () => Promise<HostState>, env: CommandEnv = commandEnv) => {
    const exec = delegatedExecutor(target, steps, env);
    return { $: makeShell(exec, true), probe: makeShell(exec, false) };
  };
  const controller = env.controller();
  const controllerEnv: CommandEnv = { ...commandEnv, become: false, becomeUser: undefined };
  const log = (message: string) => env.reporter.emit({ type: 'log', host: host.name, message });
  const ctx = createRoleContext({
    host: host.name,
    ref,
    vars,
    facts,
    check: env.check,
    step: (name, options, body) => steps.run(name, options, body),
    ...shellsOn(async () => host),
    m: stepModules(moduleContext(host, facts, { ...commandEnv, log }), steps),
    local: { ...shellsOn(async () => controller, controllerEnv), m: stepModules(moduleContext(controller, () => NO_FACTS, { ...controllerEnv, log }), steps) },
    notify: (h) => handlers.notify([h]),
    flushHandlers: () => handlers.flush(steps),
    // reboot() inside a step: its result is the step's, as a module's would be.
    async reboot() {
      const open = steps.current('reboot()');
      open.results.push(env.check ? { changed: true, checkOnly: true, summary: 'would reboot' } : await rebootHost(host, vars, env));
    },
    publish: (key, value) => void (host.published[key] = value),
    hostvars: env.hostvars,
    groups: env.groups,
    playHosts: env.playHosts,
    warn: (message) => env.reporter.emit({ type: 'warning', host: host.name, message }),
    note: (message) => env.reporter.emit({ type: 'note', host: host.name, message }),
    on: (name) => shellsOn(() => env.delegate(name)),
  });

  try {
    await role.run(ctx);
    await handlers.flush(steps);
  } catch (err) {
    if (err instanceof RunStopped) throw err;
    if (!(err instanceof HostFailed)) {
      // An error outside any step: a bug in the role script, fail() between steps, a bad handler.
      host.status = 'failed';
      env.reporter.emit({ type: 'step-result', host: host.name, role: ref.name, step: '(role script)', status: 'failed', message: (err as Error).message, durationMs: 0 });
      env.onFailure();
    }
    if (env.forceHandlers && host.status === 'failed') await handlers.flush(steps).catch(() => {});
    return { status: host.status === 'unreachable' ? 'unreachable' : 'failed', counts: steps.counts };
  }
  return { status: steps.counts.changed > 0 ? 'changed' : 'ok', counts: steps.counts };
}

/** The built-in handlers (Ansible's reboot module as a handler). */
async function builtinHandler(name: string, host: HostState, vars: Vars, env: RoleEnv): Promise<StepReturn> {
  if (name !== 'reboot') throw new Error(`unknown handler '${name}'`);
  return rebootHost(host, vars, env);
}

/** Reboots the host, waits for it (reboot_timeout) and gathers its facts again. */
async function rebootHost(host: HostState, vars: Vars, env: RoleEnv): Promise<ModuleResult> {
  const { elapsedMs } = await rebootAndWait(host.connection!, { timeoutMs: env.rebootTimeoutMs(vars), stopped: env.stopping });
  host.facts = await env.gatherFacts(host);
  return { changed: true, summary: `rebooted, back after ${Math.round(elapsedMs / 1000)} s` };
}
