// Issue 14, item 1: the template engine cannot reach JavaScript constructors or Node's modules, even
// from a trusted template. A corpus of known nunjucks/Jinja sandbox escapes (sources below) and a
// fast-check property (random attribute chains and calls on every global and every kind of value)
// render through every entry point; each must either render data or fail with a template error, and
// the controller must never run anything: every payload's code sets a global flag and writes a file.
//
// The corpus and its sources: escape-corpus.ts.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { UserError } from '../../lib/errors.js';
import { evaluateCondition } from '../../lib/vars/condition.js';
import { renderTemplateString, renderValue } from '../../lib/vars/template.js';
import { dataScope } from '../../lib/vars/unsafe.js';
import { CORPUS, instantiate, payloadCode, RAN } from './escape-corpus.js';

const work = mkdtempSync(join(tmpdir(), 'steer-sandbox-'));
const MARKER = join(work, 'marker');
const FLAG = '__steerRan';
const CODE = payloadCode(MARKER, FLAG);

function assertNothingRan(what: string, output?: unknown): void {
  assert.equal((globalThis as Record<string, unknown>)[FLAG], undefined, `${what}: code ran (global flag)`);
  assert.ok(!existsSync(MARKER), `${what}: code ran (marker file)`);
  assert.ok(!Object.hasOwn(Object.prototype, 'polluted'), `${what}: Object.prototype was polluted`);
  if (output !== undefined) assert.ok(!RAN.test(JSON.stringify(output) ?? ''), `${what}: the payload's result came out: ${String(output)}`);
}

afterEach(() => {
  delete (globalThis as Record<string, unknown>)[FLAG];
  rmSync(MARKER, { force: true });
});
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

/** Variables a template sees in the engine: data of every shape, and engine views. */
function scope(): Record<string, unknown> {
  const hostvars = new Proxy({} as Record<string, unknown>, {
    get: (_t, k) => (k === 'h1' ? { banner: 'hi', facts: { os: 'debian' } } : undefined),
    has: (_t, k) => k === 'h1',
    ownKeys: () => ['h1'],
    getOwnPropertyDescriptor: (_t, k) => (k === 'h1' ? { value: { banner: 'hi' }, enumerable: true, configurable: true } : undefined),
  });
  return { a: 'text', n: 7, flag: true, list: [1, 'two', { three: 3 }], map: { k: 'v', inner: { x: [1] } }, empty: {}, hostvars, none: null };
}

/** Renders through every entry point: a template file, a variable's value, a single expression, a condition. */
function renderEverywhere(template: string): unknown[] {
  const outputs: unknown[] = [];
  const attempts: (() => unknown)[] = [
    () => renderTemplateString(template, scope()),
    () => renderTemplateString(template, dataScope(scope())),
    () => renderValue({ v: template }, { ...scope(), self: template }),
    () => renderValue(`prefix ${template}`, scope()),
    () => {
      const inner = /^\{\{([\s\S]*)\}\}$/.exec(template.trim());
      return inner ? evaluateCondition(inner[1]!, scope()) : undefined;
    },
  ];
  for (const attempt of attempts) {
    try {
      outputs.push(attempt());
    } catch (err) {
      assert.ok(err instanceof UserError, `a template error, not ${(err as Error)?.stack ?? String(err)}\n  for ${template}`);
      assert.doesNotMatch((err as Error).message, RAN);
    }
    assertNothingRan(template, outputs[outputs.length - 1]);
  }
  return outputs;
}


test('the corpus is live: many of its entries run code in nunjucks as it ships', () => {
  const dir = mkdtempSync(join(tmpdir(), 'steer-vanilla-'));
  try {
    const worker = join(import.meta.dirname, 'vanilla-nunjucks-worker.ts');
    const { ran } = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', worker, dir], { encoding: 'utf8' })) as { ran: number[] };
    const shown = (i: number) => CORPUS[i]!.slice(0, 50);
    assert.ok(ran.length >= 40, `only ${ran.length} of ${CORPUS.length} ran: ${ran.map(shown).join(' | ')}`);
    // The compiler injections need no object at all (template-names.ts).
    for (const needle of ['{% set "a', '{% macro "a', '{{ 1 is "defined', '.split() }}']) {
      assert.ok(ran.some((i) => CORPUS[i]!.startsWith(needle) || CORPUS[i]!.includes(needle)), `a ${needle} entry ran in vanilla nunjucks`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(`a corpus of ${CORPUS.length} known sandbox escapes runs nothing on the controller`, () => {
  for (const raw of CORPUS) for (const template of instantiate(raw, MARKER, FLAG)) renderEverywhere(template);
});

test('what Jinja users need still works: data, filters, globals, macros, Python string/list/mapping methods', () => {
  const r = (t: string, vars: Record<string, unknown> = scope()) => renderTemplateString(t, vars);
  assert.equal(r('{{ map.k }}-{{ map["inner"].x[0] }}-{{ list[1] }}-{{ list|length }}-{{ a.length }}-{{ a[0] }}'), 'v-1-two-3-4-t');
  assert.equal(r('{% for i in range(3) %}{{ i }}{% endfor %}|{% for k, v in map.items() %}{{ k }}{% endfor %}'), '012|kinner');
  assert.equal(r('{% set c = cycler("a", "b") %}{{ c.next() }}{{ c.next() }}{{ c.next() }}'), 'aba');
  assert.equal(r('{% set j = joiner("+") %}{{ j() }}x{{ j() }}y'), 'x+y');
  assert.equal(r('{% macro hi(n) %}hi {{ n }}{% endmacro %}{{ hi("you") }}'), 'hi you');
  assert.equal(r('{% macro w() %}[{{ caller() }}]{% endmacro %}{% call w() %}in{% endcall %}'), '[in]');
  assert.equal(r('{{ "a,b,,c".split(",") }}|{{ " x  y ".split() | join("/") }}|{{ "a b c".split(None, 1)[1] }}|{{ "a.b.c".rsplit(".", 1)[0] }}'), "['a', 'b', '', 'c']|x/y|b c|a.b"); // a list prints as Python's str(), as in Jinja
  assert.equal(r('{{ "k8s-node".startswith("k8s") }}{{ "x.yaml".endswith((".yml", ".yaml")) }}{{ "abc".startswith("b") }}'), 'TrueTrueFalse'); // Python's str() of booleans
  assert.equal(r('[{{ "  pad ".strip() }}][{{ "xxhixx".strip("x") }}][{{ " l".lstrip() }}][{{ "r ".rstrip() }}]'), '[pad][hi][l][r]');
  assert.equal(r('{{ "MiXed".lower() }}{{ "up".upper() }}{{ "hello world".title() }}{{ "hELLO".capitalize() }}'), 'mixedUPHello WorldHello');
  assert.equal(r('{{ "a-b-c".replace("-", "+") }}|{{ "a-b-c".replace("-", "+", 1) }}|{{ "abcabc".find("c") }}|{{ "abc".count("b") }}'), 'a+b+c|a+b-c|2|1');
  assert.equal(r('{{ ", ".join(["a", "b"]) }}|{{ "{}:{}".format("h", 22) }}|{{ "{0}-{name}".format("x", name="y") }}'), 'a, b|h:22|x-y');
  assert.equal(r('{{ "42".isdigit() }}{{ "4a".isdigit() }}{{ "7".zfill(3) }}{{ "ab".center(6, "*") }}'), 'TrueFalse007**ab**');
  assert.equal(r('{{ "a\\nb\\n".splitlines() | length }}|{{ [1, 2, 1].count(1) }}|{{ ["x", "y"].index("y") }}'), '2|2|1');
  assert.equal(r('{{ map.get("k") }}|{{ map.get("missing", "dflt") }}|{{ map.keys() | join(",") }}|{{ map.values() | length }}'), 'v|dflt|k,inner|2');
  assert.equal(r('{{ hostvars.h1.banner }} {{ hostvars["h1"].facts.os }}'), 'hi debian');
  // Data's own keys win over method names: a mapping with a key "values" (a Helm chart's) reads it.
  assert.equal(r('{{ chart.values.replicas }}', { chart: { values: { replicas: 3 } } }), '3');
  assert.equal(r('{{ map.missing | default("d") }}'), 'd');
  assert.deepEqual(renderValue('{{ list[2] }}', scope()), { three: 3 });
});

test('refusals are clear template errors that name what was refused', () => {
  const message = (t: string) => {
    try {
      renderTemplateString(t, scope());
    } catch (err) {
      assert.ok(err instanceof UserError);
      return (err as Error).message;
    }
    assert.fail(`no error for ${t}`);
  };
  assert.match(message('{{ range.constructor }}'), /'constructor' of a function is not available .*templates read data only/);
  assert.match(message('{{ a.constructor }}'), /'constructor' of a string is not available/);
  assert.match(message('{{ constructor }}'), /'constructor' is not a variable/);
  assert.match(message('{{ range(10**9) }}'), /range\(\) of 1000000000 items is longer than 100000/);
  assert.match(message('{{ ["x"]|map(attribute="constructor")|list }}'), /filter map returned a function/);
  assert.match(message("{{ '{0.x}'.format(a) }}"), /format: .*unsupported field \{0\.x\}/);
});

/** Steps of a random chain: attributes (dangerous and ordinary), computed names, calls. */
const NAMES = [
  'constructor', '__proto__', 'prototype', 'call', 'apply', 'bind', 'caller', 'arguments', 'name', 'length', 'toString', 'valueOf',
  'toJSON', 'hasOwnProperty', '__defineGetter__', '__lookupGetter__', 'process', 'mainModule', 'require', 'global', 'globalThis', 'module',
  'Function', 'eval', 'getBuiltinModule', 'binding', 'env', 'exit', 'next', 'reset', 'current', 'val', 'split', 'join', 'items', 'keys',
  'values', 'get', 'format', 'replace', 'map', 'filter', 'reduce', 'at', 'concat', 'slice', 'k', 'inner', 'x', '0', '1', 'then', 'catch',
  'fromCharCode', 'raw', 'assign', 'defineProperty', 'getPrototypeOf', 'setPrototypeOf', 'keywords', '__keywords', 'ctx', 'env', 'lookup',
];
const ROOTS = [
  'range', 'cycler', 'joiner', 'cycler(1,2)', 'joiner()', '__steer_capture', 'a', 'n', 'flag', 'list', 'map', 'empty', 'hostvars', 'none',
  '""', '[]', '{}', '(1)', 'loop', 'caller', 'm', 'undefined_name', 'range(2)', '"a,b".split(",")', 'map.items()', '(a|upper)', '(list|first)',
];
const step = fc.oneof(
  fc.constantFrom(...NAMES).map((n) => `.${/^\d/.test(n) ? `["${n}"]` : n}`.replace('.[', '[')),
  fc.constantFrom(...NAMES).map((n) => `["${n}"]`),
  fc.constantFrom(...NAMES).map((n) => `["${n.slice(0, 2)}" ~ "${n.slice(2)}"]`),
  fc.constantFrom('()', '("CODE")', '(null, "CODE")', '(["CODE"])', '("return 1")'),
);
const chain = fc.tuple(fc.constantFrom(...ROOTS), fc.array(step, { minLength: 1, maxLength: 6 }), fc.constantFrom('', '|string', '|to_json', '|list', '|first', ' ~ ""', '|default(1)'));

test('property: random attribute chains and calls on every global and value never run anything', () => {
  fc.assert(
    fc.property(chain, ([root, steps, tail]) => {
      const expression = `${root}${steps.join('')}${tail}`.replaceAll('CODE', CODE.replaceAll('"', '\\"'));
      renderEverywhere(`{% macro m() %}{% endmacro %}{% for _ in [1] %}{{ ${expression} }}{% endfor %}`);
      renderEverywhere(`{{ ${expression} }}`);
      renderEverywhere(`{% set v = ${expression} %}{{ v }}{{ {"toString": v} ~ "" }}`);
    }),
    { numRuns: 400 },
  );
});
