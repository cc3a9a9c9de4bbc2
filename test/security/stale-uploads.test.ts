// Issue 14, item 7: a put killed half-way (kill -9 during an SFTP upload, or a dropped connection
// during an inline one) leaves a `.steer-put.*` temp file; the next put into that folder removes it
// when it is steer's own (name, regular file, the writing user's) and untouched for 10 minutes.
// Fresh temp files (a put running now), other users' files, symlinks and other names are kept.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chownSync, existsSync, lchownSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Connection } from '../../lib/connection/connection.js';
import { LocalConnection } from '../../lib/connection/local.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { repoRoot } from '../support/steer-cli.js';
import { sshTo } from '../connection/helpers.js';

const root = process.getuid?.() === 0;
const twentyMinutesAgo = () => new Date(Date.now() - 20 * 60_000);
let sshd: Sshd;
let work: string;

before(async () => {
  sshd = await startSshd();
  work = mkdtempSync(join(tmpdir(), 'steer-stale-'));
});
after(async () => {
  await sshd?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const temps = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('.steer-put.')).sort();

const kinds: { name: string; open(): Promise<Connection> }[] = [
  { name: 'local', open: async () => new LocalConnection('local') },
  { name: 'ssh', open: async () => sshTo(sshd) },
];

for (const kind of kinds) {
  describe(`${kind.name} connection`, () => {
    test('the first put into a folder sweeps only steer\'s own stale temp files', async () => {
      const dir = mkdtempSync(join(work, `${kind.name}-sweep-`));
      const make = (name: string, old: boolean) => {
        writeFileSync(join(dir, name), 'partial');
        if (old) utimesSync(join(dir, name), twentyMinutesAgo(), twentyMinutesAgo());
      };
      make('.steer-put.0123456789abcdef01234567', true); // killed long ago: goes
      make('.steer-put.Ab3dE6gH', true); // an older steer's mktemp name: goes
      make('.steer-put.fedcba9876543210fedcba98', false); // a put running now: stays
      make('.steer-putting', true); // not steer's name: stays
      make('app.conf', true);
      if (root) {
        make('.steer-put.nobodys00000000000000000', true);
        chownSync(join(dir, '.steer-put.nobodys00000000000000000'), 65534, 65534); // another user's: stays
        symlinkSync(join(dir, 'app.conf'), join(dir, '.steer-put.link0000000000000000000'));
        lchownSync(join(dir, '.steer-put.link0000000000000000000'), 65534, 65534);
      }
      const c = await kind.open();
      try {
        await c.put(join(dir, 'app.conf'), 'new\n');
        assert.deepEqual(temps(dir), [
          '.steer-put.fedcba9876543210fedcba98',
          ...(root ? ['.steer-put.link0000000000000000000', '.steer-put.nobodys00000000000000000'] : []),
        ]);
        assert.ok(existsSync(join(dir, '.steer-putting')));
        assert.equal(readFileSync(join(dir, 'app.conf'), 'utf8'), 'new\n');
      } finally {
        await c.close();
      }
    });
  });
}

test('kill -9 during an SFTP upload: the temp file left behind is swept by a later run', async () => {
  const dir = mkdtempSync(join(work, 'killed-'));
  const target = join(dir, 'big.img');
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/security/upload-worker.ts'), target, String(96 * 1024 * 1024)], {
    cwd: repoRoot,
    env: { ...process.env, STEER_TEST_SSHD: JSON.stringify({ port: sshd.port, dir: sshd.dir, clientKeyPath: sshd.clientKeyPath, knownHostsPath: sshd.knownHostsPath }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  // Kill it once the upload has started writing its temp file.
  for (let i = 0; i < 1200 && !temps(dir).some((f) => statSync(join(dir, f)).size > 0); i++) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGKILL');
  await exited;
  const left = temps(dir);
  assert.equal(left.length, 1, 'the killed upload left its temp file');
  assert.ok(!existsSync(target));
  // A later run, once the temp file is old: sweeps it while writing into the same folder.
  utimesSync(join(dir, left[0]!), twentyMinutesAgo(), twentyMinutesAgo());
  const c = sshTo(sshd);
  try {
    await c.put(join(dir, 'small.conf'), 'x\n');
    assert.deepEqual(temps(dir), []);
  } finally {
    await c.close();
  }
});
