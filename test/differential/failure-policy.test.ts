// Failure policy against the real ansible-playbook (issue #13, section 3): the stop rules of a play
// — serial batches, max_fail_percentage, any_errors_fatal on the play and on a role entry, a batch
// whose hosts all failed — over a matrix of inputs. Four local hosts; play 1 runs role `first`
// (steps a, b) then `second` (step c); play 2, with the same policy keys, runs `after` (step d).
// A chosen set of hosts fails at step a or at step c. Compared per run: which step ran or failed on
// which host (so whether later batches and play 2 ran), the recap's hosts and which of them failed,
// and the exit status.
//
// The oracle does not model failure policy, so every run is a real ansible-playbook run (about 3 s
// each on a busy 2-core machine). The full product of the six factors is 4·4·2·4·2·3 = 768 runs,
// far too slow: the runs are a pairwise sample (every pair of values of any two factors appears in
// at least one run), chosen greedily and deterministically from the product, plus the issue's own
// case. steer runs in this process (steerInProcess), and once through its CLI on the issue's case.
// A last test fails a host in play 1 and another in play 2: a host that failed earlier keeps its
// place in play 2's batches and counts in max_fail_percentage's denominator, as in Ansible.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { AnsibleDiff, differences, type DiffPlay, type Outcome } from '../support/ansible-diff.js';

const HOSTS = ['w1', 'w2', 'w3', 'w4'];
const FACTORS = {
  serial: [undefined, 1, 2, '50%'],
  max_fail_percentage: [undefined, 0, 25, 49],
  any_errors_fatal: [false, true],
  failing: [[], ['w1'], ['w1', 'w2'], HOSTS],
  failAt: ['first.a', 'second.c'],
  roleFatal: [undefined, 'first', 'second'],
} as const;
type Factor = keyof typeof FACTORS;
type Case = { [F in Factor]: (typeof FACTORS)[F][number] };

/** Rows of the full product, picked greedily until every pair of values of two factors is covered. */
function pairwise(): Case[] {
  const names = Object.keys(FACTORS) as Factor[];
  let product: number[][] = [[]];
  for (const f of names) product = product.flatMap((row) => FACTORS[f].map((_, i) => [...row, i]));
  const pairsOf = (row: number[]) => names.flatMap((_, a) => names.slice(a + 1).map((_, k) => `${a}=${row[a]},${a + k + 1}=${row[a + k + 1]}`));
  const uncovered = new Set(product.flatMap(pairsOf));
  const rows: number[][] = [];
  while (uncovered.size > 0) {
    let best = product[0]!;
    let bestCount = -1;
    for (const row of product) {
      const count = pairsOf(row).filter((p) => uncovered.has(p)).length;
      if (count > bestCount) [best, bestCount] = [row, count];
    }
    rows.push(best);
    for (const p of pairsOf(best)) uncovered.delete(p);
  }
  return rows.map((row) => Object.fromEntries(names.map((f, i) => [f, FACTORS[f][row[i]!]])) as Case);
}

/** The issue's case: serial 1, the first host fails, no max_fail_percentage, then a second play. */
const ISSUE_CASE: Case = { serial: 1, max_fail_percentage: undefined, any_errors_fatal: false, failing: ['w1'], failAt: 'first.a', roleFatal: undefined };

function scenario(c: Case): AnsibleDiff {
  const failOn = (at: string) => (c.failAt === at && c.failing.length > 0 ? { failOn: [...c.failing] } : {});
  const policy: Partial<DiffPlay> = {
    ...(c.serial !== undefined ? { serial: c.serial } : {}),
    ...(c.max_fail_percentage !== undefined ? { max_fail_percentage: c.max_fail_percentage } : {}),
    ...(c.any_errors_fatal ? { any_errors_fatal: true } : {}),
  };
  const entry = (role: string) => ({ role, ...(c.roleFatal === role ? { any_errors_fatal: true } : {}) });
  return new AnsibleDiff({
    inventory: { file: 'hosts.ini', text: '[web]\nw[1:4] ansible_connection=local\n' },
    roles: {
      first: { steps: [{ name: 'a', ...failOn('first.a') }, { name: 'b' }] },
      second: { steps: [{ name: 'c', ...failOn('second.c') }] },
      after: { steps: [{ name: 'd' }] },
    },
    plays: [
      { hosts: 'web', ...policy, roles: [entry('first'), entry('second')] },
      { hosts: 'web', ...policy, roles: [{ role: 'after' }] },
    ],
  });
}

const label = (c: Case) =>
  `serial=${c.serial ?? '-'} max_fail_percentage=${c.max_fail_percentage ?? '-'} any_errors_fatal=${c.any_errors_fatal} ` +
  `failing=[${c.failing.join(',')}] at ${c.failAt} role any_errors_fatal=${c.roleFatal ?? '-'}`;

/** What is compared besides the cells: the recap's hosts (failed ones marked) and the exit status. */
function verdict(o: Outcome): string {
  const hosts = Object.entries(o.recap ?? {}).map(([h, r]) => (r.failed > 0 ? `${h}:failed` : h));
  return `exit ${o.exitCode} recap [${hosts.sort().join(' ')}]`;
}

const diffs: AnsibleDiff[] = [];
after(() => diffs.forEach((d) => d.cleanup()));

/** Runs a case under both tools; the differences, one line each. */
async function compare(c: Case, cli = false): Promise<string[]> {
  return compareScenario(scenario(c), label(c), cli);
}

async function compareScenario(diff: AnsibleDiff, what: string, cli = false): Promise<string[]> {
  diffs.push(diff);
  const ansible = await diff.ansiblePlaybook({});
  assert.equal(ansible.error, undefined, `${what}: ${ansible.error}`);
  assert.ok(ansible.cells.size > 0, `${what}: Ansible ran nothing: the scenario is broken`);
  const steer = cli ? await diff.steer({}) : await diff.steerInProcess({});
  assert.equal(steer.error, undefined, `${what}: ${steer.error}`);
  const problems = differences(steer, ansible).map((d) => `${what}: ${d} (steer ≠ Ansible)`);
  if (verdict(steer) !== verdict(ansible)) problems.push(`${what}: ${verdict(steer)} ≠ ${verdict(ansible)} (steer ≠ Ansible)`);
  return problems;
}

const cases = pairwise();

test(`failure policy: ${cases.length} pairwise runs of serial × max_fail_percentage × any_errors_fatal × failing hosts × where × role any_errors_fatal agree with ansible-playbook`, async () => {
  const problems: string[] = [];
  for (const c of cases) problems.push(...(await compare(c)));
  assert.deepEqual(problems, []);
});

test("the issue's rolling update (serial 1, first host fails): steer's CLI agrees with ansible-playbook", async () => {
  assert.deepEqual(await compare(ISSUE_CASE, true), []);
});

const LATER_POLICIES: Partial<DiffPlay>[] = [{ max_fail_percentage: 25 }, { serial: 1 }, { serial: 2 }, { serial: 2, max_fail_percentage: 49 }];

/**
 * The documented difference (docs/playbooks.md, "When a run stops"): batch [w1, w2], w1 failed in
 * play 1, w2 fails here — 1 of 2 is over 49%, so steer stops as it does in play 1; ansible-core 2.14
 * prints NO MORE HOSTS LEFT yet goes on with the next batch [w3, w4].
 */
const DOCUMENTED: Record<string, string[]> = {
  '{"serial":2,"max_fail_percentage":49}': ['d', 'e'].flatMap((step) => ['w3', 'w4'].map((h) => `1|after|${step}|${h}: not run ≠ ran`)),
};

test('a host that failed in play 1 keeps its place in play 2: batches and max_fail_percentage count it, as in Ansible', async () => {
  const problems: string[] = [];
  for (const policy of LATER_POLICIES) {
    const diff = new AnsibleDiff({
      inventory: { file: 'hosts.ini', text: '[web]\nw[1:4] ansible_connection=local\n' },
      roles: { first: { steps: [{ name: 'a', failOn: ['w1'] }] }, after: { steps: [{ name: 'd', failOn: ['w2'] }, { name: 'e' }] } },
      plays: [
        { hosts: 'web', roles: [{ role: 'first' }] },
        { hosts: 'web', ...policy, roles: [{ role: 'after' }] },
      ],
    });
    const what = `w1 fails in play 1, w2 in play 2 ${JSON.stringify(policy)}`;
    const expected = (DOCUMENTED[JSON.stringify(policy)] ?? []).map((d) => `${what}: ${d} (steer ≠ Ansible)`);
    const found = await compareScenario(diff, what);
    if (JSON.stringify(found) !== JSON.stringify(expected)) problems.push(`${what}: expected ${JSON.stringify(expected)}, found ${JSON.stringify(found)}`);
  }
  assert.deepEqual(problems, []);
});
