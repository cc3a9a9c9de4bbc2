// --tags / --skip-tags against ansible-playbook, over the whole matrix: every value of
// {all, tagged, untagged, always, never, a role tag, a step tag}, alone and in pairs, for --tags
// and --skip-tags and every combination of the two (29 × 29 runs), on steps carrying each kind of
// tag (none, a step tag, always, never, both always and never, never with a step tag …) in a
// tagged role entry, an untagged one and a tagged play. Every cell — which step ran — must agree.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { AnsibleDiff, differences, type DiffRun, type DiffStep } from '../support/ansible-diff.js';

const VALUES = ['all', 'tagged', 'untagged', 'always', 'never', 'roletag', 'steptag'];
const pairs = VALUES.flatMap((a, i) => VALUES.slice(i + 1).map((b) => [a, b]));
const selections: string[][] = [[], ...VALUES.map((v) => [v]), ...pairs];

const steps: DiffStep[] = [
  { name: 'untagged' },
  { name: 'steptag', tags: ['steptag'] },
  { name: 'other', tags: ['other'] },
  { name: 'always', tags: ['always'] },
  { name: 'never', tags: ['never'] },
  { name: 'never+steptag', tags: ['never', 'steptag'] },
  { name: 'always+never', tags: ['always', 'never'] },
  { name: 'always+steptag', tags: ['always', 'steptag'] },
];

const diff = new AnsibleDiff({
  inventory: { file: 'hosts.ini', text: '[web]\nw1 ansible_connection=local\n' },
  roles: { tagged_role: { steps }, plain_role: { steps }, in_tagged_play: { steps: steps.slice(0, 5) } },
  plays: [
    { hosts: 'web', roles: [{ role: 'tagged_role', tags: ['roletag'] }, { role: 'plain_role' }] },
    { hosts: 'web', tags: ['playtag'], roles: [{ role: 'in_tagged_play' }] },
  ],
});
after(() => diff.cleanup());

const runs: DiffRun[] = selections.flatMap((tags) => selections.map((skipTags) => ({ tags, skipTags })));
const label = (r: DiffRun) => `--tags '${(r.tags ?? []).join(',')}' --skip-tags '${(r.skipTags ?? []).join(',')}'`;

test(`every cell of the --tags × --skip-tags matrix (${runs.length} runs × ${steps.length * 2 + 5} steps) agrees with Ansible`, async () => {
  const ansible = await diff.oracle(runs);
  const problems: string[] = [];
  let cells = 0;
  for (const [i, run] of runs.entries()) {
    assert.equal(ansible[i]!.error, undefined, `${label(run)}: ${ansible[i]!.error}`);
    const steer = await diff.steerInProcess(run);
    assert.equal(steer.error, undefined, `${label(run)}: ${steer.error}`);
    cells += ansible[i]!.cells.size;
    for (const d of differences(steer, ansible[i]!)) problems.push(`${label(run)}: ${d} (steer ≠ Ansible)`);
  }
  assert.ok(cells > 0, 'Ansible ran nothing at all: the scenario is broken');
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} cells differ`);
});

// The oracle stands for ansible-playbook: on the runs the issue names, both must agree exactly,
// and the real steer CLI must agree with them.
for (const run of [{ tags: ['untagged'] }, { skipTags: ['all'] }, { tags: ['always', 'never'], skipTags: ['steptag'] }] as DiffRun[]) {
  test(`ansible-playbook, the oracle and steer's CLI agree: ${label(run)}`, async () => {
    const [oracle] = await diff.oracle([run]);
    const real = await diff.ansiblePlaybook(run);
    assert.equal(real.error, undefined, real.error);
    assert.deepEqual(differences(oracle!, real), [], 'oracle ≠ ansible-playbook');
    const steer = await diff.steer(run);
    assert.equal(steer.error, undefined, steer.error);
    assert.deepEqual(differences(steer, real), [], 'steer ≠ ansible-playbook');
  });
}
