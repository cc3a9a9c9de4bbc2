// Commands of a role on a real host: through the host's connection (become as the play says),
// reported as `command` events (-v), failing the step on a non-zero exit for `$`. In check mode a `$`
// command is recorded as "would run" on the open step and answered with empty output, never run.
import { PROBE_TIMEOUT_MS } from '../../modules/probe.js';
import type { Command } from '../../command/command.js';
import type { RunOptions, RunResult } from '../../connection/connection.js';
import { CommandFailed } from '../../errors.js';
import { Secret } from '../../secrets/masker.js';
import type { HostState } from '../host-state.js';
import type { Reporter } from '../reporter.js';
import type { CommandOptions } from '../role-api.js';
import type { ShellExecutor } from './shell.js';
import type { Steps } from './steps.js';

/** What -v shows instead of the output of a command run with `noLog`. */
export const HIDDEN = '(output hidden: noLog)';

/** The output a check-mode `$` answers with: the command did not run, so nothing is known. */
const NOT_RUN: RunResult = { stdout: '', stderr: '', code: 0 };

export interface CommandEnv {
  reporter: Reporter;
  check: boolean;
  become: boolean;
  becomeUser?: string;
}

/** Runs `command` on `target` and reports it; never rejects for a non-zero exit. */
export async function runReported(
  target: HostState,
  command: Command,
  env: CommandEnv,
  options: RunOptions & { noLog?: boolean; raw?: boolean } = {},
): Promise<RunResult> {
  if (!target.connection) throw new Error(`host ${target.name} is not connected in this run`);
  const started = Date.now();
  const { noLog, raw, ...runOptions } = options;
  const r = await target.connection.run(command, { become: env.become, becomeUser: env.becomeUser, ...runOptions });
  env.reporter.emit({
    type: 'command',
    host: target.name,
    command: command.display,
    code: r.code,
    stdout: noLog ? HIDDEN : r.stdout,
    stderr: noLog ? HIDDEN : r.stderr,
    durationMs: Date.now() - started,
    ...(raw ? { raw } : {}),
  });
  return r;
}

/** An executor whose host is found (and connected) on first use: `on(host)`, `local`. */
export function delegatedExecutor(target: () => Promise<HostState>, steps: Steps, env: CommandEnv): ShellExecutor {
  return async (command, options, mutating) => hostExecutor(await target(), steps, env)(command, options, mutating);
}

/** The executor behind a role's `$` and `probe` (and `on(host)`'s) on `target`. */
export function hostExecutor(target: HostState, steps: Steps, env: CommandEnv): ShellExecutor {
  return async (command: Command, options: CommandOptions, mutating: boolean) => {
    const step = mutating ? steps.current(`$\`${command.display}\``) : undefined;
    if (step && env.check) {
      step.wouldRun.push(command.display);
      return NOT_RUN;
    }
    const stdin = options.stdin instanceof Secret ? options.stdin.value : options.stdin;
    const r = await runReported(target, command, env, {
      stdin,
      become: options.become ?? env.become,
      // Probes only read: one that hangs is killed (PROBE_TIMEOUT_MS) unless it asks for longer.
      timeoutMs: options.timeoutMs ?? (mutating ? undefined : PROBE_TIMEOUT_MS),
      noLog: options.noLog,
      raw: mutating,
    });
    if (step) {
      step.mutated = true;
      if (r.code !== 0) throw new CommandFailed(command.display, options.noLog ? { ...r, stderr: HIDDEN } : r);
    }
    return r;
  };
}
