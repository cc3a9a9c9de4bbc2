// `when` against Ansible, over a matrix: every kind of value (booleans, the strings Ansible users
// write for booleans in any case, numbers, floats, empty and non-empty lists and mappings, None),
// from every variable source (INI and YAML inventories, group_vars, -e k=v, -e JSON, role defaults,
// play vars), under six conditions (x, not x, x | bool, not x | bool, x == True, x in [...]).
//
// ansible-core 2.14 (Debian's) and 2.19 (the reference) agree wherever the condition's value is a
// boolean: there steer must run exactly the steps Ansible runs. Where it is not a boolean, 2.14 used
// Python truthiness and 2.19 refuses; steer refuses too, before the run, naming where the value was
// set. `| bool` differs on purpose where docs/playbooks.md says so: y/n are read, other spellings
// are refused instead of silently false.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { AnsibleDiff, cellKey, differences, yamlText, type DiffPlay, type DiffRun, type DiffScenario, type Outcome } from '../support/ansible-diff.js';
import { PythonFloat } from '../../lib/vars/python-float.js';
import { pyJson } from '../../lib/vars/python-semantics.js';

const CONDITIONS = ['X', 'not X', 'X | bool', 'not X | bool', 'X == True', "X in ['yes', True, 1]"];

/** Values as YAML (and JSON) give them, typed. */
const TYPED: unknown[] = [true, false, 'true', 'false', 'yes', 'no', 'on', 'off', 'True', 'FALSE', 1, 0, '1', '0', 'y', 'n', 'Y', '', 'foo', [], [1], {}, null, new PythonFloat(2), new PythonFloat(0)];

/** Values as INI and `-e k=v` give them: text. INI reads it as a Python literal, -e k=v keeps it. */
const TEXTS = ['True', 'False', 'true', 'false', 'yes', 'no', 'on', 'off', 'YES', 'Off', '1', '0', 'y', 'n', 'Y', '', 'foo', '[]', '[1]', '{}', 'None', '2.0', '0.0'];

/** What Ansible reads from an INI value (ast.literal_eval), for the values above. */
function iniTyped(text: string): unknown {
  const literals: Record<string, unknown> = { True: true, False: false, None: null, '1': 1, '0': 0, '[]': [], '[1]': [1], '{}': {}, '2.0': new PythonFloat(2), '0.0': new PythonFloat(0) };
  return Object.hasOwn(literals, text) ? literals[text] : text;
}

interface Source {
  name: string;
  values: unknown[];
  /** The value as Ansible reads it (for the `| bool` cells). */
  typed(v: unknown): unknown;
  /** How steer names where it was set, in a refusal. */
  where: RegExp;
  build(cells: Cell[]): Pick<DiffScenario, 'inventory' | 'files' | 'roles'> & { playVars?: (c: Cell) => Record<string, unknown>; extraVars?: string[] };
}

interface Cell {
  host: string;
  play: number;
  condition: string;
  value: unknown;
  variable: string;
}

const hostLine = (c: Cell, extra = '') => `${c.host} ansible_connection=local${extra}\n`;
const plainInventory = (cells: Cell[]) => ({ file: 'hosts.ini', text: cells.map((c) => hostLine(c)).join('') });
const probe = (defaults?: Record<string, unknown>) => ({ probe: { steps: [{ name: 'ran' }], ...(defaults ? { defaults } : {}) } });
const byVariable = (cells: Cell[]) => Object.fromEntries(cells.map((c) => [c.variable, c.value]));

const SOURCES: Source[] = [
  {
    name: 'INI inventory host vars',
    values: TEXTS,
    typed: iniTyped,
    where: /is set in \S*hosts\.ini:\d+:\d+/,
    build: (cells) => ({ inventory: { file: 'hosts.ini', text: cells.map((c) => hostLine(c, ` ${c.variable}=${c.value as string}`)).join('') }, roles: probe() }),
  },
  {
    name: 'YAML inventory host vars',
    values: TYPED,
    typed: (v) => v,
    where: /is set in \S*hosts\.yaml:\d+:\d+/,
    build: (cells) => ({
      inventory: { file: 'hosts.yaml', text: `all:\n  hosts:\n${cells.map((c) => `    ${c.host}: {ansible_connection: local, ${c.variable}: ${pyJson(c.value)}}\n`).join('')}` },
      roles: probe(),
    }),
  },
  {
    name: 'group_vars/all.yaml',
    values: TYPED,
    typed: (v) => v,
    where: /is set in \S*group_vars\/all\.yaml:\d+:\d+/,
    build: (cells) => ({ inventory: plainInventory(cells), files: { 'group_vars/all.yaml': yamlText(byVariable(cells)) }, roles: probe() }),
  },
  {
    name: 'extra vars -e k=v',
    values: TEXTS,
    typed: (v) => v,
    where: /is set in extra vars \(-e\)/,
    build: (cells) => ({ inventory: plainInventory(cells), roles: probe(), extraVars: [...new Set(cells.map((c) => `${c.variable}=${c.value as string}`))] }),
  },
  {
    name: 'extra vars -e JSON',
    values: TYPED,
    typed: (v) => v,
    where: /is set in extra vars \(-e\)/,
    build: (cells) => ({ inventory: plainInventory(cells), roles: probe(), extraVars: [pyJson(byVariable(cells))] }),
  },
  {
    name: 'role defaults',
    values: TYPED,
    typed: (v) => v,
    where: /is set in \S*roles\/probe\/variables\.yaml \(default\)/,
    build: (cells) => ({ inventory: plainInventory(cells), roles: probe(byVariable(cells)) }),
  },
  {
    name: 'play vars',
    values: TYPED,
    typed: (v) => v,
    where: /is set in \S*site\.yaml:\d+:\d+/,
    build: (cells) => ({ inventory: plainInventory(cells), roles: probe(), playVars: (c) => ({ [c.variable]: c.value }) }),
  },
];

/** Ansible's spellings for `| bool` (2.19) plus y/n; a value outside them makes steer refuse. */
function steerBool(v: unknown): boolean | undefined {
  const key = typeof v === 'string' ? v.toLowerCase() : typeof v === 'number' && Number.isInteger(v) ? String(v) : typeof v === 'boolean' ? String(v) : undefined;
  if (key !== undefined && ['yes', 'on', 'true', '1', 'y'].includes(key)) return true;
  if (key !== undefined && ['no', 'off', 'false', '0', 'n'].includes(key)) return false;
  return undefined;
}

function matrix(source: Source): { scenario: DiffScenario; run: DiffRun; cells: Cell[] } {
  const cells: Cell[] = [];
  CONDITIONS.forEach((condition, ci) =>
    source.values.forEach((value, vi) => cells.push({ host: `c${ci}v${vi}`, play: cells.length, condition: condition.replace(/X/g, `x${vi}`), value, variable: `x${vi}` })),
  );
  const built = source.build(cells);
  const plays: DiffPlay[] = cells.map((c) => ({ hosts: c.host, ...(built.playVars ? { vars: built.playVars(c) } : {}), roles: [{ role: 'probe', when: c.condition }] }));
  return { scenario: { inventory: built.inventory, files: built.files, roles: built.roles, plays }, run: { extraVars: built.extraVars ?? [] }, cells };
}

const diffs: AnsibleDiff[] = [];
after(() => diffs.forEach((d) => d.cleanup()));
const ran = (o: Outcome, c: Cell) => o.cells.get(cellKey(c.play, 'probe', 'ran', c.host))?.status === 'ran';

for (const source of SOURCES) {
  test(`when over ${source.name}: ${CONDITIONS.length} conditions × ${source.values.length} values agree with Ansible (2.19 where 2.14 differs)`, async () => {
    const { scenario, run, cells } = matrix(source);
    const diff = new AnsibleDiff(scenario);
    diffs.push(diff);
    const [ansible] = await diff.oracle([run]);
    assert.equal(ansible!.error, undefined, ansible!.error);
    const refusals = await diff.steerRefusals(run, cells.map((c) => c.host));
    const problems: string[] = [];
    const accepted: Cell[] = [];
    const expectedRan = new Set<string>();
    for (const c of cells) {
      const a = ansible!.cells.get(cellKey(c.play, 'probe', 'ran', c.host));
      assert.ok(a, `Ansible has no result for ${c.host}`);
      const refusal = refusals.get(c.host);
      const label = `${c.condition} with ${c.variable} = ${JSON.stringify(c.value)}`;
      const bool = c.condition.includes('| bool') ? steerBool(source.typed(c.value)) : true;
      if (bool === undefined) {
        if (!refusal || !/bool: .* is not a boolean/.test(refusal)) problems.push(`${label}: expected steer to refuse the value for | bool, got ${refusal ?? 'a run'}`);
      } else if (!a.types!.every((t) => t === 'bool')) {
        const ok = refusal && /condition ".*" is .*, not a boolean/.test(refusal) && source.where.test(refusal);
        if (!ok) problems.push(`${label}: Ansible 2.19 refuses a ${a.types!.join(',')} condition; expected steer to refuse naming the source, got ${refusal ?? 'a run'}`);
      } else if (refusal) {
        problems.push(`${label}: steer refused (${refusal}) where Ansible ${a.status}`);
      } else {
        accepted.push(c);
        // y/n under | bool: steer reads them; Ansible reads both as false.
        const yn = c.condition.includes('| bool') && /^[yn]$/i.test(String(source.typed(c.value)));
        const expected = yn ? (c.condition.startsWith('not') ? !bool : bool) : a.status === 'ran';
        if (expected) expectedRan.add(c.host);
      }
    }
    assert.deepEqual(problems, [], `${problems.length} of ${cells.length} cells`);
    assert.ok(accepted.length > cells.length / 3, 'most cells run');
    const steer = await diff.steerInProcess({ ...run, limit: accepted.map((c) => c.host).join(',') });
    assert.equal(steer.error, undefined, steer.error);
    const wrong = accepted.filter((c) => ran(steer, c) !== expectedRan.has(c.host)).map((c) => `${c.condition} with ${c.variable} = ${JSON.stringify(c.value)}: steer ${ran(steer, c) ? 'ran' : 'skipped'}`);
    assert.deepEqual(wrong, [], `${wrong.length} of ${accepted.length} accepted cells`);
  });
}

// The issue's case, whole, through the real tools: play vars `haproxy: false` overridden by
// `-e haproxy=false` (a string), four role entries.
const ISSUE_CONDITIONS = ['haproxy', 'not haproxy', 'haproxy | bool', 'not haproxy | bool'];
const issue = (conditions: string[]): DiffScenario => ({
  inventory: { file: 'hosts.ini', text: '[web]\nw1 ansible_connection=local\n' },
  roles: Object.fromEntries(conditions.map((_, i) => [`r${i}`, { steps: [{ name: 'ran' }] }])),
  plays: [{ hosts: 'web', vars: { haproxy: false }, roles: conditions.map((when, i) => ({ role: `r${i}`, when })) }],
});

test('the issue: ansible-playbook runs `haproxy` and `not haproxy | bool`; steer refuses `haproxy` naming -e, and agrees on the rest', async () => {
  const run: DiffRun = { extraVars: ['haproxy=false'] };
  const all = new AnsibleDiff(issue(ISSUE_CONDITIONS));
  const booleans = new AnsibleDiff(issue(ISSUE_CONDITIONS.slice(1)));
  diffs.push(all, booleans);
  const real = await all.ansiblePlaybook(run);
  assert.equal(real.error, undefined, real.error);
  const ranRoles = [...real.cells].filter(([, c]) => c.status === 'ran').map(([k]) => k.split('|')[1]);
  assert.deepEqual(ranRoles, ['r0', 'r3']);
  const [oracle] = await all.oracle([run]);
  assert.deepEqual(differences(oracle!, real), [], 'oracle ≠ ansible-playbook');

  const refused = await all.steer(run);
  assert.match(refused.error ?? '', /^steer: \S*site\.yaml:\d+:\d+: host w1: condition "haproxy" is string "false", not a boolean — haproxy is set in extra vars \(-e\); write 'haproxy \| bool'/);
  const steer = await booleans.steer(run);
  assert.equal(steer.error, undefined, steer.error);
  const realBooleans = await booleans.ansiblePlaybook(run);
  assert.deepEqual(differences(steer, realBooleans), [], 'steer ≠ ansible-playbook');
});
