import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError, formatUserMessage } from '../../lib/errors.js';
import { loadRoleVariables, roleSchema } from '../../lib/playbook/role-variables.js';

const fixtures = resolve(import.meta.dirname, '../fixtures/roles');

function roleWith(t: { after(fn: () => void): void }, yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'steer-role-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'variables.yaml'), yaml);
  return dir;
}

function declarationError(dir: string): string {
  try {
    loadRoleVariables(dir, 'roles/r');
  } catch (err) {
    assert.ok(err instanceof UserError);
    return formatUserMessage(err);
  }
  assert.fail('expected the declarations to be rejected');
}

test('declarations become JSON Schemas with defaults, descriptions and secrecy', () => {
  const vars = loadRoleVariables(join(fixtures, 'versioned'));
  const byName = Object.fromEntries(vars.map((v) => [v.name, v]));
  assert.deepEqual(Object.keys(byName), ['kubernetes_version', 'full_version', 'ports', 'mode', 'cluster_name']);
  assert.deepEqual(byName['kubernetes_version']!.schema, {
    type: 'string',
    pattern: '^\\d+\\.\\d+$',
    description: 'The Kubernetes minor version.',
  });
  assert.equal(byName['kubernetes_version']!.default, '1.30');
  assert.deepEqual(byName['ports']!.schema, { type: 'array', items: { type: 'integer' }, description: 'Ports to open.' });
  assert.equal(byName['cluster_name']!.required, true);
  assert.equal(byName['cluster_name']!.default, undefined);
  assert.equal(loadRoleVariables(join(fixtures, 'greeter')).find((v) => v.name === 'api_token')!.secret, true);
  const schema = roleSchema(vars) as { required: string[]; properties: Record<string, { default?: unknown }> };
  assert.deepEqual(schema.required, ['cluster_name']);
  assert.equal(schema.properties['mode']!.default, 'safe');
});

test('a role without variables.yaml declares nothing', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'steer-role-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.deepEqual(loadRoleVariables(dir), []);
});

test('bad declarations are errors at their line', (t) => {
  const cases: [string, string][] = [
    ['x:\n  type: string\n', "roles/r/variables.yaml:1:1: variable 'x' has no description (expected description: a sentence saying what it is for)"],
    ['x:\n  description: an x\n', "roles/r/variables.yaml:1:1: variable 'x' has no type (expected one of string, number, integer, boolean, array, object, null, or a list of them)"],
    ['x:\n  type: text\n  description: an x\n', `roles/r/variables.yaml:2:9: invalid type "text" for 'x' (expected one of string, number, integer, boolean, array, object, null, or a list of them)`],
    ['x:\n  type: string\n  description: an x\n  defualt: a\n', "roles/r/variables.yaml:4:3: unknown key 'defualt' in declaration of 'x' (expected one of: type, default, description, secret, required, or a JSON Schema keyword such as enum, items, properties, pattern, minimum)"],
    ['x:\n  type: string\n  description: an x\n  default: 5\n', "roles/r/variables.yaml:4:12: default of 'x' does not match its declaration: must be string (got number 5)"],
    ['x:\n  type: string\n  description: an x\n  secret: maybe\n', `roles/r/variables.yaml:4:11: invalid value for 'secret' of 'x': "maybe" (expected true or false)`],
    ['x: 5\n', "roles/r/variables.yaml:1:4: declaration of 'x' is not a mapping (expected keys type, default, description)"],
    ['- x\n', 'roles/r/variables.yaml:1:1: variables.yaml is not a mapping (expected variable names, each with type, default, description)'],
    ['1x:\n  type: string\n  description: d\n', "roles/r/variables.yaml:1:1: invalid variable name '1x' (expected letters, digits and _, not starting with a digit)"],
    [
      'x:\n  type: array\n  description: d\n  items:\n    type: string\n    minLenght: 2\n',
      'roles/r/variables.yaml:6:5: invalid declaration of \'x\': unknown keyword: "minLenght" (expected a JSON Schema)',
    ],
    ['x:\n  type: integer\n  description: d\n  minimum: low\n', "roles/r/variables.yaml:4:12: invalid declaration of 'x': minimum must be number (expected a JSON Schema)"],
  ];
  for (const [yaml, expected] of cases) {
    assert.equal(declarationError(roleWith(t, yaml)), expected, yaml);
  }
});

test('a templated default is checked when rendered, not at load', (t) => {
  const vars = loadRoleVariables(roleWith(t, 'port:\n  type: integer\n  default: "{{ base_port + 1 }}"\n  description: d\n'));
  assert.equal(vars[0]!.default, '{{ base_port + 1 }}');
});
