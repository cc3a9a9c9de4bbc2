// Where the vault password comes from, as in Ansible: --vault-password-file FILE (run as a script
// when executable, its stdout being the password), --ask-vault-pass (a prompt), --vault-id
// label@FILE|label@prompt; else STEER_VAULT_PASSWORD or STEER_VAULT_PASSWORD_FILE.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { registerSecret } from '../secrets/masker.js';
import { setVaultPassword } from './context.js';
import { readHidden } from '../cli/prompt.js';

export interface VaultPasswordOptions {
  vaultPasswordFile?: string;
  askVaultPass?: boolean;
  vaultId?: string;
}

export interface VaultPassword {
  password: string;
  /** The label of --vault-id label@source (written into 1.2 headers when encrypting). */
  label?: string;
}

/** Adds the password options to a command (run, inventory, vault). */
export function addVaultOptions(command: Command): Command {
  return command
    .option('--vault-password-file <file>', 'read the ansible-vault password from FILE, or from its output when FILE is executable (or set STEER_VAULT_PASSWORD_FILE)')
    .option('-J, --ask-vault-pass', 'ask for the ansible-vault password (or set STEER_VAULT_PASSWORD)')
    .option('--vault-id <id>', 'LABEL@FILE or LABEL@prompt: the password source, and the vault id written when encrypting');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Reads a password file, or runs it when executable (stderr and the terminal stay the user's, for prompts). */
export function readVaultPasswordFile(file: string, cwd = process.cwd()): string {
  const path = resolve(cwd, file);
  let password: string;
  if (isExecutable(path)) {
    let out: Buffer;
    try {
      out = execFileSync(path, [], { stdio: ['inherit', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
    } catch (err) {
      const status = (err as { status?: number | null }).status;
      throw new UserError(
        `vault password script failed (${status != null ? `exit ${status}` : (err as Error).message}); expected it to print the password`,
        'VAULT_PASSWORD',
        { file },
      );
    }
    password = out.toString('utf8').replace(/^[\r\n]+|[\r\n]+$/g, '');
  } else {
    try {
      password = readFileSync(path, 'utf8').trim();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UserError(
        code === 'ENOENT' ? 'vault password file not found' : `cannot read the vault password file (${code})`,
        'VAULT_PASSWORD',
        { file },
      );
    }
  }
  if (password === '') throw new UserError('the vault password file gives an empty password', 'VAULT_PASSWORD', { file });
  return password;
}

let stdinLines: string[] | undefined;

/** Piped stdin (scripts, tests): one password per line. */
function nextStdinLine(): string {
  stdinLines ??= readFileSync(0, 'utf8').split(/\r?\n/);
  const line = stdinLines.shift();
  if (line === undefined || line === '') throw new UserError('no vault password on stdin (expected one line)', 'VAULT_PASSWORD');
  return line;
}

/** Asks for a password on the terminal without echoing it; from stdin when it is not a terminal. */
export async function promptPassword(question: string): Promise<string> {
  if (!process.stdin.isTTY) return nextStdinLine().trim();
  return (await readHidden(question)).trim();
}

async function ask(confirm: boolean): Promise<string> {
  const password = await promptPassword(confirm ? 'New vault password: ' : 'Vault password: ');
  if (password === '') throw new UserError('the vault password is empty', 'VAULT_PASSWORD');
  if (confirm && (await promptPassword('Confirm new vault password: ')) !== password) {
    throw new UserError('the vault passwords do not match', 'VAULT_PASSWORD');
  }
  return password;
}

/**
 * The password the options (then the environment) give, or undefined when none is given.
 * `confirm`: a prompt asks twice (when encrypting).
 */
export async function resolveVaultPassword(
  opts: VaultPasswordOptions,
  options: { cwd?: string; confirm?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<VaultPassword | undefined> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  let label: string | undefined;
  let source: string | undefined;
  if (opts.vaultId !== undefined) {
    const at = opts.vaultId.indexOf('@');
    label = at > 0 ? opts.vaultId.slice(0, at) : undefined;
    source = at >= 0 ? opts.vaultId.slice(at + 1) : opts.vaultId;
    if (source === '' || (label !== undefined && !/^[^;\s]+$/.test(label))) {
      throw new UserError(`invalid --vault-id '${opts.vaultId}' (expected LABEL@FILE or LABEL@prompt)`, 'BAD_OPTION');
    }
  }
  let password: string | undefined;
  if (opts.vaultPasswordFile !== undefined) password = readVaultPasswordFile(opts.vaultPasswordFile, cwd);
  else if (opts.askVaultPass || source === 'prompt') password = await ask(options.confirm === true);
  else if (source !== undefined) password = readVaultPasswordFile(source, cwd);
  else if (env['STEER_VAULT_PASSWORD'] !== undefined && env['STEER_VAULT_PASSWORD'] !== '') password = env['STEER_VAULT_PASSWORD'].replace(/[\r\n]+$/, '');
  else if (env['STEER_VAULT_PASSWORD_FILE']) password = readVaultPasswordFile(env['STEER_VAULT_PASSWORD_FILE'], cwd);
  if (password === undefined) return undefined;
  registerSecret(password);
  return { password, ...(label !== undefined ? { label } : {}) };
}

/** For run and inventory: resolves the password (if any is given) and hands it to the loaders. */
export async function applyVaultOptions(opts: VaultPasswordOptions, cwd = process.cwd()): Promise<void> {
  setVaultPassword((await resolveVaultPassword(opts, { cwd }))?.password);
}
