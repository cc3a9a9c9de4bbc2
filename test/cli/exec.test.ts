// `steer exec`: ad-hoc commands and module calls on "hosts" that run on the controller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseModuleArgs } from '../../lib/cli/commands/exec.js';
import { recapOf, repoRoot, runSteer } from '../support/steer-cli.js';

const hosts = join(repoRoot, 'test/fixtures/policy/hosts.ini');

test('a command runs on every host of the pattern, its output shown under each host', async () => {
  const r = await runSteer(['exec', 'h1:h3', '-i', hosts, '--', 'echo hello from', '$((6 * 7))']);
  assert.equal(r.code, 0, r.stderr);
  for (const h of ['h1', 'h3']) assert.match(r.stdout, new RegExp(`\\[${h}\\]\\n  hello from 42\\n`));
  const json = await runSteer(['exec', 'h1:h3', '-i', hosts, '--json', '--', 'true']);
  assert.deepEqual(Object.keys(recapOf(json.events).hosts), ['h1', 'h3']);
});

test('a failing command fails its host (exit 2) and still shows what it printed; -l narrows', async () => {
  const r = await runSteer(['exec', 'all', '-i', hosts, '-l', 'h2', '--', 'echo oops >&2; exit 3']);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /failed: \[h2\] ad-hoc : \$ echo oops >&2; exit 3 => command failed \(exit 3\)/);
  assert.match(r.stdout, /\[h2\]\n  oops\n/);
  assert.doesNotMatch(r.stdout, /\[h1\]/);
  // Ad-hoc runs write no retry file (once, a rename put a plain file in place of /dev/null).
  assert.doesNotMatch(r.stdout, /to retry, use/);
  assert.ok(lstatSync('/dev/null').isCharacterDevice());
});

test('a module call: -m file -a k=v, with --check and --diff', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'steer-exec-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const path = join(out, 'motd');
  const args = ['exec', 'h1', '-i', hosts, '-m', 'file', '-a', `path=${path} content='hello world' mode=0640`];
  const check = await runSteer([...args, '--check', '--diff']);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /would change: \[h1\] ad-hoc : file/);
  assert.match(check.stdout, /\+hello world/);
  const real = await runSteer(args);
  assert.equal(real.code, 0, real.stderr);
  assert.equal(readFileSync(path, 'utf8'), 'hello world');
  assert.match((await runSteer(args)).stdout, /ok=1 +changed=0/);
});

test('check mode lists the command as "would run" and runs nothing', async () => {
  const r = await runSteer(['exec', 'h1', '-i', hosts, '-C', '--', 'touch /nonexistent-dir/x']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /would run: touch \/nonexistent-dir\/x/);
});

test('mistakes are one message and exit 5', async () => {
  for (const [args, message] of [
    [['exec', 'all', '-i', hosts, '-m', 'nosuch'], /unknown module 'nosuch' \(known: file, directory/],
    [['exec', 'all', '-i', hosts], /nothing to run: give a command after -- or a module with -m/],
    [['exec', 'nosuchhost', '-i', hosts, '--', 'true'], /host pattern 'nosuchhost' matches no host/],
  ] as [string[], RegExp][]) {
    const r = await runSteer(args);
    assert.equal(r.code, 5, args.join(' '));
    assert.match(r.stderr, message);
  }
});

test('-a: k=v pairs with typed booleans and integers (modes stay text), or inline JSON', () => {
  assert.deepEqual(parseModuleArgs("unit=kubelet enabled=yes port=6443 mode=0644 name='a b'"), { unit: 'kubelet', enabled: true, port: 6443, mode: '0644', name: 'a b' });
  assert.deepEqual(parseModuleArgs('{"values": {"a": 1}}'), { values: { a: 1 } });
  assert.throws(() => parseModuleArgs('novalue'), /invalid -a 'novalue'/);
});
