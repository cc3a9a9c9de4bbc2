// The playbook schema's validator. Compiling the schema is ajv's largest cost at start-up (code
// generation for ~40 KB of JSON Schema), so the build compiles it once, with ajv's standalone code
// generation (https://ajv.js.org/standalone.html), into build/lib/playbook/playbook.validate.cjs;
// a run loads that file when it was made from the schema as it is now, and otherwise (running
// from source, or the schema edited since the build) compiles the schema itself, as before.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { packagePath } from '../package-root.js';

/** Where the build writes the precompiled validator (CommonJS: it `require`s ajv's runtime). */
export const PRECOMPILED = packagePath('build', 'lib', 'playbook', 'playbook.validate.cjs');

const schemaText = readFileSync(packagePath('lib', 'playbook', 'playbook.schema.json'), 'utf8');

/** The playbook JSON Schema (draft-07), as lib/playbook/playbook.schema.json holds it. */
export const playbookSchema = JSON.parse(schemaText) as Record<string, unknown>;

/** Fingerprint of the schema text a precompiled validator was made from. */
const schemaSha256 = createHash('sha256').update(schemaText).digest('hex');

/** The options every playbook validator is compiled with: every error, each with its schema. */
const ajvOptions = { allErrors: true, verbose: true, strict: true } as const;

/** The validator: the build's when it matches the schema, else compiled now. */
export function playbookValidator(): ValidateFunction {
  if (existsSync(PRECOMPILED)) {
    const built = createRequire(import.meta.url)(PRECOMPILED) as ValidateFunction & { schemaSha256?: string };
    if (built.schemaSha256 === schemaSha256) return built;
  }
  return new Ajv(ajvOptions).compile(playbookSchema);
}

/** Writes the precompiled validator to PRECOMPILED (run by `npm run build` after tsc). */
export function writePrecompiledValidator(): void {
  const ajv = new Ajv({ ...ajvOptions, code: { source: true } });
  const code = standaloneCode.default(ajv, ajv.compile(playbookSchema));
  writeFileSync(PRECOMPILED, `${code}\nmodule.exports.schemaSha256 = ${JSON.stringify(schemaSha256)};\n`);
}
