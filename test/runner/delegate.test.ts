// on(host) beyond the play and the limit (connected on demand), `local` (the controller) and the
// fetch module, on "hosts" that run on the controller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recapOf, repoRoot, runSteer } from '../support/steer-cli.js';

const dir = join(repoRoot, 'test/fixtures/delegate');

function scratch(t: { after(fn: () => void): void }): string {
  const out = mkdtempSync(join(tmpdir(), 'steer-delegate-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  return out;
}
const run = (out: string, ...args: string[]) =>
  runSteer(['run', join(dir, 'site.yaml'), '-i', join(dir, 'hosts.ini'), '--json', '-e', `out_dir=${out}`, '--retry-file', join(out, 'retry'), ...args]);
const changedSteps = (r: Awaited<ReturnType<typeof run>>) =>
  r.events.flatMap((e) => (e.type === 'step-result' && e.status === 'changed' ? [e.step] : []));

test('check mode predicts, the run fetches (0600) and writes on the controller, the second run changes nothing', async (t) => {
  const out = scratch(t);
  const check = await run(out, '-l', 'h1', '--check');
  assert.equal(check.code, 0, check.stderr);
  assert.throws(() => statSync(join(out, 'fetched')), 'check mode wrote nothing on the controller');
  const real = await run(out, '-l', 'h1');
  assert.equal(real.code, 0, real.stderr);
  assert.deepEqual(changedSteps(real), ['Source file on the host', 'Fetched to the controller', 'Written on the controller']);
  assert.deepEqual(changedSteps(check), changedSteps(real));
  assert.equal(readFileSync(join(out, 'fetched/h1.copy'), 'utf8'), 'secret of h1\n');
  assert.equal(statSync(join(out, 'fetched/h1.copy')).mode & 0o777, 0o600);
  assert.equal(statSync(join(out, 'local-h1.txt')).mode & 0o777, 0o640);
  const again = await run(out, '-l', 'h1');
  assert.deepEqual(changedSteps(again), []);
});

test('on(host) reaches a host outside the limit without adding it to the run', async (t) => {
  const out = scratch(t);
  const r = await run(out, '-l', 'h1');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(Object.keys(recapOf(r.events).hosts), ['h1']);
});

test('a delegate that cannot be reached fails the step, not the host (it is not unreachable)', async (t) => {
  const out = scratch(t);
  const r = await run(out, '-l', 'h1', '-e', 'delegate_to=h3');
  assert.equal(r.code, 2);
  const failed = r.events.find((e) => e.type === 'step-result' && e.status === 'failed');
  assert.match(JSON.stringify(failed), /h3 \(reached with on\(\)\) is unreachable/);
  assert.equal(recapOf(r.events).hosts['h1']!.unreachable, 0);
  const unknown = await run(out, '-l', 'h1', '-e', 'delegate_to=nosuch');
  assert.match(JSON.stringify(unknown.events), /on\('nosuch'\): no host nosuch in the inventory/);
});

test('fetch refuses a file larger than maxBytes; a missing one is only known missing when it applies', async () => {
  const { fetch } = await import('../../lib/modules/fetch.js');
  const base = { local: { exists: false } };
  assert.throws(() => fetch.plan({ src: '/x', dest: '/tmp/x', maxBytes: 10 }, { remote: { exists: true, size: 11, sha256: 'a' }, ...base }, {} as never), /is 11 bytes, more than the 10 allowed/);
  assert.match(fetch.plan({ src: '/x', dest: '/tmp/x' }, { remote: { exists: false }, ...base }, {} as never).summary!, /not on the host yet/);
});
