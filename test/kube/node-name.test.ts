// Inventory host names → Kubernetes Node names (lib/kube/node-name.ts): kubeadm's lowercasing, the
// DNS-1123 subdomain rule, and hosts that would be one node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeName, nodeNameClashes, nodeNameProblem } from '../../lib/kube/node-name.js';

test('capitalised names map to the lowercase name kubeadm registers', () => {
  assert.equal(nodeName('PiCP1'), 'picp1');
  assert.equal(nodeName('PiNode2'), 'pinode2');
  assert.equal(nodeName(' elderberry '), 'elderberry');
  for (const ok of ['PiCP1', 'node-1', 'pi.home.lan', 'a', '9lives']) assert.equal(nodeNameProblem(ok), undefined, ok);
});

test('names kubeadm would refuse are refused with the reason', () => {
  for (const bad of ['pi_1', '-pi', 'pi-', 'pi..lan', 'Pi Node', 'π1', '']) {
    const problem = nodeNameProblem(bad);
    assert.ok(problem, `${JSON.stringify(bad)} is refused`);
  }
  assert.match(nodeNameProblem('Pi_1')!, /node name "pi_1" is not a lowercase RFC 1123 subdomain/);
  assert.match(nodeNameProblem('a'.repeat(254))!, /longer than 253 characters/);
  assert.equal(nodeNameProblem('a'.repeat(253)), undefined);
});

test('hosts that map to one node name are found; distinct names are not', () => {
  assert.deepEqual([...nodeNameClashes(['PiNode2', 'pinode2', 'PiCP1', 'PINODE2'])], [['pinode2', ['PiNode2', 'pinode2', 'PINODE2']]]);
  assert.equal(nodeNameClashes(['PiCP1', 'PiNode2', 'PiNode3']).size, 0);
});
