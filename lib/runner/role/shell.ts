// `$` and `probe`: zx-style tagged templates bound to a host. Every interpolation is quoted (see
// lib/command/command.ts). `$` changes the host: it runs inside a step, rejects on a non-zero exit,
// and in check mode is not run but recorded as "would run". `probe` only reads: it runs in check mode
// too and never rejects. Where a command goes is the executor's business (real host, or a walk).
import { sh, type Command, type ShellValue } from '../../command/command.js';
import type { RunResult } from '../../connection/connection.js';
import type { CommandOptions, Output, Shell } from '../role-api.js';

/** Runs one command for a shell; `mutating` is true for `$`, false for `probe`. */
export type ShellExecutor = (command: Command, options: CommandOptions, mutating: boolean) => Promise<RunResult>;

/** A RunResult as roles see it (`ok`, `text()`, `lines()`). */
export function toOutput(r: RunResult): Output {
  return {
    ...r,
    ok: r.code === 0,
    text: () => r.stdout.replace(/\n$/, ''),
    lines: () => r.stdout.split('\n').filter((l) => l !== ''),
  };
}

/** Builds `$` (mutating) or `probe` over an executor: `sh\`…\``, or `$({ stdin })\`…\``. */
export function makeShell(executor: ShellExecutor, mutating: boolean): Shell {
  const exec = async (command: Command, options: CommandOptions): Promise<Output> => toOutput(await executor(command, options, mutating));
  function shell(first: TemplateStringsArray | CommandOptions, ...values: ShellValue[]): unknown {
    if (Array.isArray(first) && 'raw' in first) return exec(sh(first as TemplateStringsArray, ...values), {});
    const options = first as CommandOptions;
    return (strings: TemplateStringsArray, ...vals: ShellValue[]) => exec(sh(strings, ...vals), options);
  }
  return shell as Shell;
}
