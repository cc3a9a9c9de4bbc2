import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatStatusTable } from '../../lib/cli/commands/lab.js';

test('lab status prints one aligned row per host', () => {
  const table = formatStatusTable([
    { name: 'lab1', address: '10.213.1.11', power: 'running', cut: false, bootId: 'b1' },
    { name: 'lab2', address: '10.213.1.12', power: 'running', cut: true, bootId: 'b2' },
    { name: 'lab3', address: '10.213.1.13', power: 'stopped', cut: false },
  ]);
  assert.equal(
    table,
    [
      'HOST  ADDRESS      STATE          BOOT ID',
      'lab1  10.213.1.11  running        b1',
      'lab2  10.213.1.12  running (cut)  b2',
      'lab3  10.213.1.13  stopped        -',
    ].join('\n'),
  );
});
