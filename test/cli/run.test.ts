import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { UserError } from '../../lib/errors.js';
import { registerRunCommand } from '../../lib/cli/commands/run.js';
import type { RunOptions, RunPlan } from '../../lib/plan/plan.js';
import { clearSecrets, maskSecrets } from '../../lib/secrets/masker.js';

const fixtures = resolve(import.meta.dirname, '../fixtures');

const inventoryYaml = `all:
  children:
    web:
      hosts:
        web1:
        web2:
    db:
      hosts:
        db1:
`;

/** What the engine was handed, flattened: the loaded inputs and the options. */
type Request = RunOptions & Pick<RunPlan['input'], 'playbook' | 'inventory'> & { extraVars: Record<string, unknown>; plan: RunPlan };

interface Outcome {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  requests: Request[];
}

/** Runs `steer run ...args` in-process from `cwd`, with a stand-in engine that records requests. */
async function steerRun(args: string[], cwd = fixtures): Promise<Outcome> {
  const requests: Request[] = [];
  const program = new Command('steer').exitOverride();
  const out: string[] = [];
  const err: string[] = [];
  registerRunCommand(
    program,
    async (plan) => {
      const { playbook, inventory, extra, options } = plan.input;
      requests.push({ ...options, playbook, inventory, extraVars: extra.vars, plan });
      return 0;
    },
    { out: (line) => out.push(line + '\n'), err: (line) => err.push(line + '\n') },
  );
  const savedCwd = process.cwd();
  const savedExit = process.exitCode;
  process.chdir(cwd);
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'steer', 'run', ...args]);
    return { exitCode: process.exitCode as number | undefined, stdout: out.join(''), stderr: err.join(''), requests };
  } finally {
    process.chdir(savedCwd);
    process.exitCode = savedExit;
  }
}

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'steer-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'hosts.yaml'), inventoryYaml);
  return dir;
}

test('--help documents every option and the exit codes', () => {
  const program = new Command('steer');
  registerRunCommand(program);
  const help = program.commands.find((c) => c.name() === 'run')!.helpInformation() + '';
  for (const option of [
    '--inventory', '--limit', '--tags', '--skip-tags', '--check', '--diff', '--forks', '--extra-vars', '--list-hosts',
    '--list-tasks', '--list-tags', '--syntax-check', '--json', '--verbose', '--become-password-file', '--ask-become-pass',
    '--host-key-checking', '--retry-file', '--roles-path',
  ]) {
    assert.ok(help.includes(option), `${option} in help`);
  }
});

test('every option reaches the run request', async (t) => {
  t.after(clearSecrets);
  const dir = scratch(t);
  writeFileSync(join(dir, 'become.txt'), 'sudo-password-123\n');
  const r = await steerRun([
    'site', '-i', join(dir, 'hosts.yaml'), '-l', 'web1', '-t', 'a,b', '--tags', 'c', '--skip-tags', 'd',
    '-C', '-D', '-f', '3', '-e', 'x=1', '-e', '{"y": [2]}', '-vv', '--json', '--host-key-checking', 'accept-new',
    '--retry-file', 'out.retry', '--become-password-file', join(dir, 'become.txt'), '-e', 'api_token=abcdefgh',
  ]);
  assert.equal(r.exitCode, 0);
  assert.equal(r.requests.length, 1);
  const req = r.requests[0]!;
  assert.equal(req.playbook.path, join(fixtures, 'playbooks/site.yaml'));
  assert.deepEqual([...req.inventory.hosts.keys()], ['web1', 'web2', 'db1']);
  assert.equal(req.limit, 'web1');
  assert.deepEqual(req.tags, ['a', 'b', 'c']);
  assert.deepEqual(req.skipTags, ['d']);
  assert.equal(req.check, true);
  assert.equal(req.diff, true);
  assert.equal(req.forks, 3);
  assert.deepEqual(req.extraVars, { x: '1', y: [2], api_token: 'abcdefgh' });
  assert.equal(req.output, 'json');
  assert.equal(req.verbosity, 2);
  assert.equal(req.hostKeyChecking, 'accept-new');
  assert.equal(req.retryFile, join(fixtures, 'out.retry'));
  assert.equal(req.becomePassword, 'sudo-password-123');
  assert.equal(maskSecrets('pw sudo-password-123'), 'pw ********', 'the become password is masked');
});

test('defaults: forks 10, strict host keys, live output, no tags', async (t) => {
  const dir = scratch(t);
  const saved = process.env['STEER_BECOME_PASSWORD'];
  process.env['STEER_BECOME_PASSWORD'] = 'from-the-environment';
  t.after(() => (saved === undefined ? delete process.env['STEER_BECOME_PASSWORD'] : (process.env['STEER_BECOME_PASSWORD'] = saved)));
  t.after(clearSecrets);
  const req = (await steerRun(['site', '-i', join(dir, 'hosts.yaml'), '-e', 'api_token=abcdefgh'])).requests[0]!;
  assert.equal(req.forks, 10);
  assert.equal(req.hostKeyChecking, 'strict');
  assert.equal(req.output, 'auto');
  assert.equal(req.verbosity, 0);
  assert.equal(req.check, false);
  assert.deepEqual(req.tags, []);
  assert.equal(req.limit, undefined);
  assert.equal(req.becomePassword, 'from-the-environment');
});

test('--list-hosts prints Ansible\'s layout and runs nothing', async (t) => {
  const dir = scratch(t);
  const r = await steerRun(['site.yaml', '-i', join(dir, 'hosts.yaml'), '--list-hosts', '-l', 'web:db1']);
  assert.equal(r.requests.length, 0);
  assert.equal(r.exitCode, 0);
  assert.equal(
    r.stdout,
    [
      'playbook: playbooks/site.yaml',
      '',
      '  play #1 (all): Greet everyone\tTAGS: [hello]',
      "    pattern: ['all']",
      '    hosts (3):',
      '      web1',
      '      web2',
      '      db1',
      '',
      '  play #2 (web,!db): web,!db\tTAGS: []',
      "    pattern: ['web,!db']",
      '    hosts (2):',
      '      web1',
      '      web2',
      '',
    ].join('\n'),
  );
});

test('a pattern matching no host is a warning; a limit matching none is an error', async (t) => {
  const dir = scratch(t);
  writeFileSync(join(dir, 'pb.yaml'), '- hosts: web:nosuch\n');
  const r = await steerRun(['pb.yaml', '-i', 'hosts.yaml', '--list-hosts'], dir);
  assert.equal(r.stderr, '[WARNING]: Could not match supplied host pattern, ignoring: nosuch\n');
  assert.match(r.stdout, /hosts \(2\):/);
  await assert.rejects(steerRun(['pb.yaml', '-i', 'hosts.yaml', '--list-hosts', '-l', 'nosuch'], dir), (err: unknown) => {
    assert.ok(err instanceof UserError);
    assert.equal(err.message, "--limit 'nosuch' does not match any host (expected hosts or groups of the inventory)");
    return true;
  });
});

test('--limit @file reads one host per line', async (t) => {
  const dir = scratch(t);
  writeFileSync(join(dir, 'pb.yaml'), '- hosts: all\n');
  writeFileSync(join(dir, 'site.retry'), 'db1\nweb2\n');
  const r = await steerRun(['pb.yaml', '-i', 'hosts.yaml', '-l', '@site.retry'], dir);
  assert.equal(r.requests[0]!.limit, 'db1,web2');
  const listed = await steerRun(['pb.yaml', '-i', 'hosts.yaml', '-l', '@site.retry', '--list-hosts'], dir);
  assert.match(listed.stdout, /hosts \(2\):\n {6}web2\n {6}db1\n/);
});

test('--list-tags lists play tags, role tags and role names', async (t) => {
  const dir = scratch(t);
  const r = await steerRun(['site', '-i', join(dir, 'hosts.yaml'), '--list-tags']);
  assert.match(r.stdout, /play #1 \(all\): Greet everyone\tTAGS: \[hello\]\n {6}TASK TAGS: \[greeter, hello, k8s, versioned, versions\]\n/);
});

test('--list-tasks lists the roles of each play', async (t) => {
  const dir = scratch(t);
  const r = await steerRun(['site', '-i', join(dir, 'hosts.yaml'), '--list-tasks']);
  assert.equal(r.requests.length, 0);
  assert.match(r.stdout, /^playbook: playbooks\/site.yaml\n/);
  assert.match(r.stdout, /play #1 \(all\): Greet everyone/);
  assert.match(r.stdout, /play #2 \(web,!db\)/);
});

test('--syntax-check needs no inventory and prints the playbook', async () => {
  const r = await steerRun(['site', '--syntax-check']);
  assert.equal(r.stdout, 'playbook: playbooks/site.yaml\n');
  assert.equal(r.exitCode, 0);
});

test('--syntax-check prints every mistake of the playbook', async (t) => {
  const dir = scratch(t);
  writeFileSync(join(dir, 'pb.yaml'), '- hosts: all\n  rolez: []\n- hosts: 7\n');
  const r = await steerRun(['pb.yaml', '--syntax-check'], dir);
  assert.equal(r.exitCode, 5);
  assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('steer: pb.yaml:')).length, 2);
});

test('bad option values are one UserError each', async () => {
  for (const [args, message] of [
    [['-f', 'abc'], "invalid value for --forks: 'abc' (expected a positive integer)"],
    [['-f', '0'], "invalid value for --forks: '0' (expected a positive integer)"],
    [['--host-key-checking', 'yes'], "invalid value for --host-key-checking: 'yes' (expected one of: strict, accept-new, off)"],
  ] as [string[], string][]) {
    await assert.rejects(steerRun(['site', ...args]), { message });
  }
});

test('declared variables are checked on every host before the engine is called', async (t) => {
  const dir = scratch(t);
  await assert.rejects(steerRun(['site', '-i', join(dir, 'hosts.yaml'), '-e', 'repeat=lots']), {
    message: 'host web1: variable repeat must be integer (got string "lots") — set in extra vars (-e)',
  });
});
