// Where steer's own files are. The engine runs either from its TypeScript source (lib/, through
// tsx) or from the build (build/lib/, compiled at install): its non-TypeScript files (the host
// functions, the playbook schema, the ad-hoc role, the lab's host files and stand-ins) stay in the
// source tree only, so they are found from the package's root, never next to the running module.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest folder at or above `dir` holding a package.json; throws when there is none. */
function findPackageRoot(dir: string): string {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) throw new Error(`steer: no package.json above ${dir}`);
  }
}

/** The folder holding steer's package.json (the repository, or node_modules/steer), absolute. */
export const steerRoot: string = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** An absolute path inside steer's package, from the package root: packagePath('lib', 'x.sh'). */
export function packagePath(...parts: string[]): string {
  return join(steerRoot, ...parts);
}
