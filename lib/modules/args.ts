// Argument checking for modules: each module declares its arguments as one JSON Schema (`args`),
// checked by ajv before anything is probed. A role passing a wrong argument learns it in one
// sentence naming the module and the argument ("file: mode must be an octal mode like '0644'").
// Arguments that are not JSON (Buffer content, Command values built with sh``, Secret, predicates)
// are matched with ajv-keywords' `instanceof`; wording a pattern or an alternative for people is
// ajv-errors' `errorMessage`.
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { Command } from '../command/command.js';
import { Secret } from '../secrets/masker.js';
import { ModuleError, type Module } from './module.js';

// ajv and its plugins are required on the first compile, not imported: loading them costs tens of
// milliseconds, and making an Ajv more (its meta-schemas), which a --syntax-check or --list-tasks
// that validates no module arguments should not pay (lib/ajv/precompiled.ts does the same).
const require = createRequire(import.meta.url);

// allErrors: every problem in one message (ajv-errors needs it too). No defaults, no coercion: the
// module sees exactly what the role passed.
// verbose: errors carry their schema, to word a list's item type.
let ajv: Ajv | undefined;
function argsAjv(): Ajv {
  if (!ajv) {
    const { Ajv } = require('ajv') as typeof import('ajv');
    const ajvErrors = require('ajv-errors') as typeof import('ajv-errors').default;
    // The definition module's `module.exports` is the definition itself; its constructor table is
    // the documented place to add classes (ajv-keywords README).
    const instanceofKeyword = require('ajv-keywords/dist/definitions/instanceof.js') as typeof import('ajv-keywords/dist/definitions/instanceof.js').default;
    instanceofKeyword.CONSTRUCTORS['Command'] = Command;
    instanceofKeyword.CONSTRUCTORS['Secret'] = Secret;
    ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true, verbose: true });
    ajv.addKeyword(instanceofKeyword());
    ajvErrors(ajv);
  }
  return ajv;
}

const compiled = new WeakMap<object, ValidateFunction>();

/** What checking needs of a module: its name and its argument schema. */
type Declared = Pick<Module<any, any, any>, 'name' | 'args'>;

/** Compiles a module's argument schema once (on its first call); throws ajv's error for a bad schema. */
export function compileArgs(module: Declared): ValidateFunction {
  let validate = compiled.get(module.args);
  if (!validate) {
    validate = argsAjv().compile(module.args);
    compiled.set(module.args, validate);
  }
  return validate;
}

// Schemas of arguments several modules share.

/** An octal mode string: '0644', '755'. */
export const mode = { type: 'string', pattern: '^0?[0-7]{3,4}$', errorMessage: "must be an octal mode like '0644'" } as const;
export const stringList = { type: 'array', items: { type: 'string' } } as const;
/** A command: a Command built with sh`…`, or an argument list (each word quoted). */
export const commandValue = {
  anyOf: [{ instanceof: 'Command' }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
  errorMessage: "must be a command built with sh`…` or an argument list like ['kubeadm', 'init']",
} as const;
/** A function of the command's result, e.g. changedWhen. */
export const predicate = { instanceof: 'Function', errorMessage: 'must be a function' } as const;
export const presentOrAbsent = { enum: ['present', 'absent'] } as const;
/** The attributes every module that writes a file or folder takes (spread into its properties). */
export const fileAttributes = { mode, owner: { type: 'string' }, group: { type: 'string' } } as const;

/** How a value looks in a message: strings quoted (cut at 40 characters), objects by kind. */
function shown(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Secret) return 'a Secret';
  if (value instanceof Command) return 'a command';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  if (typeof value === 'function') return 'a function';
  return typeof value === 'object' ? 'an object' : typeof value;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  null: 'null',
};

const PLURAL: Record<string, string> = { string: 'strings', number: 'numbers', integer: 'whole numbers', boolean: 'booleans', object: 'objects' };

/** 'a string or a number'; 'a list of strings' when the list's items have one type. */
function typeWords(types: string, schema: Record<string, unknown> | undefined): string {
  const items = schema?.['items'] as Record<string, unknown> | undefined;
  const itemType = typeof items?.['type'] === 'string' ? PLURAL[items['type']] : undefined;
  if (types === 'array' && itemType) return `a list of ${itemType}`;
  return types.split(',').map((t) => TYPE_WORDS[t] ?? t).join(' or ');
}

/** `packages[0]` from ajv's `/packages/0`; '' for the arguments themselves. */
function argumentPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
    .join('');
}

function valueAt(args: unknown, instancePath: string): unknown {
  let value = args;
  for (const seg of instancePath.split('/').slice(1)) {
    value = (value as Record<string, unknown>)?.[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return value;
}

/** One ajv error as the rest of a sentence that starts with the module's name. */
function problem(err: ErrorObject, args: unknown, known: string[]): string {
  const path = argumentPath(err.instancePath);
  const p = err.params as Record<string, unknown>;
  const got = ` (got ${shown(valueAt(args, err.instancePath))})`;
  switch (err.keyword) {
    case 'additionalProperties':
      return path === ''
        ? `unknown argument "${String(p['additionalProperty'])}" (expected one of: ${known.join(', ')})`
        : `${path} has unknown key "${String(p['additionalProperty'])}"`;
    case 'required':
      return `${path ? `${path}.` : ''}${String(p['missingProperty'])} is required`;
    case 'type':
      return `${path || 'arguments'} must be ${typeWords(String(p['type']), err.parentSchema)}${got}`;
    case 'enum':
      return `${path} must be one of ${(p['allowedValues'] as unknown[]).map((v) => `'${String(v)}'`).join(', ')}${got}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${path} must be ${String(p['comparison']).replace('>=', '≥').replace('<=', '≤')} ${String(p['limit'])}${got}`;
    case 'minItems':
    case 'minProperties':
      return p['limit'] === 1 ? `${path} is empty` : `${path} ${err.message}`;
    default:
      // errorMessage (worded in the schema), pattern and the rest: ajv's words with the value.
      return `${path} ${err.message}${got}`;
  }
}

/** Checks args against a module's schema; returns the problems, one sentence each, in argument order. */
export function checkArgs(module: Declared, args: unknown): string[] {
  const validate = compileArgs(module);
  if (validate(args)) return [];
  const known = Object.keys(module.args.properties);
  const order = (err: ErrorObject): number =>
    err.keyword === 'additionalProperties' && err.instancePath === ''
      ? -1
      : known.indexOf(err.keyword === 'required' && err.instancePath === '' ? String(err.params['missingProperty']) : argumentPath(err.instancePath).split(/[.[]/)[0]!);
  return [...validate.errors!].sort((a, b) => order(a) - order(b)).map((err) => problem(err, args, known));
}

/** Validates a module's arguments (its schema, then its own cross-argument checks); throws ModuleError. */
export function validateArgs<A>(module: Module<A, unknown, unknown>, args: A): A {
  const problems = checkArgs(module as Declared, args);
  if (problems.length > 0) throw new ModuleError(`${module.name}: ${problems.join('; ')}`);
  module.validate?.(args);
  return args;
}

/** For a module's validate(): throws `name: message` as a ModuleError. */
export function argError(module: string, message: string): never {
  throw new ModuleError(`${module}: ${message}`);
}
