// The host-variables service: every magic variable in every phase where its value can be known,
// a clear error naming the phase where it cannot, and one answer whoever asks (connection, pre-run
// check, role, `steer inventory --host`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { loadInventory } from '../../lib/inventory/load.js';
import type { RoleRef } from '../../lib/playbook/playbook.js';
import { HostVariables, type PlayVarsScope } from '../../lib/vars/host-vars.js';
import { OMIT } from '../../lib/vars/omit.js';

const fixtures = resolve(import.meta.dirname, '../fixtures/vars-phases');

async function service(extra: Record<string, unknown> = {}) {
  const inv = await loadInventory([join(fixtures, 'hosts.ini')], {});
  return new HostVariables(inv, { vars: extra, sources: {} }, { check: true, diff: true, forks: 3, limit: 'all', tags: ['t1'], skipTags: ['t2'], verbosity: 2, playbookDir: fixtures, inventorySources: ['hosts.ini'] });
}

const scope: PlayVarsScope = {
  name: 'The play',
  hosts: ['c1', 'w1'],
  activeHosts: () => ['c1', 'w1'],
  batchOf: () => ['c1'],
  roleNames: ['show'],
  vars: {},
  varsFromFiles: {},
};

function role(variables: Record<string, string>): RoleRef {
  return {
    name: 'show',
    dir: join(fixtures, 'roles/show'),
    tags: [],
    params: {},
    variables: Object.entries(variables).map(([name, d]) => ({ name, schema: {}, default: d, description: name, secret: false })),
    location: { file: 'site.yaml', line: 1 },
  };
}

/** Magic variables every phase knows, and their values for c1 with the settings above. */
const EVERY_PHASE: Record<string, unknown> = {
  inventory_hostname: 'c1',
  inventory_hostname_short: 'c1',
  group_names: ['control'],
  ansible_check_mode: true,
  ansible_diff_mode: true,
  ansible_forks: 3,
  ansible_limit: 'all',
  ansible_run_tags: ['t1'],
  ansible_skip_tags: ['t2'],
  ansible_verbosity: 2,
  ansible_inventory_sources: ['hosts.ini'],
  playbook_dir: fixtures,
  omit: OMIT,
};
const PLAY_PHASE: Record<string, unknown> = {
  ansible_play_name: 'The play',
  ansible_play_hosts: ['c1', 'w1'],
  ansible_play_hosts_all: ['c1', 'w1'],
  play_hosts: ['c1', 'w1'],
  ansible_play_batch: ['c1'],
  ansible_play_role_names: ['show'],
  ansible_role_names: ['show'],
  role_name: 'show',
};

test("a role default reading groups resolves in the pre-run check and in the play (issue #17's case)", async () => {
  const vars = await service();
  const r = role({ cp: "{{ groups['control'][0] }}" });
  assert.equal(vars.roleVars('c1', scope, r)['cp'], 'c1');
  assert.equal(vars.roleVars('w1', scope, r, { published: {} })['cp'], 'c1');
});

test('every magic variable is known in every phase where its value can be', async () => {
  const vars = await service();
  const names = [...Object.keys(EVERY_PHASE), ...Object.keys(PLAY_PHASE)];
  const r = role(Object.fromEntries(names.map((n) => [`seen_${n}`, `{{ ${n} }}`])));
  for (const runtime of [undefined, { published: {} }]) {
    const seen = vars.roleVars('c1', scope, r, runtime);
    for (const [name, value] of Object.entries({ ...EVERY_PHASE, ...PLAY_PHASE })) {
      // A variable whose value renders to omit is dropped (omit.ts); omit itself is known.
      if (name === 'omit') {
        assert.equal(seen['seen_omit'], undefined, `omit (${runtime ? 'play' : 'pre-run'}): a value that renders to omit is dropped`);
        assert.equal(seen['omit'], value);
        continue;
      }
      assert.deepEqual(seen[`seen_${name}`], value, `${name} (${runtime ? 'play' : 'pre-run'})`);
    }
    assert.deepEqual((seen['groups'] as Record<string, string[]>)['workers'], ['w1']);
    assert.equal((seen['hostvars'] as Record<string, Record<string, unknown>>)['w1']!['greeting'], 'hello w1 of 2');
  }
  const conn = vars.connectionVars('c1');
  for (const [name, value] of Object.entries(EVERY_PHASE)) assert.deepEqual(conn[name], value, `${name} (connection)`);
  assert.equal(conn['ansible_connection'], 'local');
});

test('facts are known in the play only; the pre-run check leaves them for later', async () => {
  const vars = await service();
  const r = role({ os: '{{ ansible_facts.os.id }}' });
  assert.doesNotThrow(() => vars.roleVars('c1', scope, r));
  assert.equal(vars.roleVars('c1', scope, r, { facts: { os: { id: 'debian' } }, published: {} })['os'], 'debian');
});

test('a variable read where it cannot be known names the phase', async () => {
  const inv = await loadInventory([join(fixtures, 'hosts.ini')], {});
  const vars = new HostVariables(inv, { vars: { who: '{{ ansible_play_hosts }}' }, sources: { who: 'extra vars (-e)' } });
  assert.throws(() => vars.connectionVars('c1')['who'], /host c1: 'ansible_play_hosts' is not known during connecting to the host \(it is known from the check of variables before the run on\)/);
});

test('steer inventory --host shows values rendered as a run renders them; facts-dependent ones as written', async () => {
  const vars = await service();
  assert.equal(vars.inventoryVars('w1')['greeting'], 'hello w1 of 2');
});

test('hostvars renders another host in its own context and adds what it published', async () => {
  const vars = await service();
  const hostvars = vars.hostvars((name) => (name === 'w1' ? { published: { token: 'abc' } } : undefined));
  assert.equal(hostvars['w1']!['greeting'], 'hello w1 of 2');
  assert.equal(hostvars['w1']!['token'], 'abc');
  assert.equal(hostvars['c1']!['token'], undefined);
  assert.deepEqual(Object.keys(hostvars), ['c1', 'w1']);
});
