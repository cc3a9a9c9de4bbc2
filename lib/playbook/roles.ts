// Where a role named in a playbook lives: a folder holding role.ts, searched next to the playbook,
// in the folder above it, then in --roles-path / STEER_ROLES_PATH (colon-separated).
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export const ROLE_SCRIPT = 'role.ts';

export interface RoleSearch {
  playbookDir: string;
  cwd: string;
  rolesPath?: string[];
  /** Defaults to process.env.STEER_ROLES_PATH. */
  envRolesPath?: string;
}

/** The folders that may hold role `name`, in search order (absolute). */
export function roleCandidates(name: string, search: RoleSearch): string[] {
  if (isAbsolute(name)) return [name];
  if (name.includes('/') || name.startsWith('.')) return [resolve(search.playbookDir, name)];
  const extra = [...(search.rolesPath ?? []), ...(search.envRolesPath ?? process.env['STEER_ROLES_PATH'] ?? '').split(':')]
    .filter((p) => p.trim() !== '')
    .map((p) => resolve(search.cwd, p, name));
  const all = [join(search.playbookDir, 'roles', name), resolve(search.playbookDir, '..', 'roles', name), ...extra];
  return [...new Set(all)];
}

/** The role's folder, or undefined with the folders that were searched. */
export function findRole(name: string, search: RoleSearch): { dir?: string; searched: string[] } {
  const searched = roleCandidates(name, search);
  return { dir: searched.find((dir) => existsSync(join(dir, ROLE_SCRIPT))), searched };
}
