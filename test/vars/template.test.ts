import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../lib/errors.js';
import { LazyVars } from '../../lib/vars/lazy-vars.js';
import { evaluateCondition } from '../../lib/vars/condition.js';
import { renderTemplateString, renderValue, templateSyntaxError } from '../../lib/vars/template.js';

const r = (value: unknown, vars: Record<string, unknown> = {}) => renderValue(value, vars);

function renderError(value: unknown, vars: Record<string, unknown> = {}): string {
  try {
    renderValue(value, vars);
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    return err.message;
  }
  assert.fail(`expected ${JSON.stringify(value)} to fail`);
}

test('a value that is exactly one expression keeps its type', () => {
  const vars = { n: 8, b: true, l: [1, 2], m: { a: 1 }, s: 'x', z: null };
  assert.equal(r('{{ n }}', vars), 8);
  assert.equal(r('{{n}}', vars), 8);
  assert.equal(r('{{- n -}}', vars), 8);
  assert.equal(r('{{ b }}', vars), true);
  assert.deepEqual(r('{{ l }}', vars), [1, 2]);
  assert.deepEqual(r('{{ m }}', vars), { a: 1 });
  assert.equal(r('{{ z }}', vars), null);
  assert.equal(r('{{ n + 1 }}', vars), 9);
  assert.equal(r('{{ n }} ', vars), '8 ', 'anything around the expression makes a string');
  assert.equal(r('v{{ n }}', vars), 'v8');
  assert.equal(r('{{ n }}{{ s }}', vars), '8x');
  assert.equal(r('plain', vars), 'plain');
  assert.equal(r(5, vars), 5);
});

test('renders recursively into lists and maps, and variables that refer to variables', () => {
  const vars = { version: '1.30', full: '{{ version }}.0', image: 'k8s:{{ full }}', ports: ['{{ base }}', '{{ base + 1 }}'], base: 6443 };
  assert.deepEqual(r({ a: ['{{ image }}', { b: '{{ ports }}' }] }, vars), { a: ['k8s:1.30.0', { b: [6443, 6444] }] });
});

test('Ansible filters', () => {
  const vars = { s: ' Hello World ', l: [3, 1, 3, 2], m: { b: 2, a: 1 }, empty: '', path: '/etc/app/app.conf' };
  const cases: [string, unknown][] = [
    ['{{ nope | default("d") }}', 'd'],
    ['{{ nope | d(5) }}', 5],
    ['{{ empty | default("e") }}', ''],
    ['{{ empty | default("e", true) }}', 'e'],
    ['{{ empty | d("e", true) }}', 'e'],
    ['{{ "yes" | bool }}', true],
    ['{{ "off" | bool }}', false],
    ['{{ "TRUE" | bool }}', true],
    ['{{ "Y" | bool }}', true],
    ['{{ "n" | bool }}', false],
    ['{{ 0 | bool }}', false],
    ['{{ "42" | int + 1 }}', 43],
    ['{{ "x" | int }}', 0],
    ['{{ "1.25" | float * 2 }}', 2.5],
    ['{{ "2" | float | string }}', '2.0'],
    ['{{ 5 | string }}', '5'],
    ['{{ s | lower }}', ' hello world '],
    ['{{ s | upper | trim }}', 'HELLO WORLD'],
    ['{{ s | replace("o", "0") }}', ' Hell0 W0rld '],
    ['{{ "k8s-1.30.2" | regex_replace("^k8s-(\\\\d+)\\\\.(\\\\d+).*$", "\\\\1_\\\\2") }}', '1_30'],
    ['{{ "a-b" | regex_replace("(?P<x>a)", "\\\\g<x>\\\\g<x>") }}', 'aa-b'],
    ['{{ "cost $5" | regex_replace("\\\\d", "[$&]") }}', 'cost $[$&]'],
    ['{{ "v1.30" | regex_search("\\\\d+\\\\.\\\\d+") }}', '1.30'],
    ['{{ "v1.30" | regex_search("(\\\\d+)\\\\.(\\\\d+)", "\\\\2") }}', ['30']],
    ['{{ "abc" | regex_search("z") }}', null],
    ['{{ l | join(",") }}', '3,1,3,2'],
    ['{{ "a,b,c" | split(",") }}', ['a', 'b', 'c']],
    ['{{ " a  b " | split }}', ['a', 'b']],
    ['{{ l | length }}', 4],
    ['{{ m | length }}', 2],
    ['{{ m | to_json }}', '{"b": 2, "a": 1}'],
    ['{{ m | to_nice_json }}', '{\n    "a": 1,\n    "b": 2\n}'],
    ['{{ [true, none] | to_json }}', '[true, null]'],
    ['{{ [1, "a", true, none] | string }}', "[1, 'a', True, None]"],
    ['{{ [1, 2] | join(",") }}', '1,2'],
    ['{{ m | to_yaml }}', 'b: 2\na: 1\n'],
    ['{{ \'{"a": [1]}\' | from_json }}', { a: [1] }],
    ['{{ "hello" | b64encode }}', 'aGVsbG8='],
    ['{{ "aGVsbG8=" | b64decode }}', 'hello'],
    ['{{ true | ternary("on", "off") }}', 'on'],
    ['{{ 0 | ternary("on", "off") }}', 'off'],
    ['{{ s | mandatory }}', ' Hello World '],
    ['{{ path | basename }}', 'app.conf'],
    ['{{ path | dirname }}', '/etc/app'],
    ['{{ l | unique }}', [3, 1, 2]],
    ['{{ l | difference([1]) }}', [3, 2]],
    ['{{ [1, 2] | union([2, 3]) }}', [1, 2, 3]],
    ['{{ l | first }}', 3],
    ['{{ l | last }}', 2],
    ['{{ m | dict2items }}', [{ key: 'b', value: 2 }, { key: 'a', value: 1 }]],
    ['{{ [{"key": "k", "value": 1}] | items2dict }}', { k: 1 }],
    ['{{ [{"n": 1}, {"n": 2}] | map(attribute="n") | list }}', [1, 2]],
    ['{{ m | combine({"c": 3}) }}', { b: 2, a: 1, c: 3 }],
  ];
  for (const [template, expected] of cases) assert.deepEqual(r(template, vars), expected, template);
});

test('Python literals and tests work as in Ansible', () => {
  assert.equal(r('{{ True }}'), true);
  assert.equal(r('{{ None }}'), null);
  assert.equal(r('{{ x is none }}', { x: null }), true);
  assert.equal(r('{{ x is defined }}'), false);
  assert.equal(r('{{ x is mapping }}', { x: {} }), true);
  assert.equal(r('{{ "a" if x is defined else "b" }}'), 'b');
});

test('an undefined variable names itself and where the value was set', () => {
  assert.equal(renderError('{{ nope }}'), `undefined variable 'nope' in "{{ nope }}"`);
  assert.equal(renderError('x-{{ nope }}'), `undefined variable 'nope' in "x-{{ nope }}"`);
  assert.equal(renderError('{{ nope | mandatory }}'), `mandatory variable 'nope' not defined in "{{ nope | mandatory }}"`);
  assert.equal(renderError('{{ a }}', { a: '{{ b }}' }), `undefined variable 'b' in variable 'a'`);
  assert.equal(renderError('{{ a }}', { a: 'v{{ a }}' }), "variable 'a' refers to itself (a → a)");
  assert.equal(renderError('{{ a }}', { a: '{{ b }}', b: '{{ c }}', c: '{{ a }}' }), "variable 'a' refers to itself (a → b → c → a)");
  assert.equal(renderError('{{ m.nope }}', { m: {} }), `undefined value 'm.nope' (m has no key "nope") in "{{ m.nope }}"`);
  assert.equal(renderError('{{ l[3] }}', { l: [1] }), `undefined value 'l[3]' (l is a list of 1 item(s), without index 3) in "{{ l[3] }}"`);
  assert.equal(renderError('{{ u.a.b }}'), `undefined variable 'u' in "{{ u.a.b }}"`);
  assert.match(renderError('{{ a + }}'), /^template syntax error: .* in "\{\{ a \+ \}\}"$/);
  assert.match(renderError('{{ 1 | nosuchfilter }}'), /^template error: filter not found: nosuchfilter in /);
});

test('renderTemplateString renders files with loops and conditions', () => {
  const text = '{% for p in ports %}\nport={{ p }}\n{% endfor %}\n{% if tls %}tls=on{% endif %}\n';
  // trim_blocks, as Ansible's template module: the newline after a block tag is dropped.
  assert.equal(renderTemplateString(text, { ports: [80, 443], tls: true }), 'port=80\nport=443\ntls=on');
});

test('when conditions are bare Jinja expressions whose result must be a boolean', () => {
  const vars = { os: 'debian', n: 3, list: [], flag: 'false', yes: 'true', nested: '{{ n > 2 }}' };
  assert.equal(evaluateCondition("os == 'debian'", vars), true);
  assert.equal(evaluateCondition("os == 'debian' and n > 5", vars), false);
  assert.equal(evaluateCondition('list | length == 0', vars), true);
  assert.equal(evaluateCondition('not list', vars), true, 'an empty list is false, as in Python');
  assert.equal(evaluateCondition('flag | bool', vars), false);
  assert.equal(evaluateCondition('not flag | bool', vars), true);
  assert.equal(evaluateCondition('yes | bool', vars), true);
  assert.equal(evaluateCondition('nested', vars), true);
  assert.equal(evaluateCondition('{{ n == 3 }}', vars), true);
  assert.equal(evaluateCondition('missing is not defined', vars), true);
  assert.equal(evaluateCondition('missing | default(false)', vars), false);
  assert.equal(evaluateCondition("'deb' in os", vars), true);
  assert.equal(evaluateCondition(true, vars), true);
  assert.throws(() => evaluateCondition("missing == 'x'", vars), { message: `undefined variable 'missing' in condition "missing == 'x'"` });
});

test('a condition that is not a boolean is an error saying what it is, where it was set and how to write it', () => {
  const scope = new LazyVars({ flag: 'false', list: [], n: 1, nothing: null }, (name) => (name === 'flag' ? 'extra vars (-e)' : 'site.yaml:3:5'));
  assert.throws(() => evaluateCondition('flag', scope, { host: 'h1', location: { file: 'site.yaml', line: 9, col: 13 } }), (err: unknown) => {
    assert.ok(err instanceof UserError);
    assert.equal(err.code, 'CONDITION_NOT_BOOLEAN');
    assert.deepEqual(err.location, { file: 'site.yaml', line: 9, col: 13 });
    assert.equal(
      err.message,
      `host h1: condition "flag" is string "false", not a boolean — flag is set in extra vars (-e); write 'flag | bool' to read yes/no, true/false, on/off, 1/0 as a boolean, or compare it (flag == '…') (Ansible 2.19 refuses such conditions too)`,
    );
    return true;
  });
  assert.throws(() => evaluateCondition('list', scope), /condition "list" is list, not a boolean — list is set in site.yaml:3:5; test its length \(list \| length > 0\)/);
  assert.throws(() => evaluateCondition('n', scope), /is number 1, not a boolean .* compare it \(n != 0\), or write 'n \| bool'/);
  assert.throws(() => evaluateCondition('nothing', scope), /is null, not a boolean .* test it \(nothing is not none\)/);
  assert.throws(() => evaluateCondition("flag and 'x'", scope), /condition "flag and 'x'" is string "x", not a boolean;/);
  assert.throws(() => evaluateCondition('"ture" | bool', scope), /bool: string "ture" is not a boolean \(expected true\/false, yes\/no, on\/off, 1\/0 or y\/n, in any case\)/);
});

test('syntax can be checked without rendering', () => {
  assert.equal(templateSyntaxError('{{ a }}'), undefined);
  assert.match(templateSyntaxError('{{ a ')!, /expected variable end/);
});
