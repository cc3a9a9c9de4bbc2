// Engine policies on "hosts" that run on the controller (local connection, a temp folder):
// serial batches, any_errors_fatal, max_fail_percentage, and a clean stop on SIGINT/SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRetryFile } from '../../lib/runner/retry-file.js';
import { recapOf, repoRoot, runSteer } from '../support/steer-cli.js';

const dir = join(repoRoot, 'test/fixtures/policy');

async function withOut(fn: (out: string) => Promise<void>) {
  const out = mkdtempSync(join(tmpdir(), 'steer-policy-'));
  try {
    await fn(out);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
const run = (playbook: string, out: string, ...args: string[]) =>
  runSteer(['run', join(dir, playbook), '-i', join(dir, 'hosts.ini'), '--json', '--retry-file', join(out, 'retry'), '-e', `out_dir=${out}`, ...args]);

test('serial: the play runs on batches in turn, the last size repeating', () =>
  withOut(async (out) => {
    const r = await run('serial.yaml', out);
    assert.equal(r.code, 0, r.stderr);
    const batches = r.events.filter((e) => e.type === 'role-start').map((e) => (e as { hosts: string[] }).hosts);
    assert.deepEqual(batches, [['h1'], ['h2', 'h3'], ['h4']]);
    assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.mark')).sort(), ['h1.mark', 'h2.mark', 'h3.mark', 'h4.mark']);
  }));

test('any_errors_fatal: one failing host stops every host before the next role', () =>
  withOut(async (out) => {
    const r = await run('fatal.yaml', out, '-e', '{"fail_hosts": ["h2"]}');
    assert.equal(r.code, 2);
    assert.equal(readdirSync(out).filter((f) => f.endsWith('.mark')).length, 0);
    assert.ok(r.events.some((e) => e.type === 'warning' && /any_errors_fatal/.test(e.message)));
  }));

test('max_fail_percentage: must be exceeded to stop the play', () =>
  withOut(async (out) => {
    const tolerated = await run('percentage.yaml', out, '-e', '{"fail_hosts": ["h2"]}');
    assert.equal(tolerated.code, 2);
    assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.mark')).sort(), ['h1.mark', 'h3.mark', 'h4.mark']);
    rmSync(join(out, 'h1.mark'));
    const stopped = await run('percentage.yaml', out, '-e', '{"fail_hosts": ["h2", "h3"]}');
    assert.equal(stopped.code, 2);
    assert.equal(existsSync(join(out, 'h1.mark')), false);
  }));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal}: running steps finish, no new step starts, recap, exit 99`, () =>
    withOut(async (out) => {
      const r = await runSteer(['run', join(dir, 'interrupt.yaml'), '-i', join(dir, 'hosts.ini'), '--json', '-e', `out_dir=${out}`], {
        signalWhen: { signal, stdout: /"step":"Sleep"/ },
      });
      assert.equal(r.code, 99, r.stderr);
      const recap = recapOf(r.events);
      assert.equal(recap.interrupted, true);
      for (const host of ['h1', 'h2', 'h3', 'h4']) assert.equal(recap.hosts[host]!.failed, 0);
      // The running commands were let finish; the next role never started.
      assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.slept')).sort(), ['h1.slept', 'h2.slept', 'h3.slept', 'h4.slept']);
      assert.ok(!r.events.some((e) => e.type === 'role-start' && e.role === 'mark'), 'no role started after the signal');
    }));
}

const marks = (out: string, suffix = '.mark') => readdirSync(out).filter((f) => f.endsWith(suffix)).sort();

test('a batch whose hosts all failed stops the play and the playbook (issue #13: serial 1, first host fails)', () =>
  withOut(async (out) => {
    const r = await run('rolling.yaml', out, '-e', '{"fail_hosts": ["h1"]}');
    assert.equal(r.code, 2);
    assert.deepEqual(marks(out), [], 'neither the other batches nor the second play ran');
    assert.ok(!r.events.some((e) => e.type === 'play-start' && e.play === 'After the rolling update'));
    // As in Ansible's recap: only the hosts that took part.
    assert.deepEqual(Object.keys(recapOf(r.events).hosts), ['h1']);
  }));

test('max_fail_percentage is checked after every step: no further step starts once it is exceeded', () =>
  withOut(async (out) => {
    const r = await run('step-percentage.yaml', out, '-e', '{"fail_hosts": ["h1", "h2"]}');
    assert.equal(r.code, 2);
    assert.deepEqual(marks(out, '.second'), [], 'the second step ran nowhere');
    const tolerated = await run('step-percentage.yaml', out, '-e', '{"fail_hosts": ["h1"]}');
    assert.equal(tolerated.code, 2);
    assert.deepEqual(marks(out, '.second'), ['h2.second', 'h3.second', 'h4.second']);
  }));

test('any_errors_fatal on a role entry stops the run when a host fails in that role', () =>
  withOut(async (out) => {
    const r = await run('role-fatal.yaml', out, '-e', '{"fail_hosts": ["h3"]}');
    assert.equal(r.code, 2);
    assert.deepEqual(marks(out), []);
    assert.ok(r.events.some((e) => e.type === 'warning' && /any_errors_fatal: h3 failed/.test(e.message)));
  }));

test('force_handlers: handlers notified before a host failed run only when asked', () =>
  withOut(async (out) => {
    await run('handlers.yaml', out, '-e', '{"fail_hosts": ["h1"]}');
    assert.deepEqual(marks(out, '.handled'), ['h2.handled', 'h3.handled', 'h4.handled']);
    rmSync(join(out, 'h2.handled'));
    const forced = await run('handlers.yaml', out, '-e', '{"fail_hosts": ["h1"]}', '--force-handlers');
    assert.equal(forced.code, 2);
    assert.deepEqual(marks(out, '.handled'), ['h1.handled', 'h2.handled', 'h3.handled', 'h4.handled']);
  }));

test('run_once: a step and a role entry run on one host of the batch', () =>
  withOut(async (out) => {
    const r = await run('once.yaml', out);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(marks(out, '.once').length, 1);
    assert.deepEqual(marks(out, '.every'), ['h1.every', 'h2.every', 'h3.every', 'h4.every']);
    assert.equal(marks(out).length, 1);
  }));

test('--start-at-step skips the plays, roles and steps before the first match; no match is an error', () =>
  withOut(async (out) => {
    const r = await run('step-percentage.yaml', out, '--start-at-step', 'twosteps : Sec*');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(marks(out, '.second'), ['h1.second', 'h2.second', 'h3.second', 'h4.second']);
    assert.ok(!r.events.some((e) => e.type === 'step-start' && e.step === 'First'));
    const none = await run('step-percentage.yaml', out, '--start-at-step', 'No such step');
    assert.equal(none.code, 5);
    assert.match(none.stderr, /--start-at-step 'No such step': no step of the playbook matches/);
  }));

test('the retry file goes to the current folder by default, never beside the playbook', () =>
  withOut(async (out) => {
    const r = await runSteer(['run', join(dir, 'percentage.yaml'), '-i', join(dir, 'hosts.ini'), '--json', '-e', `out_dir=${out}`, '-e', '{"fail_hosts": ["h2"]}'], {
      cwd: out,
    });
    assert.equal(r.code, 2);
    assert.equal(recapOf(r.events).retryFile, join(out, 'percentage.retry'));
    assert.equal(readFileSync(join(out, 'percentage.retry'), 'utf8'), 'h2\n');
    assert.equal(existsSync(join(dir, 'percentage.retry')), false);
  }));

test('a retry file path that is a device is written in place, never replaced by a rename', () =>
  withOut(async (out) => {
    writeRetryFile('/dev/null', ['h1']);
    assert.ok(lstatSync('/dev/null').isCharacterDevice(), '/dev/null is still a device');
    writeRetryFile(join(out, 'x.retry'), ['h2', 'h1']);
    assert.equal(readFileSync(join(out, 'x.retry'), 'utf8'), 'h2\nh1\n');
  }));

test('a host that failed in an earlier play still counts in its batch: the stop rules count the batch as serial cut it', () =>
  withOut(async (out) => {
    const r = await run('earlier-failure.yaml', out);
    assert.equal(r.code, 2);
    // Batch [h1, h2]: h1 failed in the first play, h2 fails here; 1 of 2 is not over 50%, nor the whole batch.
    assert.deepEqual(marks(out), ['h3.mark', 'h4.mark']);
    assert.ok(!r.events.some((e) => e.type === 'warning' && /max_fail_percentage|every host of the batch/.test(e.message)));
  }));
