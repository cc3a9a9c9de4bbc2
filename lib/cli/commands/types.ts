// `steer types [ROLE_DIR…]`: writes each role's variables.ts (`export interface Vars`) from its
// variables.yaml, for role.ts to import (`defineRole<Vars>`). `--check` writes nothing and fails,
// listing the files that are missing or out of date: CI runs it (test/roles/types.test.ts).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { UserError } from '../../errors.js';
import { VARIABLES_FILE } from '../../playbook/role-variables.js';
import { TYPES_FILE, updateRoleTypes, type RoleTypesOutcome } from '../../playbook/role-types.js';

interface TypesOptions {
  check?: boolean;
}

const isRoleDir = (dir: string): boolean => existsSync(join(dir, 'role.ts')) || existsSync(join(dir, VARIABLES_FILE));

/** roles/NAME and playbooks/roles/NAME under `cwd`: where a playbook there finds its roles. */
export function projectRoleDirs(cwd: string): string[] {
  return ['roles', join('playbooks', 'roles')].flatMap((parent) => {
    const dir = join(cwd, parent);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
    return readdirSync(dir)
      .sort()
      .map((name) => join(dir, name))
      .filter((path) => statSync(path).isDirectory() && isRoleDir(path));
  });
}

/** Generates (or, with check, compares) the variables.ts of each role folder given, in order. */
export async function roleTypes(dirs: string[], options: { check: boolean; cwd?: string }): Promise<RoleTypesOutcome[]> {
  const cwd = options.cwd ?? process.cwd();
  const roleDirs = dirs.length > 0 ? dirs.map((d) => resolve(cwd, d)) : projectRoleDirs(cwd);
  if (roleDirs.length === 0) {
    throw new UserError('no roles found (expected roles/NAME/ or playbooks/roles/NAME/ here, or role folders as arguments)', 'NO_ROLES');
  }
  const outcomes: RoleTypesOutcome[] = [];
  for (const dir of roleDirs) {
    const shown = relative(cwd, dir) || '.';
    if (!existsSync(dir) || !statSync(dir).isDirectory() || !isRoleDir(dir)) {
      throw new UserError(`${shown} is not a role folder (expected role.ts or ${VARIABLES_FILE} in it)`, 'NOT_A_ROLE');
    }
    outcomes.push(await updateRoleTypes(dir, shown, options));
  }
  return outcomes;
}

async function runTypes(dirs: string[], opts: TypesOptions): Promise<void> {
  const check = opts.check === true;
  const outcomes = await roleTypes(dirs, { check });
  const changed = outcomes.filter((o) => o.status !== 'up to date');
  if (check && changed.length > 0) {
    const list = changed.map((o) => `${o.file} (${o.status})`).join(', ');
    throw new UserError(`${changed.length} generated file(s) out of date, run \`steer types\`: ${list}`, 'TYPES_STALE');
  }
  for (const o of changed) process.stdout.write(`wrote ${o.file}\n`);
  const summary = changed.length === 0 ? `every ${TYPES_FILE} up to date` : `${changed.length} written, ${outcomes.length - changed.length} up to date`;
  process.stdout.write(`${outcomes.length} role(s): ${summary}\n`);
}

export function registerTypesCommand(program: Command): void {
  program
    .command('types')
    .description(`generate each role's ${TYPES_FILE} (export interface Vars, for defineRole<Vars>) from its ${VARIABLES_FILE}`)
    .argument('[roleDirs...]', 'role folders (default: roles/*/ and playbooks/roles/*/ here)')
    .option('--check', 'write nothing; fail, listing the files that are missing or out of date (for CI)')
    .action(runTypes);
}
