// Issue 14, item 3: a secret that fails its schema is never printed, and a value's secrecy is known
// before anything can print it — from every role the playbook names and from the vault, whatever
// --limit and --tags select.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerRunCommand } from '../../lib/cli/commands/run.js';
import type { RoleVariable } from '../../lib/playbook/playbook.js';
import { clearSecrets, maskSecrets } from '../../lib/secrets/masker.js';
import { checkVariable } from '../../lib/vars/validate.js';
import { repoRoot, runSteer } from '../support/steer-cli.js';

const fixtures = join(repoRoot, 'test/fixtures/security');
afterEach(() => clearSecrets());

const variable = (schema: Record<string, unknown>, secret: boolean): RoleVariable => ({ name: 'db_password', schema, description: 'x', secret });

test('a secret that fails its schema: the message says what is wrong, never the value', () => {
  const secret = checkVariable(variable({ type: 'string', minLength: 12 }, true), 'S3cretPw!');
  assert.equal(secret.problem, 'db_password must NOT have fewer than 12 characters (got a string; the value is secret)');
  const typed = checkVariable(variable({ type: 'string' }, true), 123456);
  assert.equal(typed.problem, 'db_password must be string (got a number; the value is secret)');
  const keyed = checkVariable(variable({ type: 'object', additionalProperties: false, properties: {} }, true), { 'tok-abc123': 1 });
  assert.equal(keyed.problem, 'db_password has an unknown key');
  // Not secret: the value helps, so it is shown.
  assert.match(checkVariable(variable({ type: 'string', minLength: 12 }, false), 'short').problem!, /\(got string "short"\)/);
});

test('steer run: db_password set to S3cretPw! fails its schema without showing it', async () => {
  const r = await runSteer(['run', join(fixtures, 'secrets.yaml'), '-i', join(fixtures, 'secrets-inventory.yaml')]);
  assert.equal(r.code, 5, r.stdout + r.stderr);
  assert.match(r.stderr, /db_password must NOT have fewer than 12 characters/);
  assert.ok(!r.stderr.includes('S3cretPw!') && !r.stdout.includes('S3cretPw!'), r.stderr);
});

/** `steer run …` in-process with a stand-in engine: the CLI's checks run, no host is touched. */
async function steerRun(args: string[]): Promise<number | undefined> {
  const program = new Command('steer').exitOverride();
  registerRunCommand(program, async () => 0, { out: () => {}, err: () => {} });
  const saved = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'steer', 'run', ...args]);
    return process.exitCode as number | undefined;
  } finally {
    process.exitCode = saved;
  }
}

test('secrets of every role and host are known before the run, whatever --limit and --tags select', async () => {
  const code = await steerRun([
    join(fixtures, 'secrets.yaml'), '-i', join(fixtures, 'secrets-inventory.yaml'), '-e', '{"db_password": "a-long-enough-pw"}', '--limit', 's1', '--tags', 'needs_db',
  ]);
  assert.equal(code, 0);
  // uses_token runs on s2 only, which --limit leaves out, and --tags skips it: its values are secret anyway.
  assert.equal(maskSecrets('token tok-9f8e7d6c5b4a'), 'token ********', 'as written in the inventory');
  assert.equal(maskSecrets('key pre-s2-k3y'), 'key ********', 'as rendered for its host');
  assert.equal(maskSecrets('pw a-long-enough-pw'), 'pw ********', 'from extra vars');
  assert.equal(maskSecrets('{{ key_prefix }}-{{ inventory_hostname }}-k3y'), '{{ key_prefix }}-{{ inventory_hostname }}-k3y', 'a template is not the secret');
  assert.equal(maskSecrets('pre s2'), 'pre s2', 'nor are the variables it is built from');
});
