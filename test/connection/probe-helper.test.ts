// The resident probe helper answers each op with exactly the bytes and exit status of the shell
// section it replaces: the same probe is run once on the shell (its text alone) and once through the
// helper, on the same tricky paths, keys and folders.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, lchownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Command } from '../../lib/command/command.js';
import { readCommand, statCommand } from '../../lib/connection/host-functions.js';
import { withOp, type ProbeOp, type ReadOp } from '../../lib/connection/host-ops.js';
import { ProbeHelpers } from '../../lib/connection/probe-helper.js';
import { LocalConnection } from '../../lib/connection/local.js';
import { parseProbeOutput, probeCommand, PROBE_TIMEOUT_MS, type Sections } from '../../lib/modules/probe.js';
import { sh } from '../../lib/command/command.js';
import { packagePath } from '../../lib/package-root.js';
import { dpkgQuery } from '../../lib/modules/apt.js';

const NOBODY = 65534;
let dir: string;
let conn: LocalConnection;

/** Runs `sections` on the shell and through the helper; both outputs, parsed. */
async function both(sections: Sections): Promise<[shell: string, helper: string]> {
  const probe = probeCommand(sections);
  assert.ok(probe.op, 'every section has an op');
  const shell = await conn.run(new Command(probe.text, probe.display), { timeoutMs: PROBE_TIMEOUT_MS });
  const answered = conn.helperStats.answered;
  const helper = await conn.run(probe, { timeoutMs: PROBE_TIMEOUT_MS });
  assert.equal(conn.helperStats.answered, answered + 1, 'the helper answered');
  return [shell.stdout, helper.stdout];
}

/** Waits until the helper of the login user runs (started by the first probe on the shell). */
async function helperReady(): Promise<void> {
  await conn.run(probeCommand({ a: statCommand('/', 1, false) }), { timeoutMs: PROBE_TIMEOUT_MS });
  for (let i = 0; i < 200 && conn.helperStats.started === 0; i++) await new Promise((r) => setTimeout(r, 25));
  assert.equal(conn.helperStats.started, 1);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steer-helper-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'dir'));
  writeFileSync(join(dir, 'file'), 'key=value\n');
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, 'binary'), Buffer.from([0, 255, 10, 13, 128, 0, 1, 2, 3]));
  writeFileSync(join(dir, 'big'), 'x'.repeat(5000));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  symlinkSync(join(dir, 'file'), join(dir, 'link'));
  symlinkSync('dir', join(dir, 'dirlink'));
  symlinkSync('loop2', join(dir, 'loop1'));
  symlinkSync('loop1', join(dir, 'loop2'));
  symlinkSync('nowhere/x', join(dir, 'dangling'));
  mkdirSync(join(dir, 'sticky'));
  chmodSync(join(dir, 'sticky'), 0o1777);
  symlinkSync(join(dir, 'file'), join(dir, 'sticky', 'theirs'));
  lchownSync(join(dir, 'sticky', 'theirs'), NOBODY, NOBODY);
  symlinkSync(join(dir, 'dir'), join(dir, 'sticky', 'theirdir'));
  lchownSync(join(dir, 'sticky', 'theirdir'), NOBODY, NOBODY);
  mkdirSync(join(dir, 'lists'));
  conn = new LocalConnection('local');
  await helperReady();
});

after(async () => {
  await conn.close();
  rmSync(dir, { recursive: true, force: true });
});

const paths = () => [
  'missing',
  'nofolder/x',
  'dir',
  'dir/',
  'dir/../file',
  'fifo',
  'empty',
  'binary',
  'big',
  'file',
  'file/',
  'file/x',
  'link',
  'dirlink/',
  'loop1',
  'dangling',
  'sticky/theirs',
  'sticky/theirdir/x',
].map((p) => join(dir, p));

describe('file ops: __steer_stat and __steer_read', () => {
  for (const [label, make] of [
    ['stat', (p: string) => statCommand(p, 100, false)],
    ['stat with hash', (p: string) => statCommand(p, 100, true)],
    ['stat over the limit', (p: string) => statCommand(p, 3, false)],
    ['read', (p: string) => readCommand(p, 4097)],
    ['read over the limit', (p: string) => readCommand(p, 4)],
  ] as const) {
    test(label, async () => {
      const sections = Object.fromEntries(paths().map((p, i) => [`p${i}`, make(p)]));
      const extra = { root: make('/'), dev: make('/dev/null'), relative: make('relative/path'), dotdot: make('/..') };
      const [shell, helper] = await both({ ...sections, ...extra });
      assert.equal(helper, shell);
      const out = parseProbeOutput(helper);
      if (label === 'stat') {
        assert.match(out['p16']!.text, /^symbolic link\|777\|65534\|/, 'the untrusted symlink is described');
        assert.match(out['p17']!.text, /^refused\|.*another user could have made or changed/);
        assert.match(out['p14']!.text, /^refused\|.*cannot resolve the symlink/);
        assert.match(out['p5']!.text, /^fifo\|/);
      }
    });
  }
});

describe('sysctl -n', () => {
  const sysctl = (key: string) => withOp(sh`sysctl -n -- ${key}`, { op: 'sysctl', key });
  test('a value, a multi-value key and an unknown key', async () => {
    const [shell, helper] = await both({ one: sysctl('kernel.ostype'), range: sysctl('net.ipv4.ip_local_port_range'), none: sysctl('net.nosuch.key') });
    assert.equal(helper, shell);
    assert.equal(parseProbeOutput(helper)['none']!.code, 1);
  });
  test('a folder key goes to the shell', async () => {
    const probe = probeCommand({ folder: sysctl('net.ipv4.conf') });
    const answered = conn.helperStats.answered;
    const r = await conn.run(probe, { timeoutMs: PROBE_TIMEOUT_MS });
    assert.equal(conn.helperStats.answered, answered);
    assert.match(parseProbeOutput(r.stdout)['folder']!.text, /\n.*\n/);
  });
});

describe("apt's other sections", () => {
  const op = (command: Command, o: ReadOp) => withOp(command, o);
  test('mtimes and counting list files, with and without matches', async () => {
    const missing = join(dir, 'missing');
    const lists = join(dir, 'lists');
    const sections = {
      both: op(sh`stat -c %Y ${[join(dir, 'file'), join(dir, 'dir')]}`, { op: 'mtimes', paths: [join(dir, 'file'), join(dir, 'dir')] }),
      one: op(sh`stat -c %Y ${[missing, join(dir, 'dir')]}`, { op: 'mtimes', paths: [missing, join(dir, 'dir')] }),
      none: op(sh`ls ${lists} | grep -c _Packages`, { op: 'count', folder: lists, word: '_Packages' }),
      gone: op(sh`ls ${missing} | grep -c _Packages`, { op: 'count', folder: missing, word: '_Packages' }),
    };
    let [shell, helper] = await both(sections);
    assert.equal(helper, shell);
    writeFileSync(join(lists, 'deb_dists_main_binary-arm64_Packages'), '');
    writeFileSync(join(lists, 'deb_dists_Release'), '');
    writeFileSync(join(lists, '.hidden_Packages'), '');
    [shell, helper] = await both(sections);
    assert.equal(helper, shell);
    assert.equal(parseProbeOutput(helper)['none']!.text, '1\n');
  });
  test('date +%s', async () => {
    const [shell, helper] = await both({ now: op(sh`date +%s`, { op: 'now' }) });
    const [a, b] = [shell, helper].map((o) => Number(parseProbeOutput(o)['now']!.text));
    assert.ok(Math.abs(a! - b!) <= 1, `${a} ~ ${b}`);
  });
});

describe('dpkg-query -W, on a scratch dpkg database', () => {
  const stanza = (pkg: string, status: string, version?: string, arch = 'amd64') =>
    `Package: ${pkg}\nStatus: ${status}\nPriority: optional\nArchitecture: ${arch}\n${version ? `Version: ${version}\n` : ''}Description: ${pkg}\n more text\n .\n end\n`;
  let admin: string;
  before(() => {
    admin = join(dir, 'dpkg');
    mkdirSync(join(admin, 'updates'), { recursive: true });
    writeFileSync(
      join(admin, 'status'),
      [
        stanza('zeta', 'install ok installed', '1:2.0-1+b1'),
        stanza('held', 'hold ok installed', '3.1', 'all'),
        stanza('gone', 'deinstall ok config-files', '0.9'),
        stanza('broken', 'install reinstreq half-installed', '1.0'),
        stanza('purged', 'purge ok not-installed'),
        stanza('alpha', 'install ok installed', '1.0'),
      ].join('\n'),
    );
    // A pending journal entry (dpkg was interrupted): it overrides the status file.
    writeFileSync(join(admin, 'updates', '0001'), stanza('alpha', 'install ok unpacked', '1.1'));
  });
  test('installed, held, config files left, half-installed and a pending update', async () => {
    const [shell, helper] = await both({ dpkg: dpkgQuery(['zeta', 'held', 'gone', 'broken', 'alpha'], admin), one: dpkgQuery(['alpha'], admin) });
    assert.equal(helper, shell);
    assert.equal(parseProbeOutput(helper)['dpkg']!.text, 'alpha\tiU \t1.1\nbroken\tiHR\t1.0\ngone\trc \t0.9\nheld\thi \t3.1\nzeta\tii \t1:2.0-1+b1\n');
  });
  test('an unknown or not-installed package goes to the shell', async () => {
    for (const names of [['zeta', 'nosuch'], ['purged']]) {
      const answered = conn.helperStats.answered;
      const r = await conn.run(probeCommand({ dpkg: dpkgQuery(names, admin) }), { timeoutMs: PROBE_TIMEOUT_MS });
      assert.equal(conn.helperStats.answered, answered);
      assert.equal(parseProbeOutput(r.stdout)['dpkg']!.code, names[0] === 'zeta' ? 1 : 0);
    }
  });
});

test('the helper never forks: no process-starting call in its source', () => {
  const source = readFileSync(packagePath('lib', 'connection', 'probe-helper.py'), 'utf8');
  for (const call of [/\bsubprocess\b/, /\bos\.(system|fork|forkpty|popen|exec\w*|spawn\w*|posix_spawn\w*)\b/, /\bimport\s+(pty|multiprocessing|ctypes|asyncio)\b/, /__import__|importlib/]) {
    assert.doesNotMatch(source, call);
  }
  assert.deepEqual(source.match(/^import \w+$/gm), ['import base64', 'import grp', 'import hashlib', 'import json', 'import os', 'import pwd', 'import stat', 'import sys', 'import time']);
});

test('a probe the helper does not answer in time: the helper is killed and the shell answers', async () => {
  // A real python3 that says hello and then never answers (as a helper stuck on a hung mount would).
  const { spawn } = await import('node:child_process');
  const children: import('node:child_process').ChildProcess[] = [];
  const helpers = new ProbeHelpers({
    host: 'local',
    log: () => {},
    start: async () => {
      const child = spawn('python3', ['-c', 'import sys,time\nn=int(sys.stdin.buffer.readline());sys.stdin.buffer.read(n)\nprint("steer-probe-helper 1",flush=True)\ntime.sleep(600)']);
      children.push(child);
      return { stdin: child.stdin, stdout: child.stdout, destroy: () => child.kill('SIGKILL'), onClose: (l) => child.once('close', l) };
    },
  });
  const probe = probeCommand({ a: statCommand('/', 1, false) }).op as ProbeOp;
  assert.equal(await helpers.run('', probe, 200), undefined, 'no helper before warm()');
  helpers.warm('');
  for (let i = 0; i < 200 && helpers.stats.started === 0; i++) await new Promise((r) => setTimeout(r, 25));
  assert.equal(helpers.stats.started, 1);
  assert.equal(await helpers.run('', probe, 300), undefined, 'the probe goes back to the shell');
  await new Promise((r) => setTimeout(r, 100));
  assert.notEqual(children[0]!.signalCode ?? children[0]!.exitCode, null, 'the helper was killed');
  helpers.warm('');
  assert.equal(await helpers.run('', probe, 300), undefined, 'and is not started again on this connection');
  assert.equal(children.length, 1);
  helpers.closeAll();
});

test("the helper imports nothing from the folder it starts in (python3 -I)", async () => {
  const planted = mkdtempSync(join(tmpdir(), 'steer-planted-'));
  const marker = join(planted, 'imported');
  for (const module of ['json', 'base64', 'hashlib', 'stat']) writeFileSync(join(planted, `${module}.py`), `open(${JSON.stringify(marker)}, 'w').close()\n`);
  const cwd = process.cwd();
  process.chdir(planted);
  const local = new LocalConnection('local');
  try {
    const probe = probeCommand({ a: statCommand('/', 1, false) });
    await local.run(probe, { timeoutMs: PROBE_TIMEOUT_MS });
    for (let i = 0; i < 200 && local.helperStats.started === 0; i++) await new Promise((r) => setTimeout(r, 25));
    await local.run(probe, { timeoutMs: PROBE_TIMEOUT_MS });
    assert.equal(local.helperStats.answered, 1);
    assert.throws(() => readFileSync(marker), /ENOENT/);
  } finally {
    process.chdir(cwd);
    await local.close();
    rmSync(planted, { recursive: true, force: true });
  }
});
