// Jinja templates through nunjucks, configured like Ansible: no autoescape, Jinja's (Python's)
// semantics for operators and output (jinja-python.ts), strict undefined values (undefined.ts) that
// only `default`, `mandatory` and `is defined` may touch, Ansible's common filters, `lookup()`, and a
// value that is exactly one expression ("{{ x }}") keeping the type of x. Variables are looked up
// lazily through the environment's globals, so a template only renders the variables it reads.
import type nunjucks from 'nunjucks';
import { UserError } from '../errors.js';
import type { Vars } from '../inventory/inventory.js';
import { FilterError, filters } from './filters.js';
import { installPythonSemantics } from './jinja-python.js';
import { installValueRenderer, LazyVars } from './lazy-vars.js';
import { installSandbox } from './sandbox.js';
import { nunjucksLib } from './nunjucks-lib.js';
import { LookupError, lookup, query } from './lookups.js';
import { OMIT } from './omit.js';
import { PythonTypeError } from './python-semantics.js';
import { assertFullyDefined, describeUndefined, firstUndefined, isUndefined, makeUndefined, undefinedInfo, UndefinedValueError } from './undefined.js';

/** What is being rendered, for messages. */
export interface RenderSite {
  /** The variable whose value this is. */
  variable?: string;
  /** Where that value was set ("site.yaml:5:7"). */
  source?: string;
  /** Any other description ("condition", "template roles/x/templates/a.conf.j2"). */
  what?: string;
}

/** A variable a template read, and the value it got (for messages about a condition's result). */
export interface VariableRead {
  name: string;
  value: unknown;
}

interface Frame {
  scope: LazyVars;
  reads: VariableRead[];
  /** The first error raised by our own code (a nested variable, a filter), which nunjucks rewraps. */
  error?: unknown;
  captured?: unknown;
}

const frames: Frame[] = [];
const top = (): Frame | undefined => frames[frames.length - 1];

const constants: Record<string, unknown> = { True: true, False: false, None: null, omit: OMIT };
const CAPTURE = '__steer_capture';

type Fn = (...args: unknown[]) => unknown;
type EnvInternals = {
  globals: Record<string, unknown>;
  filters: Record<string, Fn>;
  tests: Record<string, Fn>;
  addFilter(name: string, fn: Fn): void;
  addTest(name: string, fn: Fn): void;
};

/** Filters and tests that accept an undefined value; every other one reports it as undefined. */
const ACCEPT_UNDEFINED = new Set(['default', 'd', 'mandatory', 'defined', 'undefined']);

/** Records our own errors in the frame (nunjucks rewraps what a filter throws) and refuses undefined arguments. */
function guarded(name: string, fn: Fn): Fn {
  return function (this: unknown, ...args: unknown[]) {
    try {
      if (!ACCEPT_UNDEFINED.has(name)) {
        const u = firstUndefined(args);
        if (u) throw new UndefinedValueError(undefinedInfo(u)!);
      }
      return fn.apply(this, args);
    } catch (err) {
      const frame = top();
      if (frame && frame.error === undefined) frame.error = err;
      throw err;
    }
  };
}



/** A variable's value for a template; a variable whose own value is undefined is undefined here too. */
function readVariable(frame: Frame, name: string): unknown {
  try {
    const value = frame.scope.get(name);
    frame.reads.push({ name, value });
    return value;
  } catch (err) {
    // `a: "{{ b }}"` with b undefined: `a is defined` is false and `a | default(x)` works, as in Ansible.
    if (err instanceof UserError && err.code === 'UNDEFINED_VARIABLE') return makeUndefined({ path: name, cause: err });
    if (frame.error === undefined) frame.error = err;
    throw err;
  }
}

/**
 * The one nunjucks environment, made on the first template (nunjucks-lib.ts says why): Python's
 * semantics and the sandbox installed, Ansible's filters and tests, every filter and test guarded,
 * and the globals behind a proxy that looks free names up in the current frame.
 */
function makeEnvironment(): nunjucks.Environment {
  installPythonSemantics();
  // dev: nunjucks keeps the original error as the cause of its own, instead of a copy of the message.
  const env = new (nunjucksLib().Environment)(null, { autoescape: false, throwOnUndefined: true, trimBlocks: true, dev: true });
  installSandbox(env);
  const internals = env as unknown as EnvInternals;
  for (const [name, filter] of Object.entries(filters)) internals.addFilter(name, filter);
  for (const [name, filter] of Object.entries(internals.filters)) internals.filters[name] = guarded(name, filter);

  internals.addTest('defined', (v) => !isUndefined(v));
  internals.addTest('undefined', (v) => isUndefined(v));
  internals.addTest('none', (v) => v === null);
  internals.addTest('mapping', (v) => typeof v === 'object' && v !== null && !Array.isArray(v));
  internals.addTest('sequence', (v) => Array.isArray(v) || typeof v === 'string');
  internals.addTest('boolean', (v) => typeof v === 'boolean');
  for (const [name, test] of Object.entries(internals.tests)) internals.tests[name] = guarded(name, test);

  const baseGlobals = internals.globals;
  baseGlobals[CAPTURE] = (value: unknown) => {
    top()!.captured = value;
    return '';
  };
  Object.assign(baseGlobals, { lookup, query, q: query });

  // Every free name a template reads comes here: a variable of the frame, a constant, a global, or
  // Jinja's Undefined (never JavaScript's undefined, which nunjucks would treat as "not found").
  internals.globals = new Proxy(baseGlobals, {
    has(target, name) {
      return typeof name === 'string' || name in target;
    },
    get(target, name, receiver) {
      if (typeof name !== 'string') return Reflect.get(target, name, receiver);
      const frame = top();
      if (frame?.scope.has(name)) return readVariable(frame, name);
      if (name in target) return Reflect.get(target, name, receiver);
      if (name in constants) return constants[name];
      return makeUndefined({ path: name, variable: name });
    },
  });
  return env;
}

let environment: nunjucks.Environment | undefined;
const env = (): nunjucks.Environment => (environment ??= makeEnvironment());

const compiled = new Map<string, nunjucks.Template>();
const MAX_COMPILED = 10_000;

/** nunjucks messages start with "(unknown path) [Line 1, Column 8]\n  "; keep what follows. */
function cleanMessage(message: string): string {
  return message
    .replace(/^\(unknown path\)\s*/, '')
    .replace(/^\[Line \d+, Column \d+\]\s*/, '')
    .replace(/^Template render error:\s*/, '')
    .replace(/^Error:\s*/, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

function shorten(text: string, max = 80): string {
  const one = text.replace(/\s*\n\s*/g, ' ');
  return one.length > max ? one.slice(0, max - 3) + '...' : one;
}

function siteText(site: RenderSite, source: string): string {
  const what = site.variable ? `in variable '${site.variable}'` : site.what ? `in ${site.what}` : `in ${JSON.stringify(shorten(source))}`;
  return `${what}${site.source ? ` — set in ${site.source}` : ''}`;
}

/** A mistake in a template: an undefined variable, bad syntax, a failing filter. */
export class TemplateError extends UserError {
  constructor(message: string, code = 'TEMPLATE_ERROR') {
    super(message, code);
    this.name = 'TemplateError';
  }
}

/** A template read a variable that is not defined (`variable` is its name, when known). */
export class UndefinedVariableError extends TemplateError {
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message, 'UNDEFINED_VARIABLE');
    this.name = 'UndefinedVariableError';
  }
}

class SyntaxProblem extends Error {}

function compileOrThrow(source: string): nunjucks.Template {
  let tmpl = compiled.get(source);
  if (!tmpl) {
    try {
      tmpl = new (nunjucksLib().Template)(source, env(), undefined, true);
    } catch (err) {
      throw new SyntaxProblem(cleanMessage((err as Error).message));
    }
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(source, tmpl);
  }
  return tmpl;
}

function compile(code: string, site: RenderSite, shown: string): nunjucks.Template {
  try {
    return compileOrThrow(code);
  } catch (err) {
    throw new TemplateError(`template syntax error: ${(err as Error).message} ${siteText(site, shown)}`, 'TEMPLATE_SYNTAX');
  }
}

/** Returns a message when `source` is not valid template syntax, else undefined. */
export function templateSyntaxError(source: string): string | undefined {
  try {
    compileOrThrow(source);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The error behind what nunjucks threw: ours, recorded in the frame or kept as the wrapper's cause. */
function rootCause(frame: Frame, err: unknown): unknown {
  if (frame.error !== undefined) return frame.error;
  let e: unknown = err;
  for (let i = 0; i < 5 && e instanceof Error; i++) {
    if (e instanceof UserError || e instanceof UndefinedValueError || e instanceof FilterError || e instanceof PythonTypeError || e instanceof LookupError) return e;
    e = (e as Error & { cause?: unknown }).cause;
  }
  return err;
}

/** The user-facing error for whatever failed while rendering `source`. */
function renderError(cause: unknown, source: string, site: RenderSite): Error {
  if (cause instanceof UndefinedValueError) {
    if (cause.info.cause instanceof UserError) return cause.info.cause;
    return new UndefinedVariableError(`${describeUndefined(cause.info)} ${siteText(site, source)}`, cause.info.variable);
  }
  if (cause instanceof UserError) return cause;
  if (cause instanceof FilterError && cause.undefinedValue) return new UndefinedVariableError(`${cause.message} ${siteText(site, source)}`);
  if (cause instanceof FilterError || cause instanceof PythonTypeError || cause instanceof LookupError) {
    return new TemplateError(`${cause.message} ${siteText(site, source)}`);
  }
  const message = cleanMessage((cause as Error).message ?? String(cause));
  return new TemplateError(`template error: ${message} ${siteText(site, source)}`);
}

function run(code: string, scope: LazyVars, site: RenderSite, source = code): { output: string; frame: Frame } {
  const tmpl = compile(code, site, source);
  const frame: Frame = { scope, reads: [] };
  frames.push(frame);
  try {
    return { output: tmpl.render({}), frame };
  } catch (err) {
    throw renderError(rootCause(frame, err), source, site);
  } finally {
    frames.pop();
  }
}

/** `"{{ expr }}"` alone: its value keeps its type. */
const SINGLE_EXPRESSION = /^\{\{-?\s*([\s\S]*?)\s*-?\}\}$/;

/** The expression of a text that is exactly one `{{ … }}`, else undefined. */
export function singleExpression(text: string): string | undefined {
  const m = SINGLE_EXPRESSION.exec(text);
  if (!m) return undefined;
  const inner = m[1]!;
  return inner === '' || /\{\{|\}\}|\{%|%\}|\{#/.test(inner) ? undefined : inner;
}

/** True when the string holds Jinja syntax. */
export function isTemplate(text: string): boolean {
  return text.includes('{{') || text.includes('{%') || text.includes('{#');
}

/**
 * The value of one Jinja expression (`a | default(b)`, `x == 'y'`) and the variables it read.
 * Throws a TemplateError for bad syntax, an undefined value or a failing filter.
 */
export function evaluateExpression(expression: string, vars: Vars | LazyVars, site: RenderSite = {}, source = expression): { value: unknown; reads: VariableRead[] } {
  // Report syntax errors against what the user wrote, not the capturing wrapper.
  const syntax = templateSyntaxError(`{{ ${expression} }}`);
  if (syntax) throw new TemplateError(`template syntax error: ${syntax} ${siteText(site, source)}`, 'TEMPLATE_SYNTAX');
  const { frame } = run(`{{ ${CAPTURE}((${expression})) }}`, LazyVars.from(vars), site, source);
  try {
    assertFullyDefined(frame.captured);
  } catch (err) {
    throw renderError(err, source, site);
  }
  return { value: frame.captured, reads: frame.reads };
}

/** Renders a template to text (role template files, strings with several expressions). */
export function renderTemplateString(text: string, vars: Vars | LazyVars, site: RenderSite = {}): string {
  if (!isTemplate(text)) return text;
  return run(text, LazyVars.from(vars), site).output;
}

/**
 * Renders strings inside any JSON-like value; "{{ x }}" alone yields x itself (native types). An
 * item or key whose value renders to `omit` is left out of its list or mapping; a whole value that
 * renders to `omit` is returned as OMIT for the caller to drop (see omit.ts).
 */
export function renderValue(value: unknown, vars: Vars | LazyVars, site: RenderSite = {}): unknown {
  const scope = LazyVars.from(vars);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (!isTemplate(v)) return v;
      const expression = singleExpression(v);
      return expression !== undefined ? withoutOmitted(evaluateExpression(expression, scope, site, v).value) : run(v, scope, site).output;
    }
    if (Array.isArray(v)) return v.map(walk).filter((x) => x !== OMIT);
    if (isPlainMapping(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]).filter(([, x]) => x !== OMIT));
    return v;
  };
  return walk(value);
}

function isPlainMapping(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;
}

/** A rendered list or mapping without the items and keys that are `omit` (at any depth). */
function withoutOmitted(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== OMIT).map(withoutOmitted);
  if (isPlainMapping(v)) return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== OMIT).map(([k, x]) => [k, withoutOmitted(x)]));
  return v;
}

/** Checks a condition's syntax without evaluating it; a message when it is invalid. */
export function conditionSyntaxError(expr: string): string | undefined {
  const text = expr.trim();
  return templateSyntaxError(`{{ ${singleExpression(text) ?? text} }}`);
}

installValueRenderer(renderValue);
