// The files `steer new role NAME` writes: a role the README's "Writing a role" describes (a script,
// its variables.yaml) and a test that runs it on this machine, like ansible-galaxy's role skeleton.
import { UserError } from '../errors.js';

/** Role names as Ansible allows them: letters, digits, `_` and `-`, starting with a letter. */
const ROLE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** The test's file name: .mts is an ES module whatever the project's package.json says. */
export const ROLE_TEST_FILE = 'role.test.mts';

/**
 * File name → content of a new role called `name`, to be written in `folder` (as the user will type
 * it: the test's comment says how to run it). Its variables are prefixed with the name (`-` becomes
 * `_`), the Ansible convention that keeps roles' variables apart.
 * Throws UserError (BAD_ROLE_NAME) for a name that is not a valid role name.
 */
export function roleSkeleton(name: string, folder: string): Record<string, string> {
  if (!ROLE_NAME.test(name)) {
    throw new UserError(`'${name}' is not a role name: letters, digits, _ and -, starting with a letter`, 'BAD_ROLE_NAME');
  }
  const prefix = name.replace(/-/g, '_');
  return { 'role.ts': roleScript(name, prefix), 'variables.yaml': variables(name, prefix), [ROLE_TEST_FILE]: roleTest(name, prefix, folder) };
}

function roleScript(name: string, prefix: string): string {
  return `// Role ${name}: say here what it does for a host, and why.
import { defineRole } from 'steer';

/** The role's variables, as declared in variables.yaml. */
interface Vars {
  ${prefix}_path: string;
  ${prefix}_message: string;
}

export default defineRole<Vars>({
  async run({ step, m, vars }) {
    // Modules probe the host, plan, and only then change it: idempotent, check mode and diffs for free.
    await step('${name} file', () => m.file({ path: vars.${prefix}_path, content: \`\${vars.${prefix}_message}\\n\`, mode: '0644' }));
  },
});
`;
}

function variables(name: string, prefix: string): string {
  return `# Every variable role ${name} reads: type (JSON Schema), default, description; secret: true masks it.
${prefix}_path:
  type: string
  default: /etc/${name}.conf
  description: The file the role writes.
${prefix}_message:
  type: string
  default: Managed by steer
  description: What the file says.
`;
}

function roleTest(name: string, prefix: string, folder: string): string {
  return `// Role ${name} on this machine (ansible_connection: local), its file in a temporary folder: the
// first run changes the host, a second run changes nothing, and check mode then predicts no change.
// Run it with: node --import tsx --test ${folder.replace(/[\r\n]/g, ' ')}/${ROLE_TEST_FILE}
// It uses the project's steer (npx), or the one $STEER names (e.g. a checkout's bin/steer.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const rolesFolder = dirname(dirname(fileURLToPath(import.meta.url)));
const steer = process.env.STEER ? [process.env.STEER] : ['npx', '--no', 'steer'];

/** Runs the role once on localhost; the exit code and localhost's recap counters. */
function runRole(work: string, ...args: string[]) {
  const [command, ...before] = steer;
  const playbook = join(work, 'test.yaml');
  const r = spawnSync(command!, [...before, 'run', playbook, '-i', join(work, 'inventory.yaml'), '--roles-path', rolesFolder, '--json', ...args], {
    cwd: work,
    encoding: 'utf8',
  });
  const events = r.stdout.split('\\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
  const recap = events.find((e) => e.type === 'recap');
  return { code: r.status, output: r.stderr + r.stdout, counts: recap?.hosts?.localhost };
}

test('role ${name}: converges, then changes nothing, and check mode agrees', (t) => {
  const work = mkdtempSync(join(tmpdir(), 'role-${name}-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  writeFileSync(join(work, 'inventory.yaml'), 'all:\\n  hosts:\\n    localhost:\\n      ansible_connection: local\\n');
  writeFileSync(join(work, 'test.yaml'), '- name: Test ${name}\\n  hosts: all\\n  gather_facts: false\\n  roles: [${name}]\\n');
  const target = join(work, '${name}.conf');
  const vars = ['-e', JSON.stringify({ ${prefix}_path: target, ${prefix}_message: 'hello' })];

  const first = runRole(work, ...vars);
  assert.equal(first.code, 0, first.output);
  assert.equal(first.counts.changed, 1);
  assert.equal(readFileSync(target, 'utf8'), 'hello\\n');

  const second = runRole(work, ...vars);
  assert.equal(second.code, 0, second.output);
  assert.equal(second.counts.changed, 0, 'a second run changes nothing');

  const check = runRole(work, '--check', ...vars);
  assert.equal(check.counts.changed, 0, 'check mode predicts no change');
});
`;
}
