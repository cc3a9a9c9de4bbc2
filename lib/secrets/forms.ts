// The forms a secret takes on its way to a screen, a log or a file. Output channels transform text:
// a command shows its arguments shell-quoted by zx (`$'Tr0ub"ad\\or&x!'`), --json escapes quotes,
// backslashes and newlines, -v output and diffs show a multi-line value line by line behind prefixes,
// messages trim it. The masker matches every form listed here, and the renderers also mask before
// they transform (lib/output), so a form not listed (a line cut in two by a terminal) stays covered.
import { quote } from '../command/quote.js';

/** Secrets shorter than this are not masked: they would mask ordinary words. */
export const MIN_SECRET_LENGTH = 4;

/**
 * A line of a multi-line secret is masked on its own (it may be shown without the others, as
 * `head -3 key.pem` does) when it is at least this long: a PEM body line is 64 characters, while
 * short lines of a multi-line value (`kind: Config`, `}`) would mask ordinary output.
 */
export const MIN_LINE_LENGTH = 16;

/** PEM armor and headers are the same in every key: they are not the secret by themselves. */
const PEM_COMMON = /^(-----(BEGIN|END) [A-Z0-9 ]+-----|Proc-Type: .*|DEK-Info: .*)$/;

/** zx's quote() without its `$'…'` wrapper: what appears inside a shell-quoted command. */
function quotedBody(text: string): string {
  const q = quote(text);
  return q.startsWith("$'") && q.endsWith("'") ? q.slice(2, -1) : q;
}

function jsonBody(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** The text itself, trimmed, shell-quoted and JSON-escaped (the forms of one piece of text). */
function escapedForms(text: string): string[] {
  return [text, text.trim(), quotedBody(text), jsonBody(text), jsonBody(text.trim())];
}

/** Every form of `secret` worth masking: longest first, none shorter than MIN_SECRET_LENGTH. */
export function secretForms(secret: string): string[] {
  const forms = new Set(escapedForms(secret));
  const lines = secret.split(/\r\n|\r|\n/);
  if (lines.length > 1) {
    for (const line of lines) {
      const trimmed = line.trim();
      if (trimmed.length < MIN_LINE_LENGTH || PEM_COMMON.test(trimmed)) continue;
      for (const form of escapedForms(trimmed)) forms.add(form);
    }
  }
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH && f.trim() !== '').sort((a, b) => b.length - a.length);
}
