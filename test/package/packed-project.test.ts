// steer as a package in a user's own project: `npm pack` ships the engine, roles, playbooks and lab
// (no tests, benchmarks or results); the tarball installs into a project with no "type" field, where
// `npx steer new role` scaffolds a role whose own test passes, and `npx steer run` runs the project's
// playbook and roles against this machine (ansible_connection: local, no network).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../support/steer-cli.js';

const exec = promisify(execFile);

/** Runs a program in `cwd`; its exit code and output, never throwing on a non-zero exit. */
async function run(program: string, args: string[], cwd: string): Promise<{ code: number; out: string; stdout: string }> {
  try {
    const { stdout, stderr } = await exec(program, args, { cwd, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, out: stderr + stdout, stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stderr ?? ''}${e.stdout ?? ''}`, stdout: e.stdout ?? '' };
  }
}

/** A role of the project's own: command values and secrets made with its `steer` import. */
const OWN_ROLE = `import { defineRole, Secret, sh } from 'steer';

export default defineRole<{ own_dir: string }>({
  async run({ step, $, vars }) {
    await step('command values from the role reach the host as the engine builds them', async () => {
      const words = sh\`printf '%s\\n' \${'two words'} \${new Secret('s3cret-value')}\`;
      await $\`\${words} > \${vars.own_dir}/own.txt\`;
      return 'changed';
    });
  },
});
`;

test('npm pack ships the engine, roles, playbooks, lab and docs; no tests, benchmarks, results or harness', async () => {
  const r = await run('npm', ['pack', '--dry-run', '--json'], repoRoot);
  assert.equal(r.code, 0, r.out);
  const files: string[] = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  for (const expected of ['bin/steer.js', 'lib/index.ts', 'lib/runner/role-hooks.ts', 'lab/lab.ts', 'lab/standins/python/standin/kubeadm.py', 'roles/cni/role.ts', 'playbooks/site.yaml', 'inventory/home.yaml', 'README.md'])
    assert.ok(files.includes(expected), `${expected} is packed`);
  const unwanted = files.filter((f) => /^(test|bench|\.ci)\//.test(f) || f.includes('/harness/') || f.endsWith('.retry') || f === 'inventory/lab.yaml');
  assert.deepEqual(unwanted, []);
});

test('the packed steer in a project of its own: new role, its test, and npx steer run', { timeout: 15 * 60_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'steer-packed-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], repoRoot);
  assert.equal(packed.code, 0, packed.out);
  const tarball = join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);

  const project = join(work, 'infra');
  mkdirSync(join(project, 'roles', 'own'), { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'infra', private: true }, null, 2));
  const installed = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], project);
  assert.equal(installed.code, 0, installed.out);

  const created = await run('npx', ['--no', 'steer', 'new', 'role', 'greeter'], project);
  assert.equal(created.code, 0, created.out);
  const scaffoldTest = await run(process.execPath, ['--import', 'tsx', '--test', 'roles/greeter/role.test.mts'], project);
  assert.equal(scaffoldTest.code, 0, scaffoldTest.out);

  writeFileSync(join(project, 'roles', 'own', 'role.ts'), OWN_ROLE);
  writeFileSync(join(project, 'roles', 'own', 'variables.yaml'), 'own_dir:\n  type: string\n  description: Where the role writes.\n');
  writeFileSync(join(project, 'inventory.yaml'), 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n');
  writeFileSync(join(project, 'site.yaml'), '- name: The project\'s own roles\n  hosts: all\n  gather_facts: false\n  roles: [greeter, own]\n');
  const out = join(project, 'out');
  mkdirSync(out);
  const vars = JSON.stringify({ greeter_path: join(out, 'greeter.conf'), own_dir: out });
  const ran = await run('npx', ['--no', 'steer', 'run', 'site.yaml', '-i', 'inventory.yaml', '-v', '-e', vars], project);
  assert.equal(ran.code, 0, ran.out);
  assert.equal(readFileSync(join(out, 'greeter.conf'), 'utf8'), 'Managed by steer\n');
  // `sh` and `Secret` from the role's import are the engine's: quoted as values, the secret masked.
  assert.equal(readFileSync(join(out, 'own.txt'), 'utf8'), 'two words\ns3cret-value\n');
  assert.doesNotMatch(ran.out, /s3cret-value/);
  assert.match(ran.out, /\*{8}/);
});
