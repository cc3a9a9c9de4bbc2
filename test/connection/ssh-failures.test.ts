import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { userInfo } from 'node:os';
import { sh } from '../../lib/command/command.js';
import { UnreachableError } from '../../lib/connection/errors.js';
import { connectAll, createConnection } from '../../lib/connection/open.js';
import { freePort, startSshd, type Sshd } from '../support/sshd.js';
import { sleep, sshTo } from './helpers.js';

let sshd: Sshd;

before(async () => {
  sshd = await startSshd();
});
after(async () => {
  await sshd?.stop();
});

/** Kills what a test left of its sessions (shells orphaned when their sshd was killed). */
function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone already
    }
  }
}

/** The per-connection sshd processes (ours: below the sshd this test started). */
function sessionSshds(): number[] {
  return sshd.descendants().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sshd';
    } catch {
      return false;
    }
  });
}

test('a closed port is unreachable at once', async () => {
  const port = await freePort();
  const conn = sshTo(sshd, {}, { ansible_port: port });
  const started = Date.now();
  await assert.rejects(conn.connect(), (e: Error) => e instanceof UnreachableError && /ECONNREFUSED/.test(e.message));
  assert.ok(Date.now() - started < 2000);
  await assert.rejects(conn.run(sh`true`), UnreachableError);
});

test('a rejected login is unreachable with a clear reason', async () => {
  const conn = sshTo(sshd, {}, { ansible_ssh_private_key_file: join(sshd.dir, 'host_ed25519'), ansible_user: 'nobody' });
  await assert.rejects(conn.connect(), (e: Error) => e instanceof UnreachableError && /authentication failed/.test(e.message));
});

test('connectAll opens every host concurrently and reports each failure', async () => {
  const port = await freePort();
  const good = Array.from({ length: 4 }, () => sshTo(sshd));
  const bad = sshTo(sshd, {}, { ansible_port: port });
  Object.defineProperty(bad, 'host', { value: 'bad' });
  good.forEach((c, i) => Object.defineProperty(c, 'host', { value: `good${i}` }));
  try {
    const results = await connectAll([...good, bad], 10);
    assert.deepEqual([...results.keys()].sort(), ['bad', 'good0', 'good1', 'good2', 'good3']);
    for (let i = 0; i < 4; i++) assert.equal(results.get(`good${i}`), undefined);
    assert.ok(results.get('bad') instanceof UnreachableError);
  } finally {
    await Promise.all([...good, bad].map((c) => c.close()));
  }
});

test('a host that stops answering is detected by keepalive: pending commands fail as unreachable', async () => {
  // One channel: the second command waits in the queue behind the first.
  const conn = sshTo(sshd, { keepaliveIntervalMs: 300, keepaliveCountMax: 2, maxChannels: 1 });
  const stopped: number[] = [];
  let tree: number[] = [];
  try {
    await conn.connect();
    const running = conn.run(sh`sleep 20; echo never`);
    const queued = conn.run(sh`echo queued`);
    await sleep(300);
    tree = sshd.descendants();
    for (const pid of sessionSshds()) {
      process.kill(pid, 'SIGSTOP');
      stopped.push(pid);
    }
    assert.ok(stopped.length > 0);
    const started = Date.now();
    await assert.rejects(running, (e: Error) => e instanceof UnreachableError && /lost/.test(e.message));
    await assert.rejects(queued, UnreachableError);
    const took = Date.now() - started;
    assert.ok(took < 5000, `detected after ${took} ms`);
    // The next command was never sent: it reconnects once (sshd still listens) and runs.
    assert.equal((await conn.run(sh`echo again`)).stdout, 'again\n');
  } finally {
    killAll(tree);
    await conn.close();
  }
});

test('sshd killed mid-command: unreachable at once, then reconnect() works', async () => {
  const conn = sshTo(sshd);
  let tree: number[] = [];
  try {
    await conn.connect();
    const running = conn.run(sh`sleep 20`);
    await sleep(300);
    tree = sshd.descendants();
    for (const pid of sessionSshds()) process.kill(pid, 'SIGKILL');
    const started = Date.now();
    await assert.rejects(running, UnreachableError);
    assert.ok(Date.now() - started < 2000);
    await conn.reconnect({ timeoutMs: 5000 });
    assert.equal((await conn.run(sh`echo back`)).stdout, 'back\n');
  } finally {
    killAll(tree);
    await conn.close();
  }
});

test('reconnect() retries until the host answers again (as after a reboot)', async () => {
  const conn = sshTo(sshd);
  try {
    assert.equal((await conn.run(sh`echo before`)).stdout, 'before\n');
    await sshd.kill();
    const restart = sleep(1500).then(() => sshd.start());
    const started = Date.now();
    await conn.reconnect({ timeoutMs: 20_000 });
    await restart;
    assert.ok(Date.now() - started >= 1400);
    assert.equal((await conn.run(sh`echo after`)).stdout, 'after\n');
    // With the host down for longer than the timeout, reconnect gives up in bounded time.
    await sshd.kill();
    const t0 = Date.now();
    await assert.rejects(conn.reconnect({ timeoutMs: 1500 }), UnreachableError);
    assert.ok(Date.now() - t0 < 4000);
  } finally {
    await conn.close();
    if (sshd.descendants().length === 0) await sshd.start().catch(() => {});
  }
});

test('ProxyJump from ~/.ssh/config goes through the jump host', async () => {
  const configPath = join(sshd.dir, 'ssh_config');
  writeFileSync(
    configPath,
    [
      'Host target-behind-jump',
      '  HostName 127.0.0.1',
      `  Port ${sshd.port}`,
      '  ProxyJump jumpbox',
      'Host jumpbox',
      '  HostName 127.0.0.1',
      `  Port ${sshd.port}`,
      `  User ${userInfo().username}`,
      `  IdentityFile ${sshd.clientKeyPath}`,
      'Host *',
      `  User ${userInfo().username}`,
      `  IdentityFile ${sshd.clientKeyPath}`,
      '',
    ].join('\n'),
  );
  const before = sshd.acceptedConnections();
  const conn = createConnection('target-behind-jump', { steer_known_hosts: sshd.knownHostsPath }, { hostKeyChecking: 'strict', sshConfigPath: configPath });
  try {
    assert.equal((await conn.run(sh`echo via jump`)).stdout, 'via jump\n');
    // The jump connection, and the target's connection tunnelled through it.
    assert.equal(sshd.acceptedConnections() - before, 2);
    assert.match(readFileSync(sshd.logPath, 'utf8'), /direct-tcpip|Connection from 127\.0\.0\.1/);
  } finally {
    await conn.close();
  }
});
