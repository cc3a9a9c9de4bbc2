// Python's shlex.split(line, comments=True) in POSIX mode, which Ansible's INI parser uses to cut a
// host line into `name key=value ...` tokens. Quotes are removed here, so `x="1"` becomes `x=1`.

export class ShlexError extends Error {}

/** Splits one line like shlex.split(line, comments=True, posix=True). */
export function shlexSplit(line: string): string[] {
  const tokens: string[] = [];
  let token = '';
  let quoted = false;
  let state: ' ' | 'a' | "'" | '"' | '\\' = ' ';
  let escapedState: 'a' | '"' = 'a';
  const emit = () => {
    if (token || quoted) tokens.push(token);
    token = '';
    quoted = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    switch (state) {
      case ' ':
      case 'a':
        if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
          state = ' ';
          emit();
        } else if (c === '#') {
          emit();
          return tokens;
        } else if (c === "'" || c === '"') {
          state = c;
          quoted = true;
        } else if (c === '\\') {
          escapedState = 'a';
          state = '\\';
        } else {
          token += c;
          state = 'a';
        }
        break;
      case "'":
        if (c === "'") state = 'a';
        else token += c;
        break;
      case '"':
        if (c === '"') state = 'a';
        else if (c === '\\') {
          escapedState = '"';
          state = '\\';
        } else token += c;
        break;
      case '\\':
        // Inside double quotes a backslash only escapes `"` and `\`; elsewhere it escapes anything.
        if (escapedState === '"' && c !== '"' && c !== '\\') token += '\\';
        token += c;
        state = escapedState;
        break;
    }
  }
  if (state === "'" || state === '"') throw new ShlexError('No closing quotation');
  if (state === '\\') throw new ShlexError('No escaped character');
  emit();
  return tokens;
}
