// Interoperability with Debian's ansible-core, both ways: files encrypted by ansible-vault open with
// steer and the other way round; ansible-vault encrypt_string values are read in a steer inventory,
// and steer's encrypt-string values by ansible-inventory and ansible.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { loadInventorySync } from '../../lib/inventory/load.js';
import { clearSecrets } from '../../lib/secrets/masker.js';
import { setVaultPassword } from '../../lib/vault/context.js';
import { steerBin } from '../support/steer-cli.js';

const PASSWORD = 'interop-pass';
let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'steer-vault-ansible-'));
  writeFileSync(join(dir, 'pw'), `${PASSWORD}\n`);
});
after(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  setVaultPassword(undefined);
  clearSecrets();
});

function exec(command: string, args: string[], input = '') {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_LOCALHOST_WARNING: 'False',
    ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False',
    ANSIBLE_CONFIG: join(dir, 'none.cfg'),
    ANSIBLE_LOCAL_TEMP: join(dir, '.ansible-tmp'),
    ANSIBLE_HOME: join(dir, '.ansible'),
  };
  delete env['STEER_VAULT_PASSWORD'];
  delete env['STEER_VAULT_PASSWORD_FILE'];
  const r = spawnSync(command, args, { cwd: dir, input, env, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `${command} ${args.join(' ')}:\n${r.stderr}`);
  return r.stdout;
}

const steer = (...args: string[]) => exec(process.execPath, [steerBin, ...args]);

/** Bytes that exercise the format: non-ASCII, a block-sized chunk, no final newline. */
const CONTENT = 'kubeadm_token: abcdef.0123456789abcdef\nnote: "caf\u00e9 \u2603 $(x) `y`"\npad: 0123456789abcdef';

test('a file encrypted by ansible-vault: steer views and decrypts it byte for byte', () => {
  for (const [name, idArgs] of [
    ['plain11.yaml', []],
    ['label12.yaml', ['--vault-id', `lab@${join(dir, 'pw')}`, '--encrypt-vault-id', 'lab']],
  ] as const) {
    writeFileSync(join(dir, name), CONTENT);
    exec('ansible-vault', ['encrypt', ...(idArgs.length ? idArgs : ['--vault-password-file', 'pw']), name]);
    assert.match(readFileSync(join(dir, name), 'utf8'), idArgs.length ? /^\$ANSIBLE_VAULT;1\.2;AES256;lab\n/ : /^\$ANSIBLE_VAULT;1\.1;AES256\n/);
    assert.equal(steer('vault', 'view', name, '--vault-password-file', 'pw'), CONTENT);
    steer('vault', 'decrypt', name, '--vault-password-file', 'pw');
    assert.equal(readFileSync(join(dir, name), 'utf8'), CONTENT);
  }
});

test('a file encrypted by steer: ansible-vault views and decrypts it byte for byte', () => {
  writeFileSync(join(dir, 'by-steer.yaml'), CONTENT);
  steer('vault', 'encrypt', 'by-steer.yaml', '--vault-password-file', 'pw');
  // ansible-vault view ends what it shows with a newline of its own.
  assert.equal(exec('ansible-vault', ['view', '--vault-password-file', 'pw', 'by-steer.yaml']), `${CONTENT}\n`);
  exec('ansible-vault', ['decrypt', '--vault-password-file', 'pw', 'by-steer.yaml']);
  assert.equal(readFileSync(join(dir, 'by-steer.yaml'), 'utf8'), CONTENT);

  writeFileSync(join(dir, 'labelled.yaml'), CONTENT);
  steer('vault', 'encrypt', 'labelled.yaml', '--vault-id', 'prod@pw');
  assert.match(readFileSync(join(dir, 'labelled.yaml'), 'utf8'), /^\$ANSIBLE_VAULT;1\.2;AES256;prod\n/);
  assert.equal(exec('ansible-vault', ['view', '--vault-id', 'prod@pw', 'labelled.yaml']), `${CONTENT}\n`);
});

test('ansible-vault encrypt_string output, pasted in an inventory, is read by steer', () => {
  const block = exec('ansible-vault', ['encrypt_string', '--vault-password-file', 'pw', '--name', 'join_token', "s3cret 'quoted' $(x)"]);
  assert.match(block, /^join_token: !vault \|\n/);
  const indented = block.trimEnd().split('\n').map((l) => `      ${l}`).join('\n');
  writeFileSync(join(dir, 'inv.yaml'), `all:\n  hosts:\n    node1:\n${indented}\n      plain: visible\n`);
  setVaultPassword(PASSWORD);
  const inventory = loadInventorySync([join(dir, 'inv.yaml')]);
  assert.deepEqual(inventory.hostVars('node1'), { join_token: "s3cret 'quoted' $(x)", plain: 'visible' });
  // And a whole group_vars file encrypted by ansible-vault.
  writeFileSync(join(dir, 'group_vars.yaml'), 'db_password: from-ansible-group-vars\n');
  exec('ansible-vault', ['encrypt', '--vault-password-file', 'pw', 'group_vars.yaml']);
  exec('mkdir', ['-p', 'group_vars']);
  exec('mv', ['group_vars.yaml', 'group_vars/all.yaml']);
  assert.equal(loadInventorySync([join(dir, 'inv.yaml')]).hostVars('node1')['db_password'], 'from-ansible-group-vars');
});

test("steer's encrypt-string output is read by ansible-inventory and decrypted by ansible", () => {
  const value = "from steer: 'q' \"dq\" $(x) caf\u00e9";
  const block = steer('vault', 'encrypt-string', value, '--name', 'api_key', '--vault-password-file', 'pw');
  const indented = block.trimEnd().split('\n').map((l) => `      ${l}`).join('\n');
  writeFileSync(join(dir, 'steer-inv.yaml'), `all:\n  hosts:\n    web1:\n${indented}\n`);
  const listed = JSON.parse(exec('ansible-inventory', ['-i', 'steer-inv.yaml', '--host', 'web1', '--vault-password-file', 'pw'])) as {
    api_key: { __ansible_vault: string };
  };
  const ours = block.split('\n').slice(1).map((l) => l.trim()).filter(Boolean).join('\n') + '\n';
  assert.equal(listed.api_key.__ansible_vault, ours, 'ansible-inventory parsed the !vault value');
  const shown = exec('ansible', ['web1', '-i', 'steer-inv.yaml', '-m', 'debug', '-a', 'var=api_key', '--vault-password-file', 'pw']);
  const json = JSON.parse(shown.slice(shown.indexOf('{'))) as { api_key: string };
  assert.equal(json.api_key, value);
});

test('steer vault writes files with the modes ansible-vault gives them (0600 for the plaintext)', () => {
  const modes = (tool: 'ansible' | 'steer') => {
    const name = `${tool}-modes.yaml`;
    writeFileSync(join(dir, name), CONTENT);
    chmodSync(join(dir, name), 0o644);
    const run = (action: string) => (tool === 'steer' ? steer('vault', action, '--vault-password-file', 'pw', name) : exec('ansible-vault', [action, '--vault-password-file', 'pw', name]));
    run('encrypt');
    const encrypted = statSync(join(dir, name)).mode & 0o777;
    run('decrypt');
    return { encrypted, decrypted: statSync(join(dir, name)).mode & 0o777 };
  };
  assert.deepEqual(modes('steer'), modes('ansible'));
  assert.deepEqual(modes('steer'), { encrypted: 0o600, decrypted: 0o600 });
});
