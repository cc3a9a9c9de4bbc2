// Engine policies on "hosts" that run on the controller (local connection, a temp folder):
// serial batches, any_errors_fatal, max_fail_percentage, and a clean stop on SIGINT/SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
