// Checks a variable's value against the JSON Schema its role declares. Strings that spell a boolean
// or a number are converted when the declaration wants one (INI inventories and `-e k=v` only give
// strings), but a number is never silently turned into a string: `kubernetes_version: 1.30` is an
// error, not "1.3".
import type { ErrorObject, ValidateFunction } from 'ajv';
import { validatorFor } from '../ajv/precompiled.js';
import type { RoleVariable } from '../playbook/playbook.js';
import { describe } from './filters.js';
import { PythonFloat, withPlainNumbers } from './python-float.js';

// allowUnionTypes: declarations may say `type: [string, integer]`.
export const variableAjvOptions = { strict: true, allowUnionTypes: true, useDefaults: true, verbose: true, allErrors: false } as const;
const compiled = new WeakMap<object, ValidateFunction>();

/** Compiles a declared schema; throws ajv's message when the schema itself is invalid. */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = validatorFor(variableAjvOptions, schema);
    compiled.set(schema, fn);
  }
  return fn;
}

type Schema = Record<string, unknown>;

function typesOf(schema: Schema): string[] {
  const t = schema['type'];
  return typeof t === 'string' ? [t] : Array.isArray(t) ? (t as string[]) : [];
}

const TRUE = /^(true|yes|on)$/i;
const FALSE = /^(false|no|off)$/i;
const INTEGER = /^[-+]?\d+$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Converts strings to the boolean or number a schema asks for, recursively; returns a copy. */
export function coerceScalars(schema: Schema, value: unknown): unknown {
  const types = typesOf(schema);
  // A float stays a float for a `number`; an `integer` gets the plain number (2.0 → 2), as Ansible's
  // argument specs convert.
  if (value instanceof PythonFloat) return types.includes('integer') && !types.includes('number') && Number.isInteger(value.value) ? value.value : value;
  if (typeof value === 'string' && !types.includes('string')) {
    const text = value.trim();
    if (types.includes('boolean') && TRUE.test(text)) return true;
    if (types.includes('boolean') && FALSE.test(text)) return false;
    if (types.includes('integer') && INTEGER.test(text)) return Number(text);
    if (types.includes('number') && NUMBER.test(text)) return Number(text);
    if (types.includes('null') && (text === '' || text === 'null')) return null;
    return value;
  }
  if (Array.isArray(value)) {
    const items = schema['items'];
    return items && typeof items === 'object' && !Array.isArray(items) ? value.map((v) => coerceScalars(items as Schema, v)) : [...value];
  }
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const props = (schema['properties'] ?? {}) as Record<string, Schema>;
    const extra = schema['additionalProperties'];
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        const sub = props[k] ?? (extra && typeof extra === 'object' ? (extra as Schema) : undefined);
        return [k, sub ? coerceScalars(sub, v) : v];
      }),
    );
  }
  return value;
}

/** `nodes[0].ip` from ajv's `/nodes/0/ip`. */
function pathSuffix(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`))
    .join('');
}

function problemText(err: ErrorObject, secret: boolean): string {
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'type':
      return `must be ${String(p['type']).replace(/,/g, ' or ')}`;
    case 'enum':
      return `must be one of: ${(p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'required':
      return `must have key '${String(p['missingProperty'])}'`;
    case 'additionalProperties':
      // A secret mapping's keys may be part of the secret (a token as a key).
      return secret ? 'has an unknown key' : `has unknown key '${String(p['additionalProperty'])}'`;
    default:
      return err.message ?? `is invalid (${err.keyword})`;
  }
}

export interface CheckResult {
  /** The value after coercion and nested defaults. */
  value: unknown;
  /** e.g. "kubernetes_version must be string (got number 1.3)". */
  problem?: string;
}

/** What the message says the value was: nothing of a secret's value, not even its length. */
function gotText(variable: RoleVariable, err: ErrorObject, value: unknown): string {
  if (err.keyword === 'required' || err.keyword === 'additionalProperties') return '';
  if (variable.secret) return ` (got a ${Array.isArray(err.data) ? 'list' : err.data === null ? 'null' : typeof err.data === 'object' ? 'mapping' : typeof err.data}; the value is secret)`;
  return ` (got ${describe(valueAt(value, err.instancePath) ?? err.data)})`;
}

/** The value at an ajv instancePath (`/nodes/0/ip`) inside `value`. */
function valueAt(value: unknown, instancePath: string): unknown {
  return instancePath
    .split('/')
    .slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((v, seg) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined), value);
}

/**
 * Validates one variable's value against its declaration. JSON Schema sees floats as plain numbers;
 * the value returned keeps them as PythonFloat, and a message quotes a float as it was written.
 */
export function checkVariable(variable: RoleVariable, value: unknown): CheckResult {
  const coerced = coerceScalars(variable.schema, value);
  const validate = compileSchema(variable.schema);
  // Validate inside a holder so nested `default`s can be filled in even for a top-level object.
  const holder = { v: withPlainNumbers(coerced) };
  if (validate(holder.v)) return { value: restoreFloats(holder.v, coerced) };
  const err = validate.errors![0]!;
  return { value: coerced, problem: `${variable.name}${pathSuffix(err.instancePath)} ${problemText(err, variable.secret)}${gotText(variable, err, coerced)}` };
}

/** `checked` (validated, nested defaults filled in) with the floats `original` had put back. */
function restoreFloats(checked: unknown, original: unknown): unknown {
  if (original instanceof PythonFloat) return original;
  if (Array.isArray(checked) && Array.isArray(original)) return checked.map((v, i) => restoreFloats(v, original[i]));
  if (checked && typeof checked === 'object' && original && typeof original === 'object' && !Array.isArray(checked)) {
    const source = original as Record<string, unknown>;
    return Object.fromEntries(Object.entries(checked).map(([k, v]) => [k, restoreFloats(v, source[k])]));
  }
  return checked;
}
