// Validators compiled at build time. Compiling a JSON Schema (ajv's code generation) is the largest
// cost of loading a playbook: the playbook schema and one schema per declared role variable. The
// build compiles the schemas steer ships (the playbook schema, the variables of the roles in its
// roles/) with ajv's standalone code generation (https://ajv.js.org/standalone.html) into
// build/validators/; a run looks a schema up there by a hash of its options and content, so a
// schema edited since the build (or a user's own role) simply misses and is compiled as before.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv, Options, ValidateFunction } from 'ajv';
import { packagePath } from '../package-root.js';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The file holding the validators compiled with `options` (CommonJS: it `require`s ajv's runtime). */
function fileFor(options: Options): string {
  return packagePath('build', 'validators', `${sha(JSON.stringify(options)).slice(0, 16)}.cjs`);
}

/** The export naming a schema's validator: a hash of the options and of the schema's JSON. */
function exportFor(options: Options, schema: object): string {
  return `v${sha(JSON.stringify(options) + '\n' + JSON.stringify(schema)).slice(0, 32)}`;
}

// ajv itself (CommonJS, ~100 KB of code generator) is required only when a schema must be compiled:
// the same module instance an `import` of it would give.
const require = createRequire(import.meta.url);
const ajvs = new Map<string, Ajv>();

/** Compiles `schema` now, with one Ajv per set of options; throws ajv's error for an invalid schema. */
function compileNow(options: Options, schema: object): ValidateFunction {
  const key = JSON.stringify(options);
  let ajv = ajvs.get(key);
  if (!ajv) {
    ajv = new (require('ajv') as typeof import('ajv')).Ajv(options);
    ajvs.set(key, ajv);
  }
  return ajv.compile(schema);
}

/** The validator for `schema` with `options`: the build's, else compiled now (ajv's error when invalid). */
export function validatorFor(options: Options, schema: object): ValidateFunction {
  return precompiledValidator(options, schema) ?? compileNow(options, schema);
}

const loaded = new Map<string, Record<string, ValidateFunction> | null>();

/** The build's validator for `schema` compiled with `options`, or undefined when it has none. */
function precompiledValidator(options: Options, schema: object): ValidateFunction | undefined {
  const file = fileFor(options);
  let validators = loaded.get(file);
  if (validators === undefined) {
    validators = existsSync(file) ? (require(file) as Record<string, ValidateFunction>) : null;
    loaded.set(file, validators);
  }
  return validators?.[exportFor(options, schema)];
}

/** Compiles `schemas` with `options` into the build's file for those options (run by `npm run build`). */
export function writePrecompiledValidators(options: Options, schemas: object[]): void {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const standaloneCode = require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js');
  const ajv = new Ajv({ ...options, code: { ...options.code, source: true } });
  const exports: Record<string, string> = {};
  for (const schema of schemas) {
    const name = exportFor(options, schema);
    if (exports[name]) continue;
    ajv.addSchema(schema, name);
    exports[name] = name;
  }
  mkdirSync(packagePath('build', 'validators'), { recursive: true });
  writeFileSync(fileFor(options), standaloneCode.default(ajv, exports));
}
