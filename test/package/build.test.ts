// The engine as `npm ci` builds it (tsconfig.build.json into build/) must run as it does from the
// source. The one way it cannot is a module that finds a file next to itself (new URL('./x',
// import.meta.url)): the file stays in the source tree. This compiles the engine into a scratch
// folder inside the package and imports every compiled module in a fresh node, so a module that
// reads such a file when it loads fails here, not only in a lab run of `steer doctor`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../support/steer-cli.js';

const exec = promisify(execFile);

/** Imports every .js below the folder argv[1] except the given entry scripts; prints the failures as JSON. */
const IMPORT_ALL = `
const { readdirSync } = await import('node:fs');
const [root, ...skip] = process.argv.slice(1);
const failures = [];
for (const file of readdirSync(root, { recursive: true })) {
  if (!file.endsWith('.js') || skip.some((s) => file.startsWith(s))) continue;
  try { await import(root + '/' + file); } catch (error) { failures.push(file + ': ' + error.message); }
}
console.log(JSON.stringify(failures));
`;

test('every compiled engine module loads from the build: no file is looked for beside a module', { timeout: 5 * 60_000 }, async () => {
  const out = mkdtempSync(join(repoRoot, '.build-check-'));
  try {
    await exec(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', join(repoRoot, 'tsconfig.build.json'), '--outDir', out], { cwd: repoRoot });
    // lab/ holds entry scripts (the repository server runs on import); the ad-hoc role is a role
    // script, loaded through tsx by the engine, never by node directly.
    const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', IMPORT_ALL, out, 'lab/', 'lib/runner/ad-hoc/role.js'], { cwd: repoRoot });
    assert.deepEqual(JSON.parse(stdout), []);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
