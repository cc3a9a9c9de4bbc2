// Inventory input against Ansible: which hosts a --limit selects when hosts are IPv6 addresses
// (with a zone id, bracketed with a port) and patterns include or exclude them; what templates show
// for floats from INI and YAML inventories; and Ansible's warning for a group typed among hosts.
//
// Where Ansible would cut an IPv6 address at its colons (`all:!2001:db8::1` is `all`, `!2001`,
// `db8`, `1`), steer refuses the pattern instead of selecting differently: the test checks that
// each such refusal prevents a run Ansible gets wrong — on a host the user excluded, on no host, or
// a crash.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { AnsibleDiff, differences, type Outcome } from '../support/ansible-diff.js';

const diffs: AnsibleDiff[] = [];
after(() => diffs.forEach((d) => d.cleanup()));

const ipv6Inventory = [
  '[v6]',
  'fe80::1%eth0 ansible_connection=local',
  '2001:db8::1 ansible_connection=local',
  '[2001:db8::2]:2222 ansible_connection=local',
  '::1 ansible_connection=local',
  '[v4]',
  '10.0.0.1 ansible_connection=local',
  '[web]',
  'web1 ansible_connection=local',
  'web2 ansible_connection=local',
  '',
].join('\n');

const LIMITS = [
  'fe80::1%eth0', 'fe80::1%eth0,', 'all,!fe80::1%eth0', 'all:!fe80::1%eth0', '!fe80::1%eth0',
  '2001:db8::1', '2001:db8::2', '::1', 'all,!2001:db8::1', 'all:!2001:db8::1', '!2001:db8::1', '!2001:db8::1,',
  'v6,&2001:db8::1', 'v6:&2001:db8::1', 'all,!::1', 'all:!::1', '!::1', '2001:db8::*', 'all,!2001:db8::*',
  'v6:!v4', 'all:!v6', 'v6,!fe80::1%eth0,!::1', '[2001:db8::1]', 'all:![2001:db8::1]', 'web1:web2', 'web*:!web2',
  'fe80::1%eth0:web1', '10.0.0.1', 'all:!10.0.0.1', 'v4:v6[0]', 'v6[1:]',
];

const ranHosts = (o: Outcome) => [...new Set([...o.cells].filter(([, c]) => c.status === 'ran').map(([k]) => k.split('|')[3]!))].sort();

/** IPv6 addresses the pattern excludes with `!` (before Ansible splits anything). */
function excluded(limit: string): string[] {
  return [...limit.matchAll(/!\[?([0-9a-f:]*:[0-9a-f:]*(?:%\w+)?)\]?/gi)].map((m) => m[1]!).filter((a) => a.split(':').length > 2);
}

test(`--limit over IPv6 hosts: ${LIMITS.length} patterns select what Ansible selects, or are refused where Ansible would run on an excluded host, on none, or crash`, async () => {
  const diff = new AnsibleDiff({
    inventory: { file: 'hosts.ini', text: ipv6Inventory },
    roles: { probe: { steps: [{ name: 'ran' }] } },
    plays: [{ hosts: 'all', roles: [{ role: 'probe' }] }],
  });
  diffs.push(diff);
  const ansible = await diff.oracle(LIMITS.map((limit) => ({ limit })));
  const problems: string[] = [];
  let refused = 0;
  for (const [i, limit] of LIMITS.entries()) {
    const a = ansible[i]!;
    const s = await diff.steerInProcess({ limit });
    const aHosts = a.error ? [] : ranHosts(a);
    if (s.error && /IPv6 address/.test(s.error)) {
      refused++;
      const unsafe = excluded(limit).some((h) => aHosts.includes(h));
      if (!(a.error || aHosts.length === 0 || unsafe)) problems.push(`${limit}: steer refuses, but Ansible selects ${aHosts.join(' ')} safely`);
    } else if (s.error) {
      // steer stops on a limit that matches nothing; Ansible runs nothing then too.
      if (aHosts.length > 0 || !/does not match any host/.test(s.error)) problems.push(`${limit}: steer: ${s.error}; Ansible ran ${aHosts.join(' ') || 'nothing'}`);
    } else if (JSON.stringify(ranHosts(s)) !== JSON.stringify(aHosts)) {
      problems.push(`${limit}: steer ran ${ranHosts(s).join(' ')}; Ansible ${a.error ? `failed (${a.error})` : `ran ${aHosts.join(' ')}`}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(refused >= 5 && refused < LIMITS.length / 2, `${refused} refusals`);
});

test('the oracle agrees with ansible-playbook on IPv6 limits', async () => {
  const diff = new AnsibleDiff({
    inventory: { file: 'hosts.ini', text: ipv6Inventory },
    roles: { probe: { steps: [{ name: 'ran' }] } },
    plays: [{ hosts: 'all', roles: [{ role: 'probe' }] }],
  });
  diffs.push(diff);
  for (const limit of ['all,!fe80::1%eth0', 'all:!2001:db8::1']) {
    const [oracle] = await diff.oracle([{ limit }]);
    const real = await diff.ansiblePlaybook({ limit });
    assert.deepEqual(differences(oracle!, real), [], limit);
  }
});

const FLOAT_TEMPLATE = 'v={{ v }} w={{ w }} z={{ z }} n={{ n }} i={{ i }} twice={{ v * 2 }} int={{ v | int }} float={{ i | float }} json={{ v | to_json }} list={{ [v, w] }} dict={{ {"v": v} }} eq={{ v == 2 }} str={{ v | string }}';

for (const [format, file, text] of [
  ['INI', 'hosts.ini', 'h1 ansible_connection=local v=2.0 w=1.30 z=1e-5 n=-0.0 i=3\n'],
  ['YAML', 'hosts.yaml', 'all:\n  hosts:\n    h1: {ansible_connection: local, v: 2.0, w: 1.30, z: 1.0e-5, n: -0.0, i: 3}\n'],
] as const) {
  test(`floats from a ${format} inventory stay floats in templates, as in Ansible`, async () => {
    const diff = new AnsibleDiff({
      inventory: { file, text },
      roles: { shows: { steps: [{ name: 'show', show: FLOAT_TEMPLATE }] } },
      plays: [{ hosts: 'all', roles: [{ role: 'shows' }] }],
    });
    diffs.push(diff);
    const [ansible] = await diff.oracle([{}]);
    const steer = await diff.steerInProcess({});
    assert.equal(steer.error, undefined, steer.error);
    assert.deepEqual(differences(steer, ansible!, true), []);
    assert.match([...steer.cells.values()][0]!.msg!, /^v=2\.0 w=1\.3 z=1e-05 n=-0\.0 i=3 twice=4\.0 /);
  });
}

test('a group typed among the hosts of a :children section: steer prints the warning Ansible prints', async () => {
  const diff = new AnsibleDiff({
    inventory: { file: 'hosts.ini', text: '[web]\nw1 ansible_connection=local\n[db]\nd1 ansible_connection=local\n[all:children]\nweb\n[db]\nweb\n' },
    roles: { probe: { steps: [{ name: 'ran' }] } },
    plays: [{ hosts: 'all', roles: [{ role: 'probe' }] }],
  });
  diffs.push(diff);
  const ansible = await diff.ansibleInventoryWarnings();
  assert.deepEqual(ansible, ['[WARNING]: Found both group and host with same name: web']);
  const steer = await diff.steerInProcess({ limit: 'w1,d1' });
  assert.equal(steer.error, undefined, steer.error);
  const warnings = (steer.messages ?? []).filter((l) => l.startsWith('[WARNING]'));
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.ok(warnings[0]!.startsWith(ansible[0]!), warnings[0]);
  assert.match(warnings[0]!, /\(host at \S+hosts\.ini:8:1, group at \S+hosts\.ini:1:1\)$/);
});
