// Pure text helpers for the editing modules: files as lines (remembering the final newline),
// Ansible-compatible regular expressions and back-references, and version globs.

export interface Lines {
  lines: string[];
  /** Whether the text ended with a newline. */
  trailingNewline: boolean;
}

export function splitLines(text: string): Lines {
  if (text === '') return { lines: [], trailingNewline: false };
  const trailingNewline = text.endsWith('\n');
  const lines = (trailingNewline ? text.slice(0, -1) : text).split('\n');
  return { lines, trailingNewline };
}

export function joinLines({ lines, trailingNewline }: Lines): string {
  if (lines.length === 0) return '';
  return lines.join('\n') + (trailingNewline ? '\n' : '');
}

/**
 * A regular expression written for Ansible (Python syntax): `(?P<name>…)` named groups become
 * JavaScript's `(?<name>…)`; the rest of the common syntax is the same.
 */
export function pythonRegExp(source: string): RegExp {
  return new RegExp(source.replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>'));
}

/** Python's match.expand: `\1`, `\g<1>`, `\g<name>` and `\\` in the template. */
export function expandBackrefs(template: string, match: RegExpExecArray): string {
  return template.replace(/\\(?:(\d{1,2})|g<([^>]+)>|(\\))/g, (_all, num: string | undefined, group: string | undefined, backslash: string | undefined) => {
    if (backslash) return '\\';
    const key = num ?? group!;
    const value = /^\d+$/.test(key) ? match[Number(key)] : match.groups?.[key];
    return value ?? '';
  });
}

/** A shell-style glob (`*`, `?`) as an anchored regular expression, e.g. for `1.34.*` versions. */
export function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function matchesGlob(value: string, glob: string): boolean {
  return globRegExp(glob).test(value);
}

/** Finds the index of the first or last line matching a regular expression, or -1. */
export function findLine(lines: readonly string[], re: RegExp, which: 'first' | 'last'): number {
  if (which === 'first') return lines.findIndex((l) => re.test(l));
  for (let i = lines.length - 1; i >= 0; i--) if (re.test(lines[i]!)) return i;
  return -1;
}
