import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sh } from '../../lib/command/command.js';
import { HostKeyError } from '../../lib/connection/errors.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { sshTo } from './helpers.js';

let sshd: Sshd;

before(async () => {
  sshd = await startSshd();
});
after(async () => {
  await sshd?.stop();
});

/** OpenSSH's own fingerprint of a public key file. */
function opensshFingerprint(pubPath: string): string {
  const out = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubPath], { encoding: 'utf8' }).stdout;
  return out.split(' ')[1]!;
}

function knownHosts(name: string, content: string): string {
  const path = join(sshd.dir, name);
  writeFileSync(path, content);
  return path;
}

async function tryConnect(path: string, mode: 'strict' | 'accept-new' | 'off'): Promise<void> {
  const conn = sshTo(sshd, { hostKeyChecking: mode }, { steer_known_hosts: path });
  try {
    await conn.connect();
    assert.equal((await conn.run(sh`echo ok`)).stdout, 'ok\n');
  } finally {
    await conn.close();
  }
}

test('a known key connects (plain [host]:port entry)', async () => {
  await tryConnect(sshd.knownHostsPath, 'strict');
});

test('strict refuses an unknown host, naming its fingerprint', async () => {
  const path = knownHosts('kh-empty', '# nothing yet\n');
  await assert.rejects(tryConnect(path, 'strict'), (e: Error) => {
    assert.ok(e instanceof HostKeyError);
    assert.match(e.message, /not known/);
    assert.ok(e.message.includes(opensshFingerprint(`${sshd.hostKeyPath}.pub`)), e.message);
    return true;
  });
  // Nothing was added.
  assert.equal(readFileSync(path, 'utf8'), '# nothing yet\n');
});

test('accept-new appends an unknown key, which strict then accepts', async () => {
  const path = knownHosts('kh-new', 'other.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHd0ZjSKz1E1ML6yL9yQ0lq3TBdV+4c5Pq0QGHWZ6fU2');
  await tryConnect(path, 'accept-new');
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[1]!, new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 AAAA`));
  await tryConnect(path, 'strict');
  assert.equal(readFileSync(path, 'utf8').trimEnd().split('\n').length, 2);
});

test('a changed key is refused in every checking mode, with the new fingerprint and the old entry', async () => {
  const other = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(sshd.dir, 'other_key')]);
  assert.equal(other.status, 0);
  const otherPub = readFileSync(join(sshd.dir, 'other_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  const path = knownHosts('kh-changed', `# first line\n[127.0.0.1]:${sshd.port} ${otherPub}\n`);
  for (const mode of ['strict', 'accept-new'] as const) {
    await assert.rejects(tryConnect(path, mode), (e: Error) => {
      assert.ok(e instanceof HostKeyError, String(e));
      assert.match(e.message, /CHANGED/);
      assert.ok(e.message.includes(opensshFingerprint(`${sshd.hostKeyPath}.pub`)), e.message);
      assert.ok(e.message.includes(`${path}:2`), e.message);
      return true;
    });
  }
  // accept-new did not overwrite or add anything.
  assert.equal(readFileSync(path, 'utf8').split('\n').length, 3);
  // 'off' does not check at all.
  await tryConnect(path, 'off');
});

test('hashed entries are understood', async () => {
  const path = knownHosts('kh-hashed', readFileSync(sshd.knownHostsPath, 'utf8'));
  const r = spawnSync('ssh-keygen', ['-H', '-f', path]);
  assert.equal(r.status, 0);
  assert.match(readFileSync(path, 'utf8'), /^\|1\|/);
  await tryConnect(path, 'strict');
});

test('a host known only by another key type is asked for that type', async () => {
  // The server has ed25519 and ecdsa keys; only the ecdsa one is on record.
  const path = knownHosts('kh-ecdsa', `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKeys[1]}\n`);
  await tryConnect(path, 'strict');
});
