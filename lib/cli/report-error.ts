// What the CLI prints for an error that ends a command: one masked message, the stack only with
// -vvv, and the exit code that goes with it.
import { CommanderError } from 'commander';
import { ExitCode, SteerError, formatUserMessage } from '../errors.js';
import { maskSecrets } from '../secrets/masker.js';
import { commanderExitCode } from './commander-exit.js';

/** Prints `err` to stderr (secrets masked) and returns the exit code; never throws. */
export function reportError(err: unknown, verbose: boolean): number {
  if (err instanceof CommanderError) return commanderExitCode(err);
  if (err instanceof SteerError) {
    process.stderr.write(`steer: ${maskSecrets(formatUserMessage(err))}\n`);
    if (verbose && err.stack) process.stderr.write(maskSecrets(err.stack) + '\n');
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`steer: internal error: ${maskSecrets(e.message)} (run with -vvv for details)\n`);
  if (verbose && e.stack) process.stderr.write(maskSecrets(e.stack) + '\n');
  return ExitCode.internal;
}
