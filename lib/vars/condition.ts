// `when` conditions, as ansible-core 2.19 evaluates them (porting guide 2.19, "Broken
// Conditionals"): a bare Jinja expression whose result must be a boolean. A string, a number, a
// list or None is an error that says what the value is, where it was set, and how to write the
// condition — `-e haproxy=false` gives the string "false", and a string is true whatever it says,
// which made `when: haproxy` and `when: not haproxy` disagree with what users meant. (2.14, Debian's
// ansible, silently used Python truthiness there, plus a second templating pass; steer follows 2.19.)
import { UserError, type SourceLocation } from '../errors.js';
import type { Vars } from '../inventory/inventory.js';
import type { Condition } from '../playbook/playbook.js';
import { describe } from './filters.js';
import { LazyVars } from './lazy-vars.js';
import { PythonFloat } from './python-float.js';
import { pyEqual } from './python-semantics.js';
import { evaluateExpression, singleExpression, type VariableRead } from './template.js';

export interface ConditionContext {
  /** The host it is evaluated for, named in messages. */
  host?: string;
  location?: SourceLocation;
}

function shorten(text: string, max = 80): string {
  return text.length > max ? text.slice(0, max - 3) + '...' : text;
}

/** The variable whose value the condition returned, if it returned one as it is. */
function origin(value: unknown, reads: VariableRead[]): VariableRead | undefined {
  return reads.find((r) => r.value === value) ?? reads.find((r) => typeof value !== 'object' && safeEqual(r.value, value));
}

function safeEqual(a: unknown, b: unknown): boolean {
  try {
    return pyEqual(a, b);
  } catch {
    return false;
  }
}

function advice(text: string, value: unknown): string {
  if (typeof value === 'string') return `write '${text} | bool' to read yes/no, true/false, on/off, 1/0 as a boolean, or compare it (${text} == '…')`;
  if (typeof value === 'number' || value instanceof PythonFloat) {
    return `compare it (${text} != 0), or write '${text} | bool' for 1/0`;
  }
  if (value === null) return `test it (${text} is not none), or give a default (${text} | default(false, true))`;
  return `test its length (${text} | length > 0)`;
}

function notBoolean(text: string, value: unknown, reads: VariableRead[], scope: LazyVars, ctx: ConditionContext): UserError {
  const from = origin(value, reads);
  const source = from ? scope.source(from.name) : undefined;
  const where = from ? ` — ${from.name} is set in ${source ?? 'the variables'}` : '';
  const host = ctx.host ? `host ${ctx.host}: ` : '';
  return new UserError(
    `${host}condition ${JSON.stringify(shorten(text))} is ${describe(value)}, not a boolean${where}; ${advice(shorten(text, 40), value)} (Ansible 2.19 refuses such conditions too)`,
    'CONDITION_NOT_BOOLEAN',
    ctx.location,
  );
}

/**
 * Evaluates one condition for a host: `x == 'y'`, `flag | bool`, `a is defined and a | length > 0`,
 * or a YAML boolean. Throws a UserError (with `ctx.location`) when the result is not a boolean or
 * the expression fails (an undefined variable, a wrong type).
 */
export function evaluateCondition(expr: string | boolean, vars: Vars | LazyVars, ctx: ConditionContext = {}): boolean {
  if (typeof expr === 'boolean') return expr;
  const text = expr.trim();
  const scope = LazyVars.from(vars);
  let result: { value: unknown; reads: VariableRead[] };
  try {
    result = evaluateExpression(singleExpression(text) ?? text, scope, { what: `condition ${JSON.stringify(shorten(text))}` }, text);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    const message = ctx.host && !err.message.startsWith(`host ${ctx.host}: `) ? `host ${ctx.host}: ${err.message}` : err.message;
    throw new UserError(message, err.code, err.location ?? ctx.location);
  }
  if (typeof result.value !== 'boolean') throw notBoolean(text, result.value, result.reads, scope, ctx);
  return result.value;
}

/** All conditions of a `when`, in order, stopping at the first false one (as Ansible does). */
export function evaluateConditions(conditions: readonly Condition[], vars: Vars | LazyVars, host?: string): boolean {
  return conditions.every((c) => evaluateCondition(c.expression, vars, { host, location: c.location }));
}

/** A `when` as it is shown: its conditions joined by `and`. */
export function conditionsText(conditions: readonly Condition[]): string {
  return conditions.length === 1 ? conditions[0]!.expression : conditions.map((c) => `(${c.expression})`).join(' and ');
}
