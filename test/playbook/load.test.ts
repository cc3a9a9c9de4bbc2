import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError, formatUserMessage } from '../../lib/errors.js';
import { PlaybookErrors, displayPath, loadPlaybook, resolvePlaybookPath } from '../../lib/playbook/load.js';

const fixtures = resolve(import.meta.dirname, '../fixtures');
const rolesPath = [join(fixtures, 'roles')];

/** A temporary folder with the given files; removed after the test. */
function scratch(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'steer-pb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** The one-line message the CLI would print for a failing load. */
async function loadError(cwd: string, name = 'pb.yaml'): Promise<string> {
  try {
    await loadPlaybook(name, { cwd, rolesPath });
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    return formatUserMessage(err);
  }
  assert.fail('expected the playbook to be rejected');
}

test('loads every play keyword, roles with their variables, and vars_files', async () => {
  const pb = await loadPlaybook('playbooks/site.yaml', { cwd: fixtures });
  assert.equal(pb.path, join(fixtures, 'playbooks/site.yaml'));
  assert.equal(pb.dir, join(fixtures, 'playbooks'));
  assert.equal(pb.plays.length, 2);
  const [first, second] = pb.plays as [NonNullable<(typeof pb.plays)[0]>, NonNullable<(typeof pb.plays)[1]>];

  assert.equal(first.name, 'Greet everyone');
  assert.equal(first.hosts, 'all');
  assert.deepEqual(first.tags, ['hello']);
  assert.deepEqual(first.vars, { greeting: 'hi' });
  assert.deepEqual(first.varsFiles, [join(fixtures, 'playbooks/vars/common.yaml')]);
  assert.deepEqual(first.varsFromFiles, { repeat: 2, shared: '{{ greeting }} there' });
  assert.deepEqual(first.varSources?.['greeting'], { file: 'playbooks/site.yaml', line: 5, col: 5 });
  assert.deepEqual(first.varSources?.['repeat'], { file: 'playbooks/vars/common.yaml', line: 1, col: 1 });
  assert.equal(first.gatherFacts, true);
  assert.equal(first.become, false);
  assert.equal(first.anyErrorsFatal, false);
  assert.deepEqual(first.serial, []);
  assert.deepEqual(first.location, { file: 'playbooks/site.yaml', line: 2, col: 3 });

  const [greeter, versioned] = first.roles;
  assert.equal(greeter?.name, 'greeter');
  assert.equal(greeter?.dir, join(fixtures, 'roles/greeter'));
  assert.deepEqual(greeter?.tags, []);
  assert.deepEqual(greeter?.location, { file: 'playbooks/site.yaml', line: 10, col: 7 });
  assert.deepEqual(
    greeter?.variables.map((v) => [v.name, v.default, v.secret]),
    [
      ['greeting', 'hello', false],
      ['repeat', 1, false],
      ['loud', false, false],
      ['api_token', undefined, true],
    ],
  );
  assert.equal(versioned?.name, 'versioned');
  assert.deepEqual(versioned?.tags, ['k8s', 'versions']);
  assert.deepEqual(versioned?.params, { cluster_name: 'test' });
  assert.deepEqual(versioned?.when, [{ expression: 'do_versions | default(true)', location: { file: 'playbooks/site.yaml', line: 15, col: 13 } }]);
  assert.deepEqual(versioned?.location, { file: 'playbooks/site.yaml', line: 11, col: 13 });

  assert.equal(second.name, 'web,!db');
  assert.equal(second.hosts, 'web,!db');
  assert.deepEqual(second.serial, [1, '50%']);
  assert.equal(second.gatherFacts, false);
  assert.equal(second.become, true);
  assert.equal(second.becomeUser, 'admin');
  assert.equal(second.anyErrorsFatal, true);
  assert.equal(second.maxFailPercentage, 25);
  assert.deepEqual(second.roles, []);
});

test('a bare playbook name is looked up in playbooks/, with or without its extension', async (t) => {
  assert.equal(resolvePlaybookPath('site.yaml', fixtures), join(fixtures, 'playbooks/site.yaml'));
  assert.equal(resolvePlaybookPath('site', fixtures), join(fixtures, 'playbooks/site.yaml'));
  const dir = scratch(t, { 'site.yaml': '- hosts: all\n' });
  assert.equal(resolvePlaybookPath('site.yaml', dir), join(dir, 'site.yaml'), 'the current folder comes first');
  assert.throws(() => resolvePlaybookPath('nope.yaml', dir), /nope.yaml: playbook not found|playbook not found \(looked for nope.yaml, playbooks\/nope.yaml/);
});

test('roles are found next to the playbook, one folder up, then in the roles path', async (t) => {
  const dir = scratch(t, {
    'pb/roles/local/role.ts': 'export default {}',
    'roles/above/role.ts': 'export default {}',
    'pb/pb.yaml': '- hosts: all\n  roles: [local, above, greeter, ./roles/local]\n',
  });
  const pb = await loadPlaybook('pb/pb.yaml', { cwd: dir, rolesPath });
  assert.deepEqual(
    pb.plays[0]!.roles.map((r) => r.dir),
    [join(dir, 'pb/roles/local'), join(dir, 'roles/above'), join(fixtures, 'roles/greeter'), join(dir, 'pb/roles/local')],
  );
});

test('STEER_ROLES_PATH is searched too', async (t) => {
  const dir = scratch(t, { 'pb.yaml': '- hosts: all\n  roles: [versioned]\n' });
  const saved = process.env['STEER_ROLES_PATH'];
  process.env['STEER_ROLES_PATH'] = `/nonexistent:${join(fixtures, 'roles')}`;
  t.after(() => (saved === undefined ? delete process.env['STEER_ROLES_PATH'] : (process.env['STEER_ROLES_PATH'] = saved)));
  const pb = await loadPlaybook('pb.yaml', { cwd: dir });
  assert.equal(pb.plays[0]!.roles[0]!.dir, join(fixtures, 'roles/versioned'));
});

test('schema errors point at the offending node with what was expected', async (t) => {
  const cases: [string, string][] = [
    [
      '- hosts: all\n  rolez: [greeter]\n',
      "pb.yaml:2:3: unknown key 'rolez' in play (expected one of: name, hosts, roles, vars, vars_files, tags, serial, gather_facts, become, become_user, any_errors_fatal, force_handlers, max_fail_percentage)",
    ],
    ['- hosts: 5\n', "pb.yaml:1:10: invalid value for 'hosts': 5 (expected a host pattern such as all, workers or web:!db, or a list of patterns)"],
    ['- hosts: all\n  serial: abc\n', `pb.yaml:2:11: invalid value for 'serial': "abc" (expected a number of hosts, a percentage such as "30%", or a list of them)`],
    ['- hosts: all\n  serial: [1, x]\n', `pb.yaml:2:15: invalid value for 'serial[1]': "x" (expected a number of hosts (1 or more) or a percentage such as "30%")`],
    ['- hosts: all\n  gather_facts: maybe\n', `pb.yaml:2:17: invalid value for 'gather_facts': "maybe" (expected true or false)`],
    ['- hosts: all\n  roles: greeter\n', `pb.yaml:2:10: invalid value for 'roles': "greeter" (expected a list of roles: names, or mappings with role, tags, vars, when)`],
    ['- name: x\n', `pb.yaml:1:3: missing key 'hosts' in play (expected hosts: a host pattern such as all, workers or web:!db, or a list of patterns)`],
    ['- hosts: all\n  roles:\n    - role: greeter\n      tagz: [a]\n', "pb.yaml:4:7: unknown key 'tagz' in role entry (expected one of: role, tags, vars, when, any_errors_fatal, run_once)"],
    ['- hosts: all\n  roles:\n    - 5\n', 'pb.yaml:3:7: invalid role entry: 5 (expected a role name, or a mapping with role and optional tags, vars, when, any_errors_fatal, run_once)'],
    ['- hosts: all\n  vars:\n    bad-name: 1\n', "pb.yaml:3:5: invalid name 'bad-name' in vars (expected a variable name (letters, digits and _, not starting with a digit))"],
    ['- hosts: all\n  max_fail_percentage: 150\n', 'pb.yaml:2:24: invalid value for \'max_fail_percentage\': 150 (expected a number from 0 to 100)'],
    ['hosts: all\n', 'pb.yaml:1:1: invalid playbook: {"hosts":"all"} (expected a YAML list of plays)'],
    ['- all\n', 'pb.yaml:1:3: invalid play: "all" (expected a play: a mapping with hosts, roles and play keywords)'],
  ];
  for (const [yaml, expected] of cases) {
    const dir = scratch(t, { 'pb.yaml': yaml });
    assert.equal(await loadError(dir), expected, yaml);
  }
});

test('YAML mistakes, empty playbooks and missing files are located errors', async (t) => {
  assert.equal(await loadError(scratch(t, { 'pb.yaml': '- hosts: all\n  hosts: web\n' })), 'pb.yaml:2:3: duplicate key (each key may appear once in a mapping)');
  assert.match(await loadError(scratch(t, { 'pb.yaml': '- hosts: [all\n' })), /^pb\.yaml:\d+:\d+: invalid YAML: /);
  assert.equal(await loadError(scratch(t, { 'pb.yaml': '' })), 'pb.yaml: playbook is empty (expected a YAML list of plays)');
  assert.equal(await loadError(scratch(t, { 'pb.yaml': '[]\n' })), 'pb.yaml: playbook is empty (expected a YAML list of plays)');
  assert.equal(
    await loadError(scratch(t, { 'pb.yaml': '- hosts: all\n  vars_files: [vars/missing.yaml]\n' })),
    'pb.yaml:2:16: vars file not found: vars/missing.yaml (expected a file relative to the playbook: vars/missing.yaml)',
  );
  assert.equal(
    await loadError(scratch(t, { 'pb.yaml': '- hosts: all\n  vars_files: v.yaml\n', 'v.yaml': '- 1\n' })),
    'v.yaml:1:1: vars file is not a mapping (expected variable: value lines)',
  );
});

test('an unknown role is reported at its entry, with the folders searched', async (t) => {
  const dir = scratch(t, { 'pb.yaml': '- hosts: all\n  roles:\n    - greeter\n    - role: nope\n' });
  assert.equal(
    await loadError(dir),
    // The last folder is shown relative when the checkout is close to the temp folder (CI), else whole.
    `pb.yaml:4:13: unknown role 'nope' (expected a folder holding role.ts in: roles/nope, ../roles/nope, ${displayPath(join(fixtures, 'roles/nope'), dir)})`,
  );
});

test('a bad role condition is a syntax error at the when', async (t) => {
  const dir = scratch(t, { 'pb.yaml': '- hosts: all\n  roles:\n    - role: greeter\n      when: x ==\n' });
  assert.match(await loadError(dir), /^pb\.yaml:4:13: invalid condition "x ==": .* \(expected a Jinja expression such as x == 'y'\)$/);
});

test('every mistake of a playbook is collected, in file order', async (t) => {
  const dir = scratch(t, { 'pb.yaml': '- hosts: all\n  rolez: []\n- hosts: all\n  roles: [nope]\n- hosts: 7\n' });
  try {
    await loadPlaybook('pb.yaml', { cwd: dir, rolesPath });
    assert.fail('expected errors');
  } catch (err) {
    assert.ok(err instanceof PlaybookErrors);
    assert.deepEqual(
      err.errors.map((e) => `${e.location?.line}:${e.location?.col}`),
      ['2:3', '4:11', '5:10'],
    );
    assert.equal(formatUserMessage(err), formatUserMessage(err.errors[0]!));
  }
});
