// INI value typing (Python's literal_eval), host-line splitting (shlex), addresses and host ranges.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HostRangeError, expandHostRange, isIpAddress, parseAddress } from '../../lib/inventory/address.js';
import { iniValue, literalEval } from '../../lib/inventory/python-literal.js';
import { PythonFloat } from '../../lib/vars/python-float.js';
import { ShlexError, shlexSplit } from '../../lib/inventory/shlex.js';

describe('iniValue (ast.literal_eval or the text itself)', () => {
  const cases: [string, unknown][] = [
    ['1', 1],
    ['-3', -3],
    ['+4', 4],
    ['1.5', new PythonFloat(1.5, '1.5')],
    ['.5', new PythonFloat(0.5, '.5')],
    ['1e3', new PythonFloat(1000, '1e3')],
    ['2.0', new PythonFloat(2, '2.0')],
    ['-2.50', new PythonFloat(-2.5, '-2.50')],
    ['1_000', 1000],
    ['0x1F', 31],
    ['0o17', 15],
    ['0b101', 5],
    ['007', '007'], // leading zeros are a SyntaxError in Python 3
    ['True', true],
    ['False', false],
    ['None', null],
    ['true', 'true'],
    ['yes', 'yes'],
    ['"quoted"', 'quoted'],
    ["'single'", 'single'],
    [`'a' "b"`, 'ab'],
    ['"tab\\there"', 'tab\there'],
    ['r"raw\\n"', 'raw\\n'],
    ['"\\x41\\u00e9"', 'Aé'],
    ['[1, 2, "three"]', [1, 2, 'three']],
    ['[]', []],
    ['(1, 2)', [1, 2]],
    ['(1,)', [1]],
    ['()', []],
    ['(5)', 5],
    ['1, 2', [1, 2]],
    ["{'a': 1, 'b': [True, None]}", { a: 1, b: [true, null] }],
    ['{1: "x"}', { 1: 'x' }],
    ['{}', {}],
    ['42 # a comment', 42],
    ['value # a comment', 'value # a comment'],
    ['192.168.1.1', '192.168.1.1'],
    ['1.2.3', '1.2.3'],
    ['a=b', 'a=b'],
    ['', ''],
    ['  7', 7],
    ['--1', '--1'],
    ['-True', '-True'],
    ['1+2', '1+2'],
    ['1j', '1j'],
    ['{1, 2}', '{1, 2}'],
    ['f"x"', 'f"x"'],
    ['"unterminated', '"unterminated'],
    ['[1, 2', '[1, 2'],
    ['inf', 'inf'],
    ['1abc', '1abc'],
  ];
  for (const [text, expected] of cases) {
    test(JSON.stringify(text), () => assert.deepEqual(iniValue(text), expected));
  }

  test('literalEval tells "not a literal" apart from a literal null', () => {
    assert.equal(literalEval('nope'), undefined);
    assert.deepEqual(literalEval('None'), { value: null });
  });
});

describe('shlexSplit (POSIX, comments)', () => {
  test('splits on blanks and removes quotes', () => {
    assert.deepEqual(shlexSplit(`web1 a=1 b="two words" c='x y'`), ['web1', 'a=1', 'b=two words', 'c=x y']);
  });
  test('a # outside quotes starts a comment, also glued to a word', () => {
    assert.deepEqual(shlexSplit('web1 a=1 # comment'), ['web1', 'a=1']);
    assert.deepEqual(shlexSplit('web1 a=1#c'), ['web1', 'a=1']);
    assert.deepEqual(shlexSplit('web1 a="1#c"'), ['web1', 'a=1#c']);
  });
  test('backslashes: any char outside quotes, only " and \\ inside double quotes', () => {
    assert.deepEqual(shlexSplit('a\\ b'), ['a b']);
    assert.deepEqual(shlexSplit('"a\\"b\\n"'), ['a"b\\n']);
    assert.deepEqual(shlexSplit("'a\\b'"), ['a\\b']);
  });
  test('empty quotes make an empty token', () => {
    assert.deepEqual(shlexSplit(`x ''`), ['x', '']);
  });
  test('an unterminated quote is an error', () => {
    assert.throws(() => shlexSplit('x="open'), ShlexError);
  });
});

describe('addresses', () => {
  test('host:port, [ipv6]:port, plain IPv6, ranges', () => {
    assert.deepEqual(parseAddress('web1:2222'), { host: 'web1', port: 2222 });
    assert.deepEqual(parseAddress('[2001:db8::1]:22'), { host: '2001:db8::1', port: 22 });
    assert.deepEqual(parseAddress('::1'), { host: '::1' });
    assert.deepEqual(parseAddress('10.0.0.[1:3]'), { host: '10.0.0.[1:3]' });
    assert.deepEqual(parseAddress('node[01:04].lan:22'), { host: 'node[01:04].lan', port: 22 });
    assert.equal(parseAddress('web*'), undefined);
    assert.equal(parseAddress('a:b'), undefined);
  });
  test('isIpAddress', () => {
    assert.equal(isIpAddress('192.168.2.114'), true);
    assert.equal(isIpAddress('fe80::1'), true);
    assert.equal(isIpAddress('elderberry'), false);
  });
});

describe('expandHostRange', () => {
  test('numeric, zero-padded, stepped, alphabetic, several ranges', () => {
    assert.deepEqual(expandHostRange('node[1:3]'), ['node1', 'node2', 'node3']);
    assert.deepEqual(expandHostRange('node[01:04]'), ['node01', 'node02', 'node03', 'node04']);
    assert.deepEqual(expandHostRange('node[01:10:3]'), ['node01', 'node04', 'node07', 'node10']);
    assert.deepEqual(expandHostRange('db-[a:c]'), ['db-a', 'db-b', 'db-c']);
    assert.deepEqual(expandHostRange('r[1:2]n[a:b]'), ['r1na', 'r1nb', 'r2na', 'r2nb']);
    assert.deepEqual(expandHostRange('n[:2]'), ['n0', 'n1', 'n2']);
    assert.deepEqual(expandHostRange('plain'), ['plain']);
  });
  test('a begin past the end gives no host, as in Ansible', () => {
    assert.deepEqual(expandHostRange('n[5:2]'), []);
  });
  test('bad ranges are errors', () => {
    for (const bad of ['n[1-3]', 'n[01:4]', 'n[1:]', 'n[1:3', 'n[x:5]', 'n[c:a]', 'n[1:3:0]', 'n[1:2:3:4]']) {
      assert.throws(() => expandHostRange(bad), HostRangeError, bad);
    }
  });
});
