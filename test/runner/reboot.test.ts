// The reboot wait (lib/runner/reboot.ts) against a connection scripted to come back with another
// host key: the wait stops at once with that key's fingerprint, however long reboot_timeout is.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostKeyError, UnreachableError } from '../../lib/connection/errors.js';
import { rebootAndWait } from '../../lib/runner/reboot.js';
import { FakeConnection } from '../support/fake-connection.js';

class RebootingHost extends FakeConnection {
  reconnects = 0;
  constructor(private readonly answers: Error[]) {
    super('node1', [], { stdout: 'boot-before\n' });
  }
  override async reconnect(): Promise<void> {
    const answer = this.answers[this.reconnects++];
    if (answer) throw answer;
  }
}

test('a host key that changed during the reboot wait stops it at once, as unreachable, with the new fingerprint', async () => {
  const changed = new HostKeyError('node1', 'the host key of 10.0.0.2 has CHANGED: it now presents ssh-ed25519 SHA256:newkeyfingerprint');
  const host = new RebootingHost([new UnreachableError('node1', 'connection refused'), changed, changed]);
  const started = Date.now();
  await assert.rejects(rebootAndWait(host, { timeoutMs: 600_000 }), (err: Error) => {
    assert.ok(err instanceof HostKeyError, `${err.name}: ${err.message}`);
    assert.equal((err as HostKeyError).exitCode, 4, 'counted as unreachable');
    assert.match(err.message, /during the reboot wait: .*has CHANGED.*SHA256:newkeyfingerprint/);
    return true;
  });
  assert.equal(host.reconnects, 2, 'no attempt after the changed key');
  assert.ok(Date.now() - started < 10_000, `stopped after ${Date.now() - started} ms, not at reboot_timeout`);
});

test('a host that is merely down is waited for until it answers with a new boot id', async () => {
  const host = new RebootingHost([new UnreachableError('node1', 'connection refused')]);
  host.respond('boot_id', { stdout: 'boot-before\n' }, { once: true });
  host.respond('reboot', { stdout: '' }, { once: true });
  host.respond('boot_id', { stdout: 'boot-after\n' });
  const r = await rebootAndWait(host, { timeoutMs: 600_000 });
  assert.equal(r.bootId, 'boot-after');
  assert.equal(host.reconnects, 2);
});
