// The roles' pure pieces, and every role's declarations checked against the home inventory
// without connecting anywhere (--syntax-check, --list-tasks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJoinCommand, criSocket } from '../../roles/control-plane/role.js';
import { withPodNetwork, WEAVE_GONE } from '../../roles/cni/role.js';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runSteer } from '../support/steer-cli.js';

test('the join command printed by kubeadm is parsed, line continuations included', () => {
  const printed = 'kubeadm join 192.168.2.114:6443 --token zqqoy7.9oi8dpkfmqkop2p5 \\\n    --discovery-token-ca-cert-hash sha256:71270ea137214422221319c1bdb9ba6d4b76abfa2506753703ed654a90c4982b\n';
  assert.deepEqual(parseJoinCommand(printed), {
    apiServerEndpoint: '192.168.2.114:6443',
    token: 'zqqoy7.9oi8dpkfmqkop2p5',
    caCertHash: 'sha256:71270ea137214422221319c1bdb9ba6d4b76abfa2506753703ed654a90c4982b',
  });
  assert.equal(parseJoinCommand('no join here'), undefined);
});

test('the CRI socket follows the runtime', () => {
  assert.equal(criSocket('containerd'), 'unix:///run/containerd/containerd.sock');
  assert.equal(criSocket('docker'), 'unix:///run/cri-dockerd.sock');
});

test("Flannel's pod network is set to the cluster's", () => {
  const manifest = 'net-conf.json: |\n    {\n      "Network": "10.244.0.0/16",\n      "Backend": {"Type": "vxlan"}\n    }\n';
  assert.match(withPodNetwork(manifest, '10.42.0.0/16'), /"Network": "10\.42\.0\.0\/16"/);
  assert.match(WEAVE_GONE, /Weaveworks shut down/);
});

test('site.yaml, reset.yaml and remove-node.yaml pass the syntax check against the home inventory, connecting nowhere', async () => {
  for (const playbook of ['site.yaml', 'reset.yaml', 'remove-node.yaml']) {
    const r = await runSteer(['run', playbook, '-i', 'inventory/home.yaml', '--syntax-check']);
    assert.equal(r.code, 0, r.stderr);
  }
  const hosts = await runSteer(['run', 'site.yaml', '-i', 'inventory/home.yaml', '--list-hosts']);
  assert.match(hosts.stdout, /play #2 \(control_plane\): Control plane[\s\S]*elderberry/);
  const tasks = await runSteer(['run', 'site.yaml', '-i', 'inventory/home.yaml', '--list-tasks']);
  for (const role of ['preflight', 'hostname', 'storage', 'cgroups', 'sysctl', 'docker', 'kubernetes-apt', 'control-plane', 'worker', 'node-labels', 'cni', 'verify'])
    assert.match(tasks.stdout, new RegExp(`\\n\\s+${role} : `), role);
});

test('a wrong variable type in the inventory is refused before anything runs', async () => {
  // The home inventory with its addresses replaced by a closed loopback port: even if validation
  // regressed, nothing could be reached but this machine.
  const dir = mkdtempSync(join(tmpdir(), 'steer-roles-'));
  try {
    cpSync(join(repoRoot, 'inventory/group_vars'), join(dir, 'group_vars'), { recursive: true });
    const home = readFileSync(join(repoRoot, 'inventory/home.yaml'), 'utf8').replace(/ansible_host: \S+/g, 'ansible_host: 127.0.0.1\n              ansible_port: 9');
    writeFileSync(join(dir, 'home.yaml'), home);
    const r = await runSteer(['run', 'site.yaml', '-i', join(dir, 'home.yaml'), '--check', '-e', '{"control_plane_schedulable": "perhaps"}']);
    assert.equal(r.code, 5);
    assert.match(r.stderr, /control_plane_schedulable/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(r.stdout, '', 'nothing ran');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
