// Issue 14 item 12: two steer runs must not act on one host at once. Each connection holds flock on
// the host's lock file in a process of its own for as long as it is open; a second run's connection
// is refused, naming the holder (bounded host data); the lock goes with the connection — closed,
// dropped, or its controller killed with SIGKILL. The lock file lives in each test's own folder
// (STEER_HOST_LOCK), so other test files' runs on this machine never meet it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '../../lib/connection/connection.js';
import { HostLockError, boundedHostText, hostLockOwner, type HostLock } from '../../lib/connection/host-lock.js';
import { LocalConnection } from '../../lib/connection/local.js';
import { sh } from '../../lib/command/command.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { repoRoot, runSteer } from '../support/steer-cli.js';
import { sshTo } from '../connection/helpers.js';

let sshd: Sshd;
before(async () => {
  sshd = await startSshd();
});
after(async () => {
  await sshd?.stop();
});

function lockIn(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'steer-host-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'steer.lock');
}

const kinds: [string, (hostLock: HostLock) => Connection][] = [
  ['ssh', (hostLock) => sshTo(sshd, { hostLock })],
  ['local', (hostLock) => new LocalConnection('target', { hostLock })],
];

for (const [kind, open] of kinds) {
  test(`${kind}: a second run's connection is refused, naming the holder, until the first closes`, async (t) => {
    const path = lockIn(t);
    const first = open({ owner: hostLockOwner(), path });
    const second = open({ owner: hostLockOwner(), path });
    t.after(() => Promise.all([first.close(), second.close()]));
    await first.connect();
    assert.equal((await first.run(sh`echo hi`)).stdout, 'hi\n', 'the holder works as usual');
    await assert.rejects(second.connect(), (err: Error) => {
      assert.ok(err instanceof HostLockError, String(err));
      assert.equal(err.exitCode, 2, 'the host counts as failed');
      assert.match(err.message, new RegExp(`another steer run is acting on this host \\(${path} is held by pid=${process.pid} controller=${hostname()} started=\\S+ run=\\w+\\)`));
      assert.equal(err.message.split('\n').length, 1, 'one line');
      return true;
    });
    await first.close();
    const third = open({ owner: hostLockOwner(), path });
    t.after(() => third.close());
    await third.connect();
    assert.equal((await third.run(sh`echo again`)).stdout, 'again\n');
  });
}

test('ssh: the same run reaching a host under two names shares the lock; a reconnect takes it again', async (t) => {
  const path = lockIn(t);
  const hostLock = { owner: hostLockOwner(), path };
  const a = sshTo(sshd, { hostLock });
  const b = new LocalConnection('same-machine', { hostLock });
  t.after(() => Promise.all([a.close(), b.close()]));
  await a.connect();
  await b.connect();
  // Dropping and re-opening (as after a reboot) releases the lock with the old connection and takes
  // it again on the new one: another run is still refused afterwards.
  await a.reconnect({ timeoutMs: 10_000 });
  const other = new LocalConnection('other-run', { hostLock: { owner: hostLockOwner(), path } });
  t.after(() => other.close());
  await assert.rejects(other.connect(), HostLockError);
});

/** Polls `connect` of fresh connections until one succeeds (the kernel releases the lock a moment after the holder dies). */
async function connectsWithin(ms: number, open: () => Connection): Promise<Connection> {
  const deadline = Date.now() + ms;
  for (;;) {
    const c = open();
    try {
      await c.connect();
      return c;
    } catch (error) {
      await c.close();
      if (!(error instanceof HostLockError) || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

for (const kind of ['local', 'ssh']) {
  test(`${kind}: the lock goes with a holder killed by SIGKILL`, async (t) => {
    const path = lockIn(t);
    const sshdArg = kind === 'ssh' ? [JSON.stringify({ port: sshd.port, dir: sshd.dir, clientKeyPath: sshd.clientKeyPath, knownHostsPath: sshd.knownHostsPath })] : [];
    const holder = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/security/host-lock-worker.ts'), path, ...sshdArg], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => holder.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (d) => (String(d).includes('locked') ? resolve() : undefined));
      holder.once('exit', (code) => reject(new Error(`the holder exited (${code}) before locking`)));
    });
    const open = () => (kind === 'ssh' ? sshTo(sshd, { hostLock: { owner: hostLockOwner(), path } }) : new LocalConnection('target', { hostLock: { owner: hostLockOwner(), path } }));
    const refused = open();
    await assert.rejects(refused.connect(), new RegExp(`held by pid=${holder.pid} `));
    await refused.close();
    const exited = new Promise((r) => holder.once('exit', r));
    holder.kill('SIGKILL');
    await exited;
    const after = await connectsWithin(10_000, open);
    await after.close();
  });
}

test('steer run: a second run on hosts another run holds exits non-zero, naming the holder, and touches nothing', async (t) => {
  const path = lockIn(t);
  const dir = join(path, '..');
  writeFileSync(join(dir, 'hosts.ini'), 'n1 ansible_connection=local\nn2 ansible_connection=local\n');
  writeFileSync(join(dir, 'site.yaml'), `- hosts: all\n  gather_facts: false\n  vars:\n    out_dir: ${JSON.stringify(dir)}\n  roles: [mark]\n`);
  const run = () =>
    runSteer(['run', join(dir, 'site.yaml'), '-i', join(dir, 'hosts.ini'), '--roles-path', join(repoRoot, 'test/fixtures/policy/roles'), '--retry-file', join(dir, 'retry')], {
      env: { STEER_HOST_LOCK: path },
    });
  const holder = new LocalConnection('holder', { hostLock: { owner: hostLockOwner(), path } });
  t.after(() => holder.close());
  await holder.connect();
  const refused = await run();
  assert.equal(refused.code, 2, refused.stdout + refused.stderr);
  const out = refused.stdout + refused.stderr;
  for (const host of ['n1', 'n2']) assert.match(out, new RegExp(`${host}.*another steer run is acting on this host \\(${path} is held by pid=${process.pid} `));
  assert.throws(() => readFileSync(join(dir, 'n1.mark')), /ENOENT/, 'the refused run changed nothing');
  await holder.close();
  // Both inventory hosts are this one machine: one run shares its own lock between them.
  const ok = await run();
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.equal(readFileSync(join(dir, 'n2.mark'), 'utf8'), 'n2\n');
});

test('the holder line is host data: control characters dropped, at most 200 characters', () => {
  assert.equal(boundedHostText('pid=1\u001b[31m red\u0007\r\nx'), 'pid=1 [31m red x');
  assert.equal(boundedHostText('\u202eevil'), 'evil');
  const long = boundedHostText('x'.repeat(5000));
  assert.equal(long.length, 201);
});
