// The upgrade's version rules (lib/kube/version.ts): parsing the three spellings, the one-minor path,
// downgrades, and the version-skew policy between kubelets, packages and the API server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareKubeVersions,
  formatKubeVersion,
  minorPath,
  nodeAtTarget,
  parseKubeVersion,
  upgradeRefusal,
  type NodeVersions,
} from '../../lib/kube/version.js';

const v = (text: string) => parseKubeVersion(text)!;
const node = (name: string, kubelet: string, packages: Record<string, string> = {}, unschedulable = false): NodeVersions => ({
  name,
  kubelet: v(kubelet),
  unschedulable,
  packages: Object.fromEntries(Object.entries(packages).map(([p, x]) => [p, v(x)])),
});

test('versions from kubectl, the inventory and pkgs.k8s.io packages', () => {
  assert.deepEqual(v('v1.32.10'), { major: 1, minor: 32, patch: 10 });
  assert.deepEqual(v('1.33.6-1.1'), { major: 1, minor: 33, patch: 6 });
  assert.equal(formatKubeVersion(v('1.34.2')), '1.34.2');
  for (const bad of ['1.34', 'v1.x.2', '', 'latest']) assert.equal(parseKubeVersion(bad), undefined, bad);
  assert.ok(compareKubeVersions(v('1.32.10'), v('1.32.9')) > 0, 'patch compared as a number');
  assert.ok(compareKubeVersions(v('1.32.10'), v('1.33.1')) < 0);
  assert.deepEqual(minorPath(v('1.32.10'), v('1.34.2')), ['1.32', '1.33', '1.34']);
});

test('one minor up, a patch up, or the same version (to finish the nodes) is allowed', () => {
  const nodes = [node('cp', 'v1.32.10', { kubeadm: '1.32.10-1.1', kubelet: '1.32.10-1.1' }), node('w1', 'v1.32.10')];
  assert.equal(upgradeRefusal(v('1.33.6'), v('1.32.10'), nodes), undefined);
  assert.equal(upgradeRefusal(v('1.32.10'), v('1.32.9'), [node('cp', 'v1.32.9')]), undefined);
  // resumed: the control plane is at the target, a worker one minor behind
  assert.equal(upgradeRefusal(v('1.33.6'), v('1.33.6'), [node('cp', 'v1.33.6'), node('w1', 'v1.32.10', { kubeadm: '1.33.6-1.1' })]), undefined);
});

test('a jump of two minors is refused with the path', () => {
  const refusal = upgradeRefusal(v('1.34.2'), v('1.32.10'), [node('cp', 'v1.32.10')]);
  assert.match(refusal!, /kubeadm upgrades one minor version at a time\. Upgrade along 1\.32 → 1\.33 → 1\.34: run upgrade\.yaml with kubernetes_version 1\.33\.x, then with 1\.34\.2\./);
  assert.match(upgradeRefusal(v('1.35.0'), v('1.32.10'), [])!, /1\.32 → 1\.33 → 1\.34 → 1\.35: run upgrade\.yaml with kubernetes_version 1\.33\.x, then kubernetes_version 1\.34\.x, then with 1\.35\.0/);
});

test('downgrades (a minor or a patch) and other majors are refused', () => {
  assert.match(upgradeRefusal(v('1.32.9'), v('1.32.10'), [])!, /older than the cluster \(API server v1\.32\.10\): upgrade\.yaml never downgrades/);
  assert.match(upgradeRefusal(v('1.31.4'), v('1.32.10'), [])!, /never downgrades/);
  assert.match(upgradeRefusal(v('2.0.0'), v('1.32.10'), [])!, /another major version/);
});

test('the skew policy: kubelets newer than the API server, more than 3 minors behind, packages newer than the target', () => {
  const ahead = upgradeRefusal(v('1.33.6'), v('1.32.10'), [node('w2', 'v1.33.6')]);
  assert.match(ahead!, /w2: its kubelet v1\.33\.6 is newer than the API server v1\.32\.10/);
  assert.match(ahead!, /nothing was changed/);
  assert.match(upgradeRefusal(v('1.33.6'), v('1.32.10'), [node('old', 'v1.29.4')])!, /old: its kubelet v1\.29\.4 would be more than 3 minor versions older than an API server at 1\.33\.6/);
  assert.equal(upgradeRefusal(v('1.33.6'), v('1.32.10'), [node('old', 'v1.30.4')]), undefined, 'three minors behind is allowed');
  assert.match(upgradeRefusal(v('1.33.6'), v('1.33.5'), [node('w1', 'v1.33.5', { kubeadm: '1.34.1-1.1' })])!, /w1: kubeadm 1\.34\.1 is installed, newer than kubernetes_version 1\.33\.6/);
});

test('a node is done when its kubelet and packages are at the target and it is not cordoned', () => {
  const t = v('1.33.6');
  assert.ok(nodeAtTarget(node('w1', 'v1.33.6', { kubeadm: '1.33.6-1.1', kubelet: '1.33.6-1.1', kubectl: '1.33.6-1.1' }), t));
  assert.ok(!nodeAtTarget(node('w1', 'v1.33.6', { kubeadm: '1.33.6-1.1' }, true), t), 'cordoned: not done');
  assert.ok(!nodeAtTarget(node('w1', 'v1.32.10', { kubeadm: '1.33.6-1.1' }), t), 'kubelet behind');
  assert.ok(!nodeAtTarget(node('w1', 'v1.33.6', { kubectl: '1.32.10-1.1' }), t), 'a package behind');
  assert.ok(!nodeAtTarget({ name: 'new', unschedulable: false, packages: {} }, t), 'not a node yet');
});
