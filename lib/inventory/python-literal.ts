// Python's ast.literal_eval, for the values of INI inventories: Ansible runs every `key=value` value
// through it and keeps the raw text when it fails. So `1` is a number, `True` a boolean, `'a b'` a
// string without quotes, `[1, 2]` a list, while `true`, `yes` or `1.2.3.4` stay strings. Values
// Ansible could not print as JSON anyway (complex numbers, sets, bytes keys) are kept as text.
// Floats are PythonFloat values, so `2.0` stays 2.0 end to end.
import { PythonFloat } from '../vars/python-float.js';

type Token =
  | { kind: 'num'; value: number | PythonFloat }
  | { kind: 'str'; value: string; bytes: boolean }
  | { kind: 'name'; value: string }
  | { kind: 'op'; value: string }
  | { kind: 'end' };

/** Thrown inside the parser; literalEval turns it into "not a literal". */
class NotLiteral extends Error {}

const digits = (d: string) => `[${d}](?:_?[${d}])*`;
const dec = digits('0-9');
const exponent = `[eE][-+]?${dec}`;
const pointFloat = `(?:${dec}\\.(?:${dec})?|\\.${dec})(?:${exponent})?`;
const expFloat = `${dec}${exponent}`;
const numberPatterns: [RegExp, (text: string) => number | PythonFloat][] = [
  [new RegExp(`^(?:${pointFloat}|${expFloat}|${dec})[jJ]`), () => { throw new NotLiteral('complex'); }],
  // A float stays a float ("2.0", not 2), and remembers how it was written.
  [new RegExp(`^(?:${pointFloat}|${expFloat})`), (t) => new PythonFloat(Number.parseFloat(t.replace(/_/g, '')), t)],
  [new RegExp(`^0[xX](?:_?[0-9a-fA-F])+`), (t) => Number.parseInt(t.slice(2).replace(/_/g, ''), 16)],
  [new RegExp(`^0[oO](?:_?[0-7])+`), (t) => Number.parseInt(t.slice(2).replace(/_/g, ''), 8)],
  [new RegExp(`^0[bB](?:_?[01])+`), (t) => Number.parseInt(t.slice(2).replace(/_/g, ''), 2)],
  [/^(?:0(?:_?0)*|[1-9](?:_?[0-9])*)/, (t) => Number.parseInt(t.replace(/_/g, ''), 10)],
];
const stringStart = /^([rRuUbBfF]|[bB][rR]|[rR][bB]|[fF][rR]|[rR][fF])?('''|"""|'|")/;
const simpleEscapes: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

function unescape(body: string, bytes: boolean): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      if (bytes && c.charCodeAt(0) > 127) throw new NotLiteral('non-ASCII bytes');
      out += c;
      continue;
    }
    const n = body[++i] ?? '';
    if (n in simpleEscapes) out += simpleEscapes[n];
    else if (n === '\n') continue;
    else if (/[0-7]/.test(n)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out += String.fromCodePoint(Number.parseInt(m, 8));
      i += m.length - 1;
    } else if (n === 'x' || (!bytes && (n === 'u' || n === 'U'))) {
      const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw new NotLiteral('truncated escape');
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) throw new NotLiteral('escape out of range');
      out += String.fromCodePoint(code);
      i += len;
    } else if (n === 'N' && !bytes) {
      throw new NotLiteral('named escapes are not supported');
    } else {
      out += '\\' + n; // Python keeps unknown escapes as they are
    }
  }
  return out;
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const rest = src.slice(i);
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\f') { i++; continue; }
    if (c === '#') break; // a comment runs to the end of the line
    const str = stringStart.exec(rest);
    if (str) {
      const prefix = (str[1] ?? '').toLowerCase();
      const quote = str[2]!;
      let j = str[0].length;
      let body = '';
      for (;;) {
        if (j >= rest.length) throw new NotLiteral('unterminated string');
        if (rest.startsWith(quote, j)) break;
        if (rest[j] === '\\' && j + 1 < rest.length) { body += rest.slice(j, j + 2); j += 2; continue; }
        if (rest[j] === '\n' && quote.length === 1) throw new NotLiteral('unterminated string');
        body += rest[j]; j++;
      }
      if (prefix.includes('f')) throw new NotLiteral('f-strings are not literals');
      const bytes = prefix.includes('b');
      const value = prefix.includes('r') ? body : unescape(body, bytes);
      if (bytes && /[^\x00-\x7f]/.test(value) && prefix.includes('r')) throw new NotLiteral('non-ASCII bytes');
      tokens.push({ kind: 'str', value, bytes });
      i += j + quote.length;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const hit = numberPatterns.find(([re]) => re.test(rest));
      if (!hit) throw new NotLiteral('bad number');
      const text = hit[0].exec(rest)![0];
      // `0123`, `1abc`, `1_`: Python's tokenizer rejects a number glued to more word characters.
      if (/^[\p{L}\p{N}_.]/u.test(rest.slice(text.length))) throw new NotLiteral('invalid number');
      tokens.push({ kind: 'num', value: hit[1](text) });
      i += text.length;
      continue;
    }
    const name = /^[\p{L}_][\p{L}\p{N}_]*/u.exec(rest);
    if (name) { tokens.push({ kind: 'name', value: name[0] }); i += name[0].length; continue; }
    if ('()[]{},:+-'.includes(c)) { tokens.push({ kind: 'op', value: c }); i++; continue; }
    throw new NotLiteral(`unexpected ${c}`);
  }
  tokens.push({ kind: 'end' });
  return tokens;
}

type Node = { kind: 'num' | 'const' | 'str' | 'seq' | 'tuple' | 'dict'; value: unknown; bytes?: boolean };

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token { return this.tokens[this.pos]!; }
  private isOp(v: string): boolean { const t = this.peek(); return t.kind === 'op' && t.value === v; }
  private expectOp(v: string): void { if (!this.isOp(v)) throw new NotLiteral(`expected ${v}`); this.pos++; }
  private atEndOf(close: string): boolean { return this.isOp(close); }

  parseTop(): Node {
    const node = this.parseTestList('');
    if (this.peek().kind !== 'end') throw new NotLiteral('trailing input');
    return node;
  }

  /** `a, b, c` (a tuple when a comma appears), up to `close` or the end. */
  private parseTestList(close: string): Node {
    const first = this.parseUnary();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) {
      this.pos++;
      if (this.peek().kind === 'end' || (close && this.atEndOf(close))) break;
      items.push(this.parseUnary());
    }
    return { kind: 'tuple', value: items.map((n) => n.value) };
  }

  private parseUnary(): Node {
    if (this.isOp('-') || this.isOp('+')) {
      const negative = this.isOp('-');
      this.pos++;
      const operand = this.parseAtom();
      // literal_eval only signs a bare number, never `--1` or `-True`.
      if (operand.kind !== 'num') throw new NotLiteral('sign on a non-number');
      const n = operand.value as number | PythonFloat;
      if (!negative) return { kind: 'const', value: n };
      return { kind: 'const', value: n instanceof PythonFloat ? new PythonFloat(-n.value, `-${n.written}`) : -n };
    }
    const atom = this.parseAtom();
    if (this.isOp('+') || this.isOp('-')) throw new NotLiteral('arithmetic (only complex literals allow it)');
    return atom;
  }

  private parseAtom(): Node {
    const t = this.peek();
    if (t.kind === 'num') { this.pos++; return { kind: 'num', value: t.value }; }
    if (t.kind === 'str') {
      let value = '';
      const bytes = t.bytes;
      while (this.peek().kind === 'str') {
        const s = this.peek() as Extract<Token, { kind: 'str' }>;
        if (s.bytes !== bytes) throw new NotLiteral('cannot mix bytes and str');
        value += s.value;
        this.pos++;
      }
      return { kind: 'str', value, bytes };
    }
    if (t.kind === 'name') {
      this.pos++;
      if (t.value === 'True') return { kind: 'const', value: true };
      if (t.value === 'False') return { kind: 'const', value: false };
      if (t.value === 'None') return { kind: 'const', value: null };
      throw new NotLiteral(`name ${t.value}`);
    }
    if (t.kind === 'op' && t.value === '(') {
      this.pos++;
      if (this.isOp(')')) { this.pos++; return { kind: 'tuple', value: [] }; }
      const inner = this.parseTestList(')');
      this.expectOp(')');
      return inner;
    }
    if (t.kind === 'op' && t.value === '[') {
      this.pos++;
      const items: unknown[] = [];
      while (!this.isOp(']')) {
        items.push(this.parseUnary().value);
        if (!this.isOp(',')) break;
        this.pos++;
      }
      this.expectOp(']');
      return { kind: 'seq', value: items };
    }
    if (t.kind === 'op' && t.value === '{') {
      this.pos++;
      const dict: Record<string, unknown> = {};
      let first = true;
      while (!this.isOp('}')) {
        const key = this.parseUnary();
        if (!this.isOp(':')) throw new NotLiteral(first ? 'sets are not supported' : 'expected :');
        this.pos++;
        dict[jsonKey(key)] = this.parseUnary().value;
        first = false;
        if (!this.isOp(',')) break;
        this.pos++;
      }
      this.expectOp('}');
      return { kind: 'dict', value: dict };
    }
    throw new NotLiteral('unexpected token');
  }
}

/** The key json.dumps writes for a Python dict key. */
function jsonKey(node: Node): string {
  if (node.kind === 'str') {
    if (node.bytes) throw new NotLiteral('bytes keys cannot be printed as JSON');
    return node.value as string;
  }
  if (node.kind === 'num' || node.kind === 'const') return node.value === null ? 'null' : String(node.value);
  throw new NotLiteral('unhashable key');
}

/** ast.literal_eval(text); `undefined` when Python would raise (the caller keeps the text). */
export function literalEval(text: string): { value: unknown } | undefined {
  try {
    const tokens = tokenize(text.replace(/^[ \t]+/, ''));
    return { value: new Parser(tokens).parseTop().value };
  } catch (err) {
    // A value nested too deep for the parser is kept as text, as Ansible would keep it.
    if (err instanceof NotLiteral || err instanceof RangeError) return undefined;
    throw err;
  }
}

/** An INI value as Ansible stores it: the literal when the text is one, else the text itself. */
export function iniValue(text: string): unknown {
  const parsed = literalEval(text);
  return parsed ? parsed.value : text;
}
