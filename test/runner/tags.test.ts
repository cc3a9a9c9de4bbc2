// Tag selection, cell by cell where Ansible surprises people; test/differential/tags.test.ts checks
// the whole matrix against ansible-playbook.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shouldRunTags, stepTags } from '../../lib/runner/tags.js';

const run = (written: string[], tags: string[] = [], skipTags: string[] = [], implicit: string[] = []) =>
  shouldRunTags({ written, implicit }, { tags, skipTags });

test('no --tags: everything but never runs', () => {
  assert.equal(run(['sysctl']), true);
  assert.equal(run([]), true);
  assert.equal(run(['never', 'debug']), false);
});

test('--tags selects by any matching tag', () => {
  assert.equal(run(['cgroups'], ['cgroups']), true);
  assert.equal(run(['sysctl'], ['cgroups']), false);
  assert.equal(run(['sysctl', 'swap'], ['swap']), true);
});

test('always runs unless skipped by always (--skip-tags all spares it); never runs only when one of its tags is asked for', () => {
  assert.equal(run(['always'], ['cgroups']), true);
  assert.equal(run(['always'], ['cgroups'], ['always']), false);
  assert.equal(run(['always'], [], ['all']), true);
  assert.equal(run(['always'], [], ['all', 'always']), false);
  assert.equal(run(['never', 'debug'], ['debug']), true);
  assert.equal(run(['never', 'debug'], ['all']), false);
  assert.equal(run(['never', 'debug'], ['tagged']), false);
});

test('always and never on one step: always wins, by default and under any --tags', () => {
  assert.equal(run(['always', 'never']), true);
  assert.equal(run(['always', 'never'], ['other']), true);
  assert.equal(run(['always', 'never'], [], ['never']), false);
});

test('--skip-tags beats --tags', () => {
  assert.equal(run(['sysctl', 'swap'], ['sysctl'], ['swap']), false);
  assert.equal(run(['sysctl'], [], ['sysctl']), false);
  assert.equal(run(['docker'], [], ['sysctl']), true);
  assert.equal(run([], [], ['all']), false);
});

test('special selectors all, tagged, untagged', () => {
  assert.equal(run(['x'], ['all']), true);
  assert.equal(run(['x'], ['tagged']), true);
  assert.equal(run([], ['tagged']), false);
  assert.equal(run([], ['untagged']), true);
  assert.equal(run(['x'], ['untagged']), false);
  assert.equal(run([], [], ['untagged']), false);
  assert.equal(run(['x'], [], ['tagged']), false);
});

test("a role's name selects and skips its steps but does not make them tagged", () => {
  const plain = stepTags([], { name: 'cgroups', tags: [] });
  assert.deepEqual(plain, { written: [], implicit: ['cgroups'] });
  assert.equal(shouldRunTags(plain, { tags: ['cgroups'], skipTags: [] }), true);
  assert.equal(shouldRunTags(plain, { tags: [], skipTags: ['cgroups'] }), false);
  assert.equal(shouldRunTags(plain, { tags: ['untagged'], skipTags: [] }), true);
  assert.equal(shouldRunTags(plain, { tags: ['tagged'], skipTags: [] }), false);
  assert.equal(run(['never'], ['cgroups'], [], ['cgroups']), true, 'asked for by name, like a written tag');
});

test("a step carries its play's, its role entry's and its own tags", () => {
  assert.deepEqual(stepTags(['site'], { name: 'docker', tags: ['runtime', 'site'] }, ['config']), {
    written: ['site', 'runtime', 'config'],
    implicit: ['docker'],
  });
});
