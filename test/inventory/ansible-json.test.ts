// The --list / --graph / --host shapes, and `steer inventory` end to end on the home lab inventory.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { ansibleJson, inventoryGraph, inventoryHost, inventoryList } from '../../lib/inventory/ansible-json.js';
import { parseInventoryText } from '../../lib/inventory/load.js';

const root = resolve(import.meta.dirname, '../..');

const inv = parseInventoryText(
  ['lone x=1', '[web]', 'web1 port=80', 'web2', '[db]', 'db1', '[prod:children]', 'web', 'db', '[empty]'].join('\n'),
  'ini',
);

describe('inventoryList (--list)', () => {
  test('groups with hosts and children; empty groups and empty lists left out; hostvars only when non-empty', () => {
    assert.deepEqual(inventoryList(inv), {
      all: { children: ['ungrouped', 'prod', 'empty'] },
      ungrouped: { hosts: ['lone'] },
      web: { hosts: ['web1', 'web2'] },
      db: { hosts: ['db1'] },
      prod: { children: ['web', 'db'] },
      _meta: { hostvars: { lone: { x: 1 }, web1: { port: 80 } } },
    });
  });

  test('a limit keeps only the hosts it selects', () => {
    const list = inventoryList(inv, { hosts: new Set(['web2']) });
    assert.deepEqual(list.web, { hosts: ['web2'] });
    assert.equal(list.db, undefined);
    assert.deepEqual(list._meta, { hostvars: {} });
  });
});

describe('inventoryGraph (--graph)', () => {
  test('the tree from all, and from a group (as ansible-inventory --graph prints it)', () => {
    assert.equal(
      inventoryGraph(inv),
      ['@all:', '  |--@ungrouped:', '  |  |--lone', '  |--@prod:', '  |  |--@web:', '  |  |  |--web1', '  |  |  |--web2', '  |  |--@db:', '  |  |  |--db1', '  |--@empty:'].join('\n'),
    );
    assert.equal(inventoryGraph(inv, 'db'), '@db:\n  |--db1');
  });

  test('a name that is not a group is a UserError', () => {
    assert.throws(() => inventoryGraph(inv, 'web1'), /'web1' is not a group/);
  });
});

describe('inventoryHost (--host) and ansibleJson', () => {
  test('one host only', () => {
    assert.deepEqual(inventoryHost(inv, 'web1'), { port: 80 });
    assert.throws(() => inventoryHost(inv, 'web'), /matches 2/);
  });

  test('keys sorted as text (integer-like keys too), 4-space indentation, empty containers inline', () => {
    assert.equal(ansibleJson({ b: [], a: { '10': 1, '9': {} }, c: [1, 'x'] }), '{\n    "a": {\n        "10": 1,\n        "9": {}\n    },\n    "b": [],\n    "c": [\n        1,\n        "x"\n    ]\n}');
  });
});

describe('steer inventory (CLI)', () => {
  const steer = (...args: string[]) => spawnSync(process.execPath, ['bin/steer.js', 'inventory', ...args], { cwd: root, encoding: 'utf8' });

  test('--graph of inventory/home.yaml shows the articles\' home lab', () => {
    const r = steer('-i', 'inventory/home.yaml', '--graph');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      ['@all:', '  |--@ungrouped:', '  |--@cluster:', '  |  |--@control_plane:', '  |  |  |--elderberry', '  |  |--@workers:', '  |  |  |--gooseberry', '  |  |  |--huckleberry', ''].join('\n'),
    );
  });

  test("--host: cluster-wide group vars, host vars, and the control plane's node labels", () => {
    const r = steer('-i', 'inventory/home.yaml', '--host', 'huckleberry');
    assert.equal(r.status, 0, r.stderr);
    const vars = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(vars.ansible_host, '192.168.2.116');
    assert.equal(vars.ansible_user, 'ubuntu');
    assert.equal(vars.kubernetes_version, '1.34.2');
    assert.equal(vars.kubernetes_apt_base_url, 'https://pkgs.k8s.io/core:/stable:');
    assert.equal(vars.container_runtime, 'containerd');
    assert.equal(vars.pod_network_cidr, '10.244.0.0/16');
    assert.equal(vars.cni_plugin, 'flannel');
    assert.deepEqual(vars.cgroup_cmdline_flags, ['cgroup_enable=memory']);
    assert.equal(vars.control_plane_schedulable, true);
    assert.equal(vars.apiserver_health_timeout, '4m0s');
    assert.equal(vars.verify_cleanup, false);
    assert.equal(vars.node_labels, undefined);
    // The second article labels its control plane.
    const cp = JSON.parse(steer('-i', 'inventory/home.yaml', '--host', 'elderberry').stdout) as Record<string, unknown>;
    assert.deepEqual(cp.node_labels, { raid: 'true', network: 'gigabit' });
  });

  test('--list with --limit, and the warning for a limit part that matches nothing', () => {
    const r = steer('-i', 'inventory/home.yaml', '--list', '-l', 'workers:nosuch');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '[WARNING]: Could not match supplied host pattern, ignoring: nosuch\n');
    const list = JSON.parse(r.stdout) as Record<string, unknown> & { _meta: { hostvars: object } };
    assert.deepEqual(Object.keys(list._meta.hostvars), ['gooseberry', 'huckleberry']);
    assert.equal(list.control_plane, undefined);
  });

  test('a bad inventory: one line with file:line:col, exit code 5, no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'steer-inventory-cli-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'workers:\n  hosts:\n    - gooseberry\n');
    const r = steer('-i', file, '--list');
    assert.equal(r.status, 5);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `steer: ${file}:3:5: 'hosts' of group 'workers' must be a mapping (host names as keys, each with its variables or nothing), not a list\n`);
  });

  test('exactly one of --list, --graph, --host', () => {
    const r = steer('-i', 'inventory/home.yaml', '--list', '--graph');
    assert.equal(r.status, 5);
    assert.match(r.stderr, /exactly one of --list, --graph \[GROUP\] or --host NAME/);
  });

  test('--help describes the options', () => {
    const r = steer('--help');
    assert.equal(r.status, 0);
    for (const opt of ['--inventory', '--list', '--graph', '--host', '--playbook-dir', '--limit']) assert.ok(r.stdout.includes(opt), opt);
  });
});
