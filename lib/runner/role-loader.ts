// Imports roles/NAME/role.ts once per run (tsx compiles it on the fly). Roles may live in any folder:
// role-hooks.ts makes `import … from 'steer'` reach the running steer and role scripts ES modules.
import { existsSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors.js';
import type { RoleRef } from '../playbook/playbook.js';
import type { RoleDefinition } from './role-api.js';

const cache = new Map<string, Promise<RoleDefinition<any>>>();
let hooksRegistered = false;

export function loadRole(ref: RoleRef): Promise<RoleDefinition<any>> {
  let loaded = cache.get(ref.dir);
  if (!loaded) {
    loaded = importRole(ref);
    cache.set(ref.dir, loaded);
  }
  return loaded;
}

/**
 * Registers tsx (when steer runs from its JavaScript build, nothing compiles TypeScript yet) and
 * role-hooks.ts, once per process (Node ≥ 20.6 has module.register).
 */
async function registerRoleHooks(): Promise<void> {
  if (hooksRegistered) return;
  if (typeof nodeModule.register !== 'function') {
    throw new UserError(`steer needs Node 20.6 or later to load roles (this is ${process.version})`, 'NODE_TOO_OLD');
  }
  // This module is TypeScript only when a TypeScript loader (tsx) already runs the engine.
  if (!import.meta.url.endsWith('.ts')) (await import('tsx/esm/api')).register();
  // The hooks module is named as the house names imports (.js); tsx, registered first, finds the .ts.
  nodeModule.register('./role-hooks.js', import.meta.url);
  hooksRegistered = true;
}

async function importRole(ref: RoleRef): Promise<RoleDefinition<any>> {
  const script = join(ref.dir, 'role.ts');
  if (!existsSync(script)) throw new UserError(`role '${ref.name}' has no role.ts in ${ref.dir}`, 'ROLE_SCRIPT_MISSING', ref.location);
  await registerRoleHooks();
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(script).href);
  } catch (err) {
    throw new UserError(`role '${ref.name}': cannot load ${script}: ${(err as Error).message}${remedy(err, script)}`, 'ROLE_SCRIPT_INVALID', ref.location);
  }
  const def = mod.default as RoleDefinition<any> | undefined;
  if (!def || typeof def.run !== 'function')
    throw new UserError(`role '${ref.name}': ${script} must default-export defineRole({ run })`, 'ROLE_SCRIPT_INVALID', ref.location);
  return def;
}

/** What to do about a package a role imports that is not installed: where to install it. */
function remedy(err: unknown, script: string): string {
  const missing = /Cannot find package '([^']+)'/.exec((err as Error).message ?? '')?.[1];
  if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || !missing) return '';
  return `; install it where the role can find it: npm install ${missing} (in ${projectDir(script)})`;
}

/** The folder of the nearest package.json above a file, else the file's own folder. */
function projectDir(file: string): string {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return dirname(file);
  }
}
