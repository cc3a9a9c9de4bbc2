// Templates read data; they never reach JavaScript. nunjucks compiles a template to JavaScript whose
// names and attributes are plain property reads, so `range.constructor` is Function and
// `{{ range.constructor("return process")() }}` runs code on the controller — nunjucks says it is no
// sandbox. Compiled templates read a name, read an attribute and call something only through three
// runtime functions; they are replaced here, in the spirit of Jinja's SandboxedEnvironment
// (jinja2/sandbox.py), so that even a trusted template cannot run anything:
//   - a name is a variable, a `set`/loop/macro name or a registered global — never an inherited
//     JavaScript property (`constructor`, `__proto__`, `toString` …);
//   - an attribute is an own property of data (mappings, lists, strings), or one of Python's string,
//     list and mapping methods Jinja users call (jinja-methods.ts); anything inherited is refused,
//     and a function has no attributes at all;
//   - a call goes to a registered global (`range`, `lookup` …), a macro, or one of those methods.
// Filters are checked as well: what one returns never holds a function (`map(attribute='constructor')`
// would otherwise hand one over). `range` is bounded as in Jinja's sandbox (MAX_RANGE). And the
// compiler gets only names it can quote (template-names.ts), so no template text becomes JavaScript.
import type nunjucks from 'nunjucks';
import { nunjucksLib } from './nunjucks-lib.js';
import { types } from 'node:util';
import { listMethods, mappingMethods, MethodError, stringMethods } from './jinja-methods.js';
import { guardTemplateNames } from './template-names.js';

/** A template tried to reach something that is not data. */
export class SandboxError extends Error {
  constructor(message: string) {
    // The name stays 'Error': template messages drop that prefix and keep the sentence.
    super(`${message} (templates read data only; they cannot reach JavaScript objects)`);
  }
}

/** Jinja's sandbox refuses ranges longer than this (jinja2.sandbox.MAX_RANGE). */
export const MAX_RANGE = 100_000;

type Fn = (...args: unknown[]) => unknown;
interface Frame {
  lookup(name: string): unknown;
}
interface Context {
  ctx: Record<string, unknown>;
  env: { globals: Record<string, unknown> };
}
interface Runtime {
  memberLookup(obj: unknown, key: unknown): unknown;
  callWrap(fn: unknown, name: string, context: Context, args: unknown[]): unknown;
  contextOrFrameLookup(context: Context, frame: Frame, name: string): unknown;
  makeMacro(argNames: string[], kwargNames: string[], body: Fn): Fn;
  SafeString: new (value: string) => { val: string };
}
interface SandboxedEnvironment {
  globals: Record<string, unknown>;
  getFilter(name: string): Fn;
}

const runtime = (): Runtime => (nunjucksLib() as unknown as { runtime: Runtime }).runtime;

/** Functions a template may call besides the environment's own globals: macros, methods, cycler's. */
const callable = new WeakSet<object>();

function allow<F extends Fn>(fn: F): F {
  callable.add(fn);
  return fn;
}

/** True for a function registered as a global (read through descriptors: no proxy trap runs). */
function isGlobal(globals: Record<string, unknown>, fn: unknown): boolean {
  return Reflect.ownKeys(globals).some((key) => Object.getOwnPropertyDescriptor(globals, key)?.value === fn);
}

function mayCall(fn: unknown, context: Context | undefined): boolean {
  return callable.has(fn as object) || (context !== undefined && isGlobal(context.env.globals, fn));
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'function') return 'a function';
  if (value && typeof value === 'object') return isMapping(value) ? 'a mapping' : 'an object';
  return `a ${typeof value}`;
}

function isMapping(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return !Array.isArray(value) && (proto === Object.prototype || proto === null);
}

/** Splits nunjucks' trailing keyword-arguments object (`x.format(a=1)`) from the positional ones. */
function splitArgs(args: unknown[]): [unknown[], Record<string, unknown>] {
  const last = args[args.length - 1];
  if (last && typeof last === 'object' && Object.hasOwn(last, '__keywords')) {
    const { __keywords: _, ...kwargs } = last as Record<string, unknown>;
    return [args.slice(0, -1), kwargs];
  }
  return [args, {}];
}

/** The Jinja method `name` of `self`, bound and callable, or undefined. */
function methodOf(self: unknown, name: string): Fn | undefined {
  const table: Record<string, (self: never, args: unknown[], kwargs: Record<string, unknown>) => unknown> | undefined =
    typeof self === 'string' ? stringMethods : Array.isArray(self) ? listMethods : self && typeof self === 'object' && isMapping(self) ? mappingMethods : undefined;
  if (!table || !Object.hasOwn(table, name)) return undefined;
  const method = table[name]!;
  return allow((...args: unknown[]) => {
    const [positional, kwargs] = splitArgs(args);
    try {
      return method(self as never, positional, kwargs);
    } catch (err) {
      if (err instanceof MethodError) throw new MethodError(`${name}: ${err.message}`);
      throw err;
    }
  });
}

/** A value a template may hold: data, or a function it may call. */
function checked(value: unknown, name: string, context?: Context): unknown {
  if (typeof value === 'function' && !mayCall(value, context)) throw new SandboxError(`'${name}' is a function that is not a filter, global or macro`);
  return value;
}

/** `obj.key` and `obj[key]`: own properties of data, and Jinja's methods. */
function memberLookup(obj: unknown, key: unknown): unknown {
  if (obj === undefined || obj === null) return undefined;
  const name = typeof key === 'number' ? String(key) : typeof key === 'string' ? key : undefined;
  if (name === undefined) throw new SandboxError(`${describe(key)} cannot be used as an attribute name`);
  if (typeof obj === 'function') throw new SandboxError(`'${name}' of a function is not available`);
  const self = obj instanceof runtime().SafeString ? obj.val : obj;
  const boxed = Object(self) as Record<string, unknown>;
  if (Object.hasOwn(boxed, name)) return checked(boxed[name], name);
  const method = methodOf(self, name);
  if (method) return method;
  if (name in boxed) throw new SandboxError(`'${name}' of ${describe(self)} is not available`);
  return undefined;
}

/** `name`: a `set`/loop/macro name, a variable, or a registered global. */
function contextOrFrameLookup(context: Context, frame: Frame, name: string): unknown {
  // Frames keep their variables in prototype-less objects: only what the template set is found.
  const local = frame.lookup(name);
  if (local !== undefined) return checked(local, name, context);
  if (Object.hasOwn(context.ctx, name)) return checked(context.ctx[name], name, context);
  const globals = context.env.globals;
  if (!(name in globals)) return undefined;
  const value = globals[name];
  // `name in globals` is also true for Object.prototype's members: they are not variables.
  if (Object.hasOwn(Object.prototype, name) && value === (name === '__proto__' ? Object.prototype : (Object.prototype as unknown as Record<string, unknown>)[name])) {
    throw new SandboxError(`'${name}' is not a variable`);
  }
  return checked(value, name, context);
}

/** Throws when a filter's or a call's result holds a function a template may not call. */
function assertData(value: unknown, what: string, context?: Context): unknown {
  const seen = new Set<object>();
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'function') {
      if (!mayCall(v, context)) throw new SandboxError(`${what} returned a function`);
      continue;
    }
    // Proxies are the engine's own views (hostvars, variables): walking them would render them all.
    if (!v || typeof v !== 'object' || seen.has(v) || types.isProxy(v)) continue;
    seen.add(v);
    if (Array.isArray(v) || isMapping(v)) for (const key of Object.keys(v)) pending.push((v as Record<string, unknown>)[key]);
  }
  return value;
}

function callWrap(fn: unknown, name: string, context: Context, args: unknown[]): unknown {
  if (!fn) throw new Error(`Unable to call \`${name}\`, which is undefined or falsey`);
  if (typeof fn !== 'function') throw new Error(`Unable to call \`${name}\`, which is not a function`);
  if (!mayCall(fn, context)) throw new SandboxError(`cannot call '${name}': only filters, registered globals, macros and Jinja's string, list and mapping methods can be called`);
  return assertData((fn as Fn).apply(context, args), `'${name}'`, context);
}

/** Jinja's range(), bounded. */
function range(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  if (!step) throw new SandboxError('range() step must not be zero');
  const length = Math.max(0, Math.ceil((Number(stop) - Number(start)) / Number(step)));
  if (length > MAX_RANGE) throw new SandboxError(`range() of ${length} items is longer than ${MAX_RANGE}`);
  return Array.from({ length }, (_, i) => Number(start) + i * Number(step));
}

/** Jinja's cycler(): an object whose methods are callable, and nothing else. */
function cycler(...items: unknown[]): Record<string, unknown> {
  let index = -1;
  const state: Record<string, unknown> = { current: null };
  state['next'] = allow(() => {
    index = (index + 1) % Math.max(items.length, 1);
    state['current'] = items[index];
    return state['current'];
  });
  state['reset'] = allow(() => {
    index = -1;
    state['current'] = null;
    return '';
  });
  return state;
}

/** Jinja's joiner(): '' the first time, then the separator. */
function joiner(separator = ','): Fn {
  let first = true;
  return allow(() => {
    const out = first ? '' : separator;
    first = false;
    return out;
  });
}

let patched = false;

/**
 * Puts nunjucks' runtime (process-wide) and this environment under the sandbox: the three lookups
 * above, macros registered as callable, filters' results checked, and the default globals
 * (range, cycler, joiner) replaced by bounded versions. Call once, right after creating the
 * environment and before templates are compiled.
 */
export function installSandbox(env: nunjucks.Environment): void {
  if (!patched) {
    patched = true;
    guardTemplateNames();
    const rt = runtime();
    rt.memberLookup = memberLookup;
    rt.callWrap = callWrap;
    rt.contextOrFrameLookup = contextOrFrameLookup;
    const makeMacro = rt.makeMacro;
    rt.makeMacro = (argNames, kwargNames, body) => allow(makeMacro(argNames, kwargNames, body));
  }
  const sandboxed = env as unknown as SandboxedEnvironment;
  Object.assign(sandboxed.globals, { range, cycler, joiner });
  const getFilter = sandboxed.getFilter.bind(env);
  const wrapped = new Map<string, Fn>();
  sandboxed.getFilter = (name: string): Fn => {
    const filter = getFilter(name);
    let checkedFilter = wrapped.get(name);
    if (!checkedFilter || (checkedFilter as { original?: Fn }).original !== filter) {
      checkedFilter = Object.assign(
        function (this: Context, ...args: unknown[]) {
          return assertData(filter.apply(this, args), `filter ${name}`, this);
        },
        { original: filter },
      );
      wrapped.set(name, checkedFilter);
    }
    return checkedFilter;
  };
}
