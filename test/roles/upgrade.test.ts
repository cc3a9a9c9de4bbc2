// upgrade.yaml without connecting anywhere: its plays in kubeadm's order against the home inventory,
// and the message a node's failure leaves (cordoned, how to resume).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKubeVersion } from '../../lib/kube/version.js';
import { stoppedMessage } from '../../roles/upgrade-node/steps.js';
import { runSteer } from '../support/steer-cli.js';

test('upgrade.yaml passes the syntax check; the control plane comes before the other nodes, which go one at a time', async () => {
  const syntax = await runSteer(['run', 'upgrade.yaml', '-i', 'inventory/home.yaml', '--syntax-check']);
  assert.equal(syntax.code, 0, syntax.stderr);
  const hosts = await runSteer(['run', 'upgrade.yaml', '-i', 'inventory/home.yaml', '--list-hosts']);
  assert.match(hosts.stdout, /play #2 \(control_plane\): Upgrade the control plane[\s\S]*elderberry[\s\S]*play #3 \(cluster:!control_plane\)/);
  const tasks = await runSteer(['run', 'upgrade.yaml', '-i', 'inventory/home.yaml', '--list-tasks']);
  const order = ['upgrade-versions : Installed Kubernetes packages', 'upgrade-control-plane : Upgrade path and version skew', 'upgrade-control-plane : kubeadm upgrade apply',
    'upgrade-node : Drained', 'upgrade-node : kubeadm upgrade node', 'upgrade-node : kubelet restarted', 'upgrade-node : Uncordoned', 'upgrade-node : Ready at the new version'];
  const at = order.map((s) => tasks.stdout.indexOf(s));
  assert.ok(at.every((i) => i >= 0), tasks.stdout);
  assert.deepEqual([...at].sort((a, b) => a - b), at, 'in this order');
});

test("a node's failure says it stays cordoned and how to resume", () => {
  const text = stoppedMessage({ host: 'PiNode3', node: 'pinode3', target: parseKubeVersion('1.33.6')! }, 'kubeadm upgrade node', 'exit 1: the SD card went read-only\n');
  assert.match(text, /^kubeadm upgrade node failed on pinode3: the upgrade stopped here, and pinode3 is left cordoned/);
  assert.match(text, /\nexit 1: the SD card went read-only\nTo resume: fix the cause, then run upgrade\.yaml again with kubernetes_version 1\.33\.6 — nodes already at v1\.33\.6 are skipped, so it goes on with PiNode3\./);
  assert.match(text, /kubectl uncordon pinode3/);
});
