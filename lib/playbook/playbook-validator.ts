// The playbook schema's validator: precompiled by the build when the schema is the one it was
// built from (lib/ajv/precompiled.ts), else compiled now.
import { readFileSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import { validatorFor } from '../ajv/precompiled.js';
import { packagePath } from '../package-root.js';

/** The playbook JSON Schema (draft-07), as lib/playbook/playbook.schema.json holds it. */
export const playbookSchema = JSON.parse(readFileSync(packagePath('lib', 'playbook', 'playbook.schema.json'), 'utf8')) as Record<string, unknown>;

/** The options the playbook validator is compiled with: every error, each with its schema. */
export const playbookAjvOptions = { allErrors: true, verbose: true, strict: true } as const;

/** The validator: the build's when it matches the schema, else compiled now. */
export function playbookValidator(): ValidateFunction {
  return validatorFor(playbookAjvOptions, playbookSchema);
}
