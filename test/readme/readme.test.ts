// The README opens with exactly two commands, and CI (.ci/run) runs exactly those, nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readmeCommands } from '../support/readme.js';
import { repoRoot } from '../support/steer-cli.js';

test('the README opens with the main job and the test command', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  assert.ok(readme.startsWith('# steer\n\n```sh\n'), 'the first thing after the title is the commands');
  const { main, test: tests } = readmeCommands(readme);
  assert.match(main, /lab up 3 && .*run site\.yaml -i inventory\/lab\.yaml$/);
  assert.match(tests, /npm test$/);
});

test('.ci/run runs the README\'s two commands as written, and nothing else', () => {
  const script = readFileSync(join(repoRoot, '.ci/run'), 'utf8');
  const steps = script
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .filter((line) => line !== 'set -euo pipefail' && line !== 'cd "$(dirname "$0")/.."');
  const { main, test: tests } = readmeCommands();
  assert.deepEqual(steps, [main, tests]);
});
