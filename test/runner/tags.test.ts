import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shouldRun } from '../../lib/runner/tags.js';

const run = (taskTags: string[], tags: string[] = [], skipTags: string[] = []) => shouldRun(taskTags, { tags, skipTags });

test('no --tags: everything but never runs', () => {
  assert.equal(run(['sysctl']), true);
  assert.equal(run([]), true);
  assert.equal(run(['never', 'debug']), false);
});

test('--tags selects by any matching tag; the role name is a tag', () => {
  assert.equal(run(['cgroups'], ['cgroups']), true);
  assert.equal(run(['sysctl'], ['cgroups']), false);
  assert.equal(run(['sysctl', 'swap'], ['swap']), true);
});

test('always runs unless skipped by name; never runs only when asked for', () => {
  assert.equal(run(['always'], ['cgroups']), true);
  assert.equal(run(['always'], ['cgroups'], ['always']), false);
  assert.equal(run(['never', 'debug'], ['debug']), true);
  assert.equal(run(['never', 'debug'], ['all']), false);
});

test('--skip-tags beats --tags', () => {
  assert.equal(run(['sysctl', 'swap'], ['sysctl'], ['swap']), false);
  assert.equal(run(['sysctl'], [], ['sysctl']), false);
  assert.equal(run(['docker'], [], ['sysctl']), true);
});

test('special selectors all, tagged, untagged', () => {
  assert.equal(run(['x'], ['all']), true);
  assert.equal(run(['x'], ['tagged']), true);
  assert.equal(run([], ['untagged']), true);
  assert.equal(run(['x'], ['untagged']), false);
});
