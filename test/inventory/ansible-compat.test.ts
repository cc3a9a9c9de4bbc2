// steer's inventory loader against the real ansible-inventory (Debian's ansible-core, installed by
// the test command, test/support/prerequisites.ts) on fixture inventories of many shapes: both must
// agree on every group's hosts and children, every host's group membership and every host's merged
// variables. ansible-inventory only parses files; it never connects to the hosts listed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ansibleJson, inventoryGraph, inventoryHost, inventoryList } from '../../lib/inventory/ansible-json.js';
import { loadInventorySync } from '../../lib/inventory/load.js';
import { PythonFloat } from '../../lib/vars/python-float.js';
import { pyJson } from '../../lib/vars/python-semantics.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const fixtures = join(root, 'test/fixtures/inventories');

interface Case {
  name: string;
  sources: string[];
  playbookDir?: string;
  /** Also compare the --graph text. */
  graph?: boolean;
}

const cases: Case[] = [
  { name: 'YAML: all vars, groups, a host directly under all', sources: ['yaml-basic/hosts.yaml'], graph: true },
  { name: 'YAML: nested children, ranges with padding/step/letters, ports', sources: ['yaml-nested-ranges/inventory.yml'], graph: true },
  { name: 'INI: ungrouped hosts, typed values, :vars, :children before the child', sources: ['ini-basic/hosts.ini'], graph: true },
  { name: 'INI without extension: hosts as IPv4/IPv6 addresses, IP ranges', sources: ['ini-ips/hosts'] },
  { name: 'group_vars folders with several files, host_vars folders', sources: ['group-vars-folders/inventory.yaml'] },
  { name: 'precedence: depth, ansible_group_priority, name, group_vars over inline', sources: ['precedence/hosts.yml'] },
  { name: 'inventory folder with several files (YAML, INI, subfolder, ignored files)', sources: ['inventory-dir/inv'], graph: true },
  { name: 'playbook-side group_vars/host_vars (--playbook-dir)', sources: ['playbook-side/inventory/hosts.yaml'], playbookDir: 'playbook-side/playbooks' },
  { name: 'two -i sources (YAML + INI), each with its group_vars', sources: ['multi-source/one/hosts.yaml', 'multi-source/two/hosts.ini'], graph: true },
  { name: 'YAML 1.1 typing as PyYAML reads it', sources: ['yaml11-typing/hosts.yml'] },
  { name: 'files without extension: YAML and INI content', sources: ['no-extension/yaml-inventory', 'no-extension/ini-inventory'] },
  { name: 'the home lab (inventory/home.yaml)', sources: [join(root, 'inventory/home.yaml')], graph: true },
  { name: 'a host list (-i "a,b:2222,")', sources: ['web1,web2:2222,10.0.0.1,'] },
];

// ansible-inventory reads ./group_vars of its working folder and writes under ~/.ansible: give it
// an empty folder of its own, an empty config, and remove everything afterwards.
const work = mkdtempSync(join(tmpdir(), 'steer-ansible-compat-'));
after(() => rmSync(work, { recursive: true, force: true }));
writeFileSync(join(work, 'ansible.cfg'), '');
const env = {
  ...process.env,
  ANSIBLE_CONFIG: join(work, 'ansible.cfg'),
  ANSIBLE_HOME: join(work, 'home'),
  ANSIBLE_LOCAL_TEMP: join(work, 'tmp'),
  ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False',
  // A source Ansible cannot parse must fail the comparison, not silently become an empty inventory.
  ANSIBLE_INVENTORY_UNPARSED_FAILED: 'True',
  ANSIBLE_NOCOLOR: '1',
  ANSIBLE_DEPRECATION_WARNINGS: 'False',
};

const abs = (source: string) => (source.includes(',') || source.startsWith('/') ? source : join(fixtures, source));

async function ansibleInventory(c: Case, mode: string[]): Promise<string> {
  const args = [...c.sources.flatMap((s) => ['-i', abs(s)]), ...mode];
  if (c.playbookDir) args.push('--playbook-dir', join(fixtures, c.playbookDir));
  const { stdout } = await run('ansible-inventory', args, { cwd: work, env, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/**
 * JSON.parse, except that a float stays distinguishable from an integer: Python prints 2.0 where
 * JavaScript would read 2, and a float must stay a float. Floats become { float: "2.0" }.
 */
function parseKeepingFloats(text: string): unknown {
  const tokens = /"(?:[^"\\]|\\.)*"|(-?(?:\d+\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+)|NaN|-?Infinity)/g;
  return JSON.parse(text.replace(tokens, (token, float: string | undefined) => (float === undefined && !/^-?Infinity$|^NaN$/.test(token) ? token : JSON.stringify({ float: token }))));
}

/** A value of steer's with its floats written as parseKeepingFloats reads Python's. */
function markFloats(value: unknown): unknown {
  if (value instanceof PythonFloat || (typeof value === 'number' && !Number.isInteger(value))) {
    return { float: pyJson(value) };
  }
  if (Array.isArray(value)) return value.map(markFloats);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, markFloats(v)]));
  return value;
}

type ListJson = Record<string, { hosts?: string[]; children?: string[] }> & { _meta: { hostvars: Record<string, unknown> } };

/** Every host's direct groups, as read from a --list document. */
function membership(list: ListJson): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [group, entry] of Object.entries(list)) {
    if (group === '_meta') continue;
    for (const h of (entry as { hosts?: string[] }).hosts ?? []) (out[h] ??= []).push(group);
  }
  for (const groups of Object.values(out)) groups.sort();
  return out;
}

describe('steer inventory agrees with ansible-inventory', () => {
  test('ansible-inventory is installed (the test command installs Debian\'s ansible-core)', async () => {
    const { stdout } = await run('ansible-inventory', ['--version'], { env });
    assert.match(stdout, /ansible-inventory \[core \d+\.\d+/);
  });

  for (const c of cases) {
    test(c.name, async () => {
      const inv = loadInventorySync(c.sources.map(abs), { playbookDir: c.playbookDir ? join(fixtures, c.playbookDir) : undefined });
      const [listText, graphText] = await Promise.all([
        ansibleInventory(c, ['--list']),
        c.graph ? ansibleInventory(c, ['--graph']) : Promise.resolve(undefined),
      ]);
      const expected = parseKeepingFloats(listText) as ListJson;
      const actual = parseKeepingFloats(ansibleJson(inventoryList(inv))) as ListJson;

      assert.deepEqual(Object.keys(actual._meta.hostvars).sort(), Object.keys(expected._meta.hostvars).sort(), 'hosts with variables');
      assert.deepEqual(membership(actual), membership(expected), 'group membership of every host');
      for (const host of Object.keys(membership(expected))) {
        assert.deepEqual(actual._meta.hostvars[host], expected._meta.hostvars[host], `merged variables of ${host}`);
        assert.deepEqual(markFloats(inv.hostVars(host)), expected._meta.hostvars[host] ?? {}, `hostVars(${host})`);
      }
      assert.deepEqual(actual, expected, 'the whole --list document');
      if (graphText !== undefined) assert.equal(inventoryGraph(inv), graphText.trimEnd(), '--graph');
    });
  }

  test('host patterns select the same hosts in the same order as InventoryManager.get_hosts', async () => {
    const source = join(fixtures, 'patterns/hosts.yml');
    const patterns = [
      'all', '*', 'web', 'web:db', 'web,db', 'db:web', 'web:!prod', '!prod:web', 'web:db:&prod', '&prod:db', '!cluster',
      'web*', '*berry', 'db?', 'work*', '~(web|db)1', '~.*berry$', 'web[0]', 'web[-1]', 'web[1:]', 'web[0:1]', 'web[0]:db[1]',
      'ungrouped', '10.0.0.9', 'db2', 'nosuch', 'web:nosuch', 'cluster:&prod', 'c*:!workers',
    ];
    // Ask Ansible's own InventoryManager, with the Python interpreter ansible-inventory runs on.
    const { stdout: bin } = await run('sh', ['-c', 'command -v ansible-inventory']);
    const { readFileSync } = await import('node:fs');
    const python = readFileSync(bin.trim(), 'utf8').split('\n')[0]!.replace(/^#!\s*/, '').split(/\s+/);
    const script = [
      'import json, sys',
      'from ansible.parsing.dataloader import DataLoader',
      'from ansible.inventory.manager import InventoryManager',
      'im = InventoryManager(DataLoader(), sources=[sys.argv[1]])',
      'print(json.dumps({p: [h.name for h in im.get_hosts(p)] for p in json.loads(sys.argv[2])}))',
    ].join('\n');
    const { stdout } = await run(python[0]!, [...python.slice(1), '-c', script, source, JSON.stringify(patterns)], { cwd: work, env });
    const expected = JSON.parse(stdout) as Record<string, string[]>;
    const inv = loadInventorySync([source]);
    for (const p of patterns) assert.deepEqual(inv.select(p), expected[p], `pattern ${p}`);
  });

  test('--host prints the same variables for one host', async () => {
    const c = cases.find((x) => x.sources[0] === 'group-vars-folders/inventory.yaml')!;
    const inv = loadInventorySync(c.sources.map(abs));
    const expected = await ansibleInventory(c, ['--host', 'db1']);
    assert.equal(ansibleJson(inventoryHost(inv, 'db1')), expected.trimEnd());
  });
});
