// Undefined values inside filters and function arguments, omit, and lookups, against Ansible:
// conditions that read undefined names in every position (a filter's input or argument, a test,
// an attribute, a list, a lookup's argument) must run, skip or fail exactly where Ansible does —
// steer's failure being a refusal that names what was undefined — and steps that show a value must
// show what Ansible shows, except where steer deliberately differs (omit for variables: the role
// default applies, where ansible-core 2.14 shows its placeholder string).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { AnsibleDiff, cellKey, type DiffRun, type DiffScenario, type Outcome } from '../support/ansible-diff.js';

interface Case {
  when: string;
  /** What steer's refusal must name, when Ansible fails the host. */
  names?: RegExp;
  /** Why steer deliberately differs from ansible-core 2.14 here (docs/playbooks.md). */
  deliberate?: string;
}

const CASES: Case[] = [
  { when: "u1 | default('a') == 'a'" },
  { when: 'u1 | default(u2) == "a"', names: /undefined variable 'u2'/ },
  { when: 'u1 | default(u2, true) == "a"', names: /undefined variable 'u2'/ },
  { when: 'd1 | default(u2) == "x"' },
  { when: 'u1 is defined' },
  { when: 'u1.attr.deeper is defined' },
  { when: 'u1 is undefined' },
  { when: "u1 is defined and u1 == 'x'" },
  { when: "u1 is not defined or u1 == 'x'" },
  {
    when: "u1 is defined or u1 == 'x'",
    names: /undefined variable 'u1'/,
    deliberate: "2.14 turns an undefined-variable error into false when the condition also says 'u1 is defined' (Conditional.extract_defined_undefined); the expression does read u1 undefined",
  },
  { when: "u1 == 'x'", names: /undefined variable 'u1'/ },
  { when: 'not u1', names: /undefined variable 'u1'/ },
  { when: 'u1 | bool', names: /undefined variable 'u1'/ },
  { when: "u1 | upper == 'X'", names: /undefined variable 'u1'/ },
  { when: "'x' ~ u1 == 'x'", names: /undefined variable 'u1'/ },
  { when: '[1, u1] | length == 2' },
  { when: "m1.missing | default('z') == 'z'" },
  { when: "m1.missing == 'z'", names: /undefined value 'm1\.missing' \(m1 has no key "missing"\)/ },
  { when: "m1['missing'] is defined" },
  { when: '(u1 | default(none)) is none' },
  { when: 'u1 | default(false, true) | bool' },
  { when: "u1 | mandatory == 'x'", names: /mandatory variable 'u1' not defined/ },
  { when: 'via_undefined is defined' },
  { when: "via_undefined | default('d') == 'd'" },
  { when: "via_undefined == 'x'", names: /undefined variable 'u1' in variable 'via_undefined'/ },
  { when: "lookup('env', u1) == ''", names: /undefined variable 'u1'/ },
  { when: "lookup('env', 'STEER_DIFF_ENV') == 'from-env'" },
  { when: "lookup('env', 'STEER_DIFF_UNSET') == ''" },
  { when: "query('env', 'STEER_DIFF_ENV', 'STEER_DIFF_UNSET') == ['from-env', '']" },
  { when: "lookup('file', 'motd.txt') == 'hello'" },
  { when: "lookup('pipe', 'echo hi; echo there') == 'hi\\nthere'" },
  { when: "lookup('nosuchlookup', 'x') == 'x'", names: /unknown lookup "nosuchlookup"/ },
];

const hosts = CASES.map((_, i) => `h${i}`);
const scenario: DiffScenario = {
  inventory: { file: 'hosts.ini', text: hosts.map((h) => `${h} ansible_connection=local\n`).join('') },
  playbookFiles: { 'files/motd.txt': 'hello\n' },
  roles: { probe: { steps: [{ name: 'ran' }] } },
  plays: CASES.map((c, i) => ({ hosts: hosts[i]!, vars: { d1: 'x', m1: {}, via_undefined: '{{ u1 }}' }, roles: [{ role: 'probe', when: c.when }] })),
};

const diffs: AnsibleDiff[] = [];
after(() => diffs.forEach((d) => d.cleanup()));
process.env['STEER_DIFF_ENV'] = 'from-env';
delete process.env['STEER_DIFF_UNSET'];

const status = (o: Outcome, play: number) => o.cells.get(cellKey(play, 'probe', 'ran', hosts[play]!))?.status;

test(`undefined values in ${CASES.length} conditions: steer runs, skips or refuses exactly where Ansible runs, skips or fails`, async () => {
  const diff = new AnsibleDiff(scenario);
  diffs.push(diff);
  const [ansible] = await diff.oracle([{}]);
  assert.equal(ansible!.error, undefined, ansible!.error);
  const problems: string[] = [];
  for (const [i, c] of CASES.entries()) {
    const a = status(ansible!, i);
    // One host per run: a refusal (before the run, or when the role is reached) stops only that cell.
    const s = await diff.steerInProcess({ limit: hosts[i] });
    const steer = s.error ? 'failed' : status(s, i);
    if (c.deliberate) {
      if (steer !== 'failed' || !c.names!.test(s.error ?? '')) problems.push(`${c.when}: expected steer to refuse (${c.deliberate}), got ${steer}`);
    } else if (a === 'failed' || steer === 'failed') {
      if (a !== steer) problems.push(`${c.when}: Ansible ${a}, steer ${steer}${s.error ? ` (${s.error})` : ''}`);
      else if (c.names && !c.names.test(s.error ?? '')) problems.push(`${c.when}: steer's refusal does not name what is undefined: ${s.error}`);
      else if (!c.names) problems.push(`${c.when}: both fail, but the case expects a run or a skip`);
    } else if (a !== steer) problems.push(`${c.when}: Ansible ${a}, steer ${steer}`);
  }
  assert.deepEqual(problems, []);
});

// ansible-playbook ends the whole playbook when every host of a play has failed, so the real run
// takes the cases that do not fail, then one that does, last.
test('ansible-playbook and the oracle agree on the undefined-value cases', async () => {
  const full = new AnsibleDiff(scenario);
  diffs.push(full);
  const [all] = await full.oracle([{}]);
  const failing = CASES.map((_, i) => i).filter((i) => status(all!, i) === 'failed');
  const picked = [...CASES.map((_, i) => i).filter((i) => !failing.includes(i)), failing[0]!];
  const sample = new AnsibleDiff({ ...scenario, plays: picked.map((i) => scenario.plays[i]!) });
  diffs.push(sample);
  const [oracle] = await sample.oracle([{}]);
  const real = await sample.ansiblePlaybook({});
  assert.equal(real.error, undefined, real.error);
  const mismatch = picked.map((i, j) => [CASES[i]!.when, oracle!.cells.get(cellKey(j, 'probe', 'ran', hosts[i]!))?.status, real.cells.get(cellKey(j, 'probe', 'ran', hosts[i]!))?.status]).filter(([, a, b]) => a !== b);
  assert.deepEqual(mismatch, []);
});

// omit, and values shown by the role: the issue's case (a role default `foo`, a role parameter
// `"{{ some_extra_variable | default(omit) }}"`) and its neighbours.
const omitScenario: DiffScenario = {
  inventory: { file: 'hosts.ini', text: 'w1 ansible_connection=local\n' },
  roles: Object.fromEntries(
    ['param', 'play', 'given', 'nested', 'plain'].map((name) => [
      `omit_${name}`,
      { defaults: { some_variable: 'foo', opts: { a: 1 } }, steps: [{ name: 'show', show: 'v={{ some_variable }} opts={{ opts | to_json }}' }] },
    ]),
  ),
  // One play each: Ansible lets a role entry's parameters leak into the play's other roles.
  plays: [
    { hosts: 'w1', roles: [{ role: 'omit_param', vars: { some_variable: '{{ some_extra_variable | default(omit) }}' } }] },
    { hosts: 'w1', vars: { some_variable: '{{ some_extra_variable | default(omit) }}' }, roles: [{ role: 'omit_play' }] },
    { hosts: 'w1', roles: [{ role: 'omit_nested', vars: { opts: { a: '{{ some_extra_variable | default(omit) }}', b: 2 } } }] },
    { hosts: 'w1', roles: [{ role: 'omit_given', vars: { some_variable: '{{ given_variable | default(omit) }}' } }] },
    { hosts: 'w1', roles: [{ role: 'omit_plain' }] },
  ],
};

test('omit: Ansible 2.14 shows its placeholder where steer gives the role default; everything else is shown alike', async () => {
  const diff = new AnsibleDiff(omitScenario);
  diffs.push(diff);
  const run: DiffRun = { extraVars: ['given_variable=bar'] };
  const [ansible] = await diff.oracle([run]);
  const steer = await diff.steerInProcess(run);
  assert.equal(steer.error, undefined, steer.error);
  const shown = (o: Outcome, play: number, role: string) => o.cells.get(cellKey(play, role, 'show', 'w1'))?.msg;
  // Deliberate: a variable set to omit is not set (docs/playbooks.md, "omit").
  for (const [play, role] of [[0, 'omit_param'], [1, 'omit_play']] as const) {
    assert.match(shown(ansible!, play, role) ?? '', /^v=__omit_place_holder__[0-9a-f]+ opts=\{"a": 1\}$/);
    assert.equal(shown(steer, play, role), 'v=foo opts={"a": 1}');
  }
  // Deliberate: a key of a mapping set to omit is left out (Ansible 2.19 drops it too; 2.14 keeps the placeholder).
  assert.match(shown(ansible!, 2, 'omit_nested') ?? '', /^v=foo opts=\{"a": "__omit_place_holder__[0-9a-f]+", "b": 2\}$/);
  assert.equal(shown(steer, 2, 'omit_nested'), 'v=foo opts={"b": 2}');
  for (const [play, role] of [[3, 'omit_given'], [4, 'omit_plain']] as const) assert.equal(shown(steer, play, role), shown(ansible!, play, role), role);
  assert.equal(shown(steer, 3, 'omit_given'), 'v=bar opts={"a": 1}');
});
