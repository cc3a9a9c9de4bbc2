// Module arguments as JSON Schemas: every registered schema compiles under ajv's strict mode, every
// pattern and alternative is worded for people, values that are not JSON (Buffer, Command, Secret,
// functions) are told apart, and each problem is one sentence naming the module and the argument.
// The compiler keeps each schema and its TypeScript interface together: the @ts-expect-error lines
// below fail the type-check the day ArgsSchema stops catching a drift.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sh } from '../../lib/command/command.js';
import { checkArgs, compileArgs, validateArgs } from '../../lib/modules/args.js';
import { modules } from '../../lib/modules/index.js';
import type { ArgsSchema } from '../../lib/modules/module.js';
import { Secret, clearSecrets } from '../../lib/secrets/masker.js';

test('every module declares its arguments as a JSON Schema that ajv compiles in strict mode', () => {
  for (const [name, module] of Object.entries(modules)) {
    assert.equal(module.name, name);
    assert.equal(module.args.type, 'object', name);
    assert.equal(module.args.additionalProperties, false, name);
    assert.doesNotThrow(() => compileArgs(module), name);
    for (const key of module.args.required) assert.ok(key in module.args.properties, `${name}: required ${key} is declared`);
  }
});

/** Schema nodes whose failures ajv can only word as "must match pattern" or "must match a schema in anyOf". */
function unworded(schema: unknown, at: string): string[] {
  if (schema === null || typeof schema !== 'object') return [];
  const node = schema as Record<string, unknown>;
  const own = ['pattern', 'anyOf', 'oneOf', 'instanceof', 'not'].some((k) => k in node) && !('errorMessage' in node) ? [at] : [];
  // Inside a worded node, errorMessage already covers the branches.
  if ('errorMessage' in node) return own;
  return [...own, ...Object.entries(node).flatMap(([k, v]) => unworded(v, `${at}/${k}`))];
}

test('every pattern, alternative and instanceof carries a message people can read', () => {
  for (const [name, module] of Object.entries(modules)) assert.deepEqual(unworded(module.args, name), [], name);
});

const bad: [keyof typeof modules, unknown, string][] = [
  ['file', { path: '/etc/a', contnet: 'x' }, 'file: unknown argument "contnet" (expected one of: path, content, state, mode, owner, group, secret)'],
  ['file', { path: '/etc/a', mode: '644x' }, "file: mode must be an octal mode like '0644' (got \"644x\")"],
  ['file', { path: '/etc/a', content: 42 }, 'file: content must be a string or a Buffer (got 42)'],
  ['file', ['/etc/a'], 'file: arguments must be an object (got a list)'],
  ['directory', {}, 'directory: path is required'],
  ['apt', { packages: ['kubeadm', 3] }, 'apt: packages[1] must be a string (got 3)'],
  ['apt', { packages: ['kubeadm'], sourceChanged: 'yes' }, 'apt: sourceChanged must be true or false, or the results of apt_source steps (got "yes")'],
  ['kernel_modules', { names: 'overlay' }, 'kernel_modules: names must be a list of strings (got "overlay")'],
  ['command', { cmd: 'rm -rf /' }, "command: cmd must be a command built with sh`…` or an argument list like ['kubeadm', 'init'] (got \"rm -rf /\")"],
  ['command', { cmd: [] }, "command: cmd must be a command built with sh`…` or an argument list like ['kubeadm', 'init'] (got a list)"],
  ['command', { cmd: ['true'], okCodes: [0, 'x'], retries: -1 }, 'command: okCodes[1] must be a whole number (got "x"); retries must be a whole number ≥ 0 (got -1)'],
  ['command', { cmd: ['true'], changedWhen: true }, 'command: changedWhen must be a function (got true)'],
  ['command', { cmd: ['true'], stdin: 5 }, 'command: stdin must be a string or a Secret (got 5)'],
  ['wait', { port: 70000 }, 'wait: port must be 1-65535 (got 70000)'],
  ['mount', { path: '/mnt', dump: 1.5 }, 'mount: dump must be a whole number (got 1.5)'],
  // Problems come in the order the arguments are declared, unknown arguments first.
  ['systemd', { state: 'running', colour: 1 }, "systemd: unknown argument \"colour\" (expected one of: unit, enabled, state, masked, daemonReload); unit is required; state must be one of 'started', 'stopped', 'restarted', 'reloaded' (got \"running\")"],
];

for (const [name, args, message] of bad) {
  test(`${name}: ${message.slice(name.length + 2)}`, () => {
    assert.throws(
      () => validateArgs(modules[name] as never, args as never),
      (err: Error) => err.name === 'ModuleError' && err.message === message,
    );
  });
}

test('values that are not JSON pass where the schema names their class', () => {
  clearSecrets();
  assert.deepEqual(checkArgs(modules.file, { path: '/a', content: Buffer.from([0, 1]) }), []);
  assert.deepEqual(checkArgs(modules.command, { cmd: sh`true`, unless: ['test', '-e', '/a'], stdin: new Secret('s3cret-value'), until: () => true }), []);
  assert.deepEqual(checkArgs(modules.wait, { command: sh`true` }), []);
  assert.deepEqual(checkArgs(modules.apt, { packages: ['x'], sourceChanged: [{ changed: true, summary: 'added' }] }), []);
  // A Secret is not a string where only a string will do, and it is never shown.
  assert.deepEqual(checkArgs(modules.file, { path: '/a', content: new Secret('s3cret-value') }), ['content must be a string or a Buffer (got a Secret)']);
  clearSecrets();
});

test('an argument left undefined is the same as one not given', () => {
  assert.deepEqual(checkArgs(modules.file, { path: '/a', mode: undefined, owner: undefined }), []);
  assert.deepEqual(checkArgs(modules.directory, { path: undefined }), ['path is required']);
});

// Compile-time: a schema must match its interface, key for key and type for type.
interface Example {
  path: string;
  state?: 'present' | 'absent';
  count?: number;
  names?: string[];
}
const matching: ArgsSchema<Example> = {
  type: 'object',
  properties: { path: { type: 'string' }, state: { enum: ['absent', 'present'] }, count: { type: 'integer' }, names: { type: 'array', items: { type: 'string' } } },
  required: ['path'],
  additionalProperties: false,
};
const drifted: ArgsSchema<Example>[] = [
  {
    type: 'object',
    // @ts-expect-error names is in the interface, not in the schema
    properties: { path: { type: 'string' }, state: { enum: ['present', 'absent'] }, count: { type: 'number' } },
    required: ['path'],
    additionalProperties: false,
  },
  {
    type: 'object',
    // @ts-expect-error colour is in the schema, not in the interface
    properties: { path: { type: 'string' }, state: { enum: ['present', 'absent'] }, count: { type: 'number' }, names: { type: 'array', items: { type: 'string' } }, colour: { type: 'string' } },
    required: ['path'],
    additionalProperties: false,
  },
  {
    type: 'object',
    properties: { path: { type: 'string' }, state: { enum: ['present', 'absent'] }, count: { type: 'number' }, names: { type: 'array', items: { type: 'string' } } },
    // @ts-expect-error path is required by the interface
    required: [],
    additionalProperties: false,
  },
  {
    type: 'object',
    // @ts-expect-error count is a number, not a string
    properties: { path: { type: 'string' }, state: { enum: ['present', 'absent'] }, count: { type: 'string' }, names: { type: 'array', items: { type: 'string' } } },
    required: ['path'],
    additionalProperties: false,
  },
  {
    type: 'object',
    // @ts-expect-error the enum misses 'absent'
    properties: { path: { type: 'string' }, state: { enum: ['present'] }, count: { type: 'number' }, names: { type: 'array', items: { type: 'string' } } },
    required: ['path'],
    additionalProperties: false,
  },
];

test('the compiler ties a schema to its interface (the cases above type-check only as written)', () => {
  assert.deepEqual(Object.keys(matching.properties), ['path', 'state', 'count', 'names']);
  assert.equal(drifted.length, 5);
});
