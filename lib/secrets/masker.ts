// Every value marked secret is registered here; every renderer and log passes text through
// maskSecrets() before it reaches a terminal, a file or a --json event.

export const MASK = '********';

const secrets = new Set<string>();
let pattern: RegExp | undefined;

/** A value that must never be shown. Interpolated into a command, it is quoted but displayed masked. */
export class Secret {
  constructor(readonly value: string) {
    registerSecret(value);
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
}

export function registerSecret(value: string): void {
  // Very short values would mask ordinary words; tokens, passwords and join commands are longer.
  if (value.length < 4 || secrets.has(value)) return;
  secrets.add(value);
  pattern = undefined;
}

/** Registers every string (and number) inside a value: a secret map or list is secret throughout. */
export function registerSecretsIn(value: unknown): void {
  if (typeof value === 'string') registerSecret(value);
  else if (typeof value === 'number') registerSecret(String(value));
  else if (Array.isArray(value)) value.forEach(registerSecretsIn);
  else if (value !== null && typeof value === 'object') Object.values(value).forEach(registerSecretsIn);
}

export function maskSecrets(text: string): string {
  if (secrets.size === 0) return text;
  pattern ??= new RegExp(
    [...secrets]
      .sort((a, b) => b.length - a.length)
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('|'),
    'g',
  );
  return text.replace(pattern, MASK);
}

/** Deep-masks any JSON-like value (for --json events). */
export function maskValue<T>(value: T): T {
  if (secrets.size === 0) return value;
  return JSON.parse(maskSecrets(JSON.stringify(value) ?? 'null')) as T;
}

/** For tests only. */
export function clearSecrets(): void {
  secrets.clear();
  pattern = undefined;
}
