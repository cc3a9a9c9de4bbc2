// `steer run PLAYBOOK`: load → plan → execute → report. This file is the load stage (options,
// playbook, inventory, extra vars, vault) and the dispatch: the listing options print the plan;
// otherwise every role's variables are checked on every targeted host and the plan is executed.
import { resolve } from 'node:path';
import { Command } from 'commander';
import { ExitCode, formatUserMessage } from '../../errors.js';
import { loadInventory } from '../../inventory/load.js';
import { buildPlan } from '../../plan/build.js';
import { checkPlanVariables } from '../../plan/check-variables.js';
import { listHosts, listTags, listTasks } from '../../plan/listing.js';
import type { RunInput, RunPlan } from '../../plan/plan.js';
import { PlaybookErrors, displayPath, loadPlaybook } from '../../playbook/load.js';
import { registerDeclaredSecrets } from '../../secrets/declared.js';
import { maskSecrets } from '../../secrets/masker.js';
import { setLookupFolders } from '../../vars/lookups.js';
import { parseExtraVars } from '../../vars/extra-vars.js';
import { addVaultOptions, applyVaultOptions, type VaultPasswordOptions } from '../../vault/password.js';
import {
  becomePassword,
  collect,
  connectionOptions,
  inventoryOption,
  limitOption,
  limitPattern,
  parseForks,
  parseHostKeyChecking,
  tagList,
  type ConnectionFlags,
} from '../options.js';

interface RunFlags extends VaultPasswordOptions, ConnectionFlags {
  tags?: string[];
  skipTags?: string[];
  check?: boolean;
  diff?: boolean;
  extraVars?: string[];
  listHosts?: boolean;
  listTasks?: boolean;
  listTags?: boolean;
  syntaxCheck?: boolean;
  json?: boolean;
  retryFile?: string;
  rolesPath?: string[];
  forceHandlers?: boolean;
  startAtStep?: string;
}

/** Where the command prints: stdout and stderr, masked; tests pass their own. */
export interface RunIO {
  out(line: string): void;
  err(line: string): void;
}

const processIO: RunIO = {
  out: (line) => void process.stdout.write(maskSecrets(line) + '\n'),
  err: (line) => void process.stderr.write(maskSecrets(line) + '\n'),
};

/** Executes a checked plan; the runner by default, a stand-in in tests. Returns the exit code. */
export type RunEngine = (plan: RunPlan) => Promise<number>;

const defaultEngine: RunEngine = async (plan) => {
  const { runPlaybook } = await import('../../runner/run.js');
  return runPlaybook(plan);
};

/** The load stage: every input of the run, validated. Returns undefined for --syntax-check. */
async function load(playbookArg: string, flags: RunFlags, io: RunIO): Promise<RunInput | number> {
  const cwd = process.cwd();
  const options = {
    tags: tagList(flags.tags),
    skipTags: tagList(flags.skipTags),
    check: flags.check === true,
    diff: flags.diff === true,
    forks: parseForks(flags.forks),
    verbosity: flags.verbose,
    output: flags.json ? ('json' as const) : ('auto' as const),
    hostKeyChecking: parseHostKeyChecking(flags.hostKeyChecking),
    inventorySources: flags.inventory,
    ...(flags.forceHandlers ? { forceHandlers: true } : {}),
    ...(flags.startAtStep !== undefined ? { startAtStep: flags.startAtStep } : {}),
  };
  // Before any file is read: vars files and values may be encrypted with ansible-vault.
  await applyVaultOptions(flags, cwd);
  let playbook;
  try {
    playbook = await loadPlaybook(playbookArg, { cwd, rolesPath: flags.rolesPath ?? [] });
  } catch (err) {
    if (!(err instanceof PlaybookErrors)) throw err;
    for (const e of err.errors) io.err(`steer: ${formatUserMessage(e)}`);
    return ExitCode.invalidInput;
  }
  const extra = parseExtraVars(flags.extraVars ?? [], cwd);
  if (flags.syntaxCheck) {
    io.out(`playbook: ${displayPath(playbook.path, cwd)}`);
    return ExitCode.ok;
  }
  const inventory = await loadInventory(flags.inventory, { playbookDir: playbook.dir });
  for (const warning of inventory.warnings ?? []) io.err(`[WARNING]: ${warning}`);
  // lookup('file', …) and lookup('pipe', …) work from the playbook's folder, as in Ansible.
  setLookupFolders([playbook.dir]);
  registerDeclaredSecrets(playbook, inventory, extra.vars);
  const limit = limitPattern(flags.limit);
  return {
    playbook,
    inventory,
    extra,
    options: {
      ...options,
      ...(limit !== undefined ? { limit } : {}),
      ...(flags.retryFile !== undefined ? { retryFile: resolve(cwd, flags.retryFile) } : {}),
    },
  };
}

async function runCommand(playbookArg: string, flags: RunFlags, engine: RunEngine, io: RunIO): Promise<number> {
  const input = await load(playbookArg, flags, io);
  if (typeof input === 'number') return input;
  const listing = flags.listHosts || flags.listTasks || flags.listTags;
  const plan = await buildPlan(input, { walk: flags.listTasks || flags.listTags });
  for (const warning of plan.warnings) io.err(warning);
  const label = displayPath(input.playbook.path, process.cwd());
  if (listing) {
    const lines = flags.listHosts ? listHosts(plan, label) : flags.listTasks ? listTasks(plan, label) : listTags(plan, label);
    for (const line of lines) io.out(line);
    return ExitCode.ok;
  }
  checkPlanVariables(plan);
  const password = await becomePassword(flags);
  if (password !== undefined) input.options.becomePassword = password;
  return engine(plan);
}

export function registerRunCommand(program: Command, engine: RunEngine = defaultEngine, io: RunIO = processIO): void {
  const command = program
    .command('run')
    .description('Run a playbook: each play runs its roles, in order, on the hosts its pattern selects')
    .argument('<playbook>', 'the playbook file; a bare name not in the current folder is looked up in playbooks/');
  inventoryOption(command);
  limitOption(command);
  command
    .option('-t, --tags <tags>', 'only run roles and steps tagged with these (comma list, repeatable)', collect)
    .option('--skip-tags <tags>', 'skip roles and steps tagged with these (comma list, repeatable; beats --tags)', collect)
    .option('-C, --check', 'change nothing: report what would change, and the commands that would run')
    .option('-D, --diff', 'show a unified diff of the files that change (or would change with --check)')
    .option('-e, --extra-vars <vars>', 'variables that win over all others: KEY=VALUE ..., inline JSON/YAML, or @FILE (repeatable)', collect)
    .option('--roles-path <dir>', 'another folder holding roles (repeatable; also STEER_ROLES_PATH, colon-separated)', collect)
    .option('--list-hosts', 'print the hosts each play would run on, run nothing')
    .option('--list-tasks', 'print the roles and steps each play would run, run nothing')
    .option('--list-tags', 'print the tags of each play (play, role and step tags), run nothing')
    .option('--syntax-check', 'load and validate the playbook, its roles and their variable declarations, run nothing')
    .option('--json', 'print one JSON event per line instead of the live view')
    .option('--force-handlers', 'run notified handlers even on hosts that failed (like the play key force_handlers)')
    .option('--start-at-step <name>', 'start at the first step with this name (or glob, or "role : step"); everything before it is skipped')
    .option('--retry-file <path>', 'where failed and unreachable hosts are written (default: PLAYBOOK.retry in the current folder)');
  connectionOptions(command);
  command.addHelpText(
    'after',
    `
Exit codes: 0 success, 2 a host failed, 4 a host was unreachable, 5 invalid input or options, 99 interrupted.

Examples:
  steer run site.yaml -i inventory/home.yaml
  steer run site.yaml -i inventory/home.yaml --check --diff -l gooseberry
  steer run site.yaml -i inventory/ -e kubernetes_version=1.30 -e @secrets.yaml --tags cgroups`,
  );
  addVaultOptions(command).action(async (playbookArg: string, flags: RunFlags) => {
    process.exitCode = await runCommand(playbookArg, flags, engine, io);
  });
}
