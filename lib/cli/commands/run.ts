// `steer run PLAYBOOK`: reads the options, loads and validates the playbook, the inventory and the
// extra vars, answers the listing modes (--list-hosts, --list-tags, --list-tasks, --syntax-check)
// itself, checks every role's variables on every targeted host, then hands a RunRequest to the engine.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ExitCode, UserError, formatUserMessage } from '../../errors.js';
import type { Inventory } from '../../inventory/inventory.js';
import { loadInventory } from '../../inventory/load.js';
import { magicVars } from '../../inventory/magic.js';
import { applyLimit, evaluatePattern, limitPatterns, splitHostPattern, unmatchedWarning } from '../../inventory/patterns.js';
import { PlaybookErrors, displayPath, loadPlaybook } from '../../playbook/load.js';
import type { Play, Playbook } from '../../playbook/playbook.js';
import type { HostKeyChecking, RunRequest } from '../../runner/request.js';
import { maskSecrets, registerSecret } from '../../secrets/masker.js';
import { parseExtraVars } from '../../vars/extra-vars.js';
import { setLookupFolders } from '../../vars/lookups.js';
import { preflightRoleVars } from '../../vars/preflight.js';
import { addVaultOptions, applyVaultOptions, type VaultPasswordOptions } from '../../vault/password.js';
import { readHidden } from '../prompt.js';

interface RunOptions extends VaultPasswordOptions {
  inventory?: string[];
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  check?: boolean;
  diff?: boolean;
  forks: string;
  extraVars?: string[];
  listHosts?: boolean;
  listTasks?: boolean;
  listTags?: boolean;
  syntaxCheck?: boolean;
  json?: boolean;
  verbose: number;
  becomePasswordFile?: string;
  askBecomePass?: boolean;
  hostKeyChecking: string;
  retryFile?: string;
  rolesPath?: string[];
}

const HOST_KEY_MODES: HostKeyChecking[] = ['strict', 'accept-new', 'off'];

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const count = (_: string, previous: number): number => previous + 1;

/** Tags given as comma lists, possibly repeated. */
function tagList(values: string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((t) => t.trim()).filter((t) => t !== '');
}

function parseForks(text: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1) {
    throw new UserError(`invalid value for --forks: '${text}' (expected a positive integer)`, 'BAD_OPTION');
  }
  return Number(text);
}

function parseHostKeyChecking(text: string): HostKeyChecking {
  if (!(HOST_KEY_MODES as string[]).includes(text)) {
    throw new UserError(`invalid value for --host-key-checking: '${text}' (expected one of: ${HOST_KEY_MODES.join(', ')})`, 'BAD_OPTION');
  }
  return text as HostKeyChecking;
}

/** Reads a password from the terminal without echoing it. */
async function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new UserError('--ask-become-pass needs a terminal (expected --become-password-file FILE or STEER_BECOME_PASSWORD instead)', 'BAD_OPTION');
  }
  return readHidden(question);
}

async function becomePassword(opts: RunOptions, cwd: string): Promise<string | undefined> {
  let password: string | undefined;
  if (opts.becomePasswordFile) {
    try {
      password = readFileSync(resolve(cwd, opts.becomePasswordFile), 'utf8').replace(/\r?\n$/, '');
    } catch {
      throw new UserError('become password file not found (expected a file holding the sudo password)', 'BAD_OPTION', {
        file: opts.becomePasswordFile,
      });
    }
  } else if (opts.askBecomePass) {
    password = await promptHidden('BECOME password: ');
  } else if (process.env['STEER_BECOME_PASSWORD'] !== undefined) {
    password = process.env['STEER_BECOME_PASSWORD'];
  }
  if (password !== undefined) registerSecret(password);
  return password;
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

/** Ansible's warning for each part of a pattern that matches no host, once per part. */
function warnUnmatched(inv: Inventory, patterns: string[], warned: Set<string>, io: RunIO): void {
  for (const part of evaluatePattern(inv, patterns).unmatched) {
    if (warned.has(part)) continue;
    warned.add(part);
    io.err(unmatchedWarning(part));
  }
}

function playHeader(play: Play, index: number): string {
  return `  play #${index + 1} (${play.hosts}): ${play.name}\tTAGS: [${play.tags.join(',')}]`;
}

/** Play and role tags, the role names (each role is tagged with its name), and step tags if known. */
async function playTags(play: Play): Promise<string[]> {
  const tags = new Set<string>([...play.tags, ...play.roles.flatMap((r) => [r.name, ...r.tags])]);
  const steps = await listSteps(play);
  for (const s of steps) for (const t of s.tags) tags.add(t);
  return [...tags].sort();
}

type ListedStep = { role: string; name: string; tags: string[] };

/** The engine walks role scripts to list their steps; without it, roles alone are listed. */
async function listSteps(play: Play): Promise<ListedStep[]> {
  const lister = (await import('../../runner/list-tasks.js').catch(() => undefined)) as
    | { listPlaySteps?: (play: Play) => Promise<ListedStep[]> }
    | undefined;
  return lister?.listPlaySteps ? lister.listPlaySteps(play) : [];
}

async function listTasks(playbook: Playbook, label: string, io: RunIO): Promise<void> {
  const lister = (await import('../../runner/list-tasks.js').catch(() => undefined)) as
    | { formatTaskList?: (playbook: Playbook, label: string) => Promise<string[]> }
    | undefined;
  if (lister?.formatTaskList) {
    for (const line of await lister.formatTaskList(playbook, label)) io.out(line);
    return;
  }
  io.out(`playbook: ${label}`);
  for (const [i, play] of playbook.plays.entries()) {
    io.out('');
    io.out(playHeader(play, i));
    io.out('    tasks:');
    for (const role of play.roles) io.out(`      ${role.name}\tTAGS: [${[role.name, ...role.tags].join(', ')}]`);
  }
}

/** Prints every error of a playbook with several, the first as the CLI would; returns exit 5. */
function reportAll(err: PlaybookErrors, io: RunIO): number {
  for (const e of err.errors) io.err(`steer: ${formatUserMessage(e)}`);
  return ExitCode.invalidInput;
}

/** Runs a validated request; the engine by default, a stand-in in tests. */
export type RunEngine = (request: RunRequest) => Promise<number>;

const defaultEngine: RunEngine = async (request) => {
  const { runPlaybook } = await import('../../runner/run.js');
  return runPlaybook(request);
};

async function runCommand(playbookArg: string, opts: RunOptions, engine: RunEngine, io: RunIO): Promise<number> {
  const cwd = process.cwd();
  const forks = parseForks(opts.forks);
  const hostKeyChecking = parseHostKeyChecking(opts.hostKeyChecking);
  const tags = tagList(opts.tags ?? []);
  const skipTags = tagList(opts.skipTags ?? []);

  // Before any file is read: vars files and values may be encrypted with ansible-vault.
  await applyVaultOptions(opts, cwd);
  let playbook: Playbook;
  try {
    playbook = await loadPlaybook(playbookArg, { cwd, rolesPath: opts.rolesPath ?? [] });
  } catch (err) {
    if (err instanceof PlaybookErrors) return reportAll(err, io);
    throw err;
  }
  const label = displayPath(playbook.path, cwd);
  const extra = parseExtraVars(opts.extraVars ?? [], cwd);
  if (opts.syntaxCheck) {
    io.out(`playbook: ${label}`);
    return ExitCode.ok;
  }

  const inventory = await loadInventory(opts.inventory ?? [], { playbookDir: playbook.dir });
  for (const warning of inventory.warnings ?? []) io.err(`[WARNING]: ${warning}`);
  // lookup('file', …) and lookup('pipe', …) work from the playbook's folder, as in Ansible.
  setLookupFolders([playbook.dir]);

  // The limit as a plain pattern (@file expanded), for the engine and for selecting hosts here. A
  // single part with colons keeps a trailing comma, so that `-l '!2001:db8::1,'` is not split again
  // at its colons.
  const parts = opts.limit === undefined ? undefined : limitPatterns(opts.limit);
  const limit = parts === undefined ? undefined : parts.length === 1 && parts[0]!.includes(':') ? `${parts[0]},` : parts.join(',');
  const warned = new Set<string>();
  if (limit !== undefined) {
    const patterns = splitHostPattern(limit);
    warnUnmatched(inventory, patterns, warned, io);
    if (evaluatePattern(inventory, patterns).hosts.length === 0) {
      throw new UserError(`--limit '${opts.limit}' does not match any host (expected hosts or groups of the inventory)`, 'LIMIT_NO_HOSTS');
    }
  }
  for (const play of playbook.plays) warnUnmatched(inventory, splitHostPattern(play.hosts), warned, io);
  const hostsOf = (play: Play): string[] => {
    const selected = inventory.select(play.hosts);
    return limit === undefined ? selected : applyLimit(inventory, selected, limit);
  };

  if (opts.listHosts || opts.listTags) {
    io.out(`playbook: ${label}`);
    for (const [i, play] of playbook.plays.entries()) {
      io.out('');
      io.out(playHeader(play, i));
      if (opts.listHosts) {
        const hosts = hostsOf(play);
        io.out(`    pattern: ['${play.hosts}']`);
        io.out(`    hosts (${hosts.length}):`);
        for (const h of hosts) io.out(`      ${h}`);
      }
      if (opts.listTags) io.out(`      TASK TAGS: [${(await playTags(play)).join(', ')}]`);
    }
    return ExitCode.ok;
  }
  if (opts.listTasks) {
    await listTasks(playbook, label, io);
    return ExitCode.ok;
  }

  preflightRoleVars({
    playbook,
    hostsOf,
    inventoryVars: (host) => inventory.hostVars(host),
    magic: (host) => ({ ...magicVars(inventory, host), ansible_check_mode: opts.check === true }),
    extraVars: extra.vars,
    extraSources: extra.sources,
    inventorySource: (host, name) => inventory.varSource?.(host, name),
  });

  const password = await becomePassword(opts, cwd);
  const request: RunRequest = {
    playbook,
    inventory,
    ...(limit !== undefined ? { limit } : {}),
    tags,
    skipTags,
    check: opts.check === true,
    diff: opts.diff === true,
    forks,
    extraVars: extra.vars,
    output: opts.json ? 'json' : 'auto',
    verbosity: opts.verbose,
    ...(password !== undefined ? { becomePassword: password } : {}),
    hostKeyChecking,
    ...(opts.retryFile !== undefined ? { retryFile: resolve(cwd, opts.retryFile) } : {}),
  };
  return engine(request);
}

export function registerRunCommand(program: Command, engine: RunEngine = defaultEngine, io: RunIO = processIO): void {
  const command = program
    .command('run')
    .description('Run a playbook: each play runs its roles, in order, on the hosts its pattern selects')
    .argument('<playbook>', 'the playbook file; a bare name not in the current folder is looked up in playbooks/')
    .option('-i, --inventory <path>', 'inventory file or directory (repeatable)', collect)
    .option('-l, --limit <pattern>', 'further limit the hosts to a pattern, or @FILE with one host per line')
    .option('-t, --tags <tags>', 'only run roles and steps tagged with these (comma list, repeatable)', collect)
    .option('--skip-tags <tags>', 'skip roles and steps tagged with these (comma list, repeatable; beats --tags)', collect)
    .option('-C, --check', 'change nothing: report what would change')
    .option('-D, --diff', 'show a unified diff of the files that change (or would change with --check)')
    .option('-f, --forks <n>', 'how many hosts run a role at the same time (a positive integer)', '10')
    .option('-e, --extra-vars <vars>', 'variables that win over all others: KEY=VALUE ..., inline JSON/YAML, or @FILE (repeatable)', collect)
    .option('--roles-path <dir>', 'another folder holding roles (repeatable; also STEER_ROLES_PATH, colon-separated)', collect)
    .option('--list-hosts', 'print the hosts each play would run on, run nothing')
    .option('--list-tasks', 'print the roles and steps each play would run, run nothing')
    .option('--list-tags', 'print the tags of each play (play, role and step tags), run nothing')
    .option('--syntax-check', 'load and validate the playbook, its roles and their variable declarations, run nothing')
    .option('--json', 'print one JSON event per line instead of the live view')
    .option('-v, --verbose', 'more output: -v commands and their output, -vv more, -vvv stack traces of errors', count, 0)
    .option('--become-password-file <file>', 'read the sudo password from FILE (or set STEER_BECOME_PASSWORD)')
    .option('-K, --ask-become-pass', 'ask for the sudo password on the terminal')
    .addOption(
      new Option('--host-key-checking <mode>', 'check SSH host keys against known_hosts: strict, accept-new (trust unknown hosts once) or off').default(
        'strict',
      ),
    )
    .option('--retry-file <path>', 'where failed and unreachable hosts are written (default: PLAYBOOK.retry next to the playbook)')
    .addHelpText(
      'after',
      `
Exit codes: 0 success, 2 a host failed, 4 a host was unreachable, 5 invalid input or options, 99 interrupted.

Examples:
  steer run site.yaml -i inventory/home.yaml
  steer run site.yaml -i inventory/home.yaml --check --diff -l gooseberry
  steer run site.yaml -i inventory/ -e kubernetes_version=1.30 -e @secrets.yaml --tags cgroups`,
    );
  addVaultOptions(command).action(async (playbookArg: string, opts: RunOptions) => {
      process.exitCode = await runCommand(playbookArg, opts, engine, io);
    });
}
