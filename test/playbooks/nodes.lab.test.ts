// Nodes in and out of a running cluster, on one 4-host lab built once: site.yaml builds three nodes
// (the control plane labelled from the inventory); a fourth board joins with `-l`; a label dropped
// from the inventory leaves the node (one set by hand stays); a containerd configuration change
// restarts the runtime node by node (drain … uncordon, never two nodes at once); remove-node.yaml
// removes a live node and a dead one, and refuses the last control plane. Every real run is
// predicted by --check and a second run changes nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { stopHost } from '../../lab/lab.js';
import { labSkipReason, startLab, type LabHandle } from '../support/lab.js';
import { recapOf, runSteer, type CliResult } from '../support/steer-cli.js';

type Event = CliResult['events'][number];
type StepResult = Extract<Event, { type: 'step-result' }>;
type CommandEvent = Extract<Event, { type: 'command' }>;
const results = (r: CliResult) => r.events.filter((e): e is StepResult => e.type === 'step-result');
const key = (e: StepResult) => `${e.host} ${e.role} : ${e.step}${e.handler ? ' (handler)' : ''}`;
const changedSteps = (r: CliResult) => results(r).filter((e) => e.status === 'changed').map(key);
const output = (r: CliResult) => r.stdout.slice(-6000) + r.stderr;

/**
 * Every change of `real` was predicted by `check` (a changed step there) and, on a running cluster,
 * check predicted nothing more. A fresh board (`fresh`) is allowed more: check mode cannot know
 * that installing a package starts its service (`containerd running`, `kubelet enabled`).
 */
function assertPredicted(check: CliResult, real: CliResult, fresh = false): void {
  assert.equal(check.code, 0, output(check));
  const predicted = changedSteps(check);
  if (fresh) assert.deepEqual(changedSteps(real).filter((s) => !predicted.includes(s)), [], 'every change of the real run was predicted');
  else assert.deepEqual(changedSteps(real).sort(), predicted.sort(), 'the steps --check reported changed are the ones the real run changed');
}

function assertNoChange(r: CliResult): void {
  assert.equal(r.code, 0, output(r));
  for (const [host, c] of Object.entries(recapOf(r.events).hosts)) assert.equal(c.changed, 0, `${host}: ${changedSteps(r).filter((s) => s.startsWith(host))}`);
}

describe('nodes in and out of a running cluster (4-host lab)', { skip: labSkipReason(), timeout: 40 * 60_000 }, () => {
  let lab: LabHandle;
  let dir: string;
  let cp: string, w2: string, w3: string, w4: string;
  let full: string;
  const steer = (inventory: string, playbook: string, ...args: string[]) =>
    runSteer(['run', playbook, '-i', inventory, '--json', ...args], { timeoutMs: 25 * 60_000 });
  const kubectl = (args: string) => lab.exec(cp, `sudo kubectl --kubeconfig=/etc/kubernetes/admin.conf ${args}`);
  const nodes = async () => (await kubectl('get nodes -o name')).trim().split('\n').map((l) => l.replace('node/', '')).sort();

  /** The lab's inventory with `keep` hosts only, and the control plane's labels; returns its path. */
  async function inventory(file: string, keep: string[], cpLabels: Record<string, string>): Promise<string> {
    const inv = parse(await readFile(lab.inventoryPath, 'utf8'));
    const groups = inv.all.children.cluster.children;
    groups.control_plane.hosts[cp].node_labels = cpLabels;
    for (const h of Object.keys(groups.workers.hosts)) if (!keep.includes(h)) delete groups.workers.hosts[h];
    const path = join(dir, file);
    await writeFile(path, stringify(inv));
    return path;
  }

  before(async () => {
    lab = await startLab({ name: 'nodes', hosts: 4 });
    [cp, w2, w3, w4] = lab.hosts.map((h) => h.name) as [string, string, string, string];
    dir = await mkdtemp(join(tmpdir(), 'steer-nodes-'));
    full = await inventory('full.yaml', [w2, w3, w4], { raid: 'true', network: 'gigabit' });
  });
  after(async () => {
    await lab?.down();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('site.yaml builds three nodes and labels the control plane from the inventory', async () => {
    const three = await inventory('three.yaml', [w2, w3], { raid: 'true', network: 'gigabit' });
    const r = await steer(three, 'site.yaml');
    assert.equal(r.code, 0, output(r));
    assert.deepEqual(await nodes(), [cp, w2, w3].sort());
    const labels = await kubectl(`get node ${cp} -o jsonpath={.metadata.labels}`);
    assert.match(labels, /"raid":"true"/);
    assert.match(labels, /"network":"gigabit"/);
  });

  test('a fourth board joins with -l alone: the control plane is reached for a token', async () => {
    const check = await steer(full, 'site.yaml', '-l', w4, '--check');
    const real = await steer(full, 'site.yaml', '-l', w4);
    assert.equal(real.code, 0, output(real));
    assertPredicted(check, real, true);
    assert.ok(changedSteps(real).includes(`${w4} worker : Joined the cluster`));
    assert.deepEqual(Object.keys(recapOf(real.events).hosts), [w4], 'only the new board is in the run');
    await kubectl(`wait --for=condition=Ready node/${w4} --timeout=180s`);
    assert.doesNotMatch(real.stdout, /kubeadm join \S+ --token/, 'the join command is never printed');
    assertNoChange(await steer(full, 'site.yaml', '-l', w4));
  });

  test('a label dropped from the inventory is removed from the node; a label set by hand stays', async () => {
    await kubectl(`label node ${cp} owner=someone-else`);
    const fewer = await inventory('fewer.yaml', [w2, w3, w4], { raid: 'true' });
    const check = await steer(fewer, 'site.yaml', '--tags', 'node-labels', '--check');
    const real = await steer(fewer, 'site.yaml', '--tags', 'node-labels');
    assert.equal(real.code, 0, output(real));
    assertPredicted(check, real);
    assert.deepEqual(changedSteps(real), [`${cp} node-labels : Node labels and taints`]);
    const labels = JSON.parse(await kubectl(`get node ${cp} -o jsonpath={.metadata.labels}`)) as Record<string, string>;
    assert.equal(labels['raid'], 'true');
    assert.equal(labels['network'], undefined, 'the dropped label is gone');
    assert.equal(labels['owner'], 'someone-else', 'a label steer never set is kept');
    assertNoChange(await steer(fewer, 'site.yaml', '--tags', 'node-labels'));
  });

  test('a containerd configuration change restarts the runtime node by node, drained and uncordoned', async () => {
    const change = ['--tags', 'docker', '-e', 'containerd_sandbox_image=registry.k8s.io/pause:3.10.1'];
    const check = await steer(full, 'site.yaml', ...change, '--check');
    const real = await steer(full, 'site.yaml', ...change);
    assert.equal(real.code, 0, output(real));
    assertPredicted(check, real);
    const rolled = results(real).filter((e) => e.step.startsWith('containerd restarted node by node') && e.status === 'changed');
    assert.equal(rolled.length, 4, 'every node restarted its runtime');
    // From drain to uncordon, one node at a time: the intervals never overlap.
    const commands = real.events.filter((e): e is CommandEvent => e.type === 'command');
    const span = (node: string) => {
      const drain = commands.find((c) => new RegExp(`kubectl \\S+ drain ${node} `).test(c.command));
      const uncordon = commands.find((c) => new RegExp(`kubectl \\S+ uncordon ${node}$`).test(c.command));
      assert.ok(drain && uncordon, `${node} drained and uncordoned`);
      return [Date.parse(drain.time) - drain.durationMs, Date.parse(uncordon.time)] as const;
    };
    const spans = [cp, w2, w3, w4].map(span).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], `two nodes out of service at once: ${JSON.stringify(spans)}`);
    assert.doesNotMatch(await kubectl('get nodes --no-headers'), /SchedulingDisabled|NotReady/);
    assertNoChange(await steer(full, 'site.yaml', ...change));
  });

  test('remove-node.yaml removes a live node: drained, deleted, reset, CNI cleaned', async () => {
    const check = await steer(full, 'remove-node.yaml', '-e', `node=${w4}`, '--check');
    const real = await steer(full, 'remove-node.yaml', '-e', `node=${w4}`);
    assert.equal(real.code, 0, output(real));
    assertPredicted(check, real);
    assert.deepEqual(await nodes(), [cp, w2, w3].sort());
    const left = await lab.exec(w4, 'sudo sh -c "ls /etc/kubernetes/kubelet.conf 2>&1; ls -A /etc/cni/net.d; ip link show cni0 2>&1; true"');
    assert.match(left, /No such file/);
    assert.doesNotMatch(left, /flannel|state UP/);
    assertNoChange(await steer(full, 'remove-node.yaml', '-e', `node=${w4}`));
  });

  test('remove-node.yaml removes a dead node from the control plane side and says what it skipped', async () => {
    await stopHost(lab.name, w3);
    const args = ['-e', `node=${w3}`, '-e', 'unreachable_drain_timeout=10'];
    const check = await steer(full, 'remove-node.yaml', ...args, '--check');
    const real = await steer(full, 'remove-node.yaml', ...args);
    assert.equal(real.code, 0, output(real));
    assertPredicted(check, real);
    assert.deepEqual(await nodes(), [cp, w2].sort());
    assert.ok(real.events.some((e) => e.type === 'note' && /could not be reached \(.*unreachable.*\): skipped on the node itself kubeadm reset/.test(e.message)));
    assertNoChange(await steer(full, 'remove-node.yaml', ...args));
  });

  test('remove-node.yaml refuses the last control plane and a missing node name', async () => {
    const last = await steer(full, 'remove-node.yaml', '-e', `node=${cp}`);
    assert.notEqual(last.code, 0);
    assert.match(last.stdout, /runs this play|last control plane/);
    const none = await steer(full, 'remove-node.yaml');
    assert.notEqual(none.code, 0);
    assert.match(none.stdout, /-e node=NAME/);
    assert.deepEqual(await nodes(), [cp, w2].sort());
  });

  test('a kernel command line change reboots the nodes of the running cluster one at a time (reboot() in a throttled step)', async () => {
    const change = ['--tags', 'cgroups', '-l', `${cp},${w2}`, '-e', '{"cgroup_cmdline_flags": ["cgroup_enable=memory", "swapaccount=1"]}'];
    const boots = () => Promise.all([cp, w2].map((h) => lab.exec(h, 'cat /proc/sys/kernel/random/boot_id')));
    const before = await boots();
    const check = await steer(full, 'site.yaml', ...change, '--check');
    const real = await steer(full, 'site.yaml', ...change);
    assert.equal(real.code, 0, output(real));
    assertPredicted(check, real);
    const after = await boots();
    assert.ok(before.every((b, i) => b !== after[i]), 'both nodes rebooted');
    const rolled = results(real).filter((e) => e.step === 'Rolling reboot (drain, reboot, uncordon)' && e.status === 'changed');
    assert.deepEqual(rolled.map((e) => e.host).sort(), [cp, w2].sort());
    assert.ok(!results(real).some((e) => e.step === 'reboot' && e.handler), 'no plain reboot handler on cluster nodes');
    // The second host's step started after the first one's ended.
    const starts = real.events.filter((e) => e.type === 'step-start' && e.step === 'Rolling reboot (drain, reboot, uncordon)');
    const firstEnd = real.events.indexOf(rolled[0]!);
    assert.ok(starts.length === 2 && real.events.indexOf(starts[1]!) > firstEnd, 'one node at a time');
    await kubectl(`wait --for=condition=Ready node/${cp} node/${w2} --timeout=180s`);
    assertNoChange(await steer(full, 'site.yaml', ...change));
  });
});
