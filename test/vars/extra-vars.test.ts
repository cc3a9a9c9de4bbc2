import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError, formatUserMessage } from '../../lib/errors.js';
import { parseExtraVars } from '../../lib/vars/extra-vars.js';

function failure(options: string[], cwd?: string): string {
  try {
    parseExtraVars(options, cwd);
  } catch (err) {
    assert.ok(err instanceof UserError);
    return formatUserMessage(err);
  }
  assert.fail('expected the extra vars to be rejected');
}

test('k=v pairs stay strings; quoted values lose their quotes', () => {
  const { vars, sources } = parseExtraVars(['a=1 b=true', `c="two words" d='it''s' e="say \\"hi\\"" f=x=y g=`]);
  assert.deepEqual(vars, { a: '1', b: 'true', c: 'two words', d: "it''s", e: 'say "hi"', f: 'x=y', g: '' });
  assert.equal(sources['a'], 'extra vars (-e)');
});

test('Jinja expressions with spaces stay one value', () => {
  assert.deepEqual(parseExtraVars(['a={{ b | default("x y") }} c=d']).vars, { a: '{{ b | default("x y") }}', c: 'd' });
});

test('inline JSON and YAML keep their types; later options win', () => {
  const { vars } = parseExtraVars(['{"a": 1, "b": [true]}', '{c: {d: x}}', 'a=2']);
  assert.deepEqual(vars, { a: '2', b: [true], c: { d: 'x' } });
});

test('@file reads YAML or JSON, with per-variable locations', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'steer-ev-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'vars.yaml'), 'n: 5\nname: x\n');
  writeFileSync(join(dir, 'vars.json'), '{"j": {"k": null}}');
  const { vars, sources } = parseExtraVars(['@vars.yaml', `@${join(dir, 'vars.json')}`], dir);
  assert.deepEqual(vars, { n: 5, name: 'x', j: { k: null } });
  assert.equal(sources['name'], 'vars.yaml:2:1');
  assert.equal(failure(['@missing.yaml'], dir), 'missing.yaml: extra vars file not found (expected a YAML or JSON file for -e @FILE)');
  writeFileSync(join(dir, 'list.yaml'), '- 1\n');
  assert.equal(failure(['@list.yaml'], dir), 'list.yaml:1:1: extra vars file is not a mapping (expected variable: value lines, or a JSON object)');
  writeFileSync(join(dir, 'bad.yaml'), 'a: [1\n');
  assert.match(failure(['@bad.yaml'], dir), /^bad\.yaml:\d+:\d+: invalid YAML/);
});

test('malformed extra vars are one clear message', () => {
  const expected = '(expected KEY=VALUE pairs, inline JSON/YAML, or @FILE)';
  assert.equal(failure(['justaword']), `invalid extra vars 'justaword': not KEY=VALUE ${expected}`);
  assert.equal(failure(['=v']), `invalid extra vars '=v': not KEY=VALUE ${expected}`);
  assert.equal(failure(['1x=v']), "invalid variable name '1x' in extra vars (expected letters, digits and _, not starting with a digit)");
  assert.equal(failure(['a="open']), `unbalanced double quote in extra vars 'a="open' ${expected}`);
  assert.equal(failure(['[1, 2]']), `invalid extra vars '[1, 2]': not a mapping ${expected}`);
  assert.match(failure(['{"a": ']), /^invalid extra vars '\{"a":': invalid YAML: .* \(expected KEY=VALUE pairs, inline JSON\/YAML, or @FILE\)$/);
  assert.deepEqual(parseExtraVars(['  ']).vars, {});
});
