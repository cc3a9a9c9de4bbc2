// Jinja's (Python's) meaning of operators, output and undefined values in steer's templates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../lib/errors.js';
import { setLookupFolders } from '../../lib/vars/lookups.js';
import { OMIT } from '../../lib/vars/omit.js';
import { PythonFloat, pythonFloatRepr } from '../../lib/vars/python-float.js';
import { renderTemplateString, renderValue } from '../../lib/vars/template.js';

const r = (value: string, vars: Record<string, unknown> = {}) => renderValue(value, vars);
const text = (value: string, vars: Record<string, unknown> = {}) => renderTemplateString(value, vars);

function error(value: string, vars: Record<string, unknown> = {}): string {
  try {
    renderValue(value, vars);
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    return err.message;
  }
  assert.fail(`expected ${value} to fail`);
}

test('truthiness is Python\'s: empty lists and mappings are false in not, and, or, if', () => {
  const vars = { e: [], m: {}, l: [0], s: '', z: 0, f: new PythonFloat(0) };
  assert.equal(r('{{ not e }}', vars), true);
  assert.equal(r('{{ not m }}', vars), true);
  assert.equal(r('{{ not l }}', vars), false);
  assert.equal(r('{{ not f }}', vars), true);
  assert.equal(r("{{ e or 'x' }}", vars), 'x');
  assert.deepEqual(r("{{ l and 'y' }}", vars), 'y');
  assert.deepEqual(r('{{ e and 1 }}', vars), []);
  assert.equal(r("{{ 'yes' if m else 'no' }}", vars), 'no');
  assert.equal(text('{% if e %}full{% else %}empty{% endif %}', vars), 'empty');
});

test('comparisons are Python\'s: no string/number coercion, lists and mappings by content', () => {
  assert.equal(r("{{ 1 == '1' }}"), false);
  assert.equal(r('{{ [1, 2] == [1, 2] }}'), true);
  assert.equal(r("{{ {'a': 1} == {'a': 1} }}"), true);
  assert.equal(r('{{ true == 1 }}'), true);
  assert.equal(r('{{ x == 2 }}', { x: new PythonFloat(2) }), true);
  assert.equal(r('{{ 1 < 2 < 3 }}'), true);
  assert.equal(r('{{ 3 > 2 > 2 }}'), false);
  assert.equal(r("{{ 'b' > 'a' }}"), true);
  assert.match(error("{{ '10' < 9 }}"), /'<' not supported between str '10' and int 9/);
});

test('in: substrings, list items by ==, mapping keys', () => {
  assert.equal(r("{{ 'ell' in 'hello' }}"), true);
  assert.equal(r('{{ [1] in [[1], [2]] }}'), true);
  assert.equal(r("{{ '1' in [1] }}"), false);
  assert.equal(r("{{ 'a' in {'a': 1} }}"), true);
  assert.equal(r("{{ 'z' not in {'a': 1} }}"), true);
  assert.match(error('{{ 1 in 5 }}'), /argument of type 'int' is not iterable/);
});

test('arithmetic is Python\'s: lists concatenate, / is true division, // and % floor', () => {
  assert.deepEqual(r('{{ ports + [8080] }}', { ports: [80, 443] }), [80, 443, 8080]);
  assert.equal(r("{{ 'a' + 'b' }}"), 'ab');
  assert.equal(r("{{ '-' * 3 }}"), '---');
  assert.equal(r('{{ 7 // 2 }}'), 3);
  assert.equal(r('{{ -7 % 3 }}'), 2);
  assert.equal(text('{{ 4 / 2 }}'), '2.0');
  assert.equal(text('{{ x + 1 }}', { x: new PythonFloat(2) }), '3.0');
  assert.match(error("{{ '1' + 1 }}"), /unsupported operand types for \+: str '1' and int 1/);
  assert.match(error('{{ 1 / 0 }}'), /division by zero/);
});

test('output and ~ print Python\'s str(); None prints nothing at the top, as in Ansible', () => {
  assert.equal(text('{{ true }}/{{ false }}'), 'True/False');
  assert.equal(text('[{{ x }}]', { x: null }), '[]');
  assert.equal(text('{{ x ~ "" }}', { x: null }), 'None');
  assert.equal(text('{{ l }}', { l: [1, 'a', null, { k: true }] }), "[1, 'a', None, {'k': True}]");
  assert.equal(text('v={{ v }}', { v: new PythonFloat(2, '2.0') }), 'v=2.0');
  assert.equal(text("{{ 'n' ~ 1 ~ true }}"), 'n1True');
});

test('Python float repr', () => {
  const cases: [number, string][] = [[2, '2.0'], [1.3, '1.3'], [0.00001, '1e-05'], [1e16, '1e+16'], [123456789012345.6, '123456789012345.6'], [-0.5, '-0.5'], [0.0001, '0.0001'], [1.5e-7, '1.5e-07'], [-0, '-0.0'], [Infinity, 'inf']];
  for (const [n, repr] of cases) assert.equal(pythonFloatRepr(n), repr, String(n));
});

test('undefined anywhere in an expression is an error unless a filter or test handles it', () => {
  assert.equal(r('{{ x | default(1) }}'), 1);
  assert.equal(r('{{ x.y.z is defined }}'), false);
  assert.equal(r('{{ x is undefined }}'), true);
  assert.equal(r('{{ m.k | default("d") }}', { m: {} }), 'd');
  assert.equal(error('{{ x | default(y) }}'), `undefined variable 'y' in "{{ x | default(y) }}"`);
  assert.equal(error('{{ [1, x] }}'), `undefined variable 'x' in "{{ [1, x] }}"`);
  assert.equal(error('{{ x | upper }}'), `undefined variable 'x' in "{{ x | upper }}"`);
  assert.equal(error("{{ 'a' ~ x }}"), `undefined variable 'x' in "{{ 'a' ~ x }}"`);
  assert.equal(error('{{ x == 1 }}'), `undefined variable 'x' in "{{ x == 1 }}"`);
  assert.equal(error('{{ not x }}'), `undefined variable 'x' in "{{ not x }}"`);
  assert.equal(error('{{ x is defined or x == 1 }}'), `undefined variable 'x' in "{{ x is defined or x == 1 }}"`);
  assert.equal(error("{{ lookup('env', x) }}"), `undefined variable 'x' in "{{ lookup('env', x) }}"`);
  assert.equal(error('{% for i in x %}{{ i }}{% endfor %}'), `undefined variable 'x' in "{% for i in x %}{{ i }}{% endfor %}"`);
  assert.equal(error('{{ [] | first | upper }}'), `undefined value 'first' (the list is empty) in "{{ [] | first | upper }}"`);
});

test('a variable whose own value is undefined is undefined: tests and defaults see it, other uses report its error', () => {
  const vars = { a: '{{ b }}' };
  assert.equal(r('{{ a is defined }}', vars), false);
  assert.equal(r("{{ a | default('d') }}", vars), 'd');
  assert.equal(error('{{ a | upper }}', vars), `undefined variable 'b' in variable 'a'`);
});

test('omit: a list item or mapping key that renders to omit is left out; a whole value renders to the placeholder', () => {
  assert.deepEqual(r('{{ [1, x | default(omit), 2] }}'), [1, 2]);
  assert.deepEqual(r("{{ {'a': omit, 'b': [omit]} }}"), { b: [] });
  assert.deepEqual(renderValue({ a: '{{ x | default(omit) }}', b: 1, l: ['{{ omit }}', 2] }, {}), { b: 1, l: [2] });
  assert.equal(r('{{ omit }}'), OMIT);
});

test("lookup('env'), lookup('file'), lookup('pipe'), query(); an unknown lookup is refused by name", () => {
  const dir = mkdtempSync(join(tmpdir(), 'steer-lookup-'));
  try {
    writeFileSync(join(dir, 'motd.txt'), 'hello\n\n');
    setLookupFolders([dir]);
    process.env['STEER_TEST_LOOKUP'] = 'from-env';
    assert.equal(r("{{ lookup('env', 'STEER_TEST_LOOKUP') }}"), 'from-env');
    assert.equal(r("{{ lookup('env', 'STEER_TEST_UNSET_VARIABLE') }}"), '');
    assert.equal(r("{{ lookup('env', 'STEER_TEST_UNSET_VARIABLE', default='d') }}"), 'd');
    assert.equal(r("{{ lookup('file', 'motd.txt') }}"), 'hello');
    assert.equal(r("{{ lookup('pipe', 'printf \"%s\\\\n\" one; pwd') }}"), `one\n${dir}`);
    assert.deepEqual(r("{{ query('env', 'STEER_TEST_LOOKUP', 'STEER_TEST_UNSET_VARIABLE') }}"), ['from-env', '']);
    assert.equal(r("{{ lookup('env', 'STEER_TEST_LOOKUP', 'STEER_TEST_LOOKUP') }}"), 'from-env,from-env');
    assert.match(error("{{ lookup('file', 'nope.txt') }}"), /^lookup\('file'\): could not find the file 'nope.txt' \(looked for .*files\/nope.txt, .*nope.txt\) in /);
    assert.match(error("{{ lookup('pipe', 'exit 3') }}"), /^lookup\('pipe'\): the command "exit 3" exited 3 in /);
    assert.match(error("{{ lookup('password', '/dev/null') }}"), /^unknown lookup "password" \(steer has env, file, pipe; set the value with a variable or -e instead\) in /);
  } finally {
    delete process.env['STEER_TEST_LOOKUP'];
    setLookupFolders([]);
    rmSync(dir, { recursive: true, force: true });
  }
});
