// Argument checking for modules: a role passing a wrong argument learns it before anything is probed,
// in one sentence naming the module and the argument ("file: mode must be an octal mode like '0644'").
import { Command } from '../command/command.js';
import { Secret } from '../secrets/masker.js';
import { ModuleError, type ArgSpec, type Module } from './module.js';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Command) && !Buffer.isBuffer(v);

function typeError(type: string, value: unknown): string | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' || value instanceof Secret ? undefined : `must be a string (got ${describe(value)})`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `must be a number (got ${describe(value)})`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be true or false (got ${describe(value)})`;
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string')
        ? undefined
        : `must be a list of strings (got ${describe(value)})`;
    case 'mode':
      return typeof value === 'string' && /^0?[0-7]{3,4}$/.test(value)
        ? undefined
        : `must be an octal mode like '0644' (got ${describe(value)})`;
    case 'record':
      return isRecord(value) ? undefined : `must be an object (got ${describe(value)})`;
    case 'function':
      return typeof value === 'function' ? undefined : `must be a function (got ${describe(value)})`;
    case 'command':
      return value instanceof Command || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string'))
        ? undefined
        : `must be a command built with sh\`…\` or an argument list like ['kubeadm', 'init'] (got ${describe(value)})`;
    default:
      return undefined;
  }
}

/** Checks args against a spec; returns the problems, one sentence each. */
export function checkArgs(args: unknown, spec: ArgSpec): string[] {
  if (!isRecord(args)) return [`arguments must be an object (got ${describe(args)})`];
  const problems: string[] = [];
  for (const key of Object.keys(args)) {
    if (!(key in spec)) problems.push(`unknown argument "${key}" (expected one of: ${Object.keys(spec).join(', ')})`);
  }
  for (const [key, type] of Object.entries(spec)) {
    const value = args[key];
    if (typeof type !== 'string') {
      if (value !== undefined && !(type as readonly string[]).includes(value as string)) {
        problems.push(`${key} must be one of ${type.map((t) => `'${t}'`).join(', ')} (got ${describe(value)})`);
      }
      continue;
    }
    const optional = type.endsWith('?');
    if (value === undefined) {
      if (!optional) problems.push(`${key} is required`);
      continue;
    }
    const error = typeError(optional ? type.slice(0, -1) : type, value);
    if (error) problems.push(`${key} ${error}`);
  }
  return problems;
}

/** Validates a module's arguments (spec, then its own cross-argument checks); throws ModuleError. */
export function validateArgs<A>(module: Module<A, unknown, unknown>, args: A): A {
  if (module.args) {
    const problems = checkArgs(args, module.args);
    if (problems.length > 0) throw new ModuleError(`${module.name}: ${problems.join('; ')}`);
  }
  module.validate?.(args);
  return args;
}

/** For a module's validate(): throws `name: message` as a ModuleError. */
export function argError(module: string, message: string): never {
  throw new ModuleError(`${module}: ${message}`);
}
