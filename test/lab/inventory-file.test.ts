import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { INVENTORY_HEADER, renderInventory } from '../../lib/lab/inventory-file.js';
import { labPaths } from '../../lib/lab/paths.js';
import { planLab } from '../../lib/lab/state.js';

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
  });
  assert.equal(inv.all.vars.kubernetes_apt_base_url, 'http://10.213.4.1:8213/core:/stable:');
  assert.equal(inv.all.vars.steer_lab_files_url, 'http://10.213.4.1:8213/files');
});

test('a one-host lab has a control plane and no workers', () => {
  const inv = parse(renderInventory(planLab('solo', 2, 1, 0, '/img')));
  assert.deepEqual(Object.keys(inv.all.children.cluster.children.control_plane.hosts), ['solo1']);
  assert.deepEqual(inv.all.children.cluster.children.workers.hosts, {});
});
