// Ansible's common Jinja filters, with Ansible's semantics where they differ from nunjucks' built-ins
// (default's boolean argument, bool on "yes"/"on", regex syntax with \1 and (?P<name>), Python's
// str() for text and json.dumps() for JSON).
import { posix } from 'node:path';
import { stringify as toYaml, parse as fromYaml } from 'yaml';
import { PythonFloat, withPlainNumbers } from './python-float.js';
import { pyJson, pyStr, pyTruth } from './python-semantics.js';
import { isUndefined, makeUndefined, undefinedInfo } from './undefined.js';

export type Filter = (...args: any[]) => unknown;

/** Raised by a filter for a mistake in the template (mandatory variable, bad regex …). */
export class FilterError extends Error {
  constructor(
    message: string,
    /** True when the failure is an undefined value (mandatory). */
    readonly undefinedValue = false,
  ) {
    super(message);
    this.name = 'FilterError';
  }
}

/** Python's truthiness, as Jinja uses it (an undefined value is false here; callers check it first). */
export function truthy(value: unknown): boolean {
  return !isUndefined(value) && pyTruth(value);
}

/** The spellings `| bool` reads, in any case: Ansible's (ansible-core 2.19) plus y/n. */
const BOOL_TRUE = new Set(['yes', 'on', 'true', '1', 'y']);
const BOOL_FALSE = new Set(['no', 'off', 'false', '0', 'n']);

/**
 * Ansible's `bool`: true/false, yes/no, on/off, 1/0 and y/n in any case, the numbers 1 and 0, and
 * booleans. Anything else is an error: ansible-core 2.14 silently read it as false, 2.19 warns that
 * this will stop (and still reads false), steer refuses it now — `"ture" | bool` is a typo, not false.
 */
export function toBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  // An int reads as its text (1, 0); a float does not (2.19 deprecates `1.0 | bool`).
  const key = typeof value === 'string' ? value.toLowerCase() : typeof value === 'number' && Number.isInteger(value) ? String(value) : undefined;
  if (key !== undefined && BOOL_TRUE.has(key)) return true;
  if (key !== undefined && BOOL_FALSE.has(key)) return false;
  throw new FilterError(`bool: ${describe(value)} is not a boolean (expected true/false, yes/no, on/off, 1/0 or y/n, in any case)`);
}

/** Python regex syntax to JavaScript: named groups and back-references. */
function jsRegex(pattern: string, flags: string): RegExp {
  const source = pattern.replace(/\(\?P<(\w+)>/g, '(?<$1>').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  try {
    return new RegExp(source, flags);
  } catch (err) {
    throw new FilterError(`invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

/** Python replacement syntax (\1, \g<1>, \g<name>) to JavaScript's ($1, $<name>). */
function jsReplacement(replacement: string): string {
  return replacement
    .replace(/\$/g, '$$$$')
    .replace(/\\g<(\d+)>/g, '$$$1')
    .replace(/\\g<(\w+)>/g, '$$<$1>')
    .replace(/\\(\d+)/g, '$$$1');
}

/** A key for comparing JSON-like values by content (unique, union, difference). */
function key(value: unknown): string {
  return JSON.stringify(value) ?? 'undefined';
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function asList(value: unknown, filter: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [...value];
  if (value instanceof Set) return [...value];
  if (isMapping(value)) return Object.keys(value);
  throw new FilterError(`${filter} expects a list (got ${describe(value)})`);
}

function asMap(value: unknown, filter: string): Record<string, unknown> {
  if (isMapping(value)) return value;
  throw new FilterError(`${filter} expects a mapping (got ${describe(value)})`);
}

/** A value for messages: "string \"yes\"", "number 2.0" (a float as it was written), "list", "null". */
export function describe(value: unknown): string {
  if (isUndefined(value)) return 'undefined';
  if (value === null) return 'null';
  if (value instanceof PythonFloat) return `number ${value.written}`;
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'mapping';
  // Not data (the sandbox keeps templates from calling these; a message may still name one).
  if (typeof value === 'function' || typeof value === 'symbol' || value === undefined) return typeof value;
  const shown = JSON.stringify(value);
  return `${typeof value} ${shown.length > 60 ? shown.slice(0, 57) + '...' : shown}`;
}

function deepMerge(a: unknown, b: unknown): unknown {
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? deepMerge(out[k], v) : v;
    return out;
  }
  return b;
}

/** Python's str(), as Jinja's filters apply it to what is not text. */
const toText = (value: unknown): string => pyStr(value);

export const filters: Record<string, Filter> = {
  default(value: unknown, fallback: unknown = '', boolean = false) {
    return isUndefined(value) || (boolean && !truthy(value)) ? fallback : value;
  },
  bool: toBool,
  int(value: unknown, fallback = 0, base = 10) {
    if (typeof value === 'boolean') return value ? 1 : 0;
    const n = typeof value === 'number' || value instanceof PythonFloat ? Math.trunc(Number(value)) : parseInt(String(value).trim(), base);
    return Number.isNaN(n) ? fallback : n;
  },
  float(value: unknown, fallback: unknown = 0.0) {
    const n = typeof value === 'number' || value instanceof PythonFloat ? Number(value) : parseFloat(String(value).trim());
    if (Number.isNaN(n)) return fallback;
    // Python's float(2) is 2.0, and prints so.
    return Number.isInteger(n) ? new PythonFloat(n) : n;
  },
  string: toText,
  lower: (value: unknown) => toText(value).toLowerCase(),
  upper: (value: unknown) => toText(value).toUpperCase(),
  trim: (value: unknown) => toText(value).trim(),
  replace(value: unknown, old: string, replacement: string, count?: number) {
    const text = toText(value);
    if (count === undefined) return text.split(String(old)).join(String(replacement));
    let out = text;
    let from = 0;
    for (let i = 0; i < count; i++) {
      const at = out.indexOf(String(old), from);
      if (at < 0) break;
      out = out.slice(0, at) + replacement + out.slice(at + String(old).length);
      from = at + String(replacement).length;
    }
    return out;
  },
  regex_replace(value: unknown, pattern: string, replacement = '', ignorecase = false, multiline = false) {
    const flags = 'g' + (ignorecase ? 'i' : '') + (multiline ? 'm' : '');
    return toText(value).replace(jsRegex(String(pattern), flags), jsReplacement(String(replacement)));
  },
  regex_search(value: unknown, pattern: string, ...rest: unknown[]) {
    const options = rest.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null);
    const groups = rest.filter((r): r is string => typeof r === 'string');
    const opts = Object.assign({}, ...options) as { ignorecase?: boolean; multiline?: boolean };
    const match = jsRegex(String(pattern), (opts.ignorecase ? 'i' : '') + (opts.multiline ? 'm' : '')).exec(toText(value));
    if (!match) return null;
    if (groups.length === 0) return match[0];
    return groups.map((g) => {
      const named = /^\\g<(\w+)>$/.exec(g);
      const numbered = /^\\(\d+)$/.exec(g);
      if (named) return /^\d+$/.test(named[1]!) ? match[Number(named[1])] : match.groups?.[named[1]!];
      if (numbered) return match[Number(numbered[1])];
      throw new FilterError(`regex_search: unknown group reference ${JSON.stringify(g)} (expected \\1 or \\g<name>)`);
    });
  },
  join(value: unknown, separator = '') {
    return asList(value, 'join').map(toText).join(String(separator));
  },
  split(value: unknown, separator?: string, maxsplit = -1) {
    const text = toText(value);
    if (separator === undefined || separator === null) return text.split(/\s+/).filter((s) => s !== '');
    const parts = text.split(String(separator));
    if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
    return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(String(separator))];
  },
  length(value: unknown) {
    if (typeof value === 'string' || Array.isArray(value)) return value.length;
    if (value instanceof Map || value instanceof Set) return value.size;
    if (isMapping(value)) return Object.keys(value).length;
    throw new FilterError(`length of ${describe(value)} (expected a string, a list or a mapping)`);
  },
  to_json(value: unknown, options?: { indent?: number; sort_keys?: boolean }) {
    return pyJson(value, { indent: options?.indent, sortKeys: options?.sort_keys });
  },
  to_nice_json(value: unknown, options?: { indent?: number }) {
    return pyJson(value, { indent: options?.indent ?? 4, sortKeys: true });
  },
  to_yaml: (value: unknown) => toYaml(withPlainNumbers(value)),
  to_nice_yaml: (value: unknown) => toYaml(withPlainNumbers(value), { indent: 4 }),
  from_json(value: unknown) {
    try {
      return JSON.parse(toText(value));
    } catch (err) {
      throw new FilterError(`from_json: invalid JSON (${(err as Error).message})`);
    }
  },
  from_yaml(value: unknown) {
    try {
      return fromYaml(toText(value));
    } catch (err) {
      throw new FilterError(`from_yaml: invalid YAML (${(err as Error).message.split('\n')[0]})`);
    }
  },
  b64encode: (value: unknown) => Buffer.from(toText(value), 'utf8').toString('base64'),
  b64decode: (value: unknown) => Buffer.from(toText(value), 'base64').toString('utf8'),
  ternary(value: unknown, whenTrue: unknown, whenFalse: unknown, whenNull?: unknown) {
    if (value === null && whenNull !== undefined) return whenNull;
    return truthy(value) ? whenTrue : whenFalse;
  },
  mandatory(value: unknown, message?: string) {
    if (isUndefined(value)) {
      const name = undefinedInfo(value)?.path;
      throw new FilterError(message ?? `mandatory variable ${name ? `'${name}' ` : ''}not defined`, true);
    }
    return value;
  },
  basename: (value: unknown) => posix.basename(toText(value)),
  dirname: (value: unknown) => posix.dirname(toText(value)),
  unique(value: unknown) {
    const seen = new Set<string>();
    return asList(value, 'unique').filter((v) => !seen.has(key(v)) && seen.add(key(v)));
  },
  difference(a: unknown, b: unknown) {
    const other = new Set(asList(b, 'difference').map(key));
    return filters.unique!(asList(a, 'difference').filter((v) => !other.has(key(v))));
  },
  union(a: unknown, b: unknown) {
    return filters.unique!([...asList(a, 'union'), ...asList(b, 'union')]);
  },
  intersect(a: unknown, b: unknown) {
    const other = new Set(asList(b, 'intersect').map(key));
    return filters.unique!(asList(a, 'intersect').filter((v) => other.has(key(v))));
  },
  first(value: unknown) {
    const list = asList(value, 'first');
    return list.length > 0 ? list[0] : makeUndefined({ path: 'first', reason: 'the list is empty' });
  },
  last(value: unknown) {
    const list = asList(value, 'last');
    return list.length > 0 ? list[list.length - 1] : makeUndefined({ path: 'last', reason: 'the list is empty' });
  },
  dict2items(value: unknown, keyName = 'key', valueName = 'value') {
    return Object.entries(asMap(value, 'dict2items')).map(([k, v]) => ({ [keyName]: k, [valueName]: v }));
  },
  items2dict(value: unknown, keyName = 'key', valueName = 'value') {
    const out: Record<string, unknown> = {};
    for (const item of asList(value, 'items2dict')) {
      const entry = asMap(item, 'items2dict');
      if (!(keyName in entry)) throw new FilterError(`items2dict: an item has no '${keyName}' (expected mappings with ${keyName} and ${valueName})`);
      out[toText(entry[keyName])] = entry[valueName];
    }
    return out;
  },
  combine(...maps: unknown[]) {
    const options = maps.length > 1 && maps[maps.length - 1] && typeof maps[maps.length - 1] === 'object' && 'recursive' in (maps[maps.length - 1] as object);
    const recursive = options ? Boolean((maps.pop() as { recursive?: boolean }).recursive) : false;
    return maps.reduce<Record<string, unknown>>(
      (acc, m) => (recursive ? (deepMerge(acc, asMap(m, 'combine')) as Record<string, unknown>) : { ...acc, ...asMap(m, 'combine') }),
      {},
    );
  },
  list: (value: unknown) => asList(value, 'list'),
  map(value: unknown, ...args: unknown[]) {
    const list = asList(value, 'map');
    const [first, ...rest] = args;
    if (typeof first === 'object' && first !== null && 'attribute' in first) {
      const attr = String((first as { attribute: unknown }).attribute);
      return list.map((item) => (item as Record<string, unknown> | null)?.[attr]);
    }
    const filter = typeof first === 'string' ? filters[first === 'd' ? 'default' : first] : undefined;
    if (!filter) throw new FilterError(`map: unknown filter ${JSON.stringify(first)} (expected attribute='name' or a filter name)`);
    return list.map((item) => filter(item, ...rest));
  },
};
filters['d'] = filters['default']!;
