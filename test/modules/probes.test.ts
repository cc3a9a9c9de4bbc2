// Table-driven probe tests, as pyinfra's fact tests: each fixtures/probes/<module>/<case>.json
// holds the module's args, what each probe section printed on a host (recorded output) and the
// state the parser must make of it. The probe must be ONE command naming exactly those sections.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Facts } from '../../lib/facts/facts.js';
import { modules } from '../../lib/modules/index.js';
import type { Module } from '../../lib/modules/module.js';
import { FakeConnection, fakeContext } from '../support/fake-connection.js';
import { FIXTURES, readFixtures, revive } from './fixture-support.js';

interface ProbeFixture {
  description?: string;
  args: unknown;
  facts?: Partial<Facts>;
  sections: Record<string, { code?: number; text: string }>;
  state: unknown;
}

/** Buffers are compared through their text elsewhere; JSON fixtures leave them out. */
function withoutBytes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutBytes);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([k, v]) => k !== 'bytes' && v !== undefined)
      .map(([k, v]) => [k, withoutBytes(v)]),
  );
}

const fixtures = readFixtures<ProbeFixture>(FIXTURES + 'probes');

test('there is a probe fixture for every module', () => {
  for (const name of Object.keys(modules)) assert.ok(fixtures.some((f) => f.module === name), `${name} has no probe fixture`);
});

for (const fixture of fixtures) {
  test(`probe ${fixture.name}${fixture.data.description ? `: ${fixture.data.description}` : ''}`, async () => {
    const module = (modules as Record<string, Module<unknown, unknown, unknown>>)[fixture.module]!;
    const connection = new FakeConnection().respondToProbe(fixture.data.sections);
    const state = await module.probe(revive(fixture.data.args), fakeContext(connection, { facts: fixture.data.facts }));
    assert.deepEqual(withoutBytes(state), fixture.data.state);
    const expected = Object.keys(fixture.data.sections).sort();
    if (expected.length === 0) {
      assert.equal(connection.runs.length, 0, 'nothing to probe: no round trip');
      return;
    }
    assert.equal(connection.runs.length, 1, 'one round trip');
    const names = [...connection.runs[0]!.text.matchAll(/printf '%s ' (\S+);/g)].map((m) => m[1]).sort();
    assert.deepEqual(names, expected, 'the probe asks for exactly the recorded sections');
  });
}
