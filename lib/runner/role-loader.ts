// Imports roles/NAME/role.ts once per run (tsx compiles it on the fly).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors.js';
import type { RoleRef } from '../playbook/playbook.js';
import type { RoleDefinition } from './role-api.js';

const cache = new Map<string, Promise<RoleDefinition<any>>>();

export function loadRole(ref: RoleRef): Promise<RoleDefinition<any>> {
  let loaded = cache.get(ref.dir);
  if (!loaded) {
    loaded = importRole(ref);
    cache.set(ref.dir, loaded);
  }
  return loaded;
}

async function importRole(ref: RoleRef): Promise<RoleDefinition<any>> {
  const script = join(ref.dir, 'role.ts');
  if (!existsSync(script)) throw new UserError(`role '${ref.name}' has no role.ts in ${ref.dir}`, 'ROLE_SCRIPT_MISSING', ref.location);
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(script).href);
  } catch (err) {
    throw new UserError(`role '${ref.name}': cannot load ${script}: ${(err as Error).message}`, 'ROLE_SCRIPT_INVALID', ref.location);
  }
  const def = mod.default as RoleDefinition<any> | undefined;
  if (!def || typeof def.run !== 'function')
    throw new UserError(`role '${ref.name}': ${script} must default-export defineRole({ run })`, 'ROLE_SCRIPT_INVALID', ref.location);
  return def;
}
