// Vault inside YAML: `!vault |` tagged values (ansible-vault encrypt_string) and whole encrypted
// files. The YAML loader registers the tag, then decrypts each tagged value in place before the
// document becomes plain data, so a value that cannot be opened is reported at its own line.
import { isScalar, type Scalar, type ScalarTag, type Tags } from 'yaml';
import type { SourceLocation } from '../errors.js';
import { openVault, registerSecretsIn } from './context.js';
import { isVaultText } from './vault.js';

type CustomTags = Tags | ((tags: Tags) => Tags) | null | undefined;

/** `!vault` keeps its text as a string until decryptVaultValues() opens it. */
export const vaultTag: ScalarTag = {
  tag: '!vault',
  default: false,
  identify: () => false,
  resolve: (text: string) => text,
};

/** The caller's custom tags plus `!vault`. */
export function withVaultTag(custom: CustomTags): (tags: Tags) => Tags {
  return (tags) => {
    const base = typeof custom === 'function' ? custom(tags) : custom ? [...tags, ...custom] : tags;
    return [...base, vaultTag];
  };
}

/** A scalar tagged `!vault` (a value; the YAML loader never asks for keys). */
export function isVaultScalar(node: unknown): node is Scalar {
  return isScalar(node) && node.tag === '!vault';
}

/**
 * Decrypts a `!vault` value in place, before the document becomes plain data. `text` is the YAML
 * source, `locate` turns an offset into a location: errors point at the tag, where the value starts.
 */
export function decryptVaultScalar(node: Scalar, text: string, locate: (offset: number) => SourceLocation): void {
  const start = node.range?.[0] ?? 0;
  const tag = text.lastIndexOf('!vault', start);
  node.value = openVault(typeof node.value === 'string' ? node.value : String(node.value), locate(tag >= 0 ? tag : start));
}

/** Whole encrypted file: its plaintext, and (for vars files) every value in it becomes a secret. */
export function openVaultFile(text: string, file: string): string {
  return isVaultText(text) ? openVault(text, { file, line: 1, col: 1 }, { secret: false }) : text;
}

export { isVaultText, registerSecretsIn };
