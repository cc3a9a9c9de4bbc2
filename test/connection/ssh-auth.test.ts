import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sh } from '../../lib/command/command.js';
import { UnreachableError } from '../../lib/connection/errors.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { sleep, sshTo } from './helpers.js';

let sshd: Sshd;
let agent: ChildProcess | undefined;
let agentSocket: string;

before(async () => {
  sshd = await startSshd();
  agentSocket = join(sshd.dir, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(agentSocket); i++) await sleep(20);
  const added = spawnSync('ssh-add', [sshd.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: agentSocket }, encoding: 'utf8' });
  assert.equal(added.status, 0, added.stderr);
});
after(async () => {
  agent?.kill('SIGTERM');
  await sshd?.stop();
});

test('logs in with a key held by the ssh agent', async () => {
  const conn = sshTo(sshd, { agentSocket }, { ansible_ssh_private_key_file: undefined });
  try {
    assert.equal((await conn.run(sh`echo agent`)).stdout, 'agent\n');
  } finally {
    await conn.close();
  }
});

test('without any usable key the login fails as unreachable', async () => {
  const conn = sshTo(sshd, { agentSocket: join(sshd.dir, 'no-agent') }, { ansible_ssh_private_key_file: join(sshd.dir, 'no-such-key') });
  await assert.rejects(conn.connect(), (e: Error) => e instanceof UnreachableError && /authentication failed/.test(e.message));
});
