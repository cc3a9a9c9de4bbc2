// `steer vault encrypt|decrypt|view|encrypt-string`: ansible-vault's everyday commands, in its
// format, so the join token and passwords can live in git encrypted. Files change in place
// atomically (a temp file beside them, renamed over) and end up mode 0600, as ansible-vault writes
// them: a decrypted file holds the plaintext, and no one but its owner reads it, not even for the
// moment between write and rename.
import { closeSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { UserError } from '../../errors.js';
import { addVaultOptions, resolveVaultPassword, type VaultPassword, type VaultPasswordOptions } from '../../vault/password.js';
import { VaultError, decryptVault, encryptVault, isVaultText } from '../../vault/vault.js';

interface EncryptStringOptions extends VaultPasswordOptions {
  name?: string;
}

const NO_PASSWORD =
  'no vault password given (expected --vault-password-file FILE, --ask-vault-pass, --vault-id LABEL@FILE, or STEER_VAULT_PASSWORD / STEER_VAULT_PASSWORD_FILE)';

async function password(opts: VaultPasswordOptions, confirm: boolean): Promise<VaultPassword> {
  const found = await resolveVaultPassword(opts, { confirm });
  if (!found) throw new UserError(NO_PASSWORD, 'VAULT_NO_PASSWORD');
  return found;
}

function readInput(file: string): Buffer {
  try {
    return readFileSync(resolve(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? 'file not found' : `cannot read file (${code})`, 'FILE_NOT_FOUND', { file });
  }
}

/** Mode of every file `steer vault` writes (ansible-vault's). */
export const VAULT_FILE_MODE = 0o600;

/**
 * Writes beside the target, then renames over it: readers see the old file or the new one. The
 * new file is VAULT_FILE_MODE from its creation. Throws UserError (file unchanged) on failure.
 */
export function replaceFileAtomically(file: string, content: string | Buffer): void {
  const path = resolve(file);
  const temp = join(dirname(path), `.${basename(path)}.steer-${randomBytes(6).toString('hex')}`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', VAULT_FILE_MODE);
    fchmodSync(fd, VAULT_FILE_MODE); // whatever the umask
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    for (let done = 0; done < data.length; ) done += writeSync(fd, data, done);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw new UserError(`cannot write file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); it was left unchanged`, 'FILE_WRITE', {
      file,
    });
  }
}

function decryptFile(file: string, text: string, secret: string): Buffer {
  try {
    return decryptVault(text, secret);
  } catch (err) {
    if (err instanceof VaultError) throw new UserError(err.message, err.reason === 'password' ? 'VAULT_WRONG_PASSWORD' : 'VAULT_FORMAT', { file, line: 1, col: 1 });
    throw err;
  }
}

async function encryptFiles(files: string[], opts: VaultPasswordOptions): Promise<void> {
  const inputs = files.map((file) => ({ file, data: readInput(file) }));
  for (const { file, data } of inputs) {
    if (isVaultText(data)) throw new UserError('already encrypted with ansible-vault', 'VAULT_ALREADY_ENCRYPTED', { file });
  }
  const { password: secret, label } = await password(opts, true);
  for (const { file, data } of inputs) replaceFileAtomically(file, encryptVault(data, secret, { ...(label !== undefined ? { label } : {}) }));
  process.stderr.write('Encryption successful\n');
}

async function decryptFiles(files: string[], opts: VaultPasswordOptions): Promise<void> {
  const inputs = files.map((file) => ({ file, text: readInput(file).toString('latin1') }));
  for (const { file, text } of inputs) {
    if (!isVaultText(text)) throw new UserError('not encrypted with ansible-vault (expected a $ANSIBLE_VAULT header)', 'VAULT_NOT_ENCRYPTED', { file });
  }
  const { password: secret } = await password(opts, false);
  // Decrypt all before writing any, so a wrong password leaves every file as it was.
  const plaintexts = inputs.map(({ file, text }) => ({ file, data: decryptFile(file, text, secret) }));
  for (const { file, data } of plaintexts) replaceFileAtomically(file, data);
  process.stderr.write('Decryption successful\n');
}

async function viewFile(file: string, opts: VaultPasswordOptions): Promise<void> {
  const text = readInput(file).toString('latin1');
  if (!isVaultText(text)) throw new UserError('not encrypted with ansible-vault (expected a $ANSIBLE_VAULT header)', 'VAULT_NOT_ENCRYPTED', { file });
  const { password: secret } = await password(opts, false);
  // Showing the plaintext is the point of `view`: it is not masked.
  process.stdout.write(decryptFile(file, text, secret));
}

/** A `!vault |` block as ansible-vault encrypt_string prints it (ten spaces of indentation). */
export function vaultBlock(vaultText: string, name?: string): string {
  const lines = vaultText.trimEnd().split('\n').map((l) => `          ${l}`);
  return `${name !== undefined ? `${name}: ` : ''}!vault |\n${lines.join('\n')}\n`;
}

async function encryptString(value: string | undefined, opts: EncryptStringOptions): Promise<void> {
  if (opts.name !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(opts.name)) {
    throw new UserError(`invalid variable name '${opts.name}' for --name (expected letters, digits and _, not starting with a digit)`, 'BAD_OPTION');
  }
  let plaintext = value;
  if (plaintext === undefined) {
    if (process.stdin.isTTY) throw new UserError('no value to encrypt (expected VALUE, or the value on stdin)', 'BAD_OPTION');
    plaintext = readFileSync(0, 'utf8');
  }
  const { password: secret, label } = await password(opts, true);
  process.stdout.write(vaultBlock(encryptVault(plaintext, secret, { ...(label !== undefined ? { label } : {}) }), opts.name));
  process.stderr.write('Encryption successful\n');
}

export function registerVaultCommand(program: Command): void {
  const vault = program
    .command('vault')
    .description('encrypt and decrypt files and values in ansible-vault format (interoperates with ansible-vault)')
    .addHelpText(
      'after',
      `
Examples:
  steer vault encrypt inventory/group_vars/all/vault.yaml --vault-password-file ~/.vault-pass
  steer vault view inventory/group_vars/all/vault.yaml --ask-vault-pass
  steer vault encrypt-string 'abcdef.0123456789abcdef' --name kubeadm_token --vault-password-file ~/.vault-pass

See docs/vault.md.`,
    );
  addVaultOptions(vault.command('encrypt').description('encrypt files in place').argument('<file...>', 'the files')).action(
    (files: string[], opts: VaultPasswordOptions) => encryptFiles(files, opts),
  );
  addVaultOptions(vault.command('decrypt').description('decrypt files in place').argument('<file...>', 'the files')).action(
    (files: string[], opts: VaultPasswordOptions) => decryptFiles(files, opts),
  );
  addVaultOptions(vault.command('view').description('print a decrypted file').argument('<file>', 'the file')).action(
    (file: string, opts: VaultPasswordOptions) => viewFile(file, opts),
  );
  addVaultOptions(
    vault
      .command('encrypt-string')
      .description('print a value encrypted as a `!vault |` YAML value, to paste into a vars file')
      .argument('[value]', 'the value (read from stdin when omitted)')
      .option('-n, --name <var>', 'print it as `VAR: !vault |`'),
  ).action((value: string | undefined, opts: EncryptStringOptions) => encryptString(value, opts));
}
