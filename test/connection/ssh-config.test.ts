import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SshConfig, globMatch, matchList, parseProxyJump } from '../../lib/connection/ssh-config.js';
import { UserError } from '../../lib/errors.js';
import { resolveSshTarget } from '../../lib/connection/ssh-target.js';

const config = SshConfig.parse(`
# comment
Host cp1 cp1.lan
  HostName 192.168.1.21
  User ubuntu
  Port 2222
  IdentityFile ~/.ssh/pi_ed25519

Host worker* !worker9
  User pi
  ProxyJump ops@bastion:2200

Host *.lan
  User lanuser
  HostName %h.internal

Host=quoted
  IdentityFile "/path with spaces/key"

Match originalhost cp1
  Port 9999
  IdentityFile ~/.ssh/second

Match exec "false"
  User never

Host *
  User fallback
  IdentityFile ~/.ssh/id_%r
  UserKnownHostsFile ~/.ssh/known_%h
`);

test('first value wins; IdentityFile accumulates; ~ and %tokens expand', () => {
  const c = config.lookup('cp1');
  assert.equal(c.hostName, '192.168.1.21');
  assert.equal(c.user, 'ubuntu');
  assert.equal(c.port, 2222);
  assert.deepEqual(c.identityFiles, [join(homedir(), '.ssh/pi_ed25519'), join(homedir(), '.ssh/second'), join(homedir(), '.ssh/id_ubuntu')]);
  assert.deepEqual(c.userKnownHostsFiles, [join(homedir(), '.ssh/known_192.168.1.21')]);
  assert.equal(c.proxyJump, undefined);
});

test('wildcards, negation, %h in HostName, quoted values', () => {
  assert.equal(config.lookup('worker3').user, 'pi');
  assert.equal(config.lookup('worker3').proxyJump, 'ops@bastion:2200');
  assert.equal(config.lookup('worker9').user, 'fallback');
  assert.equal(config.lookup('worker9').proxyJump, undefined);
  assert.equal(config.lookup('nas.lan').hostName, 'nas.lan.internal');
  assert.equal(config.lookup('nas.lan').user, 'lanuser');
  assert.deepEqual(config.lookup('quoted').identityFiles[0], '/path with spaces/key');
  assert.equal(config.lookup('other').user, 'fallback');
});

test('pattern matching like OpenSSH', () => {
  assert.ok(globMatch('Worker1', 'worker?'));
  assert.ok(!globMatch('worker10', 'worker?'));
  assert.ok(globMatch('a.b.c', '*.c'));
  assert.ok(matchList('x', ['y', 'x']));
  assert.ok(!matchList('x', ['*', '!x']));
  assert.ok(!matchList('x', ['!y']));
});

test('ProxyJump hops', () => {
  assert.deepEqual(parseProxyJump('ops@bastion:2200,inner'), [
    { user: 'ops', host: 'bastion', port: 2200 },
    { user: undefined, host: 'inner', port: undefined },
  ]);
  assert.deepEqual(parseProxyJump('ssh://[fe80::1]:22'), [{ user: undefined, host: 'fe80::1', port: 22 }]);
});

test('Include pulls in other files (relative to the including file, with globs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'steer-sshcfg-'));
  try {
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d', '10-pis.conf'), 'Host pi*\n  User pi\n');
    writeFileSync(join(dir, 'conf.d', '20-all.conf'), 'Host *\n  Port 2022\n');
    writeFileSync(join(dir, 'config'), 'Include conf.d/*.conf\nHost *\n  User other\n');
    const c = SshConfig.load(join(dir, 'config'));
    assert.equal(c.lookup('pi1').user, 'pi');
    assert.equal(c.lookup('pi1').port, 2022);
    assert.equal(c.lookup('nas').user, 'other');
    assert.deepEqual(SshConfig.load(join(dir, 'missing')).lookup('x').identityFiles, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('inventory variables win over ~/.ssh/config, which wins over defaults', () => {
  const t = resolveSshTarget('cp1', {}, config);
  assert.deepEqual([t.hostName, t.port, t.user], ['192.168.1.21', 2222, 'ubuntu']);
  const v = resolveSshTarget('cp1', { ansible_host: '10.0.0.5', ansible_port: 22, ansible_user: 'admin', ansible_ssh_private_key_file: '/keys/k' }, config);
  // ansible_host is what ssh is given, so the config is looked up by it (Host * only here).
  assert.deepEqual([v.hostName, v.port, v.user], ['10.0.0.5', 22, 'admin']);
  assert.equal(v.identityFiles[0], '/keys/k');
  const w = resolveSshTarget('worker2', {}, config);
  assert.deepEqual(w.jumps.map((j) => [j.hostName, j.port, j.user]), [['bastion', 2200, 'ops']]);
  const bare = resolveSshTarget('plain', {}, SshConfig.empty());
  assert.deepEqual([bare.hostName, bare.port, bare.user, bare.becomeUser], ['plain', 22, userInfo().username, 'root']);
  assert.equal(bare.knownHostsPath, join(homedir(), '.ssh', 'known_hosts'));
  assert.throws(() => resolveSshTarget('h', { ansible_port: 'ssh' }, config), /ansible_port must be a port number/);
});

test('ProxyCommand: %h %p %r %n %% expand with the final values; it and ProxyJump exclude each other (first wins)', () => {
  const c = SshConfig.parse(`
Host via-proxy
  HostName 10.1.2.3
  Port 2200
  User pi
  ProxyCommand ssh -W %h:%p -l %r bastion # %n %%
  ProxyJump never-used
Host jump-first
  ProxyJump bastion
  ProxyCommand never-used
Host off
  ProxyCommand none
Host *
  ProxyCommand nc %h %p
`);
  assert.equal(c.lookup('via-proxy').proxyCommand, 'ssh -W 10.1.2.3:2200 -l pi bastion # via-proxy %');
  assert.equal(c.lookup('via-proxy').proxyJump, undefined);
  // The inventory's user and port are ssh's command line: they win, and the tokens follow them.
  assert.equal(c.lookup('via-proxy', { user: 'admin', port: 22 }).proxyCommand, 'ssh -W 10.1.2.3:22 -l admin bastion # via-proxy %');
  assert.deepEqual([c.lookup('jump-first').proxyJump, c.lookup('jump-first').proxyCommand], ['bastion', undefined]);
  assert.equal(c.lookup('off').proxyCommand, undefined);
  assert.equal(c.lookup('other').proxyCommand, 'nc other 22');
  const t = resolveSshTarget('via-proxy', {}, c);
  assert.equal(t.proxyCommand, 'ssh -W 10.1.2.3:2200 -l pi bastion # via-proxy %');
  assert.throws(
    () => SshConfig.parse('Host *\n  ProxyCommand nc %z %p\n').lookup('x'),
    (e: Error) => e instanceof UserError && e.location?.line === 2 && /unknown or unsupported token %z/.test(e.message),
  );
});

test('Match exec runs its command (tokens expanded) and applies the block when it succeeds; Match user', () => {
  const dir = mkdtempSync(join(tmpdir(), 'steer-sshcfg-exec-'));
  try {
    const c = SshConfig.parse(`
Host pi*
  User pi
Match originalhost pi* exec "test -e ${dir}/on-%h-%r"
  HostName 10.9.9.9
Match user deploy
  Port 2022
`);
    assert.equal(c.lookup('pi1').hostName, undefined);
    writeFileSync(join(dir, 'on-pi1-pi'), '');
    assert.equal(c.lookup('pi1').hostName, '10.9.9.9');
    assert.equal(c.lookup('nas').hostName, undefined, 'exec runs only when the criteria before it held');
    assert.equal(c.lookup('pi1', { user: 'deploy' }).port, 2022);
    assert.equal(c.lookup('pi1').port, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a keyword that would send the connection elsewhere is refused with its file:line, never dropped', () => {
  const c = SshConfig.parse(
    `Host safe
  AddressFamily any
  CanonicalizeHostname no
  ServerAliveInterval 30
  ForwardAgent yes
Host aliased
  HostKeyAlias other-host
Host bound
  BindAddress 10.0.0.1
`,
    '/home/me/.ssh/config',
  );
  assert.equal(c.lookup('safe').user, undefined, 'harmless values and session options are accepted');
  assert.throws(
    () => c.lookup('aliased'),
    (e: Error) => e instanceof UserError && e.code === 'SSH_CONFIG_UNSUPPORTED' && e.location?.line === 7 && /HostKeyAlias is not supported by steer \(it changes which known_hosts entry/.test(e.message),
  );
  assert.throws(() => c.lookup('bound'), /BindAddress is not supported/);
  assert.throws(() => SshConfig.parse('Match canonical all\n  User y\n').lookup('x'), /Match canonical is not supported by steer/);
  assert.throws(
    () => resolveSshTarget('t', {}, SshConfig.parse('Host t\n  ProxyJump a,b\nHost b\n  ProxyCommand nc %h %p\n')),
    /jump host b has a ProxyCommand or ProxyJump of its own/,
  );
});
