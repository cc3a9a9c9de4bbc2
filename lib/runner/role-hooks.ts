// Module resolution hooks for role scripts, registered by role-loader.ts before the first role loads
// (they run on Node's module loader thread). A role may live in any folder — a project of the
// user's own, with or without `"type": "module"`, with or without steer in its node_modules — and
// must still get:
// - the running steer for `import … from 'steer'`: the same module instances the engine uses, so
//   that `Secret` and `Command` values a role makes are the engine's (instanceof checks);
// - ES module semantics for its TypeScript: tsx would otherwise compile a .ts file as CommonJS when
//   the nearest package.json has no `"type": "module"`, and the role's `import` of steer then fails.
import type { ResolveFnOutput, ResolveHook, ResolveHookContext } from 'node:module';

const STEER = 'steer';

/**
 * Resolves `steer` to the running steer's index and `steer/…` through its package.json `exports`,
 * whoever imports it; marks the user's own TypeScript (outside any node_modules) as ES modules.
 */
export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  // A package's self-reference: resolved from this file, inside the running steer's package.
  // `steer` itself: the index next to this file — lib/index.ts from source, build/lib/index.js from
  // the build — so the role and the engine share one copy whichever of the two is running.
  if (specifier === STEER) return nextResolve('../index.js', { ...context, parentURL: import.meta.url });
  if (specifier.startsWith(`${STEER}/`)) return nextResolve(specifier, { ...context, parentURL: import.meta.url });
  const resolved = await nextResolve(specifier, context);
  return isUsersCommonJsTypeScript(resolved, context) ? { ...resolved, format: 'module' } : resolved;
};

/**
 * A .ts/.tsx file of the user's, imported (not required), that would be loaded as CommonJS only for
 * want of `"type": "module"`. Packages in node_modules keep the format they chose.
 */
function isUsersCommonJsTypeScript(resolved: ResolveFnOutput, context: ResolveHookContext): boolean {
  if (!resolved.url.startsWith('file:') || !context.conditions.includes('import')) return false;
  const { pathname } = new URL(resolved.url);
  if (!/\.tsx?$/.test(pathname) || pathname.includes('/node_modules/')) return false;
  return resolved.format === 'commonjs' || resolved.format === undefined || resolved.format === null || String(resolved.format) === 'commonjs-typescript';
}
