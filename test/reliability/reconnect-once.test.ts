// The reconnect rule of an ssh connection, on a local test sshd: after the connection was lost, the
// next command (never sent) reconnects once and runs; when that one attempt fails, it fails as
// unreachable at once, saying why. A command that was running when the connection dropped is
// never sent again (it may have run).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sh } from '../../lib/command/command.js';
import { UnreachableError } from '../../lib/connection/errors.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { sleep, sshTo } from '../connection/helpers.js';

let sshd: Sshd;
let dir: string;

before(async () => {
  sshd = await startSshd();
  dir = mkdtempSync(join(tmpdir(), 'steer-reconnect-'));
});
after(async () => {
  await sshd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Kills the per-connection sshd processes (the listener stays), as a dropped connection. */
function dropSessions(): void {
  const listener = sshd.pid;
  for (const pid of sshd.descendants()) {
    if (pid === listener) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sshd:')) process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

test('lost between commands: the next command reconnects once and runs', async () => {
  const conn = sshTo(sshd);
  try {
    const first = (await conn.run(sh`echo $$`)).stdout;
    dropSessions();
    await sleep(1000); // the connection's close event arrives
    const second = (await conn.run(sh`echo $$`)).stdout;
    assert.notEqual(second, first, 'a new remote shell');
  } finally {
    await conn.close();
  }
});

test('a command running when the connection drops fails as unreachable and is not sent again', async () => {
  const conn = sshTo(sshd);
  const log = join(dir, 'ran.log');
  try {
    await conn.connect();
    const running = conn.run(sh`echo ran >> ${log}; sleep 5`);
    // The test sshd runs here: wait until the command has really started.
    for (let i = 0; i < 100 && !existsSync(log); i++) await sleep(100);
    dropSessions();
    await assert.rejects(running, UnreachableError);
    assert.equal((await conn.run(sh`cat ${log}`)).stdout, 'ran\n', 'ran exactly once');
  } finally {
    await conn.close();
  }
});

test('lost, and the host does not answer: one attempt, then unreachable with both reasons', async () => {
  const conn = sshTo(sshd, { connectTimeoutMs: 3000 });
  try {
    await conn.run(sh`true`);
    await sshd.kill();
    await sleep(500);
    const started = Date.now();
    await assert.rejects(conn.run(sh`true`), (e: Error) => e instanceof UnreachableError && /lost.*reconnecting failed/.test(e.message));
    assert.ok(Date.now() - started < 4000, 'one attempt, bounded by the connect timeout');
  } finally {
    await conn.close();
    await sshd.start();
  }
});
