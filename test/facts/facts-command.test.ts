import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort, startSshd, type Sshd } from '../support/sshd.js';

const root = new URL('../..', import.meta.url).pathname;
let sshd: Sshd;
let inventory: string;

before(async () => {
  sshd = await startSshd();
  const closed = await freePort();
  inventory = join(sshd.dir, 'inventory.yaml');
  const common = [
    '      ansible_host: 127.0.0.1',
    `      ansible_user: ${userInfo().username}`,
    `      ansible_ssh_private_key_file: ${sshd.clientKeyPath}`,
    `      steer_known_hosts: ${sshd.knownHostsPath}`,
  ];
  writeFileSync(
    inventory,
    [
      'all:',
      '  children:',
      '    lab:',
      '      hosts:',
      '        node1:',
      `          ansible_port: ${sshd.port}`,
      '        node2:',
      `          ansible_port: ${sshd.port}`,
      '        gone:',
      `          ansible_port: ${closed}`,
      '      vars:',
      ...common.map((l) => `  ${l}`),
      '    controller:',
      '      hosts:',
      '        here:',
      '          ansible_connection: local',
      '',
    ].join('\n'),
  );
});
after(async () => {
  await sshd?.stop();
});

function steer(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // HOME points into the temp folder: the user's ~/.ssh/config is never read.
    const child = spawn(process.execPath, [join(root, 'bin/steer.js'), ...args], { cwd: root, env: { ...process.env, HOME: sshd.dir, SSH_AUTH_SOCK: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('steer facts --json gathers every host in parallel and reports the unreachable one', async () => {
  const r = await steer(['facts', '-i', inventory, '--json']);
  assert.equal(r.code, 4, r.stderr);
  const report = JSON.parse(r.stdout) as { facts: Record<string, { user: string; bootId: string }>; errors: Record<string, { code: string; unreachable: boolean }> };
  assert.deepEqual(Object.keys(report.facts).sort(), ['here', 'node1', 'node2']);
  assert.equal(report.facts.node1!.user, userInfo().username);
  assert.equal(report.facts.node1!.bootId, report.facts.here!.bootId); // the same machine
  assert.deepEqual(Object.keys(report.errors), ['gone']);
  assert.equal(report.errors.gone!.code, 'HOST_UNREACHABLE');
  assert.equal(report.errors.gone!.unreachable, true);
});

test('steer facts prints a table, limited with -l', async () => {
  const r = await steer(['facts', '-i', inventory, '-l', 'lab:!gone']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^HOST\s+OS\s+ARCH\s+KERNEL\s+CGROUP\s+MEMORY\s+SWAP\s+IP$/);
  assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/)[0]), ['node1', 'node2']);
  assert.match(lines[1]!, / MB /);
});
