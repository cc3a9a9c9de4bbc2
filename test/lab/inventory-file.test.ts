import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { INVENTORY_HEADER, renderInventory } from '../../lab/inventory-file.js';
import { labPaths } from '../../lab/paths.js';
import { planLab } from '../../lab/state.js';
import { etcdTarballName } from '../../lab/standins/etcd-release.js';

test('the lab inventory has the home inventory shape and the lab overrides', () => {
  const state = planLab('default', 4, 3, 0, '/img');
  const text = renderInventory(state);
  assert.ok(text.startsWith(INVENTORY_HEADER));
  const inv = parse(text);
  const cluster = inv.all.children.cluster.children;
  assert.deepEqual(Object.keys(cluster.control_plane.hosts), ['lab1']);
  assert.deepEqual(Object.keys(cluster.workers.hosts), ['lab2', 'lab3']);
  assert.deepEqual(cluster.workers.hosts.lab3, {
    ansible_host: '10.213.4.13',
    ansible_user: 'pi',
    ansible_ssh_private_key_file: labPaths('default').key,
    steer_known_hosts: labPaths('default').knownHosts,
    kubernetes_apt_base_url: 'http://10.213.4.1:8213/core:/stable:',
    steer_lab_files_url: 'http://10.213.4.1:8213/files',
    flannel_manifest_url: 'http://10.213.4.1:8213/files/kube-flannel.yml',
    etcd_release_url: `http://10.213.4.1:8213/files/${etcdTarballName()}`,
  });
  assert.match(etcdTarballName('arm64'), /^etcd-v3\.6\.5-linux-arm64\.tar\.gz$/);
});

test('next to the home group_vars, the lab overrides still win (host vars beat group vars)', async () => {
  const { mkdtempSync, writeFileSync, mkdirSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { loadInventory } = await import('../../lib/inventory/load.js');
  const dir = mkdtempSync(join(tmpdir(), 'steer-labinv-'));
  try {
    mkdirSync(join(dir, 'group_vars'));
    writeFileSync(join(dir, 'group_vars', 'cluster.yaml'), 'kubernetes_apt_base_url: "https://pkgs.k8s.io/core:/stable:"\nkubernetes_version: "1.34.2"\n');
    writeFileSync(join(dir, 'lab.yaml'), renderInventory(planLab('default', 4, 2, 0, '/img')));
    const inv = await loadInventory([join(dir, 'lab.yaml')]);
    assert.equal(inv.hostVars('lab2')['kubernetes_apt_base_url'], 'http://10.213.4.1:8213/core:/stable:');
    assert.equal(inv.hostVars('lab2')['kubernetes_version'], '1.34.2');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a one-host lab has a control plane and no workers', () => {
  const inv = parse(renderInventory(planLab('solo', 2, 1, 0, '/img')));
  assert.deepEqual(Object.keys(inv.all.children.cluster.children.control_plane.hosts), ['solo1']);
  assert.deepEqual(inv.all.children.cluster.children.workers.hosts, {});
});
