// The vault password of this run, set once by the CLI (--vault-password-file, --ask-vault-pass, or
// the environment) and read by the loaders, so no loader signature has to carry it. The loaders
// call openVault(): it decrypts, registers the plaintext as a secret, and words every failure as a
// UserError at the place of the encrypted value or file.
import { UserError, type SourceLocation } from '../errors.js';
import { registerSecret } from '../secrets/masker.js';
import { VaultError, decryptVault } from './vault.js';

let password: string | undefined;

export const NO_VAULT_PASSWORD = 'encrypted with ansible-vault: give --vault-password-file or --ask-vault-pass';

/** Sets (or with undefined, forgets) the vault password; the password itself is masked from then on. */
export function setVaultPassword(value: string | undefined): void {
  password = value;
  if (value !== undefined) registerSecret(value);
}

export function vaultPassword(): string | undefined {
  return password;
}

/** Every string in a decrypted document (mapping values and list items; keys stay visible). */
export { registerSecretsIn } from '../secrets/masker.js';

/**
 * Decrypts a vault text found at `location` with the run's password. The plaintext is registered as
 * a secret unless `secret` is false (whole inventory files: host names must stay readable).
 */
export function openVault(text: string, location: SourceLocation, options: { secret?: boolean } = {}): string {
  if (password === undefined) throw new UserError(NO_VAULT_PASSWORD, 'VAULT_NO_PASSWORD', location);
  let plaintext: string;
  try {
    plaintext = decryptVault(text, password).toString('utf8');
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    throw new UserError(err.message, err.reason === 'password' ? 'VAULT_WRONG_PASSWORD' : 'VAULT_FORMAT', location);
  }
  if (options.secret !== false) registerSecret(plaintext);
  return plaintext;
}
