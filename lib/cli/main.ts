// The steer command line. Each command lives in its own file under commands/ and registers itself;
// this file only wires them together and maps every error to one message and an exit code.
import { Command, CommanderError } from 'commander';
import { ExitCode, SteerError, formatUserMessage } from '../errors.js';
import { maskSecrets } from '../secrets/masker.js';
import { registerRunCommand } from './commands/run.js';
import { registerInventoryCommand } from './commands/inventory.js';
import { registerFactsCommand } from './commands/facts.js';
import { registerLabCommand } from './commands/lab.js';
import { registerVaultCommand } from './commands/vault.js';
import { registerExecCommand } from './commands/exec.js';
import { registerTypesCommand } from './commands/types.js';
import { registerNewCommand } from './commands/new.js';
import { registerDoctorCommand } from './commands/doctor.js';

export function buildProgram(): Command {
  const program = new Command('steer')
    .description('Ansible-style playbook runner: inventories, YAML playbooks, TypeScript roles, over persistent SSH')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerRunCommand(program);
  registerExecCommand(program);
  registerInventoryCommand(program);
  registerFactsCommand(program);
  registerLabCommand(program);
  registerVaultCommand(program);
  registerTypesCommand(program);
  registerNewCommand(program);
  registerDoctorCommand(program);
  return program;
}

/** Runs the CLI and returns the exit code (never throws). */
export async function main(argv: string[]): Promise<number> {
  const verbose = argv.some((a) => /^-v{3,}$/.test(a) || a === '--verbose');
  try {
    const program = buildProgram();
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (err) {
    return reportError(err, verbose);
  }
}

export function reportError(err: unknown, verbose: boolean): number {
  if (err instanceof CommanderError) {
    // Commander already printed its message (help, version, or a usage error).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return ExitCode.ok;
    return ExitCode.invalidInput;
  }
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
