import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { sh, raw } from '../../lib/command/command.js';
import { Secret, clearSecrets, maskSecrets } from '../../lib/secrets/masker.js';

test('interpolations are quoted; arrays become separate words', () => {
  const nasty = `it's $(rm -rf /) \`x\` "q"\nnext ; | & é`;
  const cmd = sh`printf '%s\\n' ${nasty} ${['a b', 'c']}`;
  const out = execFileSync('bash', ['-c', cmd.text], { encoding: 'utf8' });
  assert.equal(out, `${nasty}\na b\nc\n`);
});

test('secrets are quoted into the text and masked in the display', () => {
  clearSecrets();
  const token = new Secret('abcdef.0123456789abcdef');
  const cmd = sh`kubeadm token ${token}`;
  assert.match(cmd.text, /abcdef\.0123456789abcdef/);
  assert.equal(cmd.display, 'kubeadm token ********');
  assert.equal(maskSecrets('join --token abcdef.0123456789abcdef'), 'join --token ********');
  assert.equal(JSON.stringify({ t: token }), '{"t":"********"}');
});

test('raw fragments and nested commands are inserted as they are', () => {
  const inner = sh`echo ${'a b'}`;
  assert.equal(sh`${inner} ${raw('>/dev/null')}`.text, "echo $'a b' >/dev/null");
});
