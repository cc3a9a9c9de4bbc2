// roles/NAME/variables.yaml: each variable a role reads, with its type (JSON Schema), default and
// description. Mistakes in the declarations are reported at their line, before anything runs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { YamlFile } from '../yaml/load.js';
import { loadYamlFile } from '../yaml/load.js';
import { pythonFloatYamlOptions } from '../inventory/ansible-yaml.js';
import { withPlainNumbers } from '../vars/python-float.js';
import { isTemplate } from '../vars/template.js';
import { checkVariable, compileSchema } from '../vars/validate.js';
import type { RoleVariable } from './playbook.js';

export const VARIABLES_FILE = 'variables.yaml';

const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'array', 'object', 'null'];
const OWN_KEYS = ['type', 'default', 'description', 'secret', 'required'];
const SCHEMA_KEYWORDS = [
  'enum', 'const', 'items', 'additionalItems', 'contains', 'properties', 'patternProperties',
  'additionalProperties', 'propertyNames', 'minProperties', 'maxProperties', 'dependencies',
  'minItems', 'maxItems', 'uniqueItems', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum',
  'multipleOf', 'minLength', 'maxLength', 'pattern', 'anyOf', 'oneOf', 'allOf', 'not', 'if', 'then',
  'else', 'title', 'examples', '$comment',
];
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TYPE_EXPECTED = `expected one of ${JSON_TYPES.join(', ')}, or a list of them`;

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}

/** Finds where a keyword named in an ajv schema error sits inside a declaration. */
function locateKeyword(file: YamlFile, at: (string | number)[], value: unknown, keyword: string): (string | number)[] | undefined {
  if (isMapping(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === keyword) return [...at, k];
      const inner = locateKeyword(file, [...at, k], v, keyword);
      if (inner) return inner;
    }
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const inner = locateKeyword(file, [...at, i], v, keyword);
      if (inner) return inner;
    }
  }
  return undefined;
}

function declaration(file: YamlFile, name: string, decl: unknown): RoleVariable {
  const fail = (message: string, at: (string | number)[] = [name], part: 'key' | 'value' = 'value'): never => {
    throw new UserError(message, 'BAD_VARIABLE_DECLARATION', file.locate(at, part));
  };
  if (!VAR_NAME.test(name)) {
    fail(`invalid variable name '${name}' (expected letters, digits and _, not starting with a digit)`, [name], 'key');
  }
  if (!isMapping(decl)) {
    fail(`declaration of '${name}' is not a mapping (expected keys type, default, description)`);
  }
  const d = decl as Record<string, unknown>;
  for (const key of Object.keys(d)) {
    if (!OWN_KEYS.includes(key) && !SCHEMA_KEYWORDS.includes(key)) {
      fail(
        `unknown key '${key}' in declaration of '${name}' (expected one of: ${OWN_KEYS.join(', ')}, or a JSON Schema keyword such as enum, items, properties, pattern, minimum)`,
        [name, key],
        'key',
      );
    }
  }
  if (!('type' in d)) fail(`variable '${name}' has no type (${TYPE_EXPECTED})`, [name], 'key');
  const types = Array.isArray(d['type']) ? d['type'] : [d['type']];
  if (types.length === 0 || types.some((t) => typeof t !== 'string' || !JSON_TYPES.includes(t))) {
    fail(`invalid type ${shown(d['type'])} for '${name}' (${TYPE_EXPECTED})`, [name, 'type']);
  }
  if (typeof d['description'] !== 'string' || d['description'].trim() === '') {
    fail(
      `variable '${name}' has no description (expected description: a sentence saying what it is for)`,
      'description' in d ? [name, 'description'] : [name],
      'description' in d ? 'value' : 'key',
    );
  }
  if ('secret' in d && typeof d['secret'] !== 'boolean') {
    fail(`invalid value for 'secret' of '${name}': ${shown(d['secret'])} (expected true or false)`, [name, 'secret']);
  }
  // `required: true` marks a variable that must be set; a list is JSON Schema's (object properties).
  const requiredFlag = typeof d['required'] === 'boolean' ? d['required'] : undefined;
  if ('required' in d && requiredFlag === undefined && !Array.isArray(d['required'])) {
    fail(`invalid value for 'required' of '${name}': ${shown(d['required'])} (expected true or false)`, [name, 'required']);
  }

  const schema: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) {
    if (k === 'default' || k === 'secret' || (k === 'required' && requiredFlag !== undefined)) continue;
    // JSON Schema keywords hold plain numbers; only the default keeps a float a float.
    schema[k] = withPlainNumbers(v);
  }
  try {
    compileSchema(schema);
  } catch (err) {
    let message = (err as Error).message.replace(/^strict mode: /, '');
    const keyword = /keyword: "?([^"\s]+)"?/.exec(message)?.[1];
    // "schema is invalid: data/items/minimum must be number": a path inside the declaration.
    const invalid = /^schema is invalid: data((?:\/[^\s,]+)*) (.*)$/.exec(message);
    if (invalid) {
      const inner = invalid[1]!.split('/').slice(1).map((seg) => (/^\d+$/.test(seg) ? Number(seg) : seg));
      message = `${inner.join('.') || 'schema'} ${invalid[2]}`;
      fail(`invalid declaration of '${name}': ${message} (expected a JSON Schema)`, [name, ...inner]);
    }
    const at = (keyword && locateKeyword(file, [name], d, keyword)) || [name];
    fail(`invalid declaration of '${name}': ${message} (expected a JSON Schema)`, at, keyword ? 'key' : 'value');
  }
  const variable: RoleVariable = {
    name,
    schema,
    description: d['description'] as string,
    secret: d['secret'] === true,
    ...(requiredFlag ? { required: true } : {}),
  };
  if ('default' in d) {
    variable.default = d['default'];
    // A templated default ("{{ other }}.0") is checked once rendered, per host.
    if (hasTemplate(d['default'])) return variable;
    const check = checkVariable(variable, d['default']);
    if (check.problem) {
      fail(`default of '${name}' does not match its declaration: ${check.problem.replace(`${name} `, '')}`, [name, 'default']);
    }
  }
  return variable;
}

function hasTemplate(value: unknown): boolean {
  if (typeof value === 'string') return isTemplate(value);
  if (Array.isArray(value)) return value.some(hasTemplate);
  if (isMapping(value)) return Object.values(value).some(hasTemplate);
  return false;
}

/** Reads a role's variables.yaml; a role without one declares no variables. */
export function loadRoleVariables(roleDir: string, displayDir: string = roleDir): RoleVariable[] {
  const path = join(roleDir, VARIABLES_FILE);
  if (!existsSync(path)) return [];
  const file = loadYamlFile(path, join(displayDir, VARIABLES_FILE), pythonFloatYamlOptions);
  if (file.value === null || file.value === undefined) return [];
  if (!isMapping(file.value)) {
    throw new UserError(
      `${VARIABLES_FILE} is not a mapping (expected variable names, each with type, default, description)`,
      'BAD_VARIABLE_DECLARATION',
      file.locate([]),
    );
  }
  return Object.entries(file.value).map(([name, decl]) => declaration(file, name, decl));
}

/** The role's variables as one JSON Schema (documentation, editors). */
export function roleSchema(variables: RoleVariable[]): Record<string, unknown> {
  return {
    type: 'object',
    properties: Object.fromEntries(variables.map((v) => [v.name, { ...v.schema, ...(v.default !== undefined ? { default: v.default } : {}) }])),
    required: variables.filter((v) => v.required).map((v) => v.name),
  };
}
