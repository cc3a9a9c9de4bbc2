// `steer new role NAME [--path DIR]`: writes a new role's folder from the skeleton (script,
// variables.yaml, a test), as `ansible-galaxy role init` does, never over existing files.
import { Command } from 'commander';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { UserError } from '../../errors.js';
import { ROLE_TEST_FILE, roleSkeleton } from '../../scaffold/role-skeleton.js';

const say = (text: string): void => void process.stdout.write(text + '\n');

/** Creates DIR/NAME (DIR relative to `cwd`) with the skeleton's files; returns the folder. */
export function newRole(name: string, rolesDir: string, cwd: string = process.cwd()): string {
  const folder = resolve(cwd, rolesDir, name);
  const shown = relative(cwd, folder) || '.';
  const files = roleSkeleton(name, shown);
  mkdirSync(folder, { recursive: true });
  if (readdirSync(folder).length > 0) throw new UserError(`${shown} already exists and is not empty: choose another name or --path`, 'ROLE_EXISTS');
  for (const [file, content] of Object.entries(files)) writeFileSync(join(folder, file), content, { flag: 'wx' });
  return folder;
}

export function registerNewCommand(program: Command): void {
  const command = program.command('new').description('create things from a skeleton: a role');
  command
    .command('role')
    .description('create a role: NAME/role.ts, variables.yaml and a test, in roles/ of the current folder (or --path DIR)')
    .argument('<name>', 'the role name (letters, digits, _ and -)')
    .option('--path <dir>', 'the folder that holds the roles', 'roles')
    .action((name: string, options: { path: string }) => {
      const folder = relative(process.cwd(), newRole(name, options.path)) || '.';
      say(`created ${folder}/: role.ts, variables.yaml, ${ROLE_TEST_FILE}`);
      say(`use it in a play (roles: [${name}]) and test it: node --import tsx --test ${folder}/${ROLE_TEST_FILE}`);
    });
}
