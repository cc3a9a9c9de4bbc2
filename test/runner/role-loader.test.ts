// Roles in a project of the user's own, outside this checkout: whatever its package.json says about
// "type", and with steer not in its node_modules, a role gets the running steer (the very module
// instances the engine uses) and is an ES module; a package it lacks is named with where to install it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, sh, Command } from '../../lib/index.js';
import { UserError } from '../../lib/errors.js';
import { loadRole } from '../../lib/runner/role-loader.js';

const ROLE = `import { defineRole, Secret, sh } from 'steer';
import { greeting } from './greeting.ts';

export const made = { secret: new Secret('s3cret'), command: sh\`echo \${greeting}\` };

export default defineRole({
  async run({ note }) {
    note(greeting);
  },
});
`;

/** A project folder holding package.json (as given) and roles/NAME/ with role.ts and a helper. */
function project(packageJson: object | undefined, role = ROLE): { dir: string; roleDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'steer-own-project-'));
  if (packageJson) writeFileSync(join(dir, 'package.json'), JSON.stringify(packageJson));
  const roleDir = join(dir, 'roles', 'greeter');
  mkdirSync(roleDir, { recursive: true });
  writeFileSync(join(roleDir, 'role.ts'), role);
  writeFileSync(join(roleDir, 'greeting.ts'), "export const greeting: string = 'hello';\n");
  return { dir, roleDir };
}

const ref = (roleDir: string) => ({ name: 'greeter', dir: roleDir, tags: [], params: {}, variables: [], location: { file: 'site.yaml', line: 3, col: 5 } });

for (const [label, packageJson] of [
  ['no "type" field', { name: 'own', private: true }],
  ['"type": "commonjs"', { name: 'own', private: true, type: 'commonjs' }],
  ['no package.json at all', undefined],
] as const) {
  test(`a role in a project with ${label}, steer not installed there, loads with the engine's steer`, async (t) => {
    const { dir, roleDir } = project(packageJson);
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const def = await loadRole(ref(roleDir));
    assert.equal(typeof def.run, 'function');
    // The role's module, through the loader's cache-free path: the same instances as the engine's.
    const mod = (await import(join(roleDir, 'role.ts'))) as { made: { secret: unknown; command: unknown } };
    assert.ok(mod.made.secret instanceof Secret, 'Secret is the engine’s class');
    assert.ok(mod.made.command instanceof Command, 'Command is the engine’s class');
    assert.equal((mod.made.command as Command).text, sh`echo ${'hello'}`.text);
  });
}

test('a package the role imports but nobody installed: the message says what to install, and where', async (t) => {
  const { dir, roleDir } = project({ name: 'own', private: true }, `import 'left-pad-not-installed';\n${ROLE}`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await assert.rejects(loadRole(ref(roleDir)), (err: unknown) => {
    assert.ok(err instanceof UserError);
    assert.match(err.message, /Cannot find package 'left-pad-not-installed'/);
    assert.ok(err.message.endsWith(`install it where the role can find it: npm install left-pad-not-installed (in ${dir})`), err.message);
    return true;
  });
});
