// Issue 14, item 2, end to end: play vars tls_key (a multi-line PEM) and pw_quote ('Tr0ub"ad\or&x!'),
// both declared secret, are noted, written with m.file and printed by a failing command. `steer run`
// with --diff -vv (plain lines) and with --json, on a "host" that is the controller itself (local
// connection), must show neither in any form: raw, line by line, shell-quoted, JSON-escaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quote } from 'zx/core';
import { repoRoot, runSteer, type CliResult } from '../support/steer-cli.js';

const PASSWORD = 'Tr0ub"ad\\or&x!';

test('a PEM and a quoted password: no form of them in plain --diff -vv or --json output', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'steer-secret-forms-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeFileSync(join(dir, 'hosts.ini'), 's1 ansible_connection=local\n');
  writeFileSync(
    join(dir, 'site.yaml'),
    `- name: Secrets in every form\n  hosts: s1\n  gather_facts: false\n  vars:\n    tls_key: ${JSON.stringify(pem)}\n    pw_quote: ${JSON.stringify(PASSWORD)}\n    out_dir: ${JSON.stringify(dir)}\n  roles: [secret_forms]\n`,
    { mode: 0o600 },
  );
  const run = (...args: string[]) =>
    runSteer(['run', join(dir, 'site.yaml'), '-i', join(dir, 'hosts.ini'), '--roles-path', join(repoRoot, 'test/fixtures/security/roles'), '--retry-file', join(dir, 'retry'), ...args]);
  const runs: [string, CliResult][] = [
    ['plain --diff -vv', await run('--diff', '-vv')],
    ['--json --diff -vvv', await run('--json', '--diff', '-vvv')],
  ];
  assert.equal(readFileSync(join(dir, 'tls.key'), 'utf8'), pem, 'the key did reach the host');
  const bodyLines = pem.split('\n').filter((l) => l.length >= 4 && !l.startsWith('-----'));
  const forms = [PASSWORD, quote(PASSWORD), JSON.stringify(PASSWORD).slice(1, -1), quote(pem).slice(2, -1), JSON.stringify(pem).slice(1, -1), ...bodyLines];
  for (const [channel, r] of runs) {
    assert.equal(r.code, 2, `${channel}: the command failed the host\n${r.stdout.slice(-2000)}${r.stderr}`);
    for (const form of forms) {
      assert.ok(!r.stdout.includes(form) && !r.stderr.includes(form), `${channel} shows ${JSON.stringify(form.slice(0, 40))}`);
    }
  }
  const [, plain] = runs[0]!;
  assert.match(plain.stdout, /\$'\*{8}' \$'\*{8}'/, 'the failing command shows both, masked');
  assert.match(plain.stdout, /^\+\*{8}$/m, 'the diff shows the key, masked');
  assert.match(plain.stdout, /password: \*{8}/, 'the note shows the password, masked');
  assert.equal(readFileSync(join(dir, 'retry'), 'utf8'), 's1\n');
});
