#!/usr/bin/env node
// steer starts from its build (build/: lib/ and lab/ compiled to JavaScript by `npm run build`,
// which npm runs as `prepare` on `npm ci`, `npm install` and `npm pack`) when every source file is
// no newer than its compiled file; otherwise — no build yet, or a source edited since the build —
// from the TypeScript source through tsx, so a stale build never runs. STEER_FROM_SOURCE=1 forces
// the source. Role scripts are TypeScript either way: the engine registers tsx when a role loads.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * True when build/ holds a compiled file at least as new as each source tsconfig.build.json compiles
 * (lib/, lab/) and as each role file the engine imports (build/roles/: e.g. the storage health
 * check `steer doctor` runs).
 */
function buildIsFresh() {
  try {
    for (const dir of ['lib', 'lab', 'roles']) {
      for (const file of readdirSync(root + dir, { recursive: true })) {
        if (!file.endsWith('.ts') || file.endsWith('.test.ts') || file.endsWith('.d.ts') || file.startsWith('standins/harness/')) continue;
        const built = statSync(`${root}build/${dir}/${file.slice(0, -3)}.js`, { throwIfNoEntry: false });
        // Role scripts are not compiled (tsx loads them when a play runs): only those the engine imports are.
        if (!built && dir === 'roles') continue;
        if (!built || built.mtimeMs < statSync(`${root}${dir}/${file}`).mtimeMs) return false;
      }
    }
    return true;
  } catch {
    return false;
  }
}

// `steer … | head` closes the pipe early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
// A signal before the run has started (while loading) ends the process as interrupted; the engine
// replaces these handlers with its own clean stop while a playbook runs.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(99));
let main;
if (process.env.STEER_FROM_SOURCE !== '1' && buildIsFresh()) {
  ({ main } = await import('../build/lib/cli/main.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../lib/cli/main.ts'));
}
process.exitCode = await main(process.argv);
