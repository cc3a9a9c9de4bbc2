// The modules end to end on the controller itself, through the local connection (the same framed
// shell as over ssh), in a temp folder: the converge contract on real files, modes and mounts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sh } from '../../lib/command/command.js';
import { LocalConnection } from '../../lib/connection/local.js';
import { executeModule } from '../../lib/modules/execute.js';
import { modules } from '../../lib/modules/index.js';
import type { ModuleContext } from '../../lib/modules/module.js';
import { fakeFacts } from '../support/fake-connection.js';
import { converge } from './converge.js';

let dir = '';
const connection = new LocalConnection('local');

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'steer-modules-'));
});
after(async () => {
  await connection.close();
  rmSync(dir, { recursive: true, force: true });
});

const context = (check: boolean): ModuleContext => ({
  host: 'local',
  facts: { ...fakeFacts, initSystem: 'other' },
  check,
  connection,
  run: (command, options) => connection.run(command, options),
  log: () => {},
});

/** Every file under dir with its mode and content. */
async function tree(): Promise<string> {
  const walk = (d: string): string[] =>
    readdirSync(d)
      .sort()
      .flatMap((name) => {
        const path = join(d, name);
        const s = statSync(path);
        const line = `${path.slice(dir.length)} ${(s.mode & 0o7777).toString(8)} ${s.uid}`;
        return s.isDirectory() ? [line, ...walk(path)] : [`${line} ${readFileSync(path, 'base64')}`];
      });
  return walk(dir).join('\n');
}

test('file: create, then ok; mode change; absent', async () => {
  const path = join(dir, 'app.conf');
  const { first } = await converge(modules.file, { path, content: 'port=80\n', mode: '0640' }, context, tree);
  assert.deepEqual(first.diffs, [{ path, after: 'port=80\n' }]);
  assert.equal((statSync(path).mode & 0o777).toString(8), '640');
  const changed = await converge(modules.file, { path, content: 'port=8080\n' }, context, tree);
  assert.deepEqual(changed.first.diffs, [{ path, before: 'port=80\n', after: 'port=8080\n' }]);
  assert.equal((statSync(path).mode & 0o777).toString(8), '640', 'the mode is kept');
  await converge(modules.file, { path, mode: '0600' }, context, tree);
  await converge(modules.file, { path, state: 'absent' }, context, tree);
});

test('directory: parents created with the mode', async () => {
  await converge(modules.directory, { path: join(dir, 'a/b/c'), mode: '0750', owner: 'root' }, context, tree);
  assert.equal((statSync(join(dir, 'a/b/c')).mode & 0o777).toString(8), '750');
});

test('lineinfile and blockinfile on a file without a final newline', async () => {
  const path = join(dir, 'sshd_config');
  writeFileSync(path, 'Port 22\n#PermitRootLogin yes');
  chmodSync(path, 0o600);
  const { first } = await converge(modules.lineinfile, { path, regexp: '^#?PermitRootLogin', line: 'PermitRootLogin no' }, context, tree);
  assert.equal(first.summary, `${path}: content`);
  assert.equal(readFileSync(path, 'utf8'), 'Port 22\nPermitRootLogin no');
  await converge(modules.lineinfile, { path, line: 'UseDNS no', insertafter: '^Port' }, context, tree);
  await converge(modules.blockinfile, { path, block: 'Match User pi\n  PasswordAuthentication no\n', name: 'pi' }, context, tree);
  assert.equal(
    readFileSync(path, 'utf8'),
    'Port 22\nUseDNS no\nPermitRootLogin no\n# BEGIN STEER MANAGED BLOCK pi\nMatch User pi\n  PasswordAuthentication no\n# END STEER MANAGED BLOCK pi\n',
  );
  assert.equal((statSync(path).mode & 0o777).toString(8), '600');
});

test('cmdline: one line kept one line, no final newline kept', async () => {
  const path = join(dir, 'cmdline.txt');
  writeFileSync(path, 'console=tty1 root=PARTUUID=abcd-02 rootwait');
  const { first } = await converge(modules.cmdline, { set: ['cgroup_enable=memory'], file: path }, context, tree);
  assert.deepEqual(first.data, { rebootNeeded: true, file: path });
  assert.equal(readFileSync(path, 'utf8'), 'console=tty1 root=PARTUUID=abcd-02 rootwait cgroup_enable=memory');
});

test('kernel_modules: a built-in module is not loaded again; the boot list is written', async () => {
  const builtin = readdirSync('/sys/module').includes('overlay') ? 'overlay' : undefined;
  if (!builtin) return;
  const file = join(dir, 'k8s.conf');
  const { first } = await converge(modules.kernel_modules, { names: [builtin], file }, context, tree);
  assert.equal(first.summary, `${file}: created`);
});

test('command: creates guards it; stdin reaches it', async () => {
  const marker = join(dir, 'initialised');
  const { first } = await converge(
    modules.command,
    { cmd: sh`cat > ${marker}`, creates: marker, stdin: 'secret-token\n' },
    context,
    tree,
  );
  assert.equal(first.code, 0);
  assert.equal(readFileSync(marker, 'utf8'), 'secret-token\n');
});

test('wait: for a file that appears', async () => {
  const flag = join(dir, 'ready');
  // The file appears once the probe and the first check have found it missing (a timer would race
  // them on a busy machine).
  let runs = 0;
  const ctx: ModuleContext = {
    ...context(false),
    run: async (command, options) => {
      const result = await connection.run(command, options);
      if (++runs === 2) writeFileSync(flag, '');
      return result;
    },
  };
  const result = await executeModule(modules.wait, { path: flag, intervalMs: 20, timeoutMs: 60_000 }, ctx);
  assert.equal(result.changed, false);
  assert.equal(runs, 3, 'probe, a check that failed, a check that passed');
  assert.ok((result.data?.waitedMs ?? 0) >= 20, `waited ${result.data?.waitedMs} ms`);
});

test('mount: a bind mount from a private fstab', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root');
  const src = join(dir, 'disk/etcd');
  const path = join(dir, 'var lib etcd');
  const fstab = join(dir, 'fstab');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'member'), 'data');
  writeFileSync(fstab, '# static file system information\n');
  t.after(() => {
    try {
      execFileSync('umount', [path], { stdio: 'ignore' });
    } catch {
      // not mounted
    }
  });
  const findmnt = () => {
    try {
      return execFileSync('findmnt', ['-n', '-o', 'TARGET', '--mountpoint', path], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  const snap = async () => `${await tree()}\nmounted:${findmnt()}`;
  await converge(modules.mount, { path, src, fstype: 'none', opts: 'defaults,bind', fstab }, context, snap);
  assert.equal(readFileSync(join(path, 'member'), 'utf8'), 'data');
  assert.equal(readFileSync(fstab, 'utf8'), `# static file system information\n${src} ${path.replace(/ /g, '\\040')} none defaults,bind 0 0\n`);
  await converge(modules.mount, { path, state: 'absent', fstab }, context, snap);
  assert.equal(findmnt(), '');
});

test('fetch: a file larger than the 16 MiB output cap streams to disk in pieces, 0600, atomically', async () => {
  const src = join(dir, 'snapshot.db');
  const dest = join(dir, 'backups', 'c1', 'snapshot.db');
  // 20 MiB + 123 bytes of varied content: three pieces, the last a short one.
  const content = Buffer.alloc(20 * 1024 * 1024 + 123);
  for (let i = 0; i + 4 <= content.length; i += 4) content.writeUInt32LE((i ^ 0x9e3779b9) >>> 0, i);
  writeFileSync(src, content, { mode: 0o600 });
  const snap = async () => (statSync(dest, { throwIfNoEntry: false }) ? `${readFileSync(dest).length} ${(statSync(dest).mode & 0o777).toString(8)}` : 'none');
  const { first } = await converge(modules.fetch, { src, dest }, context, snap);
  assert.equal(first.data?.bytes, content.length);
  assert.ok(readFileSync(dest).equals(content), 'the copy is byte-identical');
  assert.equal((statSync(dest).mode & 0o777).toString(8), '600');
  assert.deepEqual(readdirSync(join(dir, 'backups', 'c1')), ['snapshot.db'], 'no temp file left');
  assert.equal((statSync(join(dir, 'backups')).mode & 0o777).toString(8), '700');
});

test('fetch: an empty file is fetched; a file that changes size while copied fails and leaves nothing', async () => {
  const src = join(dir, 'empty');
  writeFileSync(src, '');
  const dest = join(dir, 'fetched-empty');
  await converge(modules.fetch, { src, dest }, context, async () => (statSync(dest, { throwIfNoEntry: false }) ? 'there' : 'none'));
  assert.equal(readFileSync(dest).length, 0);
  const growing = join(dir, 'growing');
  writeFileSync(growing, Buffer.alloc(9 * 1024 * 1024, 1));
  const shrinkingContext = (check: boolean): ModuleContext => ({
    ...context(check),
    // The file loses its tail after the first piece was read.
    get: async (path, range) => {
      const data = await connection.get(path, range ? { range } : {});
      if (range && range.offset === 0) writeFileSync(growing, Buffer.alloc(1024, 1));
      return data;
    },
  });
  const target = join(dir, 'fetched-growing');
  await assert.rejects(executeModule(modules.fetch, { src: growing, dest: target }, shrinkingContext(false)), /changed while it was copied/);
  assert.equal(readdirSync(dir).filter((n) => n.startsWith('fetched-growing')).length, 0, 'neither the copy nor a temp file');
});
