import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { UserError } from '../../lib/errors.js';
import type { Vars } from '../../lib/inventory/inventory.js';
import { loadRoleVariables } from '../../lib/playbook/role-variables.js';
import type { RoleRef } from '../../lib/playbook/playbook.js';
import { clearSecrets, maskSecrets } from '../../lib/secrets/masker.js';
import { resolveRoleVars, type ResolveRoleVarsInput } from '../../lib/vars/precedence.js';
import { PythonFloat } from '../../lib/vars/python-float.js';

const roles = resolve(import.meta.dirname, '../fixtures/roles');

function role(name: string, params: Vars = {}): RoleRef {
  const dir = resolve(roles, name);
  return { name, dir, tags: [], params, variables: loadRoleVariables(dir), location: { file: 'site.yaml', line: 7, col: 9 } };
}

function input(overrides: Partial<ResolveRoleVarsInput>): ResolveRoleVarsInput {
  return {
    role: role('greeter'),
    host: 'gooseberry',
    inventoryVars: {},
    magic: { inventory_hostname: 'gooseberry' },
    playVars: {},
    varsFromFiles: {},
    published: {},
    extraVars: {},
    ...overrides,
  };
}

function failure(i: ResolveRoleVarsInput): string {
  try {
    resolveRoleVars(i);
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected the variables to be rejected');
}

test('layers win in Ansible order: defaults < inventory < facts < play < vars_files < params < published < extra', () => {
  const layers: [keyof ResolveRoleVarsInput | 'params' | 'default', string][] = [
    ['inventoryVars', 'inventory'],
    ['playVars', 'play'],
    ['varsFromFiles', 'files'],
    ['params', 'params'],
    ['published', 'published'],
    ['extraVars', 'extra'],
  ];
  // Each step adds the next layer: the greeting must come from the highest one present.
  let current = input({});
  assert.equal(resolveRoleVars(current)['greeting'], 'hello', 'the role default alone');
  for (const [layer, value] of layers) {
    current =
      layer === 'params'
        ? { ...current, role: role('greeter', { greeting: value }) }
        : { ...current, [layer]: { greeting: value } };
    assert.equal(resolveRoleVars(current)['greeting'], value, `${layer} wins over the layers below`);
  }
});

test('facts are seen as ansible_facts and facts, above inventory and below play vars', () => {
  const facts = { os: { id: 'debian' } };
  const vars = resolveRoleVars(input({ facts, inventoryVars: { facts: 'inv' }, playVars: { greeting: '{{ ansible_facts.os.id }}' } }));
  assert.deepEqual(vars['ansible_facts'], facts);
  assert.deepEqual(vars['facts'], facts);
  assert.equal(vars['greeting'], 'debian');
  assert.equal(resolveRoleVars(input({ facts, playVars: { facts: 'play' } }))['facts'], 'play');
});

test('magic variables are available and templates see the whole merged context', () => {
  const vars = resolveRoleVars(
    input({
      role: role('versioned', { cluster_name: '{{ inventory_hostname }}-cluster' }),
      inventoryVars: { kubernetes_version: '{{ wanted }}' },
      extraVars: { wanted: '1.31' },
    }),
  );
  assert.equal(vars['cluster_name'], 'gooseberry-cluster');
  assert.equal(vars['kubernetes_version'], '1.31');
  assert.equal(vars['full_version'], '1.31.0', 'a templated default renders against the winning values');
  assert.deepEqual(vars['ports'], [6443]);
  assert.equal(vars['inventory_hostname'], 'gooseberry');
});

test('undeclared variables render lazily: an unused broken one is no error', () => {
  const vars = resolveRoleVars(input({ inventoryVars: { broken: '{{ nope }}', fine: '{{ greeting }}!' } }));
  assert.equal(vars['fine'], 'hello!');
  assert.throws(() => vars['broken'], { message: "host gooseberry: undefined variable 'nope' in variable 'broken' — set in the inventory" });
});

test('declared types are checked, strings coerced to booleans and numbers, numbers never to strings', () => {
  const vars = resolveRoleVars(input({ inventoryVars: { loud: 'yes', repeat: '3' } }));
  assert.equal(vars['loud'], true);
  assert.equal(vars['repeat'], 3);

  assert.equal(
    failure(
      input({
        role: role('versioned', { cluster_name: 'c' }),
        inventoryVars: { kubernetes_version: 1.3 },
        sources: { inventory: { kubernetes_version: 'inventory/group_vars/all.yaml:2:21' } },
      }),
    ),
    'host gooseberry: variable kubernetes_version must be string (got number 1.3) — set in inventory/group_vars/all.yaml:2:21',
  );
  assert.equal(
    failure(input({ playVars: { repeat: 'many' }, play: playWithSource('repeat', 'site.yaml', 5, 7) })),
    'host gooseberry: variable repeat must be integer (got string "many") — set in site.yaml:5:7',
  );
  assert.equal(failure(input({ extraVars: { repeat: 0 } })), 'host gooseberry: variable repeat must be >= 1 (got number 0) — set in extra vars (-e)');
  assert.equal(
    failure(input({ role: role('versioned', { cluster_name: 'c', mode: 'wild' }) })),
    'host gooseberry: variable mode must be one of: "fast", "safe" (got string "wild") — set in site.yaml:7:9',
  );
  assert.equal(
    failure(input({ role: role('versioned', { cluster_name: 'c', ports: [80, 'http'] }) })),
    'host gooseberry: variable ports[1] must be integer (got string "http") — set in site.yaml:7:9',
  );
  assert.equal(
    failure(input({ role: role('versioned') })),
    "host gooseberry: variable cluster_name of role versioned is not set (expected it in the inventory, the play's vars or -e: The name of the cluster.)",
  );
});

test('a float stays a float: a string declaration quotes it as written, a number keeps it, an integer takes 2.0 as 2', () => {
  assert.equal(
    failure(input({ role: role('versioned', { cluster_name: 'c' }), inventoryVars: { kubernetes_version: new PythonFloat(1.3, '1.30') } })),
    'host gooseberry: variable kubernetes_version must be string (got number 1.30) — set in the inventory',
  );
  const vars = resolveRoleVars(input({ inventoryVars: { repeat: new PythonFloat(2, '2.0') } }));
  assert.equal(vars['repeat'], 2);
  assert.equal(failure(input({ inventoryVars: { repeat: new PythonFloat(2.5, '2.50') } })), 'host gooseberry: variable repeat must be integer (got number 2.50) — set in the inventory');
});

test('omit: a variable that renders to omit is not set at its layer, so the next lower one wins', () => {
  const omitted = '{{ nothing_here | default(omit) }}';
  assert.equal(resolveRoleVars(input({ role: role('greeter', { greeting: omitted }) }))['greeting'], 'hello', 'role parameter → role default');
  assert.equal(resolveRoleVars(input({ playVars: { greeting: omitted }, inventoryVars: { greeting: 'hi' } }))['greeting'], 'hi', 'play var → inventory');
  assert.equal(
    resolveRoleVars(input({ role: role('greeter', { greeting: omitted }), playVars: { greeting: omitted }, inventoryVars: { greeting: 'hey' } }))['greeting'],
    'hey',
    'two layers omitted in a row',
  );
  assert.equal('api_token' in resolveRoleVars(input({ extraVars: { api_token: omitted } })), false, 'no lower layer: not set at all');
  assert.equal(resolveRoleVars(input({ role: role('greeter', { greeting: '{{ given | default(omit) }}' }), extraVars: { given: 'yo' } }))['greeting'], 'yo');
});

function playWithSource(name: string, file: string, line: number, col: number) {
  return {
    name: 'p',
    hosts: 'all',
    roles: [],
    vars: {},
    varsFiles: [],
    varsFromFiles: {},
    varSources: { [name]: { file, line, col } },
    tags: [],
    serial: [],
    gatherFacts: true,
    become: false,
    anyErrorsFatal: false,
    forceHandlers: false,
    location: { file },
  };
}

test('undefined and self-referencing variables are errors naming the host and the variable', () => {
  assert.equal(
    failure(input({ playVars: { greeting: '{{ salutation }}' }, play: playWithSource('greeting', 'site.yaml', 4, 15) })),
    "host gooseberry: undefined variable 'salutation' in variable 'greeting' — set in site.yaml:4:15",
  );
  assert.equal(failure(input({ inventoryVars: { greeting: '{{ greeting }}' } })), "host gooseberry: variable 'greeting' refers to itself (greeting → greeting) — set in the inventory");
});

test('before the run, values that need facts are left for later', () => {
  const i = input({ playVars: { greeting: '{{ ansible_facts.hostname }}' } });
  assert.throws(() => resolveRoleVars(i), /undefined variable 'ansible_facts'/);
  assert.doesNotThrow(() => resolveRoleVars(i, { beforeRun: true }));
  assert.throws(() => resolveRoleVars(input({ playVars: { greeting: '{{ nope }}' } }), { beforeRun: true }), /undefined variable 'nope'/);
});

test('values of secret variables are masked everywhere', (t) => {
  t.after(clearSecrets);
  resolveRoleVars(input({ extraVars: { api_token: 's3cr3t-token-value' } }));
  assert.equal(maskSecrets('token is s3cr3t-token-value'), 'token is ********');
});
