// Every value marked secret is registered here; every renderer and log passes text through
// maskSecrets() before it reaches a terminal, a file or a --json event. A secret is matched in every
// form it takes on the way (forms.ts: line by line, shell-quoted, JSON-escaped, trimmed), and
// renderers mask whole values before they split, prefix or escape them (maskValue).
import { MIN_SECRET_LENGTH, secretForms } from './forms.js';

export const MASK = '********';

const secrets = new Set<string>();
/** Every form of every secret. */
const forms = new Set<string>();
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

/** Registers a secret: from now on, maskSecrets() hides it in every form. */
export function registerSecret(value: string): void {
  // Very short values would mask ordinary words; tokens, passwords and join commands are longer.
  if (value.trim().length < MIN_SECRET_LENGTH || secrets.has(value)) return;
  secrets.add(value);
  for (const form of secretForms(value)) forms.add(form);
  pattern = undefined;
}

/** Registers every string (and number) inside a value: a secret map or list is secret throughout. */
export function registerSecretsIn(value: unknown): void {
  if (typeof value === 'string') registerSecret(value);
  else if (typeof value === 'number') registerSecret(String(value));
  else if (Array.isArray(value)) value.forEach(registerSecretsIn);
  else if (value !== null && typeof value === 'object') Object.values(value).forEach(registerSecretsIn);
}

/** The text with every form of every registered secret replaced by MASK (longest match first). */
export function maskSecrets(text: string): string {
  if (forms.size === 0) return text;
  pattern ??= new RegExp(
    [...forms]
      .sort((a, b) => b.length - a.length)
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('|'),
    'g',
  );
  return text.replace(pattern, MASK);
}

/**
 * Deep-masks a JSON-like value: every string (keys included) is masked whole, before anything
 * escapes it for JSON or splits it into lines. Other objects (a Secret, a Date) are kept as they are.
 */
export function maskValue<T>(value: T): T {
  if (forms.size === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return maskSecrets(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(v))) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [maskSecrets(k), walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}

/** For tests only. */
export function clearSecrets(): void {
  secrets.clear();
  forms.clear();
  pattern = undefined;
}
