// Table-driven plan tests, as pyinfra's operation tests: each fixtures/<module>/<case>.json holds
// the module's args, the state its probe found (parsed) and optionally facts, and what the plan
// must be: the actions (commands as text, puts as data), summary, diffs, data, or an error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Facts } from '../../lib/facts/facts.js';
import { validateArgs } from '../../lib/modules/execute.js';
import { modules } from '../../lib/modules/index.js';
import type { Module } from '../../lib/modules/module.js';
import { fakeFacts } from '../support/fake-connection.js';
import { FIXTURES, actionAsData, readFixtures, revive } from './fixture-support.js';

interface PlanFixture {
  description?: string;
  args: unknown;
  state: unknown;
  facts?: Partial<Facts>;
  expect: {
    actions?: unknown[];
    summary?: string;
    diffs?: unknown[];
    data?: unknown;
    changes?: boolean;
    /** The plan (or argument check) fails with a message containing this. */
    error?: string;
  };
}

const fixtures = readFixtures<PlanFixture>(FIXTURES + 'plans');

test('there are plan fixtures for every module, at least three each', () => {
  for (const name of Object.keys(modules)) {
    const count = fixtures.filter((f) => f.module === name).length;
    assert.ok(count >= 3, `${name} has ${count} plan fixtures`);
  }
});

for (const fixture of fixtures) {
  test(`plan ${fixture.name}${fixture.data.description ? `: ${fixture.data.description}` : ''}`, () => {
    const module = (modules as Record<string, Module<unknown, unknown, unknown>>)[fixture.module];
    assert.ok(module, `no module named ${fixture.module}`);
    const args = revive(fixture.data.args);
    const state = revive(fixture.data.state);
    const facts = { ...fakeFacts, ...fixture.data.facts };
    const expect = fixture.data.expect;
    if (expect.error !== undefined) {
      assert.throws(
        () => module.plan(validateArgs(module, args), state, facts),
        (err: Error) => err.name === 'ModuleError' && err.message.includes(expect.error!),
      );
      return;
    }
    const plan = module.plan(validateArgs(module, args), state, facts);
    assert.deepEqual(plan.actions.map(actionAsData), expect.actions ?? [], 'actions');
    if ('summary' in expect) assert.equal(plan.summary, expect.summary, 'summary');
    if ('diffs' in expect) assert.deepEqual(plan.diffs ?? [], expect.diffs, 'diffs');
    if ('data' in expect) assert.deepEqual(plan.data, expect.data, 'data');
    if ('changes' in expect) assert.equal(plan.changes, expect.changes, 'changes');
    // The same state planned twice gives the same plan: plans are pure.
    assert.deepEqual(module.plan(args, state, facts).actions.map(actionAsData), plan.actions.map(actionAsData));
  });
}
