import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sh } from '../../lib/command/command.js';
import { BecomeError, CommandTimeoutError } from '../../lib/connection/errors.js';
import { LocalConnection } from '../../lib/connection/local.js';
import { putFromUploadCommand } from '../../lib/connection/transfer.js';
import { createConnection } from '../../lib/connection/open.js';
import { fakeSudo } from '../support/fake-sudo.js';
import { processCommandLines, sleep } from './helpers.js';

let work: string;
let conn: LocalConnection;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'steer-local-test-'));
  conn = new LocalConnection('controller');
});
after(async () => {
  await conn?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('createConnection picks the local connection for ansible_connection: local', () => {
  const c = createConnection('here', { ansible_connection: 'local' }, { hostKeyChecking: 'strict' });
  assert.ok(c instanceof LocalConnection);
  assert.throws(() => createConnection('x', { ansible_connection: 'winrm' }, { hostKeyChecking: 'strict' }), /not supported/);
});

test('same framing as over ssh: streams apart, exit codes, no trailing newline, stdin', async () => {
  assert.deepEqual(await conn.run(sh`echo out; printf err >&2; exit 4`), { stdout: 'out\n', stderr: 'err', code: 4 });
  const nasty = `a'b"c $(x) \`y\` \\ \n ünï`;
  assert.equal((await conn.run(sh`printf %s ${nasty}`)).stdout, nasty);
  const bytes = randomBytes(3000);
  assert.equal((await conn.run(sh`od -An -v -tx1 | tr -d ' \\n'`, { stdin: bytes })).stdout, bytes.toString('hex'));
  const big = await conn.run(sh`head -c 1048576 /dev/zero | tr '\\0' z`);
  assert.equal(big.stdout.length, 1048576);
  const parallel = await Promise.all(Array.from({ length: 12 }, (_, i) => conn.run(sh`echo ${i}`)));
  parallel.forEach((r, i) => assert.equal(r.stdout, `${i}\n`));
  assert.ok(conn.stats.peakChannels <= 8);
});

test('a timeout kills the local command and the shell goes on', async () => {
  await assert.rejects(conn.run(sh`sleep 33.25`, { timeoutMs: 300 }), CommandTimeoutError);
  await sleep(100);
  assert.deepEqual((await processCommandLines()).filter((c) => c.includes('sleep 33.25')), []);
  assert.equal((await conn.run(sh`echo ok`)).stdout, 'ok\n');
});

test('put is atomic on local files and get reads them back', async () => {
  const path = join(work, 'f');
  writeFileSync(path, 'old', { mode: 0o600 });
  linkSync(path, join(work, 'f.link'));
  await conn.put(path, 'new');
  assert.equal(readFileSync(path, 'utf8'), 'new');
  assert.equal(readFileSync(join(work, 'f.link'), 'utf8'), 'old');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  await conn.put(path, Buffer.from([0, 1, 2, 255]), { mode: '0755' });
  assert.equal(statSync(path).mode & 0o777, 0o755);
  assert.deepEqual(await conn.get(path), Buffer.from([0, 1, 2, 255]));
  assert.equal(await conn.get(join(work, 'nope')), undefined);
  await assert.rejects(conn.put(join(work, 'no-dir', 'x'), 'x'), /no-dir/);
  assert.deepEqual(readdirSync(work).filter((f) => f.startsWith('.steer-put')), []);
});

test('an upload elsewhere (SFTP as the login user, then become) is copied into place and removed', async () => {
  const upload = join(work, 'upload.tmp');
  writeFileSync(upload, 'uploaded', { mode: 0o600 });
  mkdirSync(join(work, 'etc'));
  const target = join(work, 'etc', 'conf');
  const r = await conn.run(putFromUploadCommand(upload, target, { mode: '0644' }));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(target, 'utf8'), 'uploaded');
  assert.equal(statSync(target).mode & 0o777, 0o644);
  assert.deepEqual(readdirSync(work).filter((f) => f === 'upload.tmp'), []);
  assert.deepEqual(readdirSync(join(work, 'etc')), ['conf']);
  // A failure removes both the upload and the temp file.
  writeFileSync(upload, 'x');
  const bad = await conn.run(putFromUploadCommand(upload, target, { owner: 'no-such-user-steer' }));
  assert.notEqual(bad.code, 0);
  assert.equal(readFileSync(target, 'utf8'), 'uploaded');
  assert.deepEqual(readdirSync(join(work, 'etc')), ['conf']);
  assert.deepEqual(readdirSync(work).filter((f) => f === 'upload.tmp'), []);
});


test('become: the password goes to sudo on stdin, never in a command line', async () => {
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const bin = fakeSudo(work, password);
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  const ok = new LocalConnection('controller', { becomeUser: 'alice', becomePassword: password, env });
  try {
    const running = ok.run(sh`echo "$FAKE_SUDO_USER"; sleep 0.8`, { become: true });
    await sleep(400);
    assert.ok(!(await processCommandLines()).some((c) => c.includes(password)));
    const r = await running;
    assert.deepEqual(r, { stdout: 'alice\n', stderr: '', code: 0 });
    // The become shell is reused and the password was consumed by sudo, not run as a command.
    assert.equal((await ok.run(sh`echo "$FAKE_SUDO_USER"`, { become: true })).stdout, 'alice\n');
    assert.equal((await ok.run(sh`echo "[$FAKE_SUDO_USER]"`)).stdout, '[]\n');
  } finally {
    await ok.close();
  }
  const wrong = new LocalConnection('controller', { becomeUser: 'alice', becomePassword: 'wrong-password', env });
  try {
    await assert.rejects(wrong.run(sh`true`, { become: true }), (e: Error) => e instanceof BecomeError && /did not accept/.test(e.message) && !e.message.includes('wrong-password'));
  } finally {
    await wrong.close();
  }
  const none = new LocalConnection('controller', { becomeUser: 'alice', env });
  try {
    await assert.rejects(none.run(sh`true`, { become: true }), (e: Error) => e instanceof BecomeError && /a password is required/.test(e.message));
  } finally {
    await none.close();
  }
});
