// `steer vault …` and the vault options of `steer run` / `steer inventory`, through the real CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { clearSecrets } from '../../lib/secrets/masker.js';
import { setVaultPassword } from '../../lib/vault/context.js';
import { decryptVault, encryptVault } from '../../lib/vault/vault.js';
import { parseYaml } from '../../lib/yaml/load.js';
import { steerBin } from '../support/steer-cli.js';

const PASSWORD = 'correct horse';
let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'steer-vault-cli-'));
  writeFileSync(join(dir, 'pw'), `${PASSWORD}\n`);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const cleanEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of ['STEER_VAULT_PASSWORD', 'STEER_VAULT_PASSWORD_FILE', 'STEER_ROLES_PATH', 'STEER_BECOME_PASSWORD']) delete env[name];
  return env;
};

function steer(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [steerBin, ...args], {
    cwd: dir,
    input: options.input ?? '',
    env: { ...cleanEnv(), ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('encrypt, view, decrypt in place: same bytes back, mode 0600 (as ansible-vault), no temp file left', () => {
  const original = 'token: abcdef.0123456789abcdef\nbinary: "\u00e9\u2603"\n';
  writeFileSync(join(dir, 'secrets.yaml'), original);
  chmodSync(join(dir, 'secrets.yaml'), 0o640);
  const enc = steer(['vault', 'encrypt', 'secrets.yaml', '--vault-password-file', 'pw']);
  assert.equal(enc.code, 0, enc.stderr);
  const encrypted = readFileSync(join(dir, 'secrets.yaml'), 'utf8');
  assert.match(encrypted, /^\$ANSIBLE_VAULT;1\.1;AES256\n/);
  assert.equal(decryptVault(encrypted, PASSWORD).toString('utf8'), original);
  assert.equal(statSync(join(dir, 'secrets.yaml')).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.')), []);

  const again = steer(['vault', 'encrypt', 'secrets.yaml', '--vault-password-file', 'pw']);
  assert.equal(again.code, 5);
  assert.equal(again.stderr, 'steer: secrets.yaml: already encrypted with ansible-vault\n');

  const view = steer(['vault', 'view', 'secrets.yaml'], { env: { STEER_VAULT_PASSWORD: PASSWORD } });
  assert.equal(view.code, 0, view.stderr);
  assert.equal(view.stdout, original);

  const wrong = steer(['vault', 'decrypt', 'secrets.yaml'], { env: { STEER_VAULT_PASSWORD: 'nope' } });
  assert.equal(wrong.code, 5);
  assert.match(wrong.stderr, /^steer: secrets\.yaml:1:1: decryption failed: wrong vault password/);
  assert.equal(readFileSync(join(dir, 'secrets.yaml'), 'utf8'), encrypted, 'a wrong password changes nothing');

  const none = steer(['vault', 'view', 'secrets.yaml']);
  assert.equal(none.code, 5);
  assert.match(none.stderr, /^steer: no vault password given \(expected --vault-password-file FILE, --ask-vault-pass/);

  const dec = steer(['vault', 'decrypt', 'secrets.yaml', '--vault-id', `dev@${join(dir, 'pw')}`]);
  assert.equal(dec.code, 0, dec.stderr);
  assert.equal(readFileSync(join(dir, 'secrets.yaml'), 'utf8'), original);
  assert.equal(statSync(join(dir, 'secrets.yaml')).mode & 0o777, 0o600, 'the plaintext is private, however open the file was');
  const notEncrypted = steer(['vault', 'decrypt', 'secrets.yaml', '--vault-password-file', 'pw']);
  assert.equal(notEncrypted.stderr, 'steer: secrets.yaml: not encrypted with ansible-vault (expected a $ANSIBLE_VAULT header)\n');
});

test('--ask-vault-pass reads the password (twice when encrypting) and a vault id labels the header', () => {
  writeFileSync(join(dir, 'a.txt'), 'alpha\n');
  const enc = steer(['vault', 'encrypt', 'a.txt', '--ask-vault-pass', '--vault-id', 'prod@prompt'], { input: `${PASSWORD}\n${PASSWORD}\n` });
  assert.equal(enc.code, 0, enc.stderr);
  assert.match(readFileSync(join(dir, 'a.txt'), 'utf8'), /^\$ANSIBLE_VAULT;1\.2;AES256;prod\n/);
  const mismatch = steer(['vault', 'encrypt-string', 'x', '--ask-vault-pass'], { input: 'one\ntwo\n' });
  assert.equal(mismatch.code, 5);
  assert.equal(mismatch.stderr, 'steer: the vault passwords do not match\n');
  const view = steer(['vault', 'view', 'a.txt', '-J'], { input: `${PASSWORD}\n` });
  assert.equal(view.stdout, 'alpha\n');
});

test('encrypt-string prints a `!vault |` value that the YAML loader opens', (t) => {
  t.after(() => {
    setVaultPassword(undefined);
    clearSecrets();
  });
  const value = `it's $(rm -rf /) "quoted"\nline 2`;
  const r = steer(['vault', 'encrypt-string', value, '--name', 'kubeadm_token', '--vault-password-file', 'pw']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^kubeadm_token: !vault \|\n {10}\$ANSIBLE_VAULT;1\.1;AES256\n( {10}[0-9a-f]{1,80}\n)+$/);
  setVaultPassword(PASSWORD);
  assert.deepEqual(parseYaml(r.stdout, 'v.yaml').value, { kubeadm_token: value });
  const fromStdin = steer(['vault', 'encrypt-string', '--vault-password-file', 'pw'], { input: 'piped' });
  assert.match(fromStdin.stdout, /^!vault \|\n/);
  assert.deepEqual(parseYaml(`v: ${fromStdin.stdout}`, 'v.yaml').value, { v: 'piped' });
  const badName = steer(['vault', 'encrypt-string', 'x', '--name', '1bad', '--vault-password-file', 'pw']);
  assert.equal(badName.code, 5);
});

test('steer inventory and steer run read vaulted files; values are masked; no password is a located error', () => {
  const secret = 'cluster-join-token-42';
  writeFileSync(
    join(dir, 'hosts.yaml'),
    `all:\n  hosts:\n    node1:\n      join_token: !vault |\n${encryptVault(secret, PASSWORD).trimEnd().split('\n').map((l) => `        ${l}`).join('\n')}\n`,
  );
  const inv = steer(['inventory', '-i', 'hosts.yaml', '--host', 'node1', '--vault-password-file', 'pw']);
  assert.equal(inv.code, 0, inv.stderr);
  assert.deepEqual(JSON.parse(inv.stdout), { join_token: '********' });
  assert.ok(!inv.stdout.includes(secret));
  const noPw = steer(['inventory', '-i', 'hosts.yaml', '--list']);
  assert.equal(noPw.code, 5);
  assert.equal(noPw.stderr, 'steer: hosts.yaml:4:19: encrypted with ansible-vault: give --vault-password-file or --ask-vault-pass\n');

  writeFileSync(join(dir, 'extra.yaml'), encryptVault(`api_key: ${secret}\n`, PASSWORD));
  writeFileSync(join(dir, 'play.yaml'), '- hosts: all\n  roles: []\n');
  const check = steer(['run', 'play.yaml', '--syntax-check', '-e', '@extra.yaml'], { env: { STEER_VAULT_PASSWORD_FILE: join(dir, 'pw') } });
  assert.equal(check.code, 0, check.stderr);
  assert.equal(check.stdout, 'playbook: play.yaml\n');
  const missing = steer(['run', 'play.yaml', '--syntax-check', '-e', '@extra.yaml']);
  assert.equal(missing.code, 5);
  assert.equal(missing.stderr, 'steer: extra.yaml:1:1: encrypted with ansible-vault: give --vault-password-file or --ask-vault-pass\n');
});
