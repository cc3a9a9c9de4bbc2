// `steer new role`: the skeleton's files where asked, never over existing ones, and a role that
// passes the syntax check from a folder outside this checkout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSteer } from '../support/steer-cli.js';

test('steer new role writes role.ts, variables.yaml and a test; the role passes the syntax check', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'steer-new-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const created = await runSteer(['new', 'role', 'web-server', '--path', 'infra/roles'], { cwd: dir });
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /created infra\/roles\/web-server\/: role\.ts, variables\.yaml, role\.test\.mts/);
  assert.match(created.stdout, /node --import tsx --test infra\/roles\/web-server\/role\.test\.mts/);
  assert.deepEqual(readdirSync(join(dir, 'infra/roles/web-server')).sort(), ['role.test.mts', 'role.ts', 'variables.yaml']);

  writeFileSync(join(dir, 'infra/site.yaml'), '- name: Web\n  hosts: all\n  roles: [web-server]\n');
  writeFileSync(join(dir, 'infra/hosts.ini'), 'web1 ansible_connection=local\n');
  const checked = await runSteer(['run', 'site.yaml', '-i', 'hosts.ini', '--syntax-check'], { cwd: join(dir, 'infra') });
  assert.equal(checked.code, 0, checked.stderr);

  const again = await runSteer(['new', 'role', 'web-server', '--path', 'infra/roles'], { cwd: dir });
  assert.equal(again.code, 5);
  assert.match(again.stderr, /^steer: infra\/roles\/web-server already exists and is not empty/);
  const bad = await runSteer(['new', 'role', '../escape'], { cwd: dir });
  assert.equal(bad.code, 5);
  assert.match(bad.stderr, /'\.\.\/escape' is not a role name/);
});
