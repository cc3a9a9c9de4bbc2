// `steer exec PATTERN -- COMMAND` / `steer exec PATTERN -m MODULE -a ARGS`: ad-hoc work on every host
// of a pattern, like the `ansible` command. It is a one-play playbook running the built-in ad-hoc
// role (lib/runner/ad-hoc/), so it shares everything with `steer run`: connections, become,
// --limit, check mode, the live view, the recap and the exit codes.
import { join } from 'node:path';
import { Command } from 'commander';
import { packagePath } from '../../package-root.js';
import { UserError } from '../../errors.js';
import { loadInventory } from '../../inventory/load.js';
import { modules } from '../../modules/index.js';
import { buildPlan } from '../../plan/build.js';
import { checkPlanVariables } from '../../plan/check-variables.js';
import type { Play, Playbook, RoleRef } from '../../playbook/playbook.js';
import { loadRoleVariables } from '../../playbook/role-variables.js';
import { parseExtraVars } from '../../vars/extra-vars.js';
import { addVaultOptions, applyVaultOptions, type VaultPasswordOptions } from '../../vault/password.js';
import {
  becomePassword,
  connectionOptions,
  inventoryOption,
  limitOption,
  limitPattern,
  parseForks,
  parseHostKeyChecking,
  type ConnectionFlags,
} from '../options.js';

interface ExecFlags extends ConnectionFlags, VaultPasswordOptions {
  module?: string;
  args?: string;
  become?: boolean;
  becomeUser?: string;
  check?: boolean;
  diff?: boolean;
  json?: boolean;
}

const AD_HOC_ROLE = packagePath('lib', 'runner', 'ad-hoc');

/** -a: `k=v k2=v2` or inline JSON/YAML, as -e reads them; `true`/`false` and plain integers typed. */
export function parseModuleArgs(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let vars: Record<string, unknown>;
  try {
    vars = parseExtraVars([text]).vars;
  } catch (err) {
    throw new UserError(`invalid -a '${text}': ${(err as Error).message.replace(/extra vars/g, 'module arguments')}`, 'BAD_OPTION');
  }
  if (/^\s*[{[]/.test(text)) return vars;
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeScalar(v as string)]));
}

/** k=v values are text; what is plainly a boolean or an integer (not 0644, a mode) becomes one. */
function typeScalar(text: string): unknown {
  if (/^(true|yes)$/i.test(text)) return true;
  if (/^(false|no)$/i.test(text)) return false;
  if (/^-?(0|[1-9][0-9]*)$/.test(text)) return Number(text);
  return text;
}

/** The one-play playbook of an ad-hoc run. */
function adHocPlaybook(pattern: string, flags: ExecFlags, command: string[]): Playbook {
  if (flags.module !== undefined && !(flags.module in modules)) {
    throw new UserError(`unknown module '${flags.module}' (known: ${Object.keys(modules).join(', ')})`, 'BAD_OPTION');
  }
  if (flags.module === undefined && command.length === 0) throw new UserError('nothing to run: give a command after -- or a module with -m', 'BAD_OPTION');
  if (flags.module !== undefined && command.length > 0) throw new UserError('give either a command after -- or a module with -m, not both', 'BAD_OPTION');
  const location = { file: '(command line)' };
  const role: RoleRef = {
    name: 'ad-hoc',
    dir: AD_HOC_ROLE,
    tags: [],
    params: { adhoc_command: command.join(' '), adhoc_module: flags.module ?? '', adhoc_args: parseModuleArgs(flags.args) },
    variables: loadRoleVariables(AD_HOC_ROLE, 'ad-hoc'),
    location,
  };
  const play: Play = {
    name: `ad-hoc: ${pattern}`,
    hosts: pattern,
    roles: [role],
    vars: {},
    varsFiles: [],
    varsFromFiles: {},
    tags: [],
    serial: [],
    gatherFacts: false,
    become: flags.become === true || flags.becomeUser !== undefined,
    ...(flags.becomeUser !== undefined ? { becomeUser: flags.becomeUser } : {}),
    anyErrorsFatal: false,
    forceHandlers: false,
    location,
  };
  return { path: join(process.cwd(), 'ad-hoc'), dir: process.cwd(), plays: [play] };
}

async function execCommand(pattern: string, command: string[], flags: ExecFlags): Promise<number> {
  await applyVaultOptions(flags);
  const playbook = adHocPlaybook(pattern, flags, command);
  const inventory = await loadInventory(flags.inventory, {});
  const limit = limitPattern(flags.limit);
  const plan = await buildPlan({
    playbook,
    inventory,
    extra: { vars: {}, sources: {} },
    options: {
      tags: [],
      skipTags: [],
      check: flags.check === true,
      diff: flags.diff === true,
      forks: parseForks(flags.forks),
      verbosity: flags.verbose,
      output: flags.json ? 'json' : 'auto',
      hostKeyChecking: parseHostKeyChecking(flags.hostKeyChecking),
      inventorySources: flags.inventory,
      ...(limit !== undefined ? { limit } : {}),
      // Ad-hoc runs leave no retry file behind: they are quick questions.
      retryFile: false,
    },
  });
  if (plan.plays[0]!.hosts.length === 0) throw new UserError(`host pattern '${pattern}' matches no host of the inventory`, 'NO_HOSTS');
  checkPlanVariables(plan);
  const password = await becomePassword(flags);
  if (password !== undefined) plan.input.options.becomePassword = password;
  const { runPlaybook } = await import('../../runner/run.js');
  return runPlaybook(plan);
}

export function registerExecCommand(program: Command): void {
  const command = program
    .command('exec')
    .description('run a command (or one module) on every host of a pattern, as the ansible command does')
    .argument('<pattern>', 'a host pattern: all, workers, web:!db, node1 …')
    .argument('[command...]', 'the command line, after --; joined and run by the host\'s shell, as ssh does');
  inventoryOption(command);
  limitOption(command);
  command
    .option('-m, --module <name>', 'call this module instead of a command (file, systemd, apt, …)')
    .option('-a, --args <args>', "the module's arguments: k=v k2=v2, or inline JSON/YAML")
    .option('-b, --become', 'run as root (sudo)')
    .option('--become-user <user>', 'run as this user (sudo; implies --become)')
    .option('-C, --check', 'change nothing: show what would run')
    .option('-D, --diff', 'show the diffs of files a module changes')
    .option('--json', 'print one JSON event per line instead of the live view');
  connectionOptions(command);
  command.addHelpText(
    'after',
    `
Exit codes: 0 success, 2 a host failed, 4 a host was unreachable, 5 invalid input or options, 99 interrupted.

Examples:
  steer exec all -i inventory/home.yaml -- uptime
  steer exec workers -i inventory/home.yaml -b -- 'journalctl -u kubelet -n 20 --no-pager'
  steer exec all -i inventory/home.yaml -b -m systemd -a 'unit=kubelet state=started'`,
  );
  addVaultOptions(command).action(async (pattern: string, words: string[], flags: ExecFlags) => {
    process.exitCode = await execCommand(pattern, words, flags);
  });
}
