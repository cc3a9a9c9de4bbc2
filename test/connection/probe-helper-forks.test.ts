// Once the probe helper runs, a no-change probe forks no process on the host: the modules' own
// probes, over ssh to an sshd in its own PID namespace, whose last pid (/proc/loadavg) counts every
// fork. Without python3 on the host the same probes still work, on the shell.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Command } from '../../lib/command/command.js';
import type { Connection } from '../../lib/connection/connection.js';
import { LocalConnection } from '../../lib/connection/local.js';
import type { SshConnection } from '../../lib/connection/ssh.js';
import { apt } from '../../lib/modules/apt.js';
import { blockinfile } from '../../lib/modules/blockinfile.js';
import { file } from '../../lib/modules/file.js';
import { lineinfile } from '../../lib/modules/lineinfile.js';
import type { ModuleContext } from '../../lib/modules/module.js';
import { sysctl } from '../../lib/modules/sysctl.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { sshTo } from './helpers.js';

const LAST_PID = new Command('read -r _ _ _ _ l </proc/loadavg; printf %s "$l"', 'last pid');
let sshd: Sshd;

before(async () => {
  sshd = await startSshd({ pidNamespace: true });
});
after(async () => {
  await sshd.stop();
});

function contextOf(connection: Connection): ModuleContext {
  return { host: connection.host, facts: {} as ModuleContext['facts'], check: false, connection, run: (c, o) => connection.run(c, o), log: () => {} };
}

/** Each module's probe of state that is already right (what a second run reads). */
function probes(ctx: ModuleContext, dir: string): (() => Promise<unknown>)[] {
  const conf = join(dir, 'app.conf');
  return [
    () => file.probe({ path: conf, state: 'file' } as never, ctx),
    () => lineinfile.probe({ path: conf, line: 'key=value' } as never, ctx),
    () => blockinfile.probe({ path: conf, block: 'key=value' } as never, ctx),
    () => sysctl.probe({ values: { 'kernel.ostype': 'Linux' }, file: join(dir, 'sysctl.conf') } as never, ctx),
    () => apt.probe({ packages: ['bash', 'coreutils'] } as never, ctx),
  ];
}

/** Forks on the host while `work` runs (the two last-pid reads' own cost taken out). */
async function forksDuring(conn: Connection, work: () => Promise<void>): Promise<number> {
  const lastPid = async () => Number((await conn.run(LAST_PID)).stdout);
  const idle = (await lastPid()) - (await lastPid());
  const before = await lastPid();
  await work();
  return (await lastPid()) - before + idle;
}

async function setUp(name: string): Promise<[SshConnection, ModuleContext, string]> {
  const dir = join(sshd.dir, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'app.conf'), 'key=value\n');
  writeFileSync(join(dir, 'sysctl.conf'), 'kernel.ostype = Linux\n');
  const conn = sshTo(sshd);
  await conn.connect();
  return [conn, contextOf(conn), dir];
}

test('no-change probes of file, lineinfile, blockinfile, sysctl and apt fork nothing after the first', async () => {
  const [conn, ctx, dir] = await setUp('forks');
  try {
    const each = probes(ctx, dir);
    for (const probe of each) await probe(); // the first ones run on the shell and start the helper
    for (let i = 0; i < 100 && conn.helperStats.started === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(conn.helperStats.started, 1);
    const answered = conn.helperStats.answered;
    const forks = await forksDuring(conn, async () => {
      for (let round = 0; round < 5; round++) for (const probe of each) await probe();
    });
    assert.equal(conn.helperStats.answered - answered, 5 * each.length, 'the helper answered every probe');
    assert.equal(forks, 0);
  } finally {
    await conn.close();
  }
});

test('without python3 on the host, probes run on the shell', async () => {
  // A host whose PATH has every tool of /usr/bin but python (the local connection: over ssh, root's
  // .bashrc on this machine puts pyenv back on the PATH). The fallback is the same code for both.
  const bin = mkdtempSync(join(tmpdir(), 'steer-no-python-'));
  for (const tool of readdirSync('/usr/bin')) if (!tool.startsWith('python')) symlinkSync(join('/usr/bin', tool), join(bin, tool));
  const dir = join(bin, 'nopython');
  mkdirSync(dir);
  writeFileSync(join(dir, 'app.conf'), 'key=value\n');
  writeFileSync(join(dir, 'sysctl.conf'), 'kernel.ostype = Linux\n');
  const conn = new LocalConnection('local', { env: { ...process.env, PATH: `${bin}:/usr/sbin` } });
  try {
    await conn.connect();
    assert.equal((await conn.run(new Command('command -v python3 || echo none', 'which python3'))).stdout, 'none\n');
    const ctx = contextOf(conn);
    const states = [];
    for (let round = 0; round < 3; round++) {
      for (const probe of probes(ctx, dir)) states.push(await probe());
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal(conn.helperStats.started, 0);
    assert.equal(conn.helperStats.answered, 0);
    assert.deepEqual(states.slice(10, 14), states.slice(0, 4), 'the same state every round');
    assert.equal((states[1] as { content?: string }).content, 'key=value\n', 'lineinfile read the file');
  } finally {
    await conn.close();
    rmSync(bin, { recursive: true, force: true });
  }
});

test('a connection with few channels keeps them for its shells (no helper below 4)', async () => {
  const dir = join(sshd.dir, 'few');
  mkdirSync(dir);
  writeFileSync(join(dir, 'app.conf'), 'key=value\n');
  writeFileSync(join(dir, 'sysctl.conf'), 'kernel.ostype = Linux\n');
  const conn = sshTo(sshd, { maxChannels: 2 });
  try {
    await conn.connect();
    const ctx = contextOf(conn);
    for (let round = 0; round < 2; round++) {
      for (const probe of probes(ctx, dir)) await probe();
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal(conn.helperStats.started, 0);
    assert.ok(conn.stats.peakChannels <= 2);
  } finally {
    await conn.close();
  }
});
