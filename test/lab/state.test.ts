import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../lib/errors.js';
import { checkLabName, findHost, hostName, planLab } from '../../lab/state.js';

test('lab "default" names its hosts lab1…, other labs NAME1…', () => {
  assert.equal(hostName('default', 1), 'lab1');
  assert.equal(hostName('ci', 3), 'ci3');
});

test('a plan gives each host its own address, namespace and interface on the lab subnet', () => {
  const plan = planLab('default', 7, 3, 0, '/img');
  assert.equal(plan.bridgeAddress, '10.213.7.1');
  assert.equal(plan.repoUrl, 'http://10.213.7.1:8213');
  assert.deepEqual(plan.hosts.map((h) => h.address), ['10.213.7.11', '10.213.7.12', '10.213.7.13']);
  assert.equal(new Set(plan.hosts.map((h) => h.veth)).size, 3);
  assert.equal(new Set(plan.hosts.map((h) => h.netns)).size, 3);
});

test('interface names fit the kernel limit of 15 characters for the largest labs', () => {
  const plan = planLab('a-very-long-lab-name', 254, 50, 0, '/img');
  for (const name of [plan.bridge, ...plan.hosts.map((h) => h.veth)]) assert.ok(name.length <= 15, name);
  assert.ok(plan.hosts.every((h) => /^10\.213\.254\.\d+$/.test(h.address) && Number(h.address.split('.')[3]) < 255));
});

test('lab names are checked', () => {
  for (const bad of ['', 'Default', '1lab', 'a b', 'x'.repeat(25), '../etc']) {
    assert.throws(() => checkLabName(bad), (e: unknown) => e instanceof UserError && e.code === 'LAB_BAD_NAME', bad);
  }
  checkLabName('ci-2');
});

test('hosts are found by name or address, and an unknown one is a user error', () => {
  const plan = planLab('default', 1, 2, 0, '/img');
  assert.equal(findHost(plan, 'lab2').address, '10.213.1.12');
  assert.equal(findHost(plan, '10.213.1.11').name, 'lab1');
  assert.throws(() => findHost(plan, 'lab9'), /has no host "lab9" \(hosts: lab1, lab2\)/);
});
