// Settings changed after kubeadm init (roles/control-plane/drift.ts): each difference named with
// both values and what to run; equal settings and settings not found running are not reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configDrift, formatDrift, type WantedSettings } from '../../roles/control-plane/drift.js';

const wanted: WantedSettings = {
  kubernetes_version: '1.34.2',
  cluster_name: 'kubernetes',
  pod_network_cidr: '10.244.0.0/16',
  service_cidr: '10.96.0.0/12',
  control_plane_endpoint: '192.168.1.10:6443',
  apiserver_liveness_initial_delay: 120,
  cgroup_driver: 'systemd',
};

test('no drift when the running cluster has what steer renders (numbers compared with their text)', () => {
  assert.deepEqual(configDrift(wanted, { ...wanted, apiserver_liveness_initial_delay: 120 }), []);
  assert.deepEqual(configDrift(wanted, {}), [], 'settings not found are not reported');
});

test('a changed liveness delay is reported with both values and the command that applies it', () => {
  const drift = configDrift({ ...wanted, apiserver_liveness_initial_delay: 240 }, { ...wanted });
  assert.equal(drift.length, 1);
  const text = formatDrift(drift[0]!);
  assert.match(text, /^apiserver_liveness_initial_delay is 240 in the inventory but 120 in the running cluster \(kube-apiserver livenessProbe\.initialDelaySeconds/);
  assert.match(text, /initialDelaySeconds: 240 in \/etc\/kubernetes\/patches\/kube-apiserver\+strategic\.yaml, then `sudo kubeadm upgrade apply <the running version> --yes --patches \/etc\/kubernetes\/patches`/);
});

test('each setting names where the cluster keeps it and how to apply it', () => {
  const drift = configDrift(wanted, { pod_network_cidr: '10.10.0.0/16', cgroup_driver: 'cgroupfs', kubernetes_version: '1.33.6', cluster_name: 'home' });
  assert.deepEqual(drift.map((d) => d.variable), ['kubernetes_version', 'cluster_name', 'pod_network_cidr', 'cgroup_driver']);
  const byVar = Object.fromEntries(drift.map((d) => [d.variable, formatDrift(d)]));
  assert.match(byVar['kubernetes_version']!, /steer run upgrade\.yaml/);
  assert.match(byVar['pod_network_cidr']!, /"10\.244\.0\.0\/16" in the inventory but "10\.10\.0\.0\/16" .*networking\.podSubnet.*rebuilding the cluster/);
  assert.match(byVar['cgroup_driver']!, /kubectl -n kube-system edit cm kubelet-config.*kubeadm upgrade node phase kubelet-config && sudo systemctl restart kubelet/);
});
