// Loading inventories: YAML and INI shapes, typing, group_vars/host_vars files and folders,
// variable precedence, inventory folders, several sources, and the errors for bad inventories.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SteerError, UserError, formatUserMessage } from '../../lib/errors.js';
import { loadInventory, loadInventorySync, parseInventoryText } from '../../lib/inventory/load.js';
import { magicVars } from '../../lib/inventory/magic.js';

const scratch = mkdtempSync(join(tmpdir(), 'steer-inventory-load-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;

/** Writes `files` (relative path → content) into a fresh folder and returns its path. */
function tree(files: Record<string, string>): string {
  const dir = join(scratch, `t${counter++}`);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    return formatUserMessage(err as SteerError);
  }
  assert.fail('expected an error');
}

describe('YAML inventories', () => {
  test('implicit all and ungrouped, groups, children, and host order', () => {
    const inv = parseInventoryText(
      ['all:', '  hosts:', '    lone:', '  children:', '    cluster:', '      children:', '        cp:', '          hosts:', '            c1:', '        workers:', '          hosts:', '            w1:', '            w2:'].join('\n'),
      'yaml',
    );
    assert.deepEqual([...inv.groups.keys()], ['all', 'ungrouped', 'cluster', 'cp', 'workers']);
    assert.deepEqual(inv.groups.get('ungrouped')!.hosts, ['lone']);
    assert.deepEqual(inv.groups.get('all')!.children, ['ungrouped', 'cluster']);
    assert.deepEqual(inv.groupHosts('cluster'), ['c1', 'w1', 'w2']);
    assert.deepEqual(inv.groupHosts('all'), ['lone', 'c1', 'w1', 'w2']);
    assert.deepEqual(inv.groupsOf('w1'), ['cluster', 'workers']);
    assert.deepEqual(inv.groupsOf('lone'), ['ungrouped']);
  });

  test('ranges, ports, bare-string sections, a host in two groups', () => {
    const inv = parseInventoryText(
      [
        'web:',
        '  hosts:',
        '    web[01:03:2]:',
        '      role: web',
        '    proxy:8443:',
        'db:',
        '  hosts: db-[a:b]',
        'all_web:',
        '  children: web',
        'other:',
        '  hosts:',
        '    web01:',
        '      role: other',
        '      extra: 1',
      ].join('\n'),
      'yaml',
    );
    assert.deepEqual([...inv.hosts.keys()], ['web01', 'web03', 'proxy', 'db-a', 'db-b']);
    assert.deepEqual(inv.hostVars('proxy'), { ansible_port: 8443 });
    assert.deepEqual(inv.hostVars('web01'), { role: 'other', extra: 1 });
    assert.deepEqual(inv.groupsOf('web03'), ['all_web', 'web']);
  });

  test('values are read as PyYAML reads YAML 1.1', () => {
    const inv = parseInventoryText('all:\n  hosts:\n    h:\n      a: yes\n      b: n\n      c: 010\n      d: 1e3\n      e: "1.34"\n', 'yaml');
    assert.deepEqual(inv.hostVars('h'), { a: true, b: 'n', c: 8, d: '1e3', e: '1.34' });
  });

  test('ansible_group_priority is a setting, not a variable', () => {
    const inv = parseInventoryText('a:\n  vars: {ansible_group_priority: 5, x: a}\n  hosts: {h: }\nb:\n  vars: {x: b}\n  hosts: {h: }\n', 'yaml');
    assert.deepEqual(inv.hostVars('h'), { x: 'a' }); // same depth: priority 5 beats b's default 1
  });
});

describe('INI inventories', () => {
  const ini = [
    'jump ansible_port=2222 proxy=True  # comment',
    '[web]',
    'web1 n=1 s="1" t=true l="[1, 2]" words="a b"',
    'web[2:3]:2200',
    '[web:vars]',
    'n=1',
    's="1"',
    't=true',
    'T=True',
    'c = text # kept',
    '[app:children]',
    'web',
    'api',
    '[api]',
    'api1',
    '[ungrouped]',
    'web1',
  ].join('\n');

  test('sections, children declared before the child, ungrouped hosts', () => {
    const inv = parseInventoryText(ini, 'ini');
    assert.deepEqual(inv.groups.get('ungrouped')!.hosts, ['jump']);
    assert.deepEqual(inv.groups.get('app')!.children, ['web', 'api']);
    assert.deepEqual(inv.groupHosts('app'), ['web1', 'web2', 'web3', 'api1']);
    assert.deepEqual(inv.groupsOf('web1'), ['app', 'web']);
  });

  test('typing: inline values lose shell quotes first; :vars values keep them for literal_eval', () => {
    const inv = parseInventoryText(ini, 'ini');
    assert.deepEqual(inv.hostVars('jump'), { ansible_port: 2222, proxy: true });
    assert.deepEqual(inv.hostVars('web1'), { n: 1, s: 1, t: 'true', l: [1, 2], words: 'a b', T: true, c: 'text # kept' });
    assert.deepEqual(inv.hostVars('web2'), { ansible_port: 2200, n: 1, s: '1', t: 'true', T: true, c: 'text # kept' });
  });
});

describe('group_vars and host_vars', () => {
  test('folders are read in sorted order; `name` shadows name.yml; hidden, backup and other files are skipped', () => {
    const dir = tree({
      'hosts.yml': 'web:\n  hosts:\n    web1:\n',
      'group_vars/all/10-b.yml': 'x: 10\ny: 10\n',
      'group_vars/all/02-a.yaml': 'x: 2\nz: 2\n',
      'group_vars/all/20-noext': 'y: 20\n',
      'group_vars/all/30.json': '{"j": [1, 2]}',
      'group_vars/all/40.txt': 'y: 40\n',
      'group_vars/all/.50.yml': 'y: 50\n',
      'group_vars/all/60.yml~': 'y: 60\n',
      'group_vars/all/sub/70.yml': 'deep: true\n',
      'group_vars/web': 'w: noext\n',
      'group_vars/web.yml': 'w: yml\n',
      'host_vars/web1/a.yml': 'h: a\n',
      'host_vars/web1/b.yml': 'h: b\n',
    });
    const inv = loadInventorySync([join(dir, 'hosts.yml')]);
    assert.deepEqual(inv.hostVars('web1'), { x: 10, y: 20, z: 2, j: [1, 2], deep: true, w: 'noext', h: 'b' });
  });

  test('precedence: all < parents < children (depth, priority, name) < host; files over inline; playbook side over inventory side', () => {
    const dir = tree({
      'inv/hosts.yml': [
        'all:',
        '  vars: {v: all-inline, a: all-inline}',
        '  children:',
        '    parent:',
        '      vars: {v: parent, p: parent}',
        '      children:',
        '        child:',
        '          vars: {v: child, a: child-inline}',
        '          hosts:',
        '            h1:',
        '            h2: {v: host-inline}',
        '    zed:',
        '      vars: {v: zed, p: zed}',
        '      hosts: {h1: }',
      ].join('\n'),
      'inv/group_vars/all.yml': 'a: inv-gv-all\n',
      'inv/group_vars/parent.yml': 'p: inv-gv-parent\n',
      'inv/host_vars/h2.yml': 'v: inv-hv-h2\n',
      'pb/group_vars/all.yml': 'a: pb-gv-all\n',
      'pb/group_vars/zed.yml': 'p: pb-gv-zed\n',
      'pb/host_vars/h2.yml': 'v: pb-hv-h2\n',
    });
    const inventoryOnly = loadInventorySync([join(dir, 'inv/hosts.yml')]);
    // h1: child (depth 2) beats parent and zed (depth 1); zed beats parent by name at the same depth;
    // any group_vars/all file beats every group's inline vars (a).
    assert.deepEqual(inventoryOnly.hostVars('h1'), { v: 'child', a: 'inv-gv-all', p: 'inv-gv-parent' });
    assert.deepEqual(inventoryOnly.hostVars('h2'), { v: 'inv-hv-h2', a: 'inv-gv-all', p: 'inv-gv-parent' });
    const withPlaybook = loadInventorySync([join(dir, 'inv/hosts.yml')], { playbookDir: join(dir, 'pb') });
    assert.deepEqual(withPlaybook.hostVars('h1'), { v: 'child', a: 'pb-gv-all', p: 'pb-gv-zed' });
    assert.deepEqual(withPlaybook.hostVars('h2'), { v: 'pb-hv-h2', a: 'pb-gv-all', p: 'inv-gv-parent' });
  });

  test('an empty vars file is skipped', () => {
    const dir = tree({ 'hosts.yml': 'g:\n  hosts: {h: }\n', 'group_vars/g.yml': '# nothing yet\n' });
    assert.deepEqual(loadInventorySync([join(dir, 'hosts.yml')]).hostVars('h'), {});
  });
});

describe('inventory folders and several sources', () => {
  test('a folder is read in byte order; *.ini, *.md, *.retry and dot files are ignored; sub-folders are read', async () => {
    const dir = tree({
      'inv/b.yml': 'g:\n  hosts: {b1: }\n',
      'inv/A-first': '[g]\na1 x=1\n',
      'inv/c.ini': '[g]\nignored\n',
      'inv/notes.md': 'ignored\n',
      'inv/old.retry': 'ignored\n',
      'inv/.hidden.yml': 'g:\n  hosts: {ignored: }\n',
      'inv/sub/d.yaml': 'g:\n  hosts: {d1: }\n',
      'inv/group_vars/g.yml': 'from_dir: true\n',
    });
    const inv = await loadInventory([join(dir, 'inv')]);
    assert.deepEqual(inv.groupHosts('g'), ['a1', 'b1', 'd1']);
    assert.deepEqual(inv.hostVars('a1'), { x: 1, from_dir: true });
  });

  test('repeated -i sources merge; each source brings its own group_vars', async () => {
    const dir = tree({
      'one/hosts.yml': 'web:\n  hosts: {w1: {x: one}}\n',
      'one/group_vars/web.yml': 'gv: one\n',
      'two/hosts.ini': '[web]\nw1 x=two\nw2\n',
      'two/group_vars/web.yml': 'gv: two\n',
    });
    const inv = await loadInventory([join(dir, 'one/hosts.yml'), join(dir, 'two/hosts.ini')]);
    assert.deepEqual(inv.groupHosts('web'), ['w1', 'w2']);
    assert.deepEqual(inv.hostVars('w1'), { x: 'two', gv: 'two' });
  });

  test('a file without extension is YAML when it reads as a mapping, INI otherwise', () => {
    const dir = tree({ yaml: 'g:\n  hosts: {y1: }\n', ini: 'i1\n[g]\ni2\n' });
    const inv = loadInventorySync([join(dir, 'yaml'), join(dir, 'ini')]);
    assert.deepEqual(inv.groupHosts('g'), ['y1', 'i2']);
    assert.deepEqual(inv.groups.get('ungrouped')!.hosts, ['i1']);
  });

  test('magicVars: inventory_hostname(_short), group_names, inventory_file', () => {
    const dir = tree({ 'hosts.yml': 'g:\n  hosts:\n    node1.lan:\n    10.0.0.1:\n' });
    const inv = loadInventorySync([join(dir, 'hosts.yml')]);
    assert.deepEqual(magicVars(inv, 'node1.lan'), {
      inventory_hostname: 'node1.lan',
      inventory_hostname_short: 'node1',
      group_names: ['g'],
      inventory_file: join(dir, 'hosts.yml'),
      inventory_dir: dir,
    });
    assert.equal(magicVars(inv, '10.0.0.1').inventory_hostname_short, '10.0.0.1');
    assert.equal('inventory_hostname' in inv.hostVars('node1.lan'), false);
  });
});

describe('input Ansible takes but warns about or gets wrong', () => {
  test('a host name with whitespace is refused with file:line (several addresses under hosts: without colons)', () => {
    const yaml = ['all:', '  children:', '    web:', '      hosts:', '        10.0.0.10', '        10.0.0.20', ''].join('\n');
    assert.equal(
      userError(() => parseInventoryText(yaml, 'yaml', 'hosts.yaml')),
      `hosts.yaml:5:9: invalid host name "10.0.0.10 10.0.0.20": a host name cannot contain whitespace (in YAML, write each host under 'hosts:' as a key ending with ':' — lines without ':' join into one name)`,
    );
    assert.match(userError(() => parseInventoryText('[web]\n"a b" x=1\n', 'ini', 'hosts.ini')), /^hosts\.ini:2:\d+: invalid host name "a b": a host name cannot contain whitespace/);
  });

  test("a group named among a section's hosts: Ansible's warning, with where both are", () => {
    const inv = parseInventoryText('[web]\nw1\n[all:children]\nweb\n[db]\nweb\n', 'ini', 'hosts.ini');
    assert.deepEqual(inv.warnings, ['Found both group and host with same name: web (host at hosts.ini:6:1, group at hosts.ini:1:1)']);
    assert.deepEqual(parseInventoryText('[web]\nw1\n', 'ini').warnings, []);
  });

  test('where each variable was written: the winning layer, file:line:col', () => {
    const dir = tree({
      'hosts.ini': '[web]\nw1 port=1 own=2\n[web:vars]\ngroup_only=3\nport=4\n',
      'group_vars/web.yaml': 'from_file: 5\n',
      'host_vars/w1.yaml': '\nown: 6\n',
    });
    const inv = loadInventorySync([join(dir, 'hosts.ini')]);
    const at = (name: string) => inv.varSource(name === '' ? 'w1' : 'w1', name)?.replace(dir + '/', '');
    assert.equal(at('port'), 'hosts.ini:2:4', 'host var over group var');
    assert.equal(at('group_only'), 'hosts.ini:4:1');
    assert.equal(at('from_file'), 'group_vars/web.yaml:1:1');
    assert.equal(at('own'), 'host_vars/w1.yaml:2:1', 'host_vars over the host line');
    assert.equal(at('nope'), undefined);
  });
});

describe('bad inventories: one message with file:line:col', () => {
  const cases: [string, string, string][] = [
    ['range.yml', 'web:\n  hosts:\n    node[01:4]:\n', '3:5: host range must specify equal-length begin and end formats (in host \'node[01:4]\')'],
    ['range2.yml', 'web:\n  hosts:\n    node[1-4]:\n', "3:5: host range must be begin:end or begin:end:step (in host 'node[1-4]')"],
    ['range3.yml', 'web:\n  hosts:\n    node[1:4:0]:\n', "3:5: host range step must not be zero (in host 'node[1:4:0]')"],
    ['self.yml', 'a:\n  children:\n    a:\n', "3:5: group 'a' cannot be a child of itself"],
    ['cycle.yml', 'a:\n  children:\n    b:\n      children:\n        a:\n', "3:5: adding group 'b' as a child of 'a' creates a loop ('b' is already an ancestor of 'a')"],
    ['list.yml', 'web:\n  hosts:\n    - web1\n    - web2\n', "3:5: 'hosts' of group 'web' must be a mapping (host names as keys, each with its variables or nothing), not a list"],
    ['vars-list.yml', 'web:\n  vars:\n    - a\n', "3:5: 'vars' of group 'web' must be a mapping (variable names as keys), not a list"],
    ['group-list.yml', 'web: [a, b]\n', "1:6: group 'web' must be a mapping with hosts, vars or children (got a list)"],
    ['unknown.yml', 'web:\n  host:\n    web1:\n', "2:3: unknown key 'host' in group 'web' (expected hosts, vars or children)"],
    ['hostvars.yml', 'web:\n  hosts:\n    web1: 22\n', "3:11: host 'web1' in group 'web' must have a mapping of variables or nothing (got a number)"],
    ['bad.yml', 'web:\n  hosts:\n    web1: [\n', '4:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ['dup.yml', 'web:\n  hosts: {}\nweb:\n  hosts: {}\n', '3:1: duplicate key (each key may appear once in a mapping)'],
    ['top-list.yml', '- web\n', '1:1: a YAML inventory must be a mapping of group names (got a list)'],
    ['plugin.yml', 'plugin: aws_ec2\n', '1:1: inventory plugin configurations (plugin: ...) are not supported (expected a static inventory)'],
    ['priority.yml', 'web:\n  vars:\n    ansible_group_priority: high\n', '3:29: ansible_group_priority must be an integer, got "high"'],
    ['range.ini', '[web]\n  node[1-3]\n', "2:3: host range must be begin:end or begin:end:step (in host 'node[1-3]')"],
    ['vars.ini', '[web:vars]\nx=1\n', '1:1: section [web:vars] is for a group that is never declared (expected a [web] or [web:children] section)'],
    ['undefined-child.ini', '[all:children]\nweb\n', "2:1: section [all:children] includes undefined group 'web' (expected a [web] section)"],
    ['cycle.ini', '[a:children]\nb\n[b:children]\na\n', "4:1: adding group 'a' as a child of 'b' creates a loop ('a' is already an ancestor of 'b')"],
    ['kv.ini', '[web]\nweb1 novalue\n', "2:6: expected key=value host variable, got 'novalue'"],
    ['quote.ini', '[web]\nweb1 x="open\n', '2:1: cannot parse host line: No closing quotation'],
    ['section.ini', '[web group]\n', "1:1: invalid section '[web group]' (expected [group], [group:vars] or [group:children], without spaces)"],
    ['kind.ini', '[web:hostz]\n', "1:1: section [web:hostz] has unknown type 'hostz' (expected hosts, vars or children)"],
    ['colon.ini', '[web]\nweb1:\n', "2:1: invalid host 'web1:': a trailing ':' must be followed by a port number"],
    ['novars.ini', '[web]\nw\n[web:vars]\njustaword\n', "4:1: expected key=value in [web:vars], got 'justaword'"],
    ['child-name.ini', '[web:children]\na b\n', "2:1: expected a group name in [web:children], got 'a b'"],
  ];
  for (const [name, content, expected] of cases) {
    test(name, () => {
      const dir = tree({ [name]: content });
      const path = join(dir, name);
      assert.equal(userError(() => loadInventorySync([path])), `${path}:${expected}`);
    });
  }

  test('a group_vars file that is not a mapping', () => {
    const dir = tree({ 'hosts.yml': 'web:\n  hosts: {w: }\n', 'group_vars/web.yml': '- a\n- b\n' });
    assert.equal(
      userError(() => loadInventorySync([join(dir, 'hosts.yml')])),
      `${join(dir, 'group_vars/web.yml')}:1:1: a vars file must be a mapping of variable names to values (got a list)`,
    );
  });

  test('a group_vars file with bad YAML', () => {
    const dir = tree({ 'hosts.yml': 'web:\n  hosts: {w: }\n', 'group_vars/web/main.yml': 'a: 1\nb: [\n' });
    assert.match(userError(() => loadInventorySync([join(dir, 'hosts.yml')])), new RegExp(`^${join(dir, 'group_vars/web/main.yml')}:3:1: invalid YAML: `));
  });

  test('a missing source', () => {
    assert.equal(userError(() => loadInventorySync(['no/such/inventory.yml'])), 'no/such/inventory.yml: inventory source not found (expected a file or a folder)');
  });
});
