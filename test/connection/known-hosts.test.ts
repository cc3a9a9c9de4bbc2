import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HostKeyError } from '../../lib/connection/errors.js';
import { KnownHosts, checkHostKey, fingerprint, keyTypeOf, knownHostsName } from '../../lib/connection/known-hosts.js';

let dir: string;
const keys: Record<string, { line: string; blob: Buffer; print: string }> = {};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'steer-kh-'));
  for (const [name, type] of [['a', 'ed25519'], ['b', 'ed25519'], ['e', 'ecdsa'], ['r', 'rsa']] as const) {
    const path = join(dir, name);
    spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path]);
    const line = readFileSync(`${path}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    const print = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`], { encoding: 'utf8' }).stdout.split(' ')[1]!;
    keys[name] = { line, blob: Buffer.from(line.split(' ')[1]!, 'base64'), print };
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

test('fingerprints and key types match OpenSSH', () => {
  for (const k of Object.values(keys)) assert.equal(fingerprint(k.blob), k.print);
  assert.equal(keyTypeOf(keys.a!.blob), 'ssh-ed25519');
  assert.equal(keyTypeOf(keys.e!.blob), 'ecdsa-sha2-nistp256');
  assert.equal(keyTypeOf(keys.r!.blob), 'ssh-rsa');
  assert.equal(knownHostsName('h', 22), 'h');
  assert.equal(knownHostsName('h', 2222), '[h]:2222');
});

test('plain, pattern, [host]:port and several key types per host', () => {
  const kh = KnownHosts.load(
    file('kh1', `# c\npi1,pi2 ${keys.a!.line}\n[pi1]:2222 ${keys.b!.line}\n*.lan,!bad.lan ${keys.e!.line}\npi1 ${keys.r!.line}\n`),
    [],
  );
  assert.equal(kh.verify('pi2', keys.a!.blob).status, 'match');
  assert.equal(kh.verify('pi1', keys.r!.blob).status, 'match');
  assert.equal(kh.verify('[pi1]:2222', keys.b!.blob).status, 'match');
  assert.equal(kh.verify('[pi1]:2222', keys.a!.blob).status, 'changed');
  assert.equal(kh.verify('nas.lan', keys.e!.blob).status, 'match');
  assert.equal(kh.verify('bad.lan', keys.e!.blob).status, 'unknown');
  assert.equal(kh.verify('pi1', keys.b!.blob).status, 'changed');
  assert.deepEqual(kh.knownKeyTypes('pi1').sort(), ['ssh-ed25519', 'ssh-rsa']);
  // A key of a type not on record for the host is unknown, not changed.
  assert.equal(kh.verify('pi2', keys.e!.blob).status, 'unknown');
});

test('hashed entries (ssh-keygen -H)', () => {
  const path = file('kh2', `pi1 ${keys.a!.line}\n[pi1]:2222 ${keys.b!.line}\n`);
  assert.equal(spawnSync('ssh-keygen', ['-H', '-f', path]).status, 0);
  const kh = KnownHosts.load(path, []);
  assert.equal(kh.verify('pi1', keys.a!.blob).status, 'match');
  assert.equal(kh.verify('[pi1]:2222', keys.b!.blob).status, 'match');
  assert.equal(kh.verify('pi2', keys.a!.blob).status, 'unknown');
});

test('checkHostKey: modes, changed-key message, @revoked', () => {
  const path = file('kh3', `other ${keys.a!.line}\n[pi1]:2222 ${keys.a!.line}\n`);
  const base = { host: 'pi1', hostName: 'pi1', port: 2222, knownHostsPath: path };
  const changed = checkHostKey({ ...base, mode: 'accept-new' }, keys.b!.blob);
  assert.ok(changed instanceof HostKeyError);
  assert.ok(changed.message.includes(keys.b!.print));
  assert.ok(changed.message.includes(`${path}:2`));
  assert.equal(checkHostKey({ ...base, mode: 'off' }, keys.b!.blob), undefined);
  const unknown = { ...base, port: 22 };
  assert.ok(checkHostKey({ ...unknown, mode: 'strict' }, keys.b!.blob) instanceof HostKeyError);
  assert.equal(checkHostKey({ ...unknown, mode: 'accept-new' }, keys.b!.blob), undefined);
  assert.ok(readFileSync(path, 'utf8').endsWith(`pi1 ${keys.b!.line}\n`));
  assert.equal(checkHostKey({ ...unknown, mode: 'strict' }, keys.b!.blob), undefined);
  const revoked = file('kh4', `@revoked * ${keys.a!.line}\npi1 ${keys.a!.line}\n`);
  assert.match(checkHostKey({ ...unknown, knownHostsPath: revoked, mode: 'strict' }, keys.a!.blob)!.message, /revoked/);
  // accept-new creates a missing file (and folder).
  const fresh = join(dir, 'new', 'known_hosts');
  assert.equal(checkHostKey({ ...unknown, knownHostsPath: fresh, mode: 'accept-new' }, keys.e!.blob), undefined);
  assert.equal(readFileSync(fresh, 'utf8'), `pi1 ${keys.e!.line}\n`);
});
