// `throttle` on a step: at most N hosts inside the step at once, per play + role + step and per run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { throttled } from '../../lib/runner/throttle.js';
import { repoRoot, runSteer } from '../support/steer-cli.js';

/** Runs `hosts` bodies through one key and returns the most that were inside at once. */
async function peak(run: object, hosts: number, limit: number, step = 'Move'): Promise<number> {
  let inside = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: hosts }, () =>
      throttled(run, { play: 'p', role: 'r', step }, limit, async () => {
        most = Math.max(most, ++inside);
        await new Promise((r) => setTimeout(r, 10));
        inside--;
      }),
    ),
  );
  return most;
}

test('at most N hosts run a throttled step at once; every host runs it', async () => {
  assert.equal(await peak({}, 5, 1), 1);
  assert.equal(await peak({}, 5, 2), 2);
  assert.equal(await peak({}, 3, 10), 3);
});

test('different steps and different runs do not wait for each other', async () => {
  const run = {};
  const both = await Promise.all([peak(run, 3, 1, 'a'), peak(run, 3, 1, 'b'), peak({}, 3, 1, 'a')]);
  assert.deepEqual(both, [1, 1, 1]);
  let inside = 0;
  let most = 0;
  const body = async () => {
    most = Math.max(most, ++inside);
    await new Promise((r) => setTimeout(r, 10));
    inside--;
  };
  await Promise.all([throttled(run, { play: 'p', role: 'r', step: 'x' }, 1, body), throttled(run, { play: 'p', role: 'r', step: 'y' }, 1, body)]);
  assert.equal(most, 2, 'two steps with their own limit of 1 run side by side');
});

test('a failing body frees its place', async () => {
  const run = {};
  const key = { play: 'p', role: 'r', step: 's' };
  await assert.rejects(throttled(run, key, 1, async () => Promise.reject(new Error('boom'))), /boom/);
  assert.equal(await throttled(run, key, 1, async () => 'next'), 'next');
});

test('the limit must be a whole number of hosts', () => {
  assert.throws(() => throttled({}, { play: 'p', role: 'r', step: 's' }, 0, async () => {}), /throttle must be an integer ≥ 1/);
  assert.throws(() => throttled({}, { play: 'p', role: 'r', step: 's' }, 1.5, async () => {}), /throttle must be an integer ≥ 1/);
});

test('step(name, { throttle: 1 }) in a play: the hosts take the step one at a time', async () => {
  const out = mkdtempSync(join(tmpdir(), 'steer-throttle-'));
  try {
    const dir = join(repoRoot, 'test/fixtures/policy');
    const r = await runSteer(['run', join(dir, 'throttle.yaml'), '-i', join(dir, 'hosts.ini'), '--json', '-e', `out_dir=${out}`]);
    assert.equal(r.code, 0, r.stderr);
    // Each host appends "start HOST" and "end HOST" around a sleep: with throttle 1 they never interleave.
    const lines = readFileSync(join(out, 'throttled.log'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 8);
    for (let i = 0; i < lines.length; i += 2) {
      const host = lines[i]!.split(' ')[1];
      assert.deepEqual([lines[i], lines[i + 1]], [`start ${host}`, `end ${host}`], lines.join('\n'));
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('reboot() inside a throttled step: check mode reports "would reboot" in order; outside a step it is refused', async () => {
  const dir = join(repoRoot, 'test/fixtures/policy');
  // --check only: these hosts are the controller itself.
  const r = await runSteer(['run', join(dir, 'reboot-step.yaml'), '-i', join(dir, 'hosts.ini'), '--json', '--check', '-l', 'h1']);
  const results = r.events.filter((e) => e.type === 'step-result');
  const inStep = results.find((e) => e.type === 'step-result' && e.step === 'Drain, reboot, uncordon');
  assert.equal(inStep?.type === 'step-result' && inStep.status, 'changed');
  assert.match((inStep as { message?: string }).message ?? '', /would run: echo drain; would run: echo uncordon; would reboot/);
  const outside = results.find((e) => e.type === 'step-result' && e.step === '(role script)');
  assert.match((outside as { message?: string } | undefined)?.message ?? '', /reboot\(\) must run inside step\(\)/);
  assert.notEqual(r.code, 0);
});
