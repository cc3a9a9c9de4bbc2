// executeModule over a FakeConnection: check mode applies nothing, a real run applies the plan's
// actions in order, a failing action stops the run with a ModuleError carrying its stderr, bad
// arguments fail before anything reaches the host.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sh } from '../../lib/command/command.js';
import { executeModule, validateArgs } from '../../lib/modules/execute.js';
import { bindModules, modules } from '../../lib/modules/index.js';
import { ModuleError } from '../../lib/modules/module.js';
import { Secret, clearSecrets } from '../../lib/secrets/masker.js';
import { FakeConnection, fakeContext, isProbe } from '../support/fake-connection.js';

const missing = { 'file.stat': { text: '' }, 'file.content': { code: 1, text: '' } };
const dirMissing = { 'dir.stat': { text: '' } };

test('check mode reports the change with its diff and applies nothing', async () => {
  const connection = new FakeConnection().respondToProbe(missing);
  const result = await executeModule(modules.file, { path: '/etc/app.conf', content: 'a=1\n', mode: '0644' }, fakeContext(connection, { check: true }));
  assert.deepEqual(result, {
    changed: true,
    checkOnly: true,
    summary: '/etc/app.conf: created',
    diffs: [{ path: '/etc/app.conf', after: 'a=1\n' }],
  });
  assert.equal(connection.runs.length, 1, 'only the probe ran');
  assert.ok(isProbe(connection.runs[0]!.text));
  assert.equal(connection.puts.length, 0);
});

test('check mode on a host already in state reports ok', async () => {
  const connection = new FakeConnection().respondToProbe({ 'dir.stat': { text: 'directory|755|0|root|0|root|4096\n/etc/x\n' } });
  const result = await executeModule(modules.directory, { path: '/etc/x', mode: '0755' }, fakeContext(connection, { check: true }));
  assert.deepEqual(result, { changed: false, checkOnly: true });
});

test('a real run applies the actions in order and reports what check mode predicted', async () => {
  const args = { path: '/etc/containerd', mode: '0700', owner: 'root' };
  const check = new FakeConnection().respondToProbe(dirMissing);
  const predicted = await executeModule(modules.directory, args, fakeContext(check, { check: true }));

  const connection = new FakeConnection().respondToProbe(dirMissing).respond(/^__steer_(mkdir|on) /, { code: 0 });
  const result = await executeModule(modules.directory, args, fakeContext(connection));
  assert.deepEqual(connection.runs.slice(1).map((r) => r.text), ['__steer_mkdir /etc/containerd', '__steer_on /etc/containerd chmod 0700', '__steer_on /etc/containerd chown root']);
  assert.deepEqual(result, { changed: true, summary: 'create directory /etc/containerd (mode 0700)' });
  assert.deepEqual({ ...predicted, checkOnly: undefined }, { ...result, checkOnly: undefined });
});

test('puts and runs interleave in plan order', async () => {
  const connection = new FakeConnection()
    .respondToProbe({ 'dir.stat': { text: '' }, 'file.stat': { text: '' }, 'file.content': { code: 1, text: '' } })
    .respond(/^(__steer_mkdir|systemctl) /, {});
  const result = await executeModule(modules.systemd_dropin, { unit: 'kubelet', name: '10-steer', content: '[Service]\n' }, fakeContext(connection));
  assert.equal(result.changed, true);
  assert.deepEqual(connection.log.slice(1), [
    'run __steer_mkdir /etc/systemd/system/kubelet.service.d 0755',
    'put /etc/systemd/system/kubelet.service.d/10-steer.conf',
    'run systemctl daemon-reload',
  ]);
  assert.deepEqual(connection.puts[0]!.options, { mode: '0644', owner: undefined, group: undefined });
});

test('ctx.put, when given, writes instead of connection.put', async () => {
  const connection = new FakeConnection().respondToProbe(missing);
  const written: string[] = [];
  const ctx = { ...fakeContext(connection), put: async (path: string) => void written.push(path) };
  await executeModule(modules.file, { path: '/etc/a', content: 'x' }, ctx);
  assert.deepEqual(written, ['/etc/a']);
  assert.equal(connection.puts.length, 0);
});

test('a failing action throws ModuleError with its stderr and stops there', async () => {
  const connection = new FakeConnection()
    .respondToProbe(dirMissing)
    .respond('__steer_mkdir', { code: 1, stderr: "mkdir: cannot create directory '/etc/containerd': Read-only file system\n" });
  await assert.rejects(
    executeModule(modules.directory, { path: '/etc/containerd', mode: '0755' }, fakeContext(connection)),
    (err: Error) => {
      assert.ok(err instanceof ModuleError);
      assert.equal(err.message, "__steer_mkdir /etc/containerd failed (exit 1): mkdir: cannot create directory '/etc/containerd': Read-only file system");
      assert.equal(err.result?.code, 1);
      return true;
    },
  );
  assert.equal(connection.runs.length, 2, 'chmod never ran');
});

test('okCodes count other exit codes as success', async () => {
  const connection = new FakeConnection().respond('grep', { code: 1 });
  const result = await executeModule(modules.command, { cmd: sh`grep -q x /etc/y`, okCodes: [0, 1] }, fakeContext(connection));
  assert.equal(result.changed, true);
  assert.equal(result.code, 1);
});

test('secrets in a failing command are masked in the error', async () => {
  clearSecrets();
  const token = new Secret('abcdef.0123456789abcdef');
  const connection = new FakeConnection().respond('kubeadm', { code: 1, stderr: `bad token abcdef.0123456789abcdef\n` });
  await assert.rejects(executeModule(modules.command, { cmd: sh`kubeadm join --token ${token}` }, fakeContext(connection)), (err: Error) => {
    assert.ok(!err.message.includes('0123456789abcdef'), err.message);
    assert.match(err.message, /kubeadm join --token \*{8} failed \(exit 1\): bad token \*{8}/);
    return true;
  });
  clearSecrets();
});

test('bad arguments fail before the host is touched, naming module and argument', async () => {
  const connection = new FakeConnection();
  await assert.rejects(
    executeModule(modules.file, { path: '/etc/a', content: 'x', mode: 'u+x', colour: 'red' } as never, fakeContext(connection)),
    (err: Error) =>
      err instanceof ModuleError &&
      err.message === `file: unknown argument "colour" (expected one of: path, content, state, mode, owner, group, secret); mode must be an octal mode like '0644' (got "u+x")`,
  );
  assert.throws(() => validateArgs(modules.apt, { packages: ['kubeadm; rm -rf /'] }), /apt: "kubeadm; rm -rf \/" is not a package name/);
  assert.throws(() => validateArgs(modules.sysctl, { values: { 'net.ipv4.ip_forward': 1 } } as never), /sysctl: file is required/);
  assert.throws(() => validateArgs(modules.systemd, { unit: 'kubelet', state: 'running' } as never), /systemd: state must be one of 'started', 'stopped', 'restarted', 'reloaded' \(got "running"\)/);
  assert.throws(() => validateArgs(modules.wait, { port: 6443, path: '/x' }), /wait: give exactly one of port, path, command/);
  assert.throws(() => validateArgs(modules.cmdline, { set: ['two words'] }), /cmdline: "two words" is not one word/);
  assert.throws(() => validateArgs(modules.lineinfile, { path: 'relative', line: 'x' }), /lineinfile: path must be absolute/);
  assert.throws(() => validateArgs(modules.command, { cmd: 'rm -rf /' } as never), /command: cmd must be a command built with sh/);
  assert.equal(connection.runs.length, 0);
});

test('command: skipped by its guard, in check mode it does not run', async () => {
  const skip = new FakeConnection().respondToProbe({ creates: { code: 0, text: '' } });
  assert.deepEqual(await executeModule(modules.command, { cmd: ['kubeadm', 'init'], creates: '/etc/kubernetes/admin.conf' }, fakeContext(skip)), { changed: false });
  assert.equal(skip.runs.length, 1);

  const check = new FakeConnection().respondToProbe({ creates: { code: 1, text: '' } });
  const predicted = await executeModule(modules.command, { cmd: ['kubeadm', 'init'], creates: '/etc/kubernetes/admin.conf' }, fakeContext(check, { check: true }));
  assert.deepEqual(predicted, { changed: true, checkOnly: true, summary: 'run kubeadm init' });
  assert.equal(check.runs.length, 1, 'the command itself did not run');
});

test('command: stdin, changedWhen and output', async () => {
  const connection = new FakeConnection().respond('kubectl apply', { stdout: 'namespace/x unchanged\n' });
  const result = await executeModule(
    modules.command,
    { cmd: ['kubectl', 'apply', '-f', '-'], stdin: new Secret('kind: Namespace'), changedWhen: (r) => /created|configured/.test(r.stdout) },
    fakeContext(connection),
  );
  assert.deepEqual(result, { changed: false, stdout: 'namespace/x unchanged\n', stderr: '', code: 0 });
  assert.deepEqual(connection.runs[0]!.options, { stdin: 'kind: Namespace' });
  clearSecrets();
});

test('command: retries until the predicate holds', async () => {
  const connection = new FakeConnection()
    .respond('kubectl get', { code: 1, stderr: 'connection refused' }, { once: true })
    .respond('kubectl get', { stdout: 'NotReady\n' }, { once: true })
    .respond('kubectl get', { stdout: 'Ready\n' });
  const result = await executeModule(
    modules.command,
    { cmd: ['kubectl', 'get', 'node'], until: (r) => r.stdout.includes('Ready') && !r.stdout.includes('NotReady'), retries: 5, delayMs: 1, changedWhen: () => false },
    fakeContext(connection),
  );
  assert.equal(connection.runs.length, 3);
  assert.equal(result.stdout, 'Ready\n');
  assert.equal(result.changed, false);
});

test('command: gives up after its retries; failedWhen decides failure', async () => {
  const connection = new FakeConnection().respond('false', { code: 1, stderr: 'nope' });
  await assert.rejects(executeModule(modules.command, { cmd: ['false'], retries: 2, delayMs: 1 }, fakeContext(connection)), /false failed \(exit 1\): nope \(still not done after 3 attempts\)/);
  assert.equal(connection.runs.length, 3);

  const ok = new FakeConnection().respond('kubeadm', { code: 0, stdout: 'error: preflight failed' });
  await assert.rejects(executeModule(modules.command, { cmd: ['kubeadm', 'x'], failedWhen: (r) => r.stdout.includes('error') }, fakeContext(ok)), ModuleError);
});

test('wait: polls until the condition holds; never a change', async () => {
  const connection = new FakeConnection()
    .respondToProbe({ check: { code: 1, text: '' } })
    .respond('/dev/tcp', { code: 1 }, { once: true })
    .respond('/dev/tcp', { code: 0 });
  const result = await executeModule(modules.wait, { port: 6443, intervalMs: 1 }, fakeContext(connection));
  assert.equal(result.changed, false);
  assert.equal(connection.runs.length, 3);
});

test('wait: check mode does not wait', async () => {
  const connection = new FakeConnection().respondToProbe({ check: { code: 1, text: '' } });
  const result = await executeModule(modules.wait, { path: '/etc/kubernetes/admin.conf' }, fakeContext(connection, { check: true }));
  assert.equal(result.changed, false);
  assert.equal(result.checkOnly, true);
  assert.equal(connection.runs.length, 1);
});

test('wait: gives up at its timeout with a clear message', async () => {
  const connection = new FakeConnection().respondToProbe({ check: { code: 1, text: '' } }).respond('test -e', { code: 1 });
  await assert.rejects(
    executeModule(modules.wait, { path: '/run/flag', timeoutMs: 30, intervalMs: 5 }, fakeContext(connection)),
    /wait: gave up after 0 s waiting for \/run\/flag present/,
  );
});

test('apt_source hands back data.changed, in check mode too', async () => {
  const sections = {
    'keyrings.stat': { text: '' },
    'keyring.stat': { text: '' },
    'list.stat': { text: '' },
    'list.content': { code: 1, text: '' },
    'sources.stat': { text: '' },
    'sources.content': { code: 1, text: '' },
  };
  const { readFileSync } = await import('node:fs');
  const key = readFileSync(new URL('./fixtures/keys/test-key.asc', import.meta.url), 'utf8');
  const args = { name: 'steer', uri: 'http://10.0.0.1/debian/', suite: 'bookworm', components: ['main'], key };
  const check = await executeModule(modules.apt_source, args, fakeContext(new FakeConnection().respondToProbe(sections), { check: true }));
  assert.deepEqual(check.data, { changed: true });
  const apt = modules.apt.plan({ packages: ['curl'], sourceChanged: check }, { packages: { curl: { status: 'ii ', version: '1' } }, now: 10, cacheTime: 9, lists: 1 }, fakeContext(new FakeConnection()).facts);
  assert.equal(apt.actions.length, 1, 'a changed source refreshes the cache');
});

test('bindModules: every module callable by name, wrapped by the engine', async () => {
  const connection = new FakeConnection().respondToProbe({ held: { text: 'kubeadm\n' } });
  const seen: string[] = [];
  const m = bindModules(fakeContext(connection), async (name, run) => {
    seen.push(name);
    return run();
  });
  assert.deepEqual(Object.keys(m).sort(), Object.keys(modules).sort());
  const result = await m.apt_hold({ packages: ['kubeadm'] });
  assert.deepEqual(result, { changed: false });
  assert.deepEqual(seen, ['apt_hold']);
});
