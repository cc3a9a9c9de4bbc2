// The node-labels role's plan: labels and taints from the inventory, only steer's own keys removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MANAGED_LABELS, MANAGED_TAINTS, parseTaint, planNodeChange, readNode, type NodeMeta } from '../../roles/node-labels/plan.js';
import { nodeName } from '../../roles/control-plane/kube-node.js';

const node = (over: Partial<NodeMeta> = {}): NodeMeta => ({
  labels: { 'kubernetes.io/hostname': 'pi1', team: 'blue' },
  annotations: {},
  taints: [],
  ...over,
});

test('new labels are set and recorded as managed; labels of others are left alone', () => {
  const c = planNodeChange(node(), { raid: 'true', network: 'gigabit' }, []);
  assert.deepEqual(c.patch, { metadata: { labels: { raid: 'true', network: 'gigabit' }, annotations: { [MANAGED_LABELS]: 'network,raid' } } });
  assert.deepEqual(c.taints, []);
  assert.deepEqual(c.summary, ['+raid=true', '+network=gigabit']);
});

test('nothing to do when the node already matches: no patch, no taint (second run changed=0)', () => {
  const c = planNodeChange(node({ labels: { raid: 'true' }, annotations: { [MANAGED_LABELS]: 'raid' } }), { raid: 'true' }, []);
  assert.equal(c.patch, undefined);
  assert.deepEqual(c.taints, []);
});

test('a label steer set and the inventory dropped is removed; an unmanaged one is kept', () => {
  const current = node({ labels: { raid: 'true', network: 'gigabit', team: 'blue' }, annotations: { [MANAGED_LABELS]: 'network,raid' } });
  const c = planNodeChange(current, { raid: 'true' }, []);
  assert.deepEqual(c.patch, { metadata: { labels: { network: null }, annotations: { [MANAGED_LABELS]: 'raid' } } });
  // Every label dropped: the annotation goes too.
  const none = planNodeChange(current, {}, []);
  assert.deepEqual(none.patch, { metadata: { labels: { raid: null, network: null }, annotations: { [MANAGED_LABELS]: null } } });
  assert.deepEqual(none.summary, ['-network', '-raid']);
});

test('taints: added, value changed, removed only when steer managed them', () => {
  const current = node({
    taints: [
      { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
      { key: 'dedicated', value: 'old', effect: 'NoSchedule' },
      { key: 'gone', effect: 'NoExecute' },
    ],
    annotations: { [MANAGED_TAINTS]: 'dedicated:NoSchedule,gone:NoExecute' },
  });
  const c = planNodeChange(current, {}, ['dedicated=storage:NoSchedule', 'slow:PreferNoSchedule']);
  assert.deepEqual(c.taints, ['dedicated=storage:NoSchedule', 'slow:PreferNoSchedule', 'gone:NoExecute-']);
  assert.deepEqual(c.patch, { metadata: { annotations: { [MANAGED_TAINTS]: 'dedicated:NoSchedule,slow:PreferNoSchedule' } } });
  const same = planNodeChange(
    node({ taints: [{ key: 'slow', effect: 'PreferNoSchedule' }], annotations: { [MANAGED_TAINTS]: 'slow:PreferNoSchedule' } }),
    {},
    ['slow:PreferNoSchedule'],
  );
  assert.deepEqual([same.patch, same.taints], [undefined, []]);
});

test('taint notation and node JSON are read as kubectl writes them; non-strings from the API are dropped', () => {
  assert.deepEqual(parseTaint('dedicated=a=b:NoExecute'), { key: 'dedicated', value: 'a=b', effect: 'NoExecute' });
  assert.deepEqual(parseTaint('example.com/slow:NoSchedule'), { key: 'example.com/slow', effect: 'NoSchedule' });
  const read = readNode(JSON.stringify({ metadata: { labels: { a: 'b', n: 1 }, annotations: null }, spec: { taints: [{ key: 'k', effect: 'NoSchedule', value: '' }, { effect: 'x' }] } }));
  assert.deepEqual(read, { labels: { a: 'b' }, annotations: {}, taints: [{ key: 'k', effect: 'NoSchedule' }] });
  assert.deepEqual(readNode('{}'), { labels: {}, annotations: {}, taints: [] });
});

test("a host's node name is the lowercase name kubeadm registers", () => {
  assert.equal(nodeName('PiNode2'), 'pinode2');
  assert.equal(nodeName(' elderberry '), 'elderberry');
});
