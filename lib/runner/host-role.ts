// Runs one role on one host: builds the zx-style context the role script sees (step, $, probe,
// modules, templates, handlers, published values) and turns what happens into step results.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, sh, type ShellValue } from '../command/command.js';
import type { RunOptions, RunResult } from '../connection/connection.js';
import { HostKeyError, UnreachableError } from '../connection/errors.js';
import type { Facts } from '../facts/facts.js';
import type { Vars } from '../inventory/inventory.js';
import { executeModule } from '../modules/execute.js';
import { modules, type ModuleCalls } from '../modules/index.js';
import type { ModuleContext, ModuleResult } from '../modules/module.js';
import { PROBE_TIMEOUT_MS } from '../modules/probe.js';
import type { RoleRef } from '../playbook/playbook.js';
import { registerSecretsIn, Secret } from '../secrets/masker.js';
import type { HostState } from './host-state.js';
import { rebootAndWait } from './reboot.js';
import type {
  CommandOptions,
  HandlerBody,
  Output,
  RoleContext,
  RoleDefinition,
  Shell,
  StepBody,
  StepOptions,
  StepResult,
  StepReturn,
} from './role-api.js';
import type { Reporter } from './reporter.js';
import { CheckModeSkip, HostFailed, RunStopped } from './signals.js';
import { shouldRun, type TagFilter } from './tags.js';

/** What the play gives every host-role run. */
export interface RoleRunEnv {
  play: { name: string; become: boolean; becomeUser?: string; tags: string[] };
  check: boolean;
  tags: TagFilter;
  reporter: Reporter;
  hostvars: Record<string, Record<string, unknown>>;
  groups: Record<string, string[]>;
  playHosts: string[];
  render(text: string, vars: Vars): string;
  gatherFacts(host: HostState): Promise<Facts>;
  /** Another host of the run (for on(host)). */
  hostState(name: string): HostState;
  /** Throws RunStopped when the run is stopping. */
  checkStopped(): void;
  stopping(): boolean;
  rebootTimeoutMs(vars: Vars): number;
}

export interface HostRoleOutcome {
  status: 'ok' | 'changed' | 'failed' | 'unreachable';
  counts: { ok: number; changed: number; skipped: number };
}

class CommandFailed extends Error {
  constructor(command: string, readonly result: RunResult) {
    super(`command failed (exit ${result.code}): ${command}${result.stderr.trim() ? `\n${result.stderr.trim()}` : ''}`);
    this.name = 'CommandFailed';
  }
}

interface OpenStep {
  results: ModuleResult[];
  mutated: boolean;
}

const BUILTIN_HANDLERS = ['reboot'] as const;

export async function runRoleOnHost(
  host: HostState,
  ref: RoleRef,
  role: RoleDefinition<any>,
  vars: Vars,
  env: RoleRunEnv,
): Promise<HostRoleOutcome> {
  const roleTags = [...env.play.tags, ...ref.tags, ref.name];
  const counts = { ok: 0, changed: 0, skipped: 0 };
  const notified = new Set<string>();
  let current: OpenStep | undefined;
  let inHandler = false;
  const connection = host.connection!;

  const noFacts = new Proxy({} as Facts, {
    get(_t, key) {
      throw new Error(`facts.${String(key)} is not available: facts were not gathered (gather_facts: false)`);
    },
  });

  const HIDDEN = '(output hidden: noLog)';
  const runOn = async (target: HostState, command: Command, options: RunOptions & { noLog?: boolean } = {}): Promise<RunResult> => {
    if (!target.connection) throw new Error(`host ${target.name} is not connected in this run`);
    const started = Date.now();
    const { noLog, ...runOptions } = options;
    const r = await target.connection.run(command, { become: env.play.become, becomeUser: env.play.becomeUser, ...runOptions });
    env.reporter.emit({
      type: 'command',
      host: target.name,
      command: command.display,
      code: r.code,
      stdout: noLog ? HIDDEN : r.stdout,
      stderr: noLog ? HIDDEN : r.stderr,
      durationMs: Date.now() - started,
    });
    return r;
  };
  const runCommand = (command: Command, options: RunOptions = {}) => runOn(host, command, options);

  const moduleCtx: ModuleContext = {
    host: host.name,
    get facts() {
      return host.facts ?? noFacts;
    },
    check: env.check,
    connection,
    run: runCommand,
    async put(path, content, options = {}) {
      const started = Date.now();
      await connection.put(path, content, { become: env.play.become, becomeUser: env.play.becomeUser, ...options });
      const size = Buffer.byteLength(content);
      env.reporter.emit({ type: 'command', host: host.name, command: `(write ${path}, ${size} bytes)`, code: 0, stdout: '', stderr: '', durationMs: Date.now() - started });
    },
    log: () => {},
  };

  const toOutput = (r: RunResult): Output => ({
    ...r,
    ok: r.code === 0,
    text: () => r.stdout.replace(/\n$/, ''),
    lines: () => r.stdout.split('\n').filter((l) => l !== ''),
  });

  const makeShell = (mutating: boolean, target: HostState = host): Shell => {
    const exec = async (command: Command, options: CommandOptions): Promise<Output> => {
      if (mutating) {
        if (!current) throw new Error(`$\`${command.display}\` must run inside step()`);
        if (env.check) throw new CheckModeSkip(command.display);
      }
      const stdin = options.stdin instanceof Secret ? options.stdin.value : options.stdin;
      const r = await runOn(target, command, {
        stdin,
        become: options.become ?? env.play.become,
        // Probes only read: one that hangs is killed (PROBE_TIMEOUT_MS) unless it asks for longer.
        timeoutMs: options.timeoutMs ?? (mutating ? undefined : PROBE_TIMEOUT_MS),
        noLog: options.noLog,
      });
      if (mutating) {
        current!.mutated = true;
        if (r.code !== 0) throw new CommandFailed(command.display, options.noLog ? { ...r, stderr: HIDDEN } : r);
      }
      return toOutput(r);
    };
    function shell(first: TemplateStringsArray | CommandOptions, ...values: ShellValue[]): any {
      if (Array.isArray(first) && 'raw' in first) return exec(sh(first as TemplateStringsArray, ...values), {});
      const options = first as CommandOptions;
      return (strings: TemplateStringsArray, ...vals: ShellValue[]) => exec(sh(strings, ...vals), options);
    }
    return shell as Shell;
  };

  const m = new Proxy({} as ModuleCalls, {
    get(_t, name: string) {
      const mod = (modules as Record<string, any>)[name];
      if (!mod) throw new Error(`unknown module m.${name} (known: ${Object.keys(modules).join(', ')})`);
      return async (args: unknown) => {
        if (!current) throw new Error(`m.${name}() must be called inside step()`);
        const result = (await executeModule(mod, args, moduleCtx)) as ModuleResult;
        current.results.push(result);
        return result;
      };
    },
  });

  const statusOf = (ret: StepReturn, open: OpenStep): 'ok' | 'changed' | 'skipped' => {
    if (ret === 'ok' || ret === 'changed' || ret === 'skipped') return ret;
    return open.mutated || open.results.some((r) => r.changed) ? 'changed' : 'ok';
  };

  const runStep = async (name: string, options: StepOptions, body: StepBody, handler = false): Promise<StepResult> => {
    env.checkStopped();
    if (!handler && !shouldRun([...roleTags, ...(options.tags ?? [])], env.tags)) return { status: 'skipped', results: [] };
    if (current) throw new Error(`step('${name}') cannot be nested inside another step`);
    const started = Date.now();
    const base = { host: host.name, role: ref.name, step: name, handler: handler || undefined };
    if (options.when === false) {
      counts.skipped++;
      env.reporter.emit({ type: 'step-result', ...base, status: 'skipped', message: 'condition is false', durationMs: 0 });
      return { status: 'skipped', results: [] };
    }
    env.reporter.emit({ type: 'step-start', ...base });
    const open: OpenStep = { results: [], mutated: false };
    current = open;
    try {
      const ret = await body();
      // Results returned (not only called through m.*) count too, e.g. { changed: true, summary }.
      if (Array.isArray(ret)) open.results.push(...ret.filter((r) => !open.results.includes(r)));
      else if (ret && typeof ret === 'object' && !open.results.includes(ret)) open.results.push(ret);
      const status = statusOf(ret, open);
      const summary = open.results.map((r) => r.summary).filter(Boolean).join('; ');
      const diffs = open.results.flatMap((r) => r.diffs ?? []);
      if (status === 'skipped') counts.skipped++;
      else counts.ok++;
      if (status === 'changed') {
        counts.changed++;
        for (const h of [options.notify ?? []].flat()) notified.add(h);
      }
      env.reporter.emit({
        type: 'step-result',
        ...base,
        status,
        checkOnly: env.check && status === 'changed' ? true : undefined,
        message: status === 'changed' ? summary || undefined : undefined,
        diffs: diffs.length ? diffs : undefined,
        durationMs: Date.now() - started,
      });
      return { status, results: open.results };
    } catch (err) {
      if (err instanceof CheckModeSkip) {
        counts.skipped++;
        env.reporter.emit({ type: 'step-result', ...base, status: 'skipped', message: err.message, durationMs: Date.now() - started });
        return { status: 'skipped', results: open.results };
      }
      if (err instanceof RunStopped) throw err;
      if (err instanceof UnreachableError || err instanceof HostKeyError) {
        host.status = 'unreachable';
        env.reporter.emit({ type: 'step-result', ...base, status: 'unreachable', message: err.message, durationMs: Date.now() - started });
        throw new HostFailed(host.name, err.message);
      }
      const message = (err as Error).message;
      if (options.ignoreErrors) {
        env.reporter.emit({ type: 'step-result', ...base, status: 'ignored', message, durationMs: Date.now() - started });
        return { status: 'failed', results: open.results };
      }
      host.status = 'failed';
      env.reporter.emit({ type: 'step-result', ...base, status: 'failed', message, durationMs: Date.now() - started });
      throw new HostFailed(host.name, message);
    } finally {
      current = undefined;
    }
  };

  const handlers: Record<string, HandlerBody<any>> = role.handlers ?? {};
  const handlerOrder = [...Object.keys(handlers), ...BUILTIN_HANDLERS.filter((h) => !(h in handlers))];

  const builtin = async (name: string): Promise<StepReturn> => {
    if (name === 'reboot') {
      const { elapsedMs } = await rebootAndWait(connection, {
        timeoutMs: env.rebootTimeoutMs(vars),
        stopped: env.stopping,
      });
      host.facts = await env.gatherFacts(host);
      return { changed: true, summary: `rebooted, back after ${Math.round(elapsedMs / 1000)} s` };
    }
    throw new Error(`unknown handler '${name}'`);
  };

  const flushHandlers = async (): Promise<void> => {
    if (inHandler) return;
    for (const name of handlerOrder) {
      if (!notified.has(name)) continue;
      notified.delete(name);
      inHandler = true;
      try {
        const body: StepBody = env.check
          ? async () => ({ changed: true, summary: 'would run' })
          : async () => (handlers[name] ? handlers[name]!(ctx) : builtin(name));
        await runStep(name, {}, body, true);
      } finally {
        inHandler = false;
      }
    }
    const unknown = [...notified].filter((n) => !handlerOrder.includes(n));
    if (unknown.length) {
      host.status = 'failed';
      throw new HostFailed(host.name, `role ${ref.name}: notified handler(s) not defined: ${unknown.join(', ')}`);
    }
  };

  const ctx: RoleContext<any> = {
    host: host.name,
    vars,
    get facts() {
      return host.facts ?? noFacts;
    },
    check: env.check,
    step: ((name: string, a: StepOptions | StepBody, b?: StepBody) =>
      typeof a === 'function' ? runStep(name, {}, a) : runStep(name, a, b!)) as RoleContext['step'],
    $: makeShell(true),
    probe: makeShell(false),
    m,
    template: (file, extra) => env.render(readFileSync(join(ref.dir, 'templates', file), 'utf8'), { ...templateVars(), ...extra }),
    file: (file) => readFileSync(join(ref.dir, 'files', file), 'utf8'),
    notify: (h) => notified.add(h),
    flushHandlers,
    publish(key, value, options) {
      if (options?.secret) registerSecretsIn(value);
      host.published[key] = value;
    },
    hostvars: env.hostvars,
    groups: env.groups,
    playHosts: env.playHosts,
    fail(message): never {
      throw new Error(message);
    },
    warn(message) {
      env.reporter.emit({ type: 'warning', host: host.name, message });
    },
    note(message) {
      env.reporter.emit({ type: 'note', host: host.name, message });
    },
    on(name) {
      const target = env.hostState(name);
      return { $: makeShell(true, target), probe: makeShell(false, target) };
    },
    sh,
  };

  function templateVars(): Vars {
    return { ...vars, facts: host.facts, ansible_facts: host.facts, hostvars: env.hostvars, groups: env.groups, inventory_hostname: host.name };
  }

  try {
    await role.run(ctx);
    await flushHandlers();
  } catch (err) {
    if (err instanceof HostFailed) return { status: host.status === 'unreachable' ? 'unreachable' : 'failed', counts };
    if (err instanceof RunStopped) throw err;
    // An error outside any step (a bug in the role script, or fail() between steps).
    host.status = 'failed';
    env.reporter.emit({
      type: 'step-result',
      host: host.name,
      role: ref.name,
      step: '(role script)',
      status: 'failed',
      message: (err as Error).message,
      durationMs: 0,
    });
    return { status: 'failed', counts };
  }
  return { status: counts.changed > 0 ? 'changed' : 'ok', counts };
}
