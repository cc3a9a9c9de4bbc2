// Issue 14, item 6: steer never reads or writes through a symlink another user could have made.
// As root (the become user), on the controller (local connection) and over ssh (loopback sshd):
// `nobody` owns a home folder and plants links in it towards a root-only file and a root folder.
// Check-mode diffs do not show the root-only file; writes replace the link (as Ansible's copy
// does); owner/mode changes, edits, folders and gets refuse to go through it; a root-owned link in
// a root-only folder (like /etc/resolv.conf -> /run/…) is still followed.
import assert from 'node:assert/strict';
import { chownSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Connection } from '../../lib/connection/connection.js';
import { LocalConnection } from '../../lib/connection/local.js';
import { executeModule } from '../../lib/modules/execute.js';
import { modules } from '../../lib/modules/index.js';
import { realContext } from '../support/fake-connection.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { sshTo } from '../connection/helpers.js';

const NOBODY = 65534;
const SECRET = 'root-only-secret\n';
const root = process.getuid?.() === 0;
let sshd: Sshd;
let work: string;

before(async () => {
  if (!root) return;
  sshd = await startSshd();
  work = mkdtempSync(join(tmpdir(), 'steer-symlinks-'));
});
after(async () => {
  await sshd?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A fresh scene: /etc-like root folder with a root-only file, and nobody's home with planted links. */
function scene(name: string) {
  const base = join(work, name);
  const etc = join(base, 'etc');
  const home = join(base, 'home');
  mkdirSync(etc, { recursive: true });
  mkdirSync(home);
  chownSync(home, NOBODY, NOBODY);
  const important = join(etc, 'important.conf');
  writeFileSync(important, SECRET, { mode: 0o600 });
  const plant = (link: string, to: string) => {
    symlinkSync(to, join(home, link));
    lchownSync(join(home, link), NOBODY, NOBODY); // the link itself is nobody's
  };
  plant('app.conf', important);
  plant('conf.d', etc);
  // A legitimate link: root's, in a root-only folder (as /etc/resolv.conf -> /run/…/resolv.conf).
  writeFileSync(join(etc, 'real-resolv.conf'), 'nameserver 127.0.0.53\n', { mode: 0o644 });
  symlinkSync('real-resolv.conf', join(etc, 'resolv.conf'));
  const untouched = () => {
    assert.equal(readFileSync(important, 'utf8'), SECRET);
    const s = statSync(important);
    assert.deepEqual([s.uid, s.mode & 0o777], [0, 0o600], 'the root-only file keeps its owner and mode');
    assert.deepEqual(readdirSync(etc).sort(), ['important.conf', 'real-resolv.conf', 'resolv.conf']);
  };
  return { base, etc, home, important, untouched };
}

const kinds: { name: string; open(): Promise<Connection> }[] = [
  { name: 'local', open: async () => new LocalConnection('local') },
  {
    name: 'ssh',
    open: async () => {
      const c = sshTo(sshd);
      await c.connect();
      return c;
    },
  },
];

for (const kind of kinds) {
  describe(`${kind.name} connection, as root`, { skip: root ? false : 'needs root (chown to nobody)' }, () => {
    let c: Connection;
    before(async () => {
      c = await kind.open();
    });
    after(async () => {
      await c?.close();
    });
    const check = () => ({ ...realContext(c), check: true });

    test('the issue: --check --diff never shows the root-only file; the run replaces the link', async () => {
      const s = scene(`${kind.name}-issue`);
      const path = join(s.home, 'app.conf');
      const args = { path, content: 'key=NEW\n', owner: 'nobody', mode: '0644' };
      const preview = await executeModule(modules.file, args, check());
      assert.equal(preview.changed, true);
      assert.deepEqual(preview.diffs, [{ path, before: `<symlink to ${s.important}, not followed>\n`, after: 'key=NEW\n' }]);
      assert.match(preview.summary ?? '', /replaces the symlink to .*important\.conf \(owned by nobody; not followed\)/);
      assert.ok(!JSON.stringify(preview).includes('root-only-secret'));

      const run = await executeModule(modules.file, args, realContext(c));
      assert.equal(run.changed, true);
      s.untouched();
      const written = lstatSync(path);
      assert.ok(written.isFile(), 'the link was replaced by a regular file');
      assert.deepEqual([written.uid, written.mode & 0o777], [NOBODY, 0o644]);
      assert.equal(readFileSync(path, 'utf8'), 'key=NEW\n');
      const again = await executeModule(modules.file, args, realContext(c));
      assert.equal(again.changed, false, 'idempotent');
    });

    test('owner and mode changes, line edits and gets refuse to go through the link', async () => {
      const s = scene(`${kind.name}-attrs`);
      const path = join(s.home, 'app.conf');
      await assert.rejects(executeModule(modules.file, { path, owner: 'nobody', mode: '0666' }, realContext(c)), /is a symlink \(to .*important\.conf\) owned by nobody in a folder other users can change: steer does not follow it/);
      await assert.rejects(executeModule(modules.lineinfile, { path, line: 'x=1' }, realContext(c)), /steer does not follow it/);
      await assert.rejects(c.get(path, { become: true }), /app\.conf is a symlink owned by nobody in a folder others can change; steer does not follow it/);
      await assert.rejects(executeModule(modules.file, { path: join(s.home, 'conf.d', 'evil.conf'), content: 'x\n' }, realContext(c)), /conf\.d is a symlink that another user could have made or changed; steer does not follow it/);
      await assert.rejects(c.put(join(s.home, 'conf.d', 'evil.conf'), 'x\n'), /conf\.d is a symlink that another user could have made/);
      await assert.rejects(executeModule(modules.directory, { path: join(s.home, 'conf.d', 'sub') }, realContext(c)), /steer does not follow it/);
      s.untouched();
    });

    test('state absent removes the planted link itself, not what it points to', async () => {
      const s = scene(`${kind.name}-absent`);
      const path = join(s.home, 'app.conf');
      const r = await executeModule(modules.file, { path, state: 'absent' }, realContext(c));
      assert.equal(r.changed, true);
      assert.deepEqual(readdirSync(s.home).sort(), ['conf.d']);
      s.untouched();
    });

    test("a root-owned link in a root-only folder is followed, as documented (/etc/resolv.conf -> /run/…)", async () => {
      const s = scene(`${kind.name}-trusted`);
      const path = join(s.etc, 'resolv.conf');
      const preview = await executeModule(modules.file, { path, content: 'nameserver 10.0.0.1\n' }, check());
      assert.deepEqual(preview.diffs, [{ path, before: 'nameserver 127.0.0.53\n', after: 'nameserver 10.0.0.1\n' }]);
      await executeModule(modules.file, { path, content: 'nameserver 10.0.0.1\n' }, realContext(c));
      assert.ok(lstatSync(path).isSymbolicLink(), 'the link stays');
      assert.equal(readFileSync(join(s.etc, 'real-resolv.conf'), 'utf8'), 'nameserver 10.0.0.1\n');
      assert.equal((await c.get(path))?.toString(), 'nameserver 10.0.0.1\n');
    });
  });
}
