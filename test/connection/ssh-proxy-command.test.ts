// Issue 14, item 8: ~/.ssh/config's ProxyCommand is followed, never dropped. The config sends the
// host to a port where nothing listens; only the ProxyCommand (a small relay, which records the
// tokens it was given) reaches the loopback sshd. Match exec picks the block, as ssh does.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sh } from '../../lib/command/command.js';
import { UnreachableError } from '../../lib/connection/errors.js';
import { createConnection } from '../../lib/connection/open.js';
import { freePort, startSshd, type Sshd } from '../support/sshd.js';

let sshd: Sshd;
let work: string;
let closedPort: number;
let relay: string;

before(async () => {
  sshd = await startSshd();
  work = mkdtempSync(join(tmpdir(), 'steer-proxycommand-'));
  closedPort = await freePort();
  relay = join(work, 'relay.mjs');
  // argv: the tokens to record, the port to relay to, the log file.
  writeFileSync(
    relay,
    `import { connect } from 'node:net';
import { appendFileSync } from 'node:fs';
const [tokens, port, log] = process.argv.slice(2);
appendFileSync(log, tokens + '\\n');
const socket = connect(Number(port), '127.0.0.1');
process.stdin.pipe(socket);
socket.pipe(process.stdout);
socket.on('close', () => process.exit(0));
`,
  );
  // The host is checked under the name and port the config gives (as ssh does).
  writeFileSync(join(work, 'known_hosts'), `[127.0.0.1]:${closedPort} ${sshd.hostPublicKeys[0]}\n`);
});
after(async () => {
  await sshd?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function configFile(name: string, lines: string[]): string {
  const path = join(work, name);
  writeFileSync(path, [...lines, 'Host *', `  User ${userInfo().username}`, `  IdentityFile ${sshd.clientKeyPath}`, ''].join('\n'));
  return path;
}

const connectionTo = (host: string, configPath: string) =>
  createConnection(host, { steer_known_hosts: join(work, 'known_hosts') }, { hostKeyChecking: 'strict', sshConfigPath: configPath, agentSocket: join(work, 'no-agent'), connectTimeoutMs: 10_000 });

test('ProxyCommand carries the connection, with %h %p %r %n expanded', async () => {
  const log = join(work, 'proxy.log');
  const path = configFile('config-proxy', [
    'Host behind-proxy',
    '  HostName 127.0.0.1',
    `  Port ${closedPort}`,
    `  ProxyCommand "${process.execPath}" ${relay} %h:%p:%r:%n ${sshd.port} ${log}`,
  ]);
  const before = sshd.acceptedConnections();
  const conn = connectionTo('behind-proxy', path);
  try {
    assert.equal((await conn.run(sh`echo through the proxy`)).stdout, 'through the proxy\n');
    assert.equal(readFileSync(log, 'utf8'), `127.0.0.1:${closedPort}:${userInfo().username}:behind-proxy\n`);
    assert.equal(sshd.acceptedConnections() - before, 1);
    // A reconnect starts the command again.
    await conn.reconnect({ timeoutMs: 20_000 });
    assert.equal((await conn.run(sh`echo again`)).stdout, 'again\n');
    assert.equal(readFileSync(log, 'utf8').split('\n').filter(Boolean).length, 2);
  } finally {
    await conn.close();
  }
});

test('Match exec decides whether the ProxyCommand applies', async () => {
  const flag = join(work, 'use-proxy');
  const log = join(work, 'exec.log');
  const path = configFile('config-exec', [
    `Match originalhost maybe-proxied exec "test -e ${flag}"`,
    `  ProxyCommand "${process.execPath}" ${relay} %h ${sshd.port} ${log}`,
    'Host maybe-proxied',
    '  HostName 127.0.0.1',
    `  Port ${closedPort}`,
  ]);
  const direct = connectionTo('maybe-proxied', path);
  await assert.rejects(direct.connect(), (e: Error) => e instanceof UnreachableError && new RegExp(`127\\.0\\.0\\.1:${closedPort}: .*ECONNREFUSED`).test(e.message));
  await direct.close();
  assert.equal(existsSync(log), false);
  writeFileSync(flag, '');
  const proxied = connectionTo('maybe-proxied', path);
  try {
    assert.equal((await proxied.run(sh`echo matched`)).stdout, 'matched\n');
    assert.equal(readFileSync(log, 'utf8'), '127.0.0.1\n');
  } finally {
    await proxied.close();
  }
});

test('a ProxyCommand that fails makes the host unreachable, saying what the command said', async () => {
  const path = configFile('config-broken', ['Host broken-proxy', '  HostName 127.0.0.1', `  Port ${closedPort}`, "  ProxyCommand sh -c 'echo no route to %h >&2; exit 1'"]);
  const conn = connectionTo('broken-proxy', path);
  try {
    await assert.rejects(conn.connect(), (e: Error) => e instanceof UnreachableError && /through ProxyCommand sh -c .*which said: no route to 127\.0\.0\.1/.test(e.message));
  } finally {
    await conn.close();
  }
});
