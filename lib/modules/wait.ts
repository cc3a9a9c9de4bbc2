// wait: until a TCP port answers (or stops answering) on the host, a file exists (or is gone), or a
// command succeeds. Waiting changes nothing, so the step is ok; check mode does not wait.
import { Command, sh } from '../command/command.js';
import { argError, commandValue, presentOrAbsent } from './args.js';
import { toCommand } from './command.js';
import type { Module, ModuleResult, Plan } from './module.js';
import { ModuleError } from './module.js';
import { runProbe } from './probe.js';

export interface WaitArgs {
  /** A TCP port, tested from the host itself (bash's /dev/tcp). */
  port?: number;
  /** The address for port (default 127.0.0.1). */
  host?: string;
  /** A path that must exist (or, with state 'absent', be gone). */
  path?: string;
  /** A command that must succeed. */
  command?: Command | string[];
  /** present (default): port open / path exists; absent: port closed / path gone. */
  state?: 'present' | 'absent';
  /** Give up after this long (default 300000). */
  timeoutMs?: number;
  /** Pause between tries (default 1000). */
  intervalMs?: number;
}

export interface WaitState {
  /** The condition already holds. */
  met: boolean;
}

export interface WaitData extends Record<string, unknown> {
  waitedMs: number;
}

export function waitCheck(args: WaitArgs): Command {
  const absent = args.state === 'absent';
  if (args.port !== undefined) {
    const script = `exec 3<>/dev/tcp/${args.host ?? '127.0.0.1'}/${args.port}`;
    return absent ? sh`! timeout 5 bash -c ${script}` : sh`timeout 5 bash -c ${script}`;
  }
  if (args.path !== undefined) return absent ? sh`! test -e ${args.path}` : sh`test -e ${args.path}`;
  return toCommand(args.command!);
}

export function describeWait(args: WaitArgs): string {
  const absent = args.state === 'absent';
  if (args.port !== undefined) return `port ${args.host ?? '127.0.0.1'}:${args.port} ${absent ? 'closed' : 'open'}`;
  if (args.path !== undefined) return `${args.path} ${absent ? 'gone' : 'present'}`;
  return `${toCommand(args.command!).display} to succeed`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const wait: Module<WaitArgs, WaitState, WaitData> = {
  name: 'wait',
  args: {
    type: 'object',
    properties: {
      port: { type: 'integer', minimum: 1, maximum: 65535, errorMessage: 'must be 1-65535' },
      host: { type: 'string' },
      path: { type: 'string' },
      command: commandValue,
      state: presentOrAbsent,
      timeoutMs: { type: 'number', minimum: 0 },
      intervalMs: { type: 'number', minimum: 0 },
    },
    required: [],
    additionalProperties: false,
  },
  validate(args) {
    const given = [args.port, args.path, args.command].filter((v) => v !== undefined).length;
    if (given !== 1) argError('wait', 'give exactly one of port, path, command');
    if (args.host !== undefined && !/^[A-Za-z0-9.:-]+$/.test(args.host)) argError('wait', `"${args.host}" is not a host name or address`);
    if (args.command !== undefined && args.state === 'absent') argError('wait', "state 'absent' is for port and path");
  },
  async probe(args, ctx) {
    const outputs = await runProbe(ctx, { check: waitCheck(args) });
    return { met: outputs['check']!.code === 0 };
  },
  plan(args, state): Plan<WaitData> {
    if (state.met) return { actions: [], data: { waitedMs: 0 } };
    return { actions: [{ kind: 'run', command: waitCheck(args) }], changes: false, summary: `wait for ${describeWait(args)}`, data: { waitedMs: 0 } };
  },
  async apply(plan, args, ctx): Promise<ModuleResult<WaitData>> {
    const action = plan.actions[0]!;
    if (action.kind !== 'run') throw new Error('wait: unexpected action');
    const timeoutMs = args.timeoutMs ?? 300_000;
    const started = Date.now();
    for (;;) {
      const result = await ctx.run(action.command);
      if (result.code === 0) return { changed: false, data: { waitedMs: Date.now() - started } };
      if (Date.now() - started >= timeoutMs) {
        throw new ModuleError(`wait: gave up after ${Math.round(timeoutMs / 1000)} s waiting for ${describeWait(args)}`, result);
      }
      await sleep(Math.min(args.intervalMs ?? 1000, Math.max(0, timeoutMs - (Date.now() - started))));
    }
  },
};
