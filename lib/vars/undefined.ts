// Jinja's Undefined, strict as Ansible configures it: a name or attribute that is not defined
// becomes a value that only `default`, `mandatory` and the `defined`/`undefined` tests accept.
// Anything else — output, a filter, a comparison, `not`, arithmetic, a loop, a call argument —
// raises an error naming what was undefined. Reading an attribute of it gives another Undefined
// (so `a.b.c is defined` is false when `a` is), as Ansible's AnsibleUndefined does.

/** What was undefined and why, for the message. */
export interface UndefinedInfo {
  /** The expression as written: `ansible_facts.memory`, `groups['web'][3]`. */
  path: string;
  /** The variable at its root, when that variable itself is undefined. */
  variable?: string;
  /** Why an attribute is missing: "ansible_facts has no key 'memory'". */
  reason?: string;
  /** A variable that is set but whose own value failed to render (its error is the real one). */
  cause?: Error;
}

const INFO = new WeakMap<object, UndefinedInfo>();

/** Raised when an undefined value is used. */
export class UndefinedValueError extends Error {
  constructor(readonly info: UndefinedInfo) {
    super(info.cause ? info.cause.message : describeUndefined(info));
    this.name = 'UndefinedValueError';
  }
}

/** "undefined variable 'x'" or "undefined value 'x.y' (x has no key 'y')": steer's wording. */
export function describeUndefined(info: UndefinedInfo): string {
  if (info.variable !== undefined && (info.path === info.variable || !info.reason)) return `undefined variable '${info.variable}'`;
  return `undefined value '${info.path}'${info.reason ? ` (${info.reason})` : ''}`;
}

/** The sentinel's class: no own properties, and every JavaScript conversion of it throws. */
class Undefined {
  private fail(): never {
    throw new UndefinedValueError(INFO.get(this)!);
  }
  [Symbol.toPrimitive](): never {
    return this.fail();
  }
  toString(): never {
    return this.fail();
  }
  valueOf(): never {
    return this.fail();
  }
  toJSON(): never {
    return this.fail();
  }
  [Symbol.iterator](): never {
    return this.fail();
  }
}

/** A new undefined value. */
export function makeUndefined(info: UndefinedInfo): object {
  const u = new Undefined();
  INFO.set(u, info);
  return u;
}

/** What an undefined value stands for, or undefined for any other value. */
export function undefinedInfo(value: unknown): UndefinedInfo | undefined {
  return value instanceof Undefined ? INFO.get(value) : undefined;
}

/** True for Jinja's undefined (and for JavaScript's undefined, which a filter may return). */
export function isUndefined(value: unknown): boolean {
  return value === undefined || value instanceof Undefined;
}

/** Throws the undefined error when `value` is undefined; returns it otherwise. */
export function defined<T>(value: T, path = '(a value)'): T {
  if (value instanceof Undefined) throw new UndefinedValueError(INFO.get(value)!);
  if (value === undefined) throw new UndefinedValueError({ path });
  return value;
}

/** The first undefined value among `values` (and the values of a keyword-arguments object), if any. */
export function firstUndefined(values: readonly unknown[]): object | undefined {
  for (const v of values) {
    if (v instanceof Undefined) return v;
    if (v && typeof v === 'object' && Object.hasOwn(v, '__keywords')) {
      const inner = Object.values(v as Record<string, unknown>).find((x) => x instanceof Undefined);
      if (inner) return inner as object;
    }
  }
  return undefined;
}

/** Throws when `value` holds an undefined value anywhere (a list or mapping built in a template). */
export function assertFullyDefined(value: unknown, seen = new Set<object>()): void {
  if (value instanceof Undefined) throw new UndefinedValueError(INFO.get(value)!);
  if (!value || typeof value !== 'object' || seen.has(value)) return;
  if (!Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype) return;
  seen.add(value);
  for (const v of Object.values(value)) assertFullyDefined(v, seen);
}
