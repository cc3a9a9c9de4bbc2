// ansible-vault's format without Ansible: known ciphertexts made by ansible-vault open, our output
// has its shape, and every loader reads whole encrypted files and `!vault` values, masked, with a
// located error when the password is missing or wrong.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { UserError, formatUserMessage } from '../../lib/errors.js';
import { loadInventorySync } from '../../lib/inventory/load.js';
import { loadPlaybook } from '../../lib/playbook/load.js';
import { MASK, clearSecrets, maskSecrets } from '../../lib/secrets/masker.js';
import { NO_VAULT_PASSWORD, setVaultPassword } from '../../lib/vault/context.js';
import { readVaultPasswordFile, resolveVaultPassword } from '../../lib/vault/password.js';
import { VaultError, decryptVault, encryptVault, isVaultText, parseVaultEnvelope } from '../../lib/vault/vault.js';
import { parseExtraVars } from '../../lib/vars/extra-vars.js';
import { parseYaml } from '../../lib/yaml/load.js';

const PASSWORD = 'hunter22';

/** `printf 'plain\n' > f; ansible-vault encrypt --vault-password-file pw f` (ansible-core 2.14). */
const FROM_ANSIBLE_11 = `$ANSIBLE_VAULT;1.1;AES256
38623665626264666566356662666438653762393230333130346432623561346530383466633134
3264323731623431653036616534653634396332396439380a353664616331366438666436363463
63376666396661383463313365343732386364643636646661383435613063356539376363323061
3166663634643761350a366437646530656266313333333536336437666163396435633238623035
3565
`;

/** The same with `--vault-id lab@pw --encrypt-vault-id lab`: a 1.2 header with its label. */
const FROM_ANSIBLE_12 = `$ANSIBLE_VAULT;1.2;AES256;lab
62306331343735613064616238313835386630626634363363653036623333303136396335666232
6163653063306231383835646439643638626238623733350a303530656161636530363735626465
31623836343936646464353761343461316462626161633931383834633530613361616564613863
6466626164646131660a313664633430623638653831343532613531303630303933393337303861
36373263313338383364666236626436363134383831613933323338373862313037656164663265
6230613336353639636635326635353332373735336134303566
`;

function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a UserError');
}

async function userErrorAsync(fn: () => Promise<unknown>): Promise<UserError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a UserError');
}

/** A `!vault |` block indented under a key, as encrypt_string prints it. */
function vaultValue(plaintext: string, indent = '  '): string {
  return `!vault |\n${encryptVault(plaintext, PASSWORD)
    .trimEnd()
    .split('\n')
    .map((l) => `${indent}  ${l}`)
    .join('\n')}`;
}

describe('format', () => {
  test('decrypts what ansible-vault wrote (1.1 and 1.2 with a label)', () => {
    assert.equal(decryptVault(FROM_ANSIBLE_11, PASSWORD).toString(), 'plain\n');
    assert.equal(decryptVault(FROM_ANSIBLE_12, PASSWORD).toString(), 'db_password: "s3cr3t-from-ansible"\nport: 5432\n');
    assert.deepEqual(parseVaultEnvelope(FROM_ANSIBLE_12), { version: '1.2', cipher: 'AES256', label: 'lab', payload: parseVaultEnvelope(FROM_ANSIBLE_12).payload });
  });

  test('writes the shape ansible-vault writes: header, 80-column hex lines, final newline', () => {
    const text = encryptVault('x'.repeat(200), PASSWORD);
    const lines = text.split('\n');
    assert.equal(lines[0], '$ANSIBLE_VAULT;1.1;AES256');
    assert.equal(lines.at(-1), '', 'ends with a newline');
    const body = lines.slice(1, -1);
    assert.ok(body.slice(0, -1).every((l) => l.length === 80 && /^[0-9a-f]+$/.test(l)));
    assert.ok(body.at(-1)!.length <= 80);
    assert.equal(encryptVault('x', PASSWORD, { label: 'prod' }).split('\n')[0], '$ANSIBLE_VAULT;1.2;AES256;prod');
    assert.equal(encryptVault('x', PASSWORD, { label: 'default' }).split('\n')[0], '$ANSIBLE_VAULT;1.1;AES256');
  });

  test('round-trips any bytes, including empty and block-sized plaintexts', () => {
    for (const plain of [Buffer.alloc(0), Buffer.alloc(16, 7), Buffer.from('ü€\u0000\n'), Buffer.from([0xff, 0x00, 0x10])]) {
      assert.deepEqual(decryptVault(encryptVault(plain, PASSWORD), PASSWORD), plain);
    }
  });

  test('a fixed salt gives a fixed output; a fresh salt each time otherwise', () => {
    const salt = Buffer.alloc(32, 1);
    assert.equal(encryptVault('v', PASSWORD, { salt }), encryptVault('v', PASSWORD, { salt }));
    assert.notEqual(encryptVault('v', PASSWORD), encryptVault('v', PASSWORD));
  });

  test('a wrong password, a changed byte or a damaged payload is refused', () => {
    const reason = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        assert.ok(err instanceof VaultError);
        return err.reason;
      }
      assert.fail('expected a VaultError');
    };
    assert.equal(reason(() => decryptVault(FROM_ANSIBLE_11, 'wrong')), 'password');
    // One ciphertext byte changed (the payload stays well-formed): the HMAC no longer matches.
    const [salt, mac, ciphertext] = Buffer.from(parseVaultEnvelope(FROM_ANSIBLE_11).payload, 'hex').toString().split('\n') as [string, string, string];
    const changed = (ciphertext[0] === '0' ? '1' : '0') + ciphertext.slice(1);
    const tampered = `$ANSIBLE_VAULT;1.1;AES256\n${Buffer.from([salt, mac, changed].join('\n')).toString('hex')}\n`;
    assert.equal(reason(() => decryptVault(tampered, PASSWORD)), 'password');
    assert.equal(reason(() => decryptVault('$ANSIBLE_VAULT;1.1;AES256\nzz\n', PASSWORD)), 'format');
    assert.equal(reason(() => decryptVault('$ANSIBLE_VAULT;1.1;AES256\n6162\n', PASSWORD)), 'format');
    assert.equal(reason(() => decryptVault('$ANSIBLE_VAULT;2.0;AES256\n', PASSWORD)), 'format');
    assert.equal(reason(() => decryptVault('$ANSIBLE_VAULT;1.1;AES128\n', PASSWORD)), 'format');
    assert.equal(reason(() => decryptVault(FROM_ANSIBLE_11, '')), 'password');
    assert.equal(isVaultText(FROM_ANSIBLE_11), true);
    assert.equal(isVaultText('key: $ANSIBLE_VAULT'), false);
  });
});

describe('loaders', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'steer-vault-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    setVaultPassword(undefined);
    clearSecrets();
  });

  test('a `!vault` value is decrypted in place and masked from then on', () => {
    setVaultPassword(PASSWORD);
    const file = parseYaml(`plain: visible\ntoken: ${vaultValue('abcdef.0123456789abcdef')}\nafter: 1\n`, 'vars.yaml');
    assert.deepEqual(file.value, { plain: 'visible', token: 'abcdef.0123456789abcdef', after: 1 });
    assert.equal(maskSecrets('join --token abcdef.0123456789abcdef'), `join --token ${MASK}`);
    assert.equal(maskSecrets(`pw ${PASSWORD}`), `pw ${MASK}`, 'the password too');
    assert.equal(maskSecrets('visible'), 'visible');
  });

  test('no password: an error at the encrypted value, saying how to give one', () => {
    const err = userError(() => parseYaml(`a: 1\nlist:\n  - x\n  - ${vaultValue('secret-value', '  ')}\n`, 'vars.yaml'));
    assert.equal(formatUserMessage(err), `vars.yaml:4:5: ${NO_VAULT_PASSWORD}`);
    assert.equal(err.code, 'VAULT_NO_PASSWORD');
    setVaultPassword('wrong');
    assert.match(formatUserMessage(userError(() => parseYaml(`k: ${vaultValue('secret-value')}\n`, 'v.yaml'))), /^v\.yaml:1:4: decryption failed: wrong vault password/);
    assert.match(formatUserMessage(userError(() => parseYaml('k: !vault not-vault-text\n', 'v.yaml'))), /^v\.yaml:1:4: not an ansible-vault header/);
  });

  test('a whole encrypted vars file (-e @file, vars_files): every value masked, keys kept', async () => {
    writeFileSync(join(dir, 'secrets.yaml'), encryptVault('db_password: p4ssw0rd-1\nusers: [alice-admin]\n', PASSWORD));
    const missing = userError(() => parseExtraVars(['@secrets.yaml'], dir));
    assert.equal(formatUserMessage(missing), `secrets.yaml:1:1: ${NO_VAULT_PASSWORD}`);
    setVaultPassword(PASSWORD);
    assert.deepEqual(parseExtraVars(['@secrets.yaml'], dir).vars, { db_password: 'p4ssw0rd-1', users: ['alice-admin'] });
    assert.equal(maskSecrets('db_password=p4ssw0rd-1 user=alice-admin'), `db_password=${MASK} user=${MASK}`);
    clearSecrets();
    writeFileSync(join(dir, 'play.yaml'), '- hosts: all\n  vars_files: [secrets.yaml]\n  roles: []\n');
    const playbook = await loadPlaybook('./play.yaml', { cwd: dir });
    assert.deepEqual(playbook.plays[0]!.varsFromFiles, { db_password: 'p4ssw0rd-1', users: ['alice-admin'] });
    assert.equal(maskSecrets('p4ssw0rd-1'), MASK);
    setVaultPassword(undefined);
    const err = await userErrorAsync(() => loadPlaybook('./play.yaml', { cwd: dir }));
    assert.equal(formatUserMessage(err), `secrets.yaml:1:1: ${NO_VAULT_PASSWORD}`);
  });

  test('inventories: whole encrypted YAML and INI files, encrypted group_vars, `!vault` host vars', () => {
    const inv = join(dir, 'inv');
    const groupVars = join(inv, 'group_vars');
    mkdirSync(groupVars, { recursive: true });
    writeFileSync(join(inv, 'hosts.yaml'), encryptVault('all:\n  hosts:\n    web1:\n      ansible_host: 10.0.0.1\n', PASSWORD));
    writeFileSync(join(inv, 'more'), encryptVault('[db]\ndb1 db_port=5432\n', PASSWORD));
    writeFileSync(join(groupVars, 'all.yaml'), encryptVault('cluster_token: tok-123456\n', PASSWORD));
    writeFileSync(join(dir, 'host.yaml'), `all:\n  hosts:\n    h:\n      become_password: ${vaultValue('sudo-pass-9', '      ')}\n`);
    const noPassword = userError(() => loadInventorySync([inv]));
    assert.equal(formatUserMessage(noPassword), `${join(inv, 'hosts.yaml')}:1:1: ${NO_VAULT_PASSWORD}`);
    assert.equal(formatUserMessage(userError(() => loadInventorySync([join(dir, 'host.yaml')]))), `${join(dir, 'host.yaml')}:4:24: ${NO_VAULT_PASSWORD}`);
    setVaultPassword(PASSWORD);
    const loaded = loadInventorySync([inv]);
    assert.deepEqual([...loaded.hosts.keys()].sort(), ['db1', 'web1']);
    assert.equal(loaded.hostVars('web1')['ansible_host'], '10.0.0.1');
    assert.equal(loaded.hostVars('db1')['db_port'], 5432);
    assert.equal(loaded.hostVars('db1')['cluster_token'], 'tok-123456');
    assert.equal(maskSecrets('tok-123456 web1 10.0.0.1'), `${MASK} web1 10.0.0.1`, 'group_vars values masked, inventory host names not');
    assert.equal(loadInventorySync([join(dir, 'host.yaml')]).hostVars('h')['become_password'], 'sudo-pass-9');
    assert.equal(maskSecrets('sudo-pass-9'), MASK);
  });
});

describe('password sources', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'steer-vault-pw-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a file (surrounding whitespace dropped), an executable script, the environment, --vault-id', async () => {
    writeFileSync(join(dir, 'pw'), `  ${PASSWORD}\n\n`);
    assert.equal(readVaultPasswordFile('pw', dir), PASSWORD);
    writeFileSync(join(dir, 'pw.sh'), `#!/bin/sh\necho '${PASSWORD} x'\n`);
    chmodSync(join(dir, 'pw.sh'), 0o755);
    assert.equal(readVaultPasswordFile(join(dir, 'pw.sh')), `${PASSWORD} x`);
    writeFileSync(join(dir, 'fail.sh'), '#!/bin/sh\nexit 3\n');
    chmodSync(join(dir, 'fail.sh'), 0o755);
    assert.match(formatUserMessage(userError(() => readVaultPasswordFile(join(dir, 'fail.sh')))), /fail\.sh: vault password script failed \(exit 3\)/);
    writeFileSync(join(dir, 'empty'), '\n');
    assert.equal(formatUserMessage(userError(() => readVaultPasswordFile('empty', dir))), 'empty: the vault password file gives an empty password');
    assert.equal(formatUserMessage(userError(() => readVaultPasswordFile('nope', dir))), 'nope: vault password file not found');

    const env = {};
    assert.equal(await resolveVaultPassword({}, { cwd: dir, env }), undefined);
    assert.deepEqual(await resolveVaultPassword({}, { cwd: dir, env: { STEER_VAULT_PASSWORD: 'from-env' } }), { password: 'from-env' });
    assert.deepEqual(await resolveVaultPassword({}, { cwd: dir, env: { STEER_VAULT_PASSWORD_FILE: 'pw' } }), { password: PASSWORD });
    assert.deepEqual(await resolveVaultPassword({ vaultPasswordFile: 'pw' }, { cwd: dir, env: { STEER_VAULT_PASSWORD: 'loses' } }), { password: PASSWORD });
    assert.deepEqual(await resolveVaultPassword({ vaultId: 'prod@pw' }, { cwd: dir, env }), { password: PASSWORD, label: 'prod' });
    assert.deepEqual(await resolveVaultPassword({ vaultId: 'pw' }, { cwd: dir, env }), { password: PASSWORD });
    await assert.rejects(resolveVaultPassword({ vaultId: 'prod@' }, { cwd: dir, env }), /invalid --vault-id 'prod@'/);
  });
});
