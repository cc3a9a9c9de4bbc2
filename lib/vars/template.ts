// Jinja templates through nunjucks, configured like Ansible: no autoescape, undefined values are
// errors, Ansible's common filters, and a value that is exactly one expression ("{{ x }}") keeps the
// type of x. Variables are looked up lazily through the environment's globals, so a template only
// renders the variables it reads, and an undefined one is reported by name.
import nunjucks from 'nunjucks';
import { UserError } from '../errors.js';
import type { Vars } from '../inventory/inventory.js';
import { FilterError, filters, truthy } from './filters.js';
import { LazyVars } from './lazy-vars.js';
import { installSandbox } from './sandbox.js';

/** What is being rendered, for messages. */
export interface RenderSite {
  /** The variable whose value this is. */
  variable?: string;
  /** Where that value was set ("site.yaml:5:7"). */
  source?: string;
  /** Any other description ("condition", "template roles/x/templates/a.conf.j2"). */
  what?: string;
}

interface Frame {
  scope: LazyVars;
  /** Free names read by the template that no variable defines, in order. */
  missing: string[];
  /** The first error raised by our own code (a nested variable, a filter), which nunjucks rewraps. */
  error?: unknown;
  captured?: unknown;
}

const frames: Frame[] = [];
const top = (): Frame | undefined => frames[frames.length - 1];

const constants: Record<string, unknown> = { True: true, False: false, None: null };
const CAPTURE = '__steer_capture';

const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true, trimBlocks: true });
installSandbox(env);

function guarded<F extends (...args: any[]) => unknown>(fn: F): F {
  return ((...args: unknown[]) => {
    try {
      return fn(...args);
    } catch (err) {
      const frame = top();
      if (frame && frame.error === undefined) frame.error = err;
      throw err;
    }
  }) as F;
}

for (const [name, filter] of Object.entries(filters)) env.addFilter(name, guarded(filter));

type EnvInternals = { globals: Record<string, unknown>; addTest(name: string, fn: (v: unknown) => boolean): void };
const internals = env as unknown as EnvInternals;
internals.addTest('none', (v) => v === null);
internals.addTest('mapping', (v) => typeof v === 'object' && v !== null && !Array.isArray(v));
internals.addTest('sequence', (v) => Array.isArray(v) || typeof v === 'string');
internals.addTest('boolean', (v) => typeof v === 'boolean');

const baseGlobals = internals.globals;
baseGlobals[CAPTURE] = (value: unknown) => {
  top()!.captured = value;
  return '';
};
// Variables come from the frame being rendered: nunjucks asks `name in globals` for every free name.
internals.globals = new Proxy(baseGlobals, {
  has(target, name) {
    if (typeof name !== 'string') return name in target;
    const frame = top();
    if (frame?.scope.has(name)) return true;
    if (name in target || name in constants) return true;
    frame?.missing.push(name);
    return false;
  },
  get(target, name, receiver) {
    if (typeof name === 'string') {
      const frame = top();
      if (frame?.scope.has(name)) {
        try {
          return frame.scope.get(name);
        } catch (err) {
          if (frame.error === undefined) frame.error = err;
          throw err;
        }
      }
      if (!(name in target) && name in constants) return constants[name];
    }
    return Reflect.get(target, name, receiver);
  },
});

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
      tmpl = new nunjucks.Template(source, env, undefined, true);
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

/** Templates that test or default their variables may read undefined names on purpose. */
const GUARDS = /\bdefined\b|\bundefined\b|\bdefault\b|\|\s*d\b|\bmandatory\b/;

function undefinedError(name: string | undefined, source: string, site: RenderSite): TemplateError {
  const what = name ? `undefined variable '${name}'` : `undefined value in ${JSON.stringify(shorten(source))}`;
  const where = name || site.variable || site.what ? ` ${siteText(site, source)}` : site.source ? ` — set in ${site.source}` : '';
  return new UndefinedVariableError(`${what}${where}`, name);
}

function run(code: string, scope: LazyVars, site: RenderSite, source = code): { output: string; frame: Frame } {
  const tmpl = compile(code, site, source);
  const frame: Frame = { scope, missing: [] };
  frames.push(frame);
  let output: string;
  try {
    output = tmpl.render({});
  } catch (err) {
    const cause = frame.error ?? err;
    if (cause instanceof UserError) throw cause;
    if (cause instanceof FilterError) {
      if (cause.undefinedValue) throw undefinedError(frame.missing[0], source, site);
      throw new TemplateError(`${cause.message} ${siteText(site, source)}`);
    }
    const message = cleanMessage((cause as Error).message ?? String(cause));
    if (/attempted to output null or undefined value/.test(message)) throw undefinedError(frame.missing[0], source, site);
    throw new TemplateError(`template error: ${message} ${siteText(site, source)}`);
  } finally {
    frames.pop();
  }
  if (frame.missing.length > 0 && !GUARDS.test(code)) throw undefinedError(frame.missing[0], source, site);
  return { output, frame };
}

/** `"{{ expr }}"` alone: its value keeps its type. */
const SINGLE_EXPRESSION = /^\{\{-?\s*([\s\S]*?)\s*-?\}\}$/;

function singleExpression(text: string): string | undefined {
  const m = SINGLE_EXPRESSION.exec(text);
  if (!m) return undefined;
  const inner = m[1]!;
  return inner === '' || /\{\{|\}\}|\{%|%\}|\{#/.test(inner) ? undefined : inner;
}

/** True when the string holds Jinja syntax. */
export function isTemplate(text: string): boolean {
  return text.includes('{{') || text.includes('{%') || text.includes('{#');
}

function evaluate(expression: string, scope: LazyVars, site: RenderSite, source: string): unknown {
  // Report syntax errors against what the user wrote, not the capturing wrapper.
  const syntax = templateSyntaxError(`{{ ${expression} }}`);
  if (syntax) throw new TemplateError(`template syntax error: ${syntax} ${siteText(site, source)}`, 'TEMPLATE_SYNTAX');
  const { frame } = run(`{{ ${CAPTURE}((${expression})) }}`, scope, site, source);
  if (frame.captured === undefined) {
    if (!GUARDS.test(expression)) throw undefinedError(frame.missing[0], source, site);
    return '';
  }
  return frame.captured;
}

/** Renders a template to text (role template files, strings with several expressions). */
export function renderTemplateString(text: string, vars: Vars | LazyVars, site: RenderSite = {}): string {
  if (!isTemplate(text)) return text;
  return run(text, LazyVars.from(vars), site).output;
}

/** Renders strings inside any JSON-like value; "{{ x }}" alone yields x itself (native types). */
export function renderValue(value: unknown, vars: Vars | LazyVars, site: RenderSite = {}): unknown {
  const scope = LazyVars.from(vars);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (!isTemplate(v)) return v;
      const expression = singleExpression(v);
      return expression !== undefined ? evaluate(expression, scope, site, v) : run(v, scope, site).output;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value);
}

/**
 * A `when` condition: a bare Jinja expression (`x == 'y'`, `flag`, `a is defined and a`), as in
 * Ansible. Python truthiness; the strings "true"/"false" count as booleans, like Ansible's templating.
 */
export function evaluateCondition(expr: string | boolean, vars: Vars | LazyVars): boolean {
  if (typeof expr === 'boolean') return expr;
  const text = expr.trim();
  const expression = singleExpression(text) ?? text;
  const value = evaluate(expression, LazyVars.from(vars), { what: `condition ${JSON.stringify(shorten(text))}` }, text);
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return truthy(value);
}

/** Checks a condition's syntax without evaluating it; a message when it is invalid. */
export function conditionSyntaxError(expr: string): string | undefined {
  const text = expr.trim();
  return templateSyntaxError(`{{ ${singleExpression(text) ?? text} }}`);
}
