// command: runs a command only when needed: not when `creates` exists, not when `removes` is
// missing, not when the `unless` probe succeeds. Its result can be judged by changedWhen/failedWhen,
// and it can be retried until a predicate holds. In check mode it reports that it would run.
import { Command, sh } from '../command/command.js';
import type { RunResult } from '../connection/connection.js';
import { Secret } from '../secrets/masker.js';
import { commandValue, predicate } from './args.js';
import { failureMessage } from './execute.js';
import type { Module, ModuleResult, Plan } from './module.js';
import { ModuleError } from './module.js';
import { runProbe, type SectionOutputs } from './probe.js';

export interface CommandArgs {
  /** The command: built with sh`…`, or an argument list (each word quoted). */
  cmd: Command | string[];
  /** Skip when this path exists (the command creates it). */
  creates?: string;
  /** Skip when this path does not exist (the command removes it). */
  removes?: string;
  /** A read-only probe: skip when it exits 0. Runs in check mode too. */
  unless?: Command | string[];
  /** Fed to the command's stdin (secrets travel this way, never in argv). */
  stdin?: string | Secret;
  /** Exit codes that count as success (default [0]). */
  okCodes?: number[];
  /** Whether the run changed something (default: it ran, so yes). */
  changedWhen?: (result: RunResult) => boolean;
  /** Whether the run failed (default: the exit code is not in okCodes). */
  failedWhen?: (result: RunResult) => boolean;
  /** Run again until this holds (default with retries: until it does not fail). */
  until?: (result: RunResult) => boolean;
  /** How many more times to try after the first (default 3 with until, else 0). */
  retries?: number;
  /** Pause between tries (default 5000). */
  delayMs?: number;
  timeoutMs?: number;
}

export interface CommandState {
  createsExists?: boolean;
  removesExists?: boolean;
  /** The unless probe's exit code. */
  unlessCode?: number;
}

export function toCommand(cmd: Command | string[]): Command {
  return cmd instanceof Command ? cmd : sh`${cmd}`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const command: Module<CommandArgs, CommandState> = {
  name: 'command',
  args: {
    type: 'object',
    properties: {
      cmd: commandValue,
      creates: { type: 'string' },
      removes: { type: 'string' },
      unless: commandValue,
      stdin: { anyOf: [{ type: 'string' }, { instanceof: 'Secret' }], errorMessage: 'must be a string or a Secret' },
      okCodes: { type: 'array', items: { type: 'integer' } },
      changedWhen: predicate,
      failedWhen: predicate,
      until: predicate,
      retries: { type: 'integer', minimum: 0, errorMessage: 'must be a whole number ≥ 0' },
      delayMs: { type: 'number', minimum: 0 },
      timeoutMs: { type: 'number', minimum: 0 },
    },
    required: ['cmd'],
    additionalProperties: false,
  },
  async probe(args, ctx) {
    const sections: Record<string, Command> = {};
    if (args.creates !== undefined) sections['creates'] = sh`test -e ${args.creates}`;
    if (args.removes !== undefined) sections['removes'] = sh`test -e ${args.removes}`;
    if (args.unless !== undefined) sections['unless'] = toCommand(args.unless);
    return parseCommandProbe(await runProbe(ctx, sections));
  },
  plan(args, state): Plan {
    const cmd = toCommand(args.cmd);
    if (state.createsExists) return { actions: [], summary: `skipped: ${args.creates} exists` };
    if (state.removesExists === false) return { actions: [], summary: `skipped: ${args.removes} does not exist` };
    if (state.unlessCode === 0) return { actions: [], summary: 'skipped: the unless probe succeeded' };
    const stdin = args.stdin instanceof Secret ? args.stdin.value : args.stdin;
    return {
      actions: [{ kind: 'run', command: cmd, ...(stdin !== undefined ? { stdin } : {}), ...(args.okCodes ? { okCodes: args.okCodes } : {}) }],
      summary: `run ${cmd.display}`,
    };
  },
  async apply(plan, args, ctx): Promise<ModuleResult> {
    const action = plan.actions[0]!;
    if (action.kind !== 'run') throw new Error('command: unexpected action');
    const okCodes = args.okCodes ?? [0];
    const failed = (r: RunResult): boolean => (args.failedWhen ? args.failedWhen(r) : !okCodes.includes(r.code));
    const retrying = args.until !== undefined || args.retries !== undefined;
    const done = args.until ?? ((r: RunResult) => !failed(r));
    const attempts = retrying ? (args.retries ?? 3) + 1 : 1;
    let result: RunResult = { stdout: '', stderr: '', code: -1 };
    let attempt = 0;
    for (attempt = 1; attempt <= attempts; attempt++) {
      const options = { ...(action.stdin !== undefined ? { stdin: action.stdin } : {}), ...(args.timeoutMs ? { timeoutMs: args.timeoutMs } : {}) };
      result = await ctx.run(action.command, options);
      if (!retrying || done(result)) break;
      ctx.log(`command: attempt ${attempt}/${attempts} not done yet (exit ${result.code})`);
      if (attempt < attempts) await sleep(args.delayMs ?? 5000);
    }
    const gaveUp = retrying && attempt > attempts;
    if (failed(result) || gaveUp) {
      const message = failureMessage(action.command.display, result);
      throw new ModuleError(gaveUp ? `${message} (still not done after ${attempts} attempts)` : message, result);
    }
    const changed = args.changedWhen ? args.changedWhen(result) : true;
    return {
      changed,
      ...(changed && plan.summary ? { summary: plan.summary } : {}),
      stdout: result.stdout,
      stderr: result.stderr,
      code: result.code,
    };
  },
};

export function parseCommandProbe(outputs: SectionOutputs): CommandState {
  const state: CommandState = {};
  if (outputs['creates']) state.createsExists = outputs['creates'].code === 0;
  if (outputs['removes']) state.removesExists = outputs['removes'].code === 0;
  if (outputs['unless']) state.unlessCode = outputs['unless'].code;
  return state;
}
