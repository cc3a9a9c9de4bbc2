// The string, list and mapping methods Jinja users call in Ansible templates (`'a,b'.split(',')`,
// `name.startswith('k8s-')`, `d.items()`), written here with Python's semantics. Templates get these
// and nothing else of JavaScript: the sandbox (sandbox.ts) hands them out in place of the built-in
// prototype methods, which it refuses.

/** Raised for a wrong argument, as Python raises TypeError or ValueError. */
export class MethodError extends Error {}

function text(value: unknown, method: string): string {
  if (typeof value !== 'string') throw new MethodError(`${method}() expects a string argument (got ${value === null ? 'None' : typeof value})`);
  return value;
}

function optionalInt(value: unknown, fallback: number): number {
  return value === undefined || value === null ? fallback : Number(value);
}

/** Python's str.split/rsplit without a separator: runs of whitespace, no empty strings. */
function splitWhitespace(self: string, maxsplit: number, fromRight: boolean): string[] {
  if (fromRight) {
    const reversed = splitWhitespace([...self].reverse().join(''), maxsplit, false);
    return reversed.map((s) => [...s].reverse().join('')).reverse();
  }
  let rest = self.replace(/^\s+/, '');
  const out: string[] = [];
  while (rest !== '') {
    if (maxsplit >= 0 && out.length === maxsplit) return [...out, rest];
    const m = /\s+/.exec(rest);
    if (!m) return [...out, rest];
    out.push(rest.slice(0, m.index));
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

function split(self: string, sepArg: unknown, maxArg: unknown, fromRight: boolean): string[] {
  const maxsplit = optionalInt(maxArg, -1);
  if (sepArg === undefined || sepArg === null) return splitWhitespace(self, maxsplit, fromRight);
  const sep = text(sepArg, 'split');
  if (sep === '') throw new MethodError('split(): empty separator');
  const parts = self.split(sep);
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
  return fromRight
    ? [parts.slice(0, parts.length - maxsplit).join(sep), ...parts.slice(parts.length - maxsplit)]
    : [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(sep)];
}

function stripper(where: 'both' | 'left' | 'right') {
  return (self: string, [chars]: unknown[]): string => {
    const set = chars === undefined || chars === null ? undefined : new Set(text(chars, 'strip'));
    const strip = (c: string) => (set ? set.has(c) : /\s/.test(c));
    const cs = [...self];
    let start = 0;
    let end = cs.length;
    if (where !== 'right') while (start < end && strip(cs[start]!)) start++;
    if (where !== 'left') while (end > start && strip(cs[end - 1]!)) end--;
    return cs.slice(start, end).join('');
  };
}

function affix(which: 'start' | 'end') {
  return (self: string, [arg, start, end]: unknown[]): boolean => {
    const slice = self.slice(optionalInt(start, 0), end === undefined || end === null ? undefined : Number(end));
    const options = Array.isArray(arg) ? arg : [arg];
    return options.some((o) => (which === 'start' ? slice.startsWith(text(o, `${which}swith`)) : slice.endsWith(text(o, `${which}swith`))));
  };
}

function count(self: string, [sub]: unknown[]): number {
  const needle = text(sub, 'count');
  if (needle === '') return [...self].length + 1;
  return self.split(needle).length - 1;
}

function pad(where: 'left' | 'right' | 'center') {
  return (self: string, [width, fill]: unknown[]): string => {
    const filler = fill === undefined ? ' ' : text(fill, 'pad');
    if ([...filler].length !== 1) throw new MethodError('the fill character must be exactly one character long');
    const missing = Math.max(0, Number(width) - [...self].length);
    // Python's str.center puts the odd space left when both the margin and the width are odd.
    const left = where === 'left' ? missing : where === 'center' ? Math.floor(missing / 2) + (missing & Number(width) & 1) : 0;
    return filler.repeat(left) + self + filler.repeat(missing - left);
  };
}

/** `'{} and {name}'.format(a, name=b)`: positional, numbered and named fields, `{{`/`}}` escapes only. */
function format(self: string, args: unknown[], kwargs: Record<string, unknown>): string {
  let auto = 0;
  return self.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, field: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    if (field === '') return String(args[auto++] ?? '');
    if (/^\d+$/.test(field!)) return String(args[Number(field)] ?? '');
    if (/^[A-Za-z_]\w*$/.test(field!) && Object.hasOwn(kwargs, field!)) return String(kwargs[field!]);
    // Attribute and index fields ({0.x}, {0[x]}) and format specs would reach into objects: refused.
    throw new MethodError(`format(): unsupported field {${field}} (expected {}, {0} or {name})`);
  });
}

function title(self: string): string {
  return self.replace(/\p{L}+/gu, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase());
}

export const stringMethods: Record<string, (self: string, args: unknown[], kwargs: Record<string, unknown>) => unknown> = {
  split: (self, [sep, max]) => split(self, sep, max, false),
  rsplit: (self, [sep, max]) => split(self, sep, max, true),
  splitlines: (self, [keepends]) => {
    const lines = self.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
    return keepends ? lines : lines.map((l) => l.replace(/(?:\r\n|\r|\n)$/, ''));
  },
  strip: stripper('both'),
  lstrip: stripper('left'),
  rstrip: stripper('right'),
  startswith: affix('start'),
  endswith: affix('end'),
  lower: (self) => self.toLowerCase(),
  upper: (self) => self.toUpperCase(),
  title,
  capitalize: (self) => (self === '' ? '' : self[0]!.toUpperCase() + self.slice(1).toLowerCase()),
  replace: (self, [old, replacement, max]) => {
    const parts = self.split(text(old, 'replace'));
    const limit = optionalInt(max, -1);
    const by = text(replacement, 'replace');
    if (limit < 0 || parts.length <= limit + 1) return parts.join(by);
    return parts.slice(0, limit + 1).join(by) + text(old, 'replace') + parts.slice(limit + 1).join(text(old, 'replace'));
  },
  find: (self, [sub]) => self.indexOf(text(sub, 'find')),
  rfind: (self, [sub]) => self.lastIndexOf(text(sub, 'rfind')),
  index: (self, [sub]) => {
    const at = self.indexOf(text(sub, 'index'));
    if (at < 0) throw new MethodError('index(): substring not found');
    return at;
  },
  count,
  join: (self, [items]) => {
    const list = typeof items === 'string' ? [...items] : Array.isArray(items) ? items : undefined;
    if (!list) throw new MethodError('join() expects a list of strings');
    return list.map((item, i) => (typeof item === 'string' ? item : failJoin(i, item))).join(self);
  },
  format,
  isdigit: (self) => /^\p{Nd}+$/u.test(self),
  isalpha: (self) => /^\p{L}+$/u.test(self),
  isalnum: (self) => /^[\p{L}\p{N}]+$/u.test(self),
  isspace: (self) => /^\s+$/.test(self),
  islower: (self) => /\p{Ll}/u.test(self) && !/[\p{Lu}\p{Lt}]/u.test(self),
  isupper: (self) => /\p{Lu}/u.test(self) && !/[\p{Ll}\p{Lt}]/u.test(self),
  zfill: (self, [width]) => {
    const sign = /^[+-]/.test(self) ? self[0]! : '';
    const body = self.slice(sign.length);
    return sign + body.padStart(Math.max(0, Number(width) - sign.length), '0');
  },
  ljust: pad('right'),
  rjust: pad('left'),
  center: pad('center'),
};

function failJoin(index: number, item: unknown): never {
  throw new MethodError(`join(): sequence item ${index}: expected a string, got ${item === null ? 'None' : typeof item}`);
}

/** Python's == for JSON-like values. */
function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

export const listMethods: Record<string, (self: unknown[], args: unknown[]) => unknown> = {
  index: (self, [x]) => {
    const at = self.findIndex((v) => equal(v, x));
    if (at < 0) throw new MethodError('index(): value is not in the list');
    return at;
  },
  count: (self, [x]) => self.filter((v) => equal(v, x)).length,
};

/** Mappings: own keys only, in insertion order. */
export const mappingMethods: Record<string, (self: Record<string, unknown>, args: unknown[]) => unknown> = {
  items: (self) => Object.keys(self).map((k) => [k, self[k]]),
  keys: (self) => Object.keys(self),
  values: (self) => Object.keys(self).map((k) => self[k]),
  get: (self, [key, fallback]) => (Object.hasOwn(self, String(key)) ? self[String(key)] : (fallback ?? null)),
};
