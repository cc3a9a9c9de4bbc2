import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Command, sh } from '../../lib/command/command.js';
import { BecomeError, CommandTimeoutError, TransferError } from '../../lib/connection/errors.js';
import type { SshConnection } from '../../lib/connection/ssh.js';
import { Secret } from '../../lib/secrets/masker.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { processCommandLines, sleep, sshTo } from './helpers.js';

let sshd: Sshd;
let conn: SshConnection;
let work: string;

before(async () => {
  sshd = await startSshd();
  conn = sshTo(sshd);
  await conn.connect();
  assert.equal(sshd.acceptedConnections(), 1);
  work = mkdtempSync(join(tmpdir(), 'steer-ssh-test-'));
  chmodSync(work, 0o755); // become tests read it as nobody
});

after(async () => {
  await conn?.close();
  await sshd?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('stdout, stderr and exit status come back apart', async () => {
  const r = await conn.run(sh`echo out; echo err >&2; echo out2; exit 7`);
  assert.deepEqual(r, { stdout: 'out\nout2\n', stderr: 'err\n', code: 7 });
});

test('output without a trailing newline is kept as is', async () => {
  assert.deepEqual(await conn.run(sh`printf abc; printf def >&2`), { stdout: 'abc', stderr: 'def', code: 0 });
  assert.deepEqual(await conn.run(sh`true`), { stdout: '', stderr: '', code: 0 });
});

test('non-ASCII and binary-ish output', async () => {
  const text = 'héllo ✓ 日本語 — ünïcödé\n';
  assert.equal((await conn.run(sh`printf %s ${text}`)).stdout, text);
  const r = await conn.run(sh`printf 'a\\000b\\001\\033[0m\\r\\n'`);
  assert.equal(r.stdout, 'a\u0000b\u0001\u001b[0m\r\n');
});

test('1 MB of output on each stream', async () => {
  const r = await conn.run(sh`head -c 1048576 /dev/zero | tr '\\0' x; head -c 1048576 /dev/zero | tr '\\0' y >&2`);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.length, 1048576);
  assert.equal(r.stderr.length, 1048576);
  assert.ok(/^x+$/.test(r.stdout) && /^y+$/.test(r.stderr));
});

test('commands with quotes, $(), backticks, backslashes and newlines arrive byte for byte', async () => {
  const nasty = `it's "quoted" $(echo no) \`echo no\` $HOME \\ \\n\nsecond line\t'\n\n!event ; & | > < *`;
  assert.equal((await conn.run(sh`printf %s ${nasty}`)).stdout, nasty);
  // A multi-line script written by the tool itself.
  assert.equal((await conn.run(new Command('a=1\nif [ "$a" = 1 ]; then\n  echo one\nfi\necho "two"', 'script'))).stdout, 'one\ntwo\n');
});

test('a broken or exiting command does not take the shell with it', async () => {
  const r = await conn.run(new Command('echo (', 'syntax error'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /syntax error/);
  assert.equal((await conn.run(sh`exit 5`)).code, 5);
  assert.equal((await conn.run(sh`exec >&-; exit 0`)).code, 0);
  assert.equal((await conn.run(sh`cd /; echo $PWD`)).stdout, '/\n');
  // Commands run in a subshell: nothing leaks into the next one.
  await conn.run(sh`export LEAK=1; cd /tmp`);
  assert.equal((await conn.run(sh`echo "[$LEAK]"`)).stdout, '[]\n');
  // Without stdin a command reads end-of-file at once (never the shell's own input).
  assert.deepEqual(await conn.run(sh`cat`), { stdout: '', stderr: '', code: 0 });
});

test('stdin reaches the command and a secret in it never shows in the process list', async () => {
  const secret = `s3cret-${randomBytes(8).toString('hex')}`;
  new Secret(secret);
  const lines: string[] = [];
  const verboseConn = sshTo(sshd, { verbose: (l) => lines.push(l) });
  try {
    const running = verboseConn.run(sh`read -r token; sleep 1.517; printf '%s' "$token" | wc -c`, { stdin: `${secret}\n` });
    // Look at every process line until the command is seen running (and a little after).
    const encoded = Buffer.from(`${secret}\n`).toString('base64').slice(0, 20);
    let seen = 0;
    for (const deadline = Date.now() + 10_000; seen < 5 && Date.now() < deadline; await sleep(50)) {
      const processes = (await processCommandLines()).join('\n');
      assert.ok(!processes.includes(secret), 'secret in a command line');
      assert.ok(!processes.includes(encoded), 'base64 secret in a command line');
      if (processes.includes('sleep 1.517')) seen++;
    }
    assert.equal(seen, 5, 'the command was seen running');
    const r = await running;
    assert.equal(r.stdout.trim(), String(secret.length));
    assert.ok(!lines.join('\n').includes(secret));
  } finally {
    await verboseConn.close();
  }
  // Binary stdin, byte for byte.
  const bytes = randomBytes(4096);
  const r = await conn.run(sh`od -An -v -tx1 | tr -d ' \\n'`, { stdin: bytes });
  assert.equal(r.stdout, bytes.toString('hex'));
});

test('a timeout kills the command and its children, not the connection', async () => {
  const connections = sshd.acceptedConnections();
  const started = Date.now();
  await assert.rejects(conn.run(sh`sleep 30.5 & sleep 31.5; echo never`, { timeoutMs: 400 }), CommandTimeoutError);
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 3000, `took ${elapsed} ms`);
  await sleep(200);
  const left = (await processCommandLines()).filter((c) => /sleep 3[01]\.5/.test(c));
  assert.deepEqual(left, []);
  // A command ignoring SIGTERM is killed after the grace period.
  await assert.rejects(conn.run(sh`trap '' TERM; sleep 32.5`, { timeoutMs: 300 }), CommandTimeoutError);
  assert.deepEqual((await processCommandLines()).filter((c) => c.includes('sleep 32.5')), []);
  // A command that dies of SIGTERM by itself, within its timeout, is not a timeout.
  assert.equal((await conn.run(sh`sh -c 'kill -TERM $$'`, { timeoutMs: 5000 })).code, 143);
  // The same connection goes on; a command within its timeout is unaffected.
  assert.deepEqual(await conn.run(sh`echo fine`, { timeoutMs: 5000 }), { stdout: 'fine\n', stderr: '', code: 0 });
  assert.equal(sshd.acceptedConnections(), connections);
});

test('one connection serves many commands (sshd accepts it once)', async (t) => {
  const before = sshd.acceptedConnections();
  for (let i = 0; i < 100; i++) assert.equal((await conn.run(sh`echo ${i}`)).stdout, `${i}\n`);
  const started = process.hrtime.bigint();
  for (let i = 0; i < 200; i++) await conn.run(sh`true`);
  const perCommand = Number(process.hrtime.bigint() - started) / 1e6 / 200;
  t.diagnostic(`per-command latency over the persistent shell: ${perCommand.toFixed(2)} ms`);
  assert.equal(sshd.acceptedConnections(), before);
});

test('concurrent commands never hold more channels than the cap', async () => {
  const capped = sshTo(sshd, { maxChannels: 3 });
  try {
    // Each command outlasts the opening of the next shell even on a busy machine, so all three open.
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => capped.run(sh`sleep 0.6; echo ${i}`)));
    results.forEach((r, i) => assert.equal(r.stdout, `${i}\n`));
    assert.equal(capped.stats.peakChannels, 3);
    // Three shells were opening at once; on a busy machine the first may serve every command
    // before the others are up (they still count as started later, never more than three).
    assert.ok(capped.stats.shellsStarted >= 1 && capped.stats.shellsStarted <= 3, `${capped.stats.shellsStarted} shells`);
    // The SFTP session takes a slot from the same budget.
    const big = randomBytes(200 * 1024);
    await Promise.all([capped.put(join(work, 'capped.bin'), big), ...Array.from({ length: 6 }, () => capped.run(sh`sleep 0.05`))]);
    assert.ok(capped.stats.peakChannels <= 3);
    assert.deepEqual(readFileSync(join(work, 'capped.bin')), big);
  } finally {
    await capped.close();
  }
  // The default cap stays below sshd's MaxSessions (10): 40 at once all succeed.
  const many = sshTo(sshd);
  try {
    const results = await Promise.all(Array.from({ length: 40 }, () => many.run(sh`sleep 0.05; echo ok`)));
    assert.ok(results.every((r) => r.stdout === 'ok\n'));
    assert.equal(many.stats.peakChannels, 8);
  } finally {
    await many.close();
  }
});

test('put writes a temp file and renames it into place, with mode and owner', async () => {
  const path = join(work, 'conf');
  writeFileSync(path, 'old\n', { mode: 0o600 });
  linkSync(path, join(work, 'conf.link'));
  await conn.put(path, 'new\n');
  assert.equal(readFileSync(path, 'utf8'), 'new\n');
  // Renamed, not rewritten in place: the other link still holds the old file.
  assert.equal(readFileSync(join(work, 'conf.link'), 'utf8'), 'old\n');
  // Without a mode the replaced file's mode is kept.
  assert.equal(statSync(path).mode & 0o7777, 0o600);
  await conn.put(path, 'newer\n', { mode: '0640', owner: 'nobody', group: 'nogroup' });
  const st = statSync(path);
  assert.equal(st.mode & 0o7777, 0o640);
  assert.equal(st.uid, Number((await conn.run(sh`id -u nobody`)).stdout));
  // A new file gets the umask default.
  await conn.put(join(work, 'fresh'), 'x');
  assert.equal(statSync(join(work, 'fresh')).mode & 0o777, 0o644);
  assert.deepEqual(readdirSync(work).filter((f) => f.startsWith('.steer-put')), []);
});

test('a failed put leaves no temp file and says why', async () => {
  await assert.rejects(conn.put(join(work, 'missing-dir', 'f'), 'x'), (e: Error) => e instanceof TransferError && /missing-dir/.test(e.message));
  await assert.rejects(conn.put(join(work, 'f2'), 'x', { owner: 'no-such-user-steer' }), (e: Error) => e instanceof TransferError && /invalid user/.test(e.message));
  assert.deepEqual(readdirSync(work).filter((f) => f.startsWith('.steer-put') || f === 'f2'), []);
  await assert.rejects(conn.put(join(work, 'f3'), 'x', { mode: '644; rm -rf /' }), /invalid file mode/);
});

test('large content goes over one SFTP session, small content inline', async () => {
  const big = randomBytes(1024 * 1024 + 17);
  const path = join(work, 'big.bin');
  const sftpBefore = sftpSessions();
  await conn.put(path, big, { mode: '0600' });
  await conn.put(join(work, 'big2.bin'), big);
  assert.deepEqual(readFileSync(path), big);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(sftpSessions() - sftpBefore, 1);
  await conn.put(join(work, 'small'), 'tiny');
  assert.equal(sftpSessions() - sftpBefore, 1);
  // Large content through become (here: root to root is the login user; to nobody is a real sudo).
  await conn.put(join(work, 'big3.bin'), big, { become: true });
  assert.deepEqual(readFileSync(join(work, 'big3.bin')), big);
  assert.deepEqual(readdirSync(work).filter((f) => f.startsWith('.steer-put')), []);
  assert.deepEqual(readdirSync('/tmp').filter((f) => f.startsWith('.steer-put')), []);
});

function sftpSessions(): number {
  return readFileSync(sshd.logPath, 'utf8').split('\n').filter((l) => /subsystem 'sftp'/.test(l)).length;
}

test('get reads a whole file, binary included; undefined when missing', async () => {
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  writeFileSync(join(work, 'bin'), bytes);
  assert.deepEqual(await conn.get(join(work, 'bin')), bytes);
  assert.equal(await conn.get(join(work, 'does-not-exist')), undefined);
  await assert.rejects(conn.get(work), TransferError);
  assert.deepEqual(await conn.get(join(work, 'bin'), { become: true, becomeUser: 'nobody' }), bytes);
});

test('become runs through sudo as another user, in its own shells', async () => {
  if (userInfo().uid !== 0) return; // sudo -n works without a password only for root here
  assert.equal((await conn.run(sh`id -un`, { become: true, becomeUser: 'nobody' })).stdout, 'nobody\n');
  assert.equal((await conn.run(sh`id -un`)).stdout, `${userInfo().username}\n`);
  // Login and become commands interleaved with a small cap: shells are swapped as needed.
  const capped = sshTo(sshd, { maxChannels: 2 });
  try {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => capped.run(sh`id -un`, i % 3 === 0 ? { become: true, becomeUser: 'nobody' } : { become: true, becomeUser: 'daemon' })),
    );
    results.forEach((r, i) => assert.equal(r.stdout, i % 3 === 0 ? 'nobody\n' : 'daemon\n'));
    assert.ok(capped.stats.peakChannels <= 2);
  } finally {
    await capped.close();
  }
  await assert.rejects(conn.run(sh`true`, { become: true, becomeUser: 'no-such-user-steer' }), (e: Error) => e instanceof BecomeError && /unknown user/.test(e.message));
});
