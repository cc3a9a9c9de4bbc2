import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serialBatches } from '../../lib/runner/batches.js';

const hosts = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

test('no serial: one batch of every host', () => {
  assert.deepEqual(serialBatches(hosts, []), [hosts]);
});

test('a number: batches of that size', () => {
  assert.deepEqual(serialBatches(hosts, [3]), [['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]);
});

test('a percentage of all hosts, rounded down, at least one', () => {
  assert.deepEqual(serialBatches(hosts, ['30%']).map((b) => b.length), [2, 2, 2, 1]);
  assert.deepEqual(serialBatches(['a', 'b'], ['10%']).map((b) => b.length), [1, 1]);
});

test('a ramp: the last size repeats', () => {
  assert.deepEqual(serialBatches(hosts, [1, 2, '50%']).map((b) => b.length), [1, 2, 3, 1]);
});
