// Issue 14, item 11: a wrong become password is tried once per host and run. sudo rejects it once;
// every later become command — in a row, at once, after a reconnect — fails at once with the same
// message and never reaches sudo again (pam_faillock locks an account after three failures).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sh } from '../../lib/command/command.js';
import { BecomeError } from '../../lib/connection/errors.js';
import { LocalConnection } from '../../lib/connection/local.js';
import { fakeSudo } from '../support/fake-sudo.js';

let work: string;
let bin: string;
const attempts = () => (existsSync(join(bin, 'failed-attempts')) ? readFileSync(join(bin, 'failed-attempts'), 'utf8').split('\n').filter(Boolean).length : 0);

before(() => {
  work = mkdtempSync(join(tmpdir(), 'steer-become-once-'));
  bin = fakeSudo(work, 'the-right-password');
});
after(() => rmSync(work, { recursive: true, force: true }));

test('after sudo rejects the password once, no later command asks it again', async () => {
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  const conn = new LocalConnection('node1', { becomeUser: 'alice', becomePassword: 'a-wrong-password', env });
  try {
    // Several steps at once (facts, probes and handlers can overlap), then more in a row.
    const first = await Promise.allSettled(Array.from({ length: 4 }, () => conn.run(sh`true`, { become: true })));
    const messages = new Set<string>();
    for (const r of first) {
      assert.equal(r.status, 'rejected');
      const error = (r as PromiseRejectedResult).reason as Error;
      assert.ok(error instanceof BecomeError, error.message);
      messages.add(error.message);
    }
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      await assert.rejects(conn.run(sh`true`, { become: true }), (e: Error) => {
        messages.add(e.message);
        return e instanceof BecomeError;
      });
      assert.ok(Date.now() - started < 100, 'fails at once, without starting sudo');
    }
    await conn.reconnect();
    await assert.rejects(conn.run(sh`true`, { become: true }), BecomeError);
    assert.equal(attempts(), 1, 'sudo saw one wrong password');
    assert.deepEqual([...messages], ['sudo did not accept the become password for user alice (sudo); steer will not try it again on this host']);
    assert.doesNotMatch([...messages][0]!, /a-wrong-password/);
    // Commands as the login user go on.
    assert.equal((await conn.run(sh`echo still`)).stdout, 'still\n');
  } finally {
    await conn.close();
  }
});

test('the right password opens several become shells at once once the first is in', async () => {
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  const conn = new LocalConnection('node2', { becomeUser: 'alice', becomePassword: 'the-right-password', env });
  try {
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => conn.run(sh`sleep 0.2; echo ${i} "$FAKE_SUDO_USER"`, { become: true })));
    results.forEach((r, i) => assert.equal(r.stdout, `${i} alice\n`));
    assert.ok(conn.stats.peakChannels > 1, 'after the first shell, more open in parallel');
  } finally {
    await conn.close();
  }
});
