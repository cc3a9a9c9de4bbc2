// nunjucks, required on the first template rather than imported: loading it (and setting up the
// environment, template.ts) costs start-up time that commands rendering no template
// (--version, a --syntax-check of a playbook without conditions, --list-hosts) should not pay.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let lib: typeof import('nunjucks') | undefined;

/** The nunjucks module (CommonJS; the same instance an `import` would give), loaded on first call. */
export function nunjucksLib(): typeof import('nunjucks') {
  return (lib ??= require('nunjucks') as typeof import('nunjucks'));
}
