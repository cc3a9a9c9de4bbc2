// Host patterns and --limit, with Ansible's evaluation order (unions, then &, then !).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { UserError } from '../../lib/errors.js';
import { parseInventoryText } from '../../lib/inventory/load.js';
import { applyLimit, evaluatePattern, splitHostPattern } from '../../lib/inventory/patterns.js';

const inv = parseInventoryText(
  [
    'all:',
    '  hosts:',
    '    10.0.0.9:',
    '  children:',
    '    web:',
    '      hosts: {web1: , web2: , web3: }',
    '    db:',
    '      hosts: {db1: , db2: }',
    '    prod:',
    '      hosts: {web1: , db1: }',
    '    cluster:',
    '      children:',
    '        control_plane:',
    '          hosts: {elderberry: }',
    '        workers:',
    '          hosts: {gooseberry: , huckleberry: }',
  ].join('\n'),
  'yaml',
);

const select = (p: string) => inv.select(p);

describe('splitHostPattern', () => {
  test('commas, colons, and colons that belong to an address or a subscript', () => {
    assert.deepEqual(splitHostPattern('web:db'), ['web', 'db']);
    assert.deepEqual(splitHostPattern('web, db ,'), ['web', 'db']);
    assert.deepEqual(splitHostPattern('web:&prod:!db'), ['web', '&prod', '!db']);
    assert.deepEqual(splitHostPattern('web[1:]:db'), ['web[1:]', 'db']);
    assert.deepEqual(splitHostPattern('fe80::1'), ['fe80::1']);
    assert.deepEqual(splitHostPattern('~web[12]:db'), ['~web[12]', 'db']);
  });
});

describe('select', () => {
  test('all, a group, a host, an IP literal', () => {
    assert.deepEqual(select('all'), ['10.0.0.9', 'web1', 'web2', 'web3', 'db1', 'db2', 'elderberry', 'gooseberry', 'huckleberry']);
    assert.deepEqual(select('workers'), ['gooseberry', 'huckleberry']);
    assert.deepEqual(select('cluster'), ['elderberry', 'gooseberry', 'huckleberry']);
    assert.deepEqual(select('db2'), ['db2']);
    assert.deepEqual(select('10.0.0.9'), ['10.0.0.9']);
    assert.deepEqual(select('ungrouped'), ['10.0.0.9']);
  });

  test('union, intersection and exclusion, in Ansible order whatever the writing order', () => {
    assert.deepEqual(select('web:db'), ['web1', 'web2', 'web3', 'db1', 'db2']);
    assert.deepEqual(select('web,db'), ['web1', 'web2', 'web3', 'db1', 'db2']);
    assert.deepEqual(select('web:!prod'), ['web2', 'web3']);
    assert.deepEqual(select('web:db:&prod'), ['web1', 'db1']);
    assert.deepEqual(select('!prod:web'), ['web2', 'web3']);
    assert.deepEqual(select('&prod:db'), ['db1']);
    assert.deepEqual(select('!cluster'), ['10.0.0.9', 'web1', 'web2', 'web3', 'db1', 'db2']);
  });

  test('wildcards and regular expressions match groups and hosts', () => {
    assert.deepEqual(select('web*'), ['web1', 'web2', 'web3']);
    assert.deepEqual(select('*berry'), ['elderberry', 'gooseberry', 'huckleberry']);
    assert.deepEqual(select('db?'), ['db1', 'db2']);
    assert.deepEqual(select('work*'), ['gooseberry', 'huckleberry']);
    assert.deepEqual(select('~(web|db)1'), ['web1', 'db1']);
    assert.deepEqual(select('~.*berry$'), ['elderberry', 'gooseberry', 'huckleberry']);
    assert.deepEqual(select('*').length, 9);
  });

  test('subscripts', () => {
    assert.deepEqual(select('web[0]'), ['web1']);
    assert.deepEqual(select('web[-1]'), ['web3']);
    assert.deepEqual(select('web[1:]'), ['web2', 'web3']);
    assert.deepEqual(select('web[0:1]'), ['web1', 'web2']);
    assert.deepEqual(select('web[0]:db[1]'), ['web1', 'db2']);
    assert.throws(() => select('web[7]'), (err: unknown) => err instanceof UserError && /web\[7\]/.test(err.message));
  });

  test('a pattern matching nothing gives no host and is reported as unmatched', () => {
    assert.deepEqual(select('nosuch'), []);
    assert.deepEqual(evaluatePattern(inv, ['web', 'nosuch', '!nothing*']), { hosts: ['web1', 'web2', 'web3'], unmatched: ['nosuch', 'nothing*'] });
  });

  test('an invalid regular expression is a UserError', () => {
    assert.throws(() => select('~web('), UserError);
  });
});

describe('applyLimit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'steer-limit-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('narrows the hosts and keeps their order', () => {
    assert.deepEqual(applyLimit(inv, ['huckleberry', 'web1', 'gooseberry'], 'workers'), ['huckleberry', 'gooseberry']);
    assert.deepEqual(applyLimit(inv, select('all'), 'web:!web2'), ['web1', 'web3']);
    assert.deepEqual(applyLimit(inv, select('all'), 'cluster[0]'), ['elderberry']);
  });

  test('@file: one host per line, as a retry file', async () => {
    const file = join(dir, 'site.retry');
    writeFileSync(file, 'gooseberry\n\ndb2\n');
    assert.deepEqual(await applyLimit(inv, select('all'), `@${file}`), ['db2', 'gooseberry']);
    assert.deepEqual(applyLimit(inv, select('all'), `@${file},web1`), ['web1', 'db2', 'gooseberry']);
  });

  test('nothing matched: [] and Ansible\'s warning', () => {
    const warnings: string[] = [];
    assert.deepEqual(applyLimit(inv, select('all'), 'nosuch', { warn: (w) => warnings.push(w) }), []);
    assert.deepEqual(warnings, ['[WARNING]: Could not match supplied host pattern, ignoring: nosuch']);
  });

  test('a missing limit file is a UserError naming it', () => {
    assert.throws(
      () => applyLimit(inv, [], `@${join(dir, 'missing.retry')}`),
      (err: unknown) => err instanceof UserError && err.location?.file === join(dir, 'missing.retry'),
    );
  });
});
