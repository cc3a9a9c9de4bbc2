// Python's meaning of Jinja's operators, for values as steer holds them (JSON-like values,
// PythonFloat, Jinja's Undefined). nunjucks compiles Jinja to JavaScript operators, where an empty
// list is true, `1 == '1'` holds, `[80] + [443]` is "80443" and `'2' < 10` compares numbers; Jinja
// users expect Python: jinja-python.ts compiles operators to these functions instead.
import { PythonFloat, pythonFloatRepr } from './python-float.js';
import { defined, undefinedInfo, UndefinedValueError } from './undefined.js';

/** A wrong operand, as Python raises TypeError or ZeroDivisionError. */
export class PythonTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PythonTypeError';
  }
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
}

/** Python's name for the type of a value, as its error messages say it. */
export function pythonTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof PythonFloat) return 'float';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'list';
  if (isMapping(v)) return 'dict';
  return typeof v;
}

/** Python's bool(): empty strings, lists, mappings, 0, 0.0 and None are false. Undefined raises. */
export function pyTruth(v: unknown): boolean {
  defined(v);
  if (v instanceof PythonFloat) return v.value !== 0;
  if (v === null || v === false || v === 0 || v === '') return false;
  if (typeof v === 'number') return true;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map || v instanceof Set) return v.size > 0;
  if (isMapping(v)) return Object.keys(v).length > 0;
  return true;
}

/** A number operand (bool is an int in Python), or undefined for anything else. */
function numeric(v: unknown): { n: number; float: boolean } | undefined {
  if (v instanceof PythonFloat) return { n: v.value, float: true };
  if (typeof v === 'number') return { n: v, float: !Number.isInteger(v) };
  if (typeof v === 'boolean') return { n: v ? 1 : 0, float: false };
  return undefined;
}

/** Python's ==: numbers by value (True == 1), strings exactly, lists and mappings item by item. */
export function pyEqual(a: unknown, b: unknown): boolean {
  defined(a);
  defined(b);
  const x = numeric(a);
  const y = numeric(b);
  if (x || y) return !!x && !!y && x.n === y.n;
  if (a === null || b === null) return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => pyEqual(v, b[i]));
  }
  if (isMapping(a) || isMapping(b)) {
    if (!isMapping(a) || !isMapping(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && pyEqual(a[k], b[k]));
  }
  return String(a) === String(b) && typeof a === typeof b;
}

/** Python's ordering: numbers with numbers, strings with strings, lists item by item; else TypeError. */
function pyLess(a: unknown, b: unknown, op: string): boolean {
  defined(a);
  defined(b);
  const x = numeric(a);
  const y = numeric(b);
  if (x && y) return x.n < y.n;
  if (typeof a === 'string' && typeof b === 'string') return a < b;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!pyEqual(a[i], b[i])) return pyLess(a[i], b[i], op);
    }
    return a.length < b.length;
  }
  throw new PythonTypeError(`'${op}' not supported between ${describeOperand(a)} and ${describeOperand(b)}`);
}

function describeOperand(v: unknown): string {
  return `${pythonTypeName(v)} ${pyRepr(v).length > 40 ? pyRepr(v).slice(0, 37) + '...' : pyRepr(v)}`;
}

/** One comparison operator as Python evaluates it. */
export function pyCompareOne(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case '==':
    case '===':
      return pyEqual(a, b);
    case '!=':
    case '!==':
      return !pyEqual(a, b);
    case '<':
      return pyLess(a, b, op);
    case '>':
      return pyLess(b, a, op);
    case '<=':
      return pyLess(a, b, op) || pyEqual(a, b);
    case '>=':
      return pyLess(b, a, op) || pyEqual(a, b);
    default:
      throw new PythonTypeError(`unknown comparison '${op}'`);
  }
}

/** A chain `a < b <= c` as Python reads it: each adjacent pair, all must hold. */
export function pyCompare(first: unknown, ...rest: unknown[]): boolean {
  let left = first;
  for (let i = 0; i < rest.length; i += 2) {
    const right = rest[i + 1];
    if (!pyCompareOne(left, rest[i] as string, right)) return false;
    left = right;
  }
  return true;
}

/** Python's `in`: a substring, an item of a list (by ==), or a key of a mapping. */
export function pyIn(item: unknown, container: unknown): boolean {
  defined(item);
  defined(container);
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw new PythonTypeError(`'in <string>' requires a string as left operand, not ${pythonTypeName(item)}`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((v) => pyEqual(v, item));
  if (isMapping(container)) return typeof item === 'string' && Object.hasOwn(container, item);
  throw new PythonTypeError(`argument of type '${pythonTypeName(container)}' is not iterable`);
}

function floatOrInt(n: number, float: boolean): number | PythonFloat {
  return float && Number.isInteger(n) ? new PythonFloat(n) : n;
}

function pyMod(a: number, b: number): number {
  return a - b * Math.floor(a / b);
}

/** Python's + - * / // % ** on numbers; + on strings and lists; * of a string or list by an int. */
export function pyArith(op: string, a: unknown, b: unknown): unknown {
  defined(a);
  defined(b);
  const x = numeric(a);
  const y = numeric(b);
  if (x && y) {
    const float = x.float || y.float || op === '/';
    if ((op === '/' || op === '//' || op === '%') && y.n === 0) throw new PythonTypeError(`division by zero (${pyRepr(a)} ${op} ${pyRepr(b)})`);
    const results: Record<string, () => number> = {
      '+': () => x.n + y.n,
      '-': () => x.n - y.n,
      '*': () => x.n * y.n,
      '/': () => x.n / y.n,
      '//': () => Math.floor(x.n / y.n),
      '%': () => pyMod(x.n, y.n),
      '**': () => x.n ** y.n,
    };
    const result = results[op];
    if (result) return floatOrInt(result(), float || (op === '**' && y.n < 0));
  }
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  if (op === '+' && Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (op === '*' && (typeof a === 'string' || Array.isArray(a)) && y && !y.float) return repeat(a, y.n);
  if (op === '*' && (typeof b === 'string' || Array.isArray(b)) && x && !x.float) return repeat(b, x.n);
  throw new PythonTypeError(`unsupported operand types for ${op}: ${describeOperand(a)} and ${describeOperand(b)}`);
}

function repeat(v: string | unknown[], times: number): string | unknown[] {
  const n = Math.max(0, times);
  return typeof v === 'string' ? v.repeat(n) : Array.from({ length: n }, () => v).flat();
}

/** Python's repr() for JSON-like values: 'text', True, None, [1, 'a'], {'k': 2.0}. */
export function pyRepr(v: unknown): string {
  if (typeof v === 'string') {
    const quote = v.includes("'") && !v.includes('"') ? '"' : "'";
    const body = v
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(/\t/g, '\\t');
    return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
  }
  return pyStr(v);
}

/** Python's str() as Jinja's `~` and output use it: True, None, 2.0, [1, 'a'], {'k': 'v'}. */
export function pyStr(v: unknown): string {
  const info = undefinedInfo(v);
  if (info) throw new UndefinedValueError(info);
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v instanceof PythonFloat) return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pythonFloatRepr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (isMapping(v)) return `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}

export interface PyJsonOptions {
  /** Spaces per level; none: one line with Python's ", " and ": " separators. */
  indent?: number;
  sortKeys?: boolean;
  /** json.dumps' ensure_ascii: non-ASCII as \uXXXX (the to_json filter); ansible-inventory turns it off. */
  ensureAscii?: boolean;
}

function jsonString(s: string, ascii: boolean): string {
  const text = JSON.stringify(s);
  return ascii ? text.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : text;
}

/** Python's json.dumps() of a JSON-like value: a float keeps ".0", keys sort as text when asked. */
export function pyJson(value: unknown, options: PyJsonOptions = {}, depth = 0): string {
  const info = undefinedInfo(value);
  if (info) throw new UndefinedValueError(info);
  const { indent } = options;
  const open = (d: number) => (indent === undefined ? '' : `\n${' '.repeat(indent * d)}`);
  const sep = indent === undefined ? ', ' : ',';
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (value instanceof PythonFloat || (typeof value === 'number' && !Number.isInteger(value))) {
    const n = Number(value);
    return Number.isNaN(n) ? 'NaN' : !Number.isFinite(n) ? (n > 0 ? 'Infinity' : '-Infinity') : pythonFloatRepr(n);
  }
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return jsonString(value, options.ensureAscii ?? true);
  if (value instanceof Date) return jsonString(value.toISOString(), options.ensureAscii ?? true);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((v) => open(depth + 1) + pyJson(v, options, depth + 1)).join(sep)}${open(depth)}]`;
  }
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (options.sortKeys) keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (keys.length === 0) return '{}';
    const items = keys.map((k) => `${open(depth + 1)}${jsonString(k, options.ensureAscii ?? true)}: ${pyJson(record[k], options, depth + 1)}`);
    return `{${items.join(sep)}${open(depth)}}`;
  }
  return jsonString(String(value), options.ensureAscii ?? true);
}
