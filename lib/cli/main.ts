// The steer command line. Each command lives in its own file under commands/ and registers itself;
// this file only wires them together and maps every error to one message and an exit code.
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../errors.js';
import { commanderExitCode } from './commander-exit.js';

type Register = (program: Command) => void;

/**
 * The commands, in the order `steer --help` lists them: each module is imported only when its
 * command runs (or help lists them all), so that `steer --version` or `steer vault view` never
 * loads the engine, ssh2, ajv or nunjucks. One line per command.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  run: async () => (await import('./commands/run.js')).registerRunCommand,
  exec: async () => (await import('./commands/exec.js')).registerExecCommand,
  inventory: async () => (await import('./commands/inventory.js')).registerInventoryCommand,
  facts: async () => (await import('./commands/facts.js')).registerFactsCommand,
  lab: async () => (await import('./commands/lab.js')).registerLabCommand,
  vault: async () => (await import('./commands/vault.js')).registerVaultCommand,
  types: async () => (await import('./commands/types.js')).registerTypesCommand,
  new: async () => (await import('./commands/new.js')).registerNewCommand,
  doctor: async () => (await import('./commands/doctor.js')).registerDoctorCommand,
};

/**
 * The commands `argv` (process.argv: node, script, arguments) needs registered: the one it names
 * (also as `help NAME`), none for a bare `--version`, else all (help, a mistyped command's
 * suggestion).
 */
export function commandsNeeded(argv: readonly string[]): string[] {
  const args = argv.slice(2);
  const at = args.findIndex((a) => !a.startsWith('-'));
  const first = args[at];
  if (first !== undefined && Object.hasOwn(COMMANDS, first)) return [first];
  const helped = args[at + 1];
  if (first === 'help' && helped !== undefined && Object.hasOwn(COMMANDS, helped)) return [helped];
  if (first === undefined && args.length > 0 && args.every((a) => a === '-V' || a === '--version')) return [];
  return Object.keys(COMMANDS);
}

/** The program with the commands `argv` needs (all of them by default). */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('steer')
    .description('Ansible-style playbook runner: inventories, YAML playbooks, TypeScript roles, over persistent SSH')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  const registers = await Promise.all(commandsNeeded(argv).map((name) => COMMANDS[name]!()));
  for (const register of registers) register(program);
  return program;
}

/** Runs the CLI and returns the exit code (never throws). */
export async function main(argv: string[]): Promise<number> {
  const verbose = argv.some((a) => /^-v{3,}$/.test(a) || a === '--verbose');
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (err) {
    // Commander's own exits (--version, --help, usage errors) print nothing of ours: no need to load
    // the masker (and zx with it) for them.
    if (err instanceof CommanderError) return commanderExitCode(err);
    return (await import('./report-error.js')).reportError(err, verbose);
  }
}
