// Issue 14, item 4: one command's output never reaches another's result. A command's background
// children that keep writing (heartbeats, or lines shaped like steer's probe sections) cannot glue
// themselves to later commands, over ssh (loopback sshd) and through the local connection alike.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sh } from '../../lib/command/command.js';
import type { Connection } from '../../lib/connection/connection.js';
import { LocalConnection } from '../../lib/connection/local.js';
import type { SshConnection } from '../../lib/connection/ssh.js';
import { executeModule } from '../../lib/modules/execute.js';
import { sha256 } from '../../lib/modules/file-state.js';
import { modules } from '../../lib/modules/index.js';
import { runProbe } from '../../lib/modules/probe.js';
import { realContext } from '../support/fake-connection.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { sshTo } from '../connection/helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const b64 = (s: string) => Buffer.from(s).toString('base64');

let sshd: Sshd;
let work: string;
const connections: { name: string; open(): Promise<Connection & { stats: { shellsStarted: number } }> }[] = [
  { name: 'local', open: async () => new LocalConnection('local') },
  {
    name: 'ssh',
    open: async () => {
      const c: SshConnection = sshTo(sshd);
      await c.connect();
      return c;
    },
  },
];

before(async () => {
  sshd = await startSshd();
  work = mkdtempSync(join(tmpdir(), 'steer-isolation-'));
});
after(async () => {
  await sshd?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const context = realContext;

for (const kind of connections) {
  describe(`${kind.name} connection`, () => {
    test('a background child that keeps printing never shows in later results', async () => {
      const c = await kind.open();
      try {
        const started = c.stats.shellsStarted;
        const stop = join(work, `${kind.name}-heartbeat-stop`);
        const done = join(work, `${kind.name}-heartbeat-done`);
        // The issue's input, made to last until the test has run its commands: a step starts a
        // heartbeat in the background and returns at once. The heartbeat ignores SIGPIPE, so it
        // outlives the shell it writes to.
        const first = await c.run(
          sh`sh -c 'trap "" PIPE; i=0; while [ ! -e "$1" ]; do i=$((i+1)); echo heartbeat $i; echo heartbeat $i >&2; sleep 0.05; done; touch "$2"' sh ${stop} ${done} &`,
        );
        assert.equal(first.code, 0);
        for (let i = 0; i < 10; i++) {
          const r = await c.run(sh`echo probe; echo err >&2`);
          assert.deepEqual(r, { stdout: 'probe\n', stderr: 'err\n', code: 0 }, `command ${i}`);
          const outputs = await runProbe(context(c), { a: sh`echo section` });
          assert.equal(outputs['a']!.text, 'section\n');
        }
        writeFileSync(stop, '');
        while (!existsSync(done)) await sleep(50);
        assert.equal(c.stats.shellsStarted - started, 2, 'the shell the heartbeat writes to was retired, once');
      } finally {
        await c.close();
      }
    });

    test('a child printing lines shaped like probe sections cannot fake a file state', async () => {
      const c = await kind.open();
      const path = join(work, `${kind.name}-key.conf`);
      writeFileSync(path, 'key=value\n');
      try {
        // What the probe of m.file would print if the file already held the new content.
        const forged = [
          `file.stat ${b64(`regular file|644|0|root|0|root|8\n${path}\n`)} 0`,
          `file.content ${b64('key=NEW\n')} 0`,
        ].join('\n');
        const stop = join(work, `${kind.name}-forger-stop`);
        await c.run(sh`sh -c 'while [ ! -e "$1" ]; do printf "%s\\n" "$2"; done' sh ${stop} ${forged} &`);
        const result = await executeModule(modules.file, { path, content: 'key=NEW\n' }, context(c)).finally(() => writeFileSync(stop, ''));
        assert.equal(result.changed, true, 'the real state (key=value) was probed, not the forged one');
        assert.equal(readFileSync(path, 'utf8'), 'key=NEW\n');
        assert.notEqual(sha256('key=value\n'), sha256('key=NEW\n'));
      } finally {
        await c.close();
      }
    });

    test('a process that left the command\'s process group and writes between commands retires the shell', async () => {
      const c = await kind.open();
      try {
        await c.run(sh`setsid sh -c 'sleep 0.3; echo late; echo late >&2' &`);
        await sleep(1000);
        const started = c.stats.shellsStarted;
        assert.deepEqual(await c.run(sh`echo next`), { stdout: 'next\n', stderr: '', code: 0 });
        assert.equal(c.stats.shellsStarted - started, 1, 'the next command ran on a fresh shell');
      } finally {
        await c.close();
      }
    });

    test('commands that leave nothing behind keep their shell (no retiring, no new shells)', async () => {
      const c = await kind.open();
      try {
        await c.run(sh`true`);
        const started = c.stats.shellsStarted;
        for (let i = 0; i < 20; i++) await c.run(sh`echo ${i}; sleep 0.01 & wait`);
        assert.equal(c.stats.shellsStarted, started);
      } finally {
        await c.close();
      }
    });
  });
}
