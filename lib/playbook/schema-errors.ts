// Turns ajv's errors into one message at the YAML node that is wrong: `unknown key 'rolez' in play
// (expected one of: …)`, `invalid value for 'serial': "abc" (expected …)`. The texts come from the
// schema's own `title` (what a mapping is) and `description` (what a value should be).
import type { ErrorObject } from 'ajv';
import { UserError } from '../errors.js';
import type { YamlFile, YamlPath } from '../yaml/load.js';

type Schema = { title?: string; description?: string; properties?: Record<string, Schema> };

/** JSON pointer to YAML path: array indexes become numbers. */
function yamlPath(pointer: string, root: unknown): (string | number)[] {
  const out: (string | number)[] = [];
  let node = root;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      out.push(Number(seg));
      node = node[Number(seg)];
    } else {
      out.push(seg);
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}

/** `serial[1]`, `roles[0].tags`: the path below the nearest titled mapping (a play, a role entry). */
function label(path: YamlPath): string {
  let lastKey = -1;
  for (let i = path.length - 1; i >= 0; i--) {
    if (typeof path[i] === 'string') {
      lastKey = i;
      break;
    }
  }
  if (lastKey < 0) return '';
  return path
    .slice(lastKey)
    .map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
    .join('');
}

const PRIORITY: Record<string, number> = { additionalProperties: 0, propertyNames: 0, required: 1, type: 3, anyOf: 4, oneOf: 4 };
const priority = (e: ErrorObject): number => PRIORITY[e.keyword] ?? 2;
const depth = (e: ErrorObject): number =>
  e.instancePath.split('/').length + (e.keyword === 'additionalProperties' || e.keyword === 'propertyNames' ? 1 : 0);

/** The single most useful error: the deepest, preferring unknown keys and specific checks to type mismatches. */
function pick(errors: ErrorObject[]): ErrorObject {
  // A propertyNames failure is reported twice: once by the name's own check, once as propertyNames.
  const usable = errors.filter((e) => !(e as ErrorObject & { propertyName?: string }).propertyName);
  return [...usable].sort((a, b) => depth(b) - depth(a) || priority(a) - priority(b))[0]!;
}

/** Converts ajv errors (compiled with verbose: true) for `file` into one located UserError. */
export function schemaError(errors: ErrorObject[], file: YamlFile, code = 'SCHEMA'): UserError {
  const err = pick(errors);
  const path = yamlPath(err.instancePath, file.value);
  const parent = (err.parentSchema ?? {}) as Schema;
  const params = err.params as Record<string, unknown>;
  // The schema that owns this value's description: the outermost anyOf/oneOf at the same place says it best.
  const union = errors.findLast((e) => (e.keyword === 'anyOf' || e.keyword === 'oneOf') && e.instancePath === err.instancePath);
  const owner = ((union?.parentSchema as Schema | undefined) ?? parent) as Schema;

  if (err.keyword === 'additionalProperties') {
    const key = String(params['additionalProperty']);
    const allowed = Object.keys(parent.properties ?? {});
    return new UserError(
      `unknown key '${key}' in ${parent.title ?? 'mapping'} (expected one of: ${allowed.join(', ')})`,
      code,
      file.locate([...path, key], 'key'),
    );
  }
  if (err.keyword === 'propertyNames') {
    const name = String(params['propertyName']);
    const nameSchema = (parent as { propertyNames?: Schema }).propertyNames;
    return new UserError(
      `invalid name '${name}' in ${parent.title ?? 'mapping'} (expected ${nameSchema?.description ?? 'a valid name'})`,
      code,
      file.locate([...path, name], 'key'),
    );
  }
  if (err.keyword === 'required') {
    const key = String(params['missingProperty']);
    const what = parent.properties?.[key]?.description;
    return new UserError(
      `missing key '${key}' in ${parent.title ?? 'mapping'}${what ? ` (expected ${key}: ${what})` : ''}`,
      code,
      file.locate(path),
    );
  }
  const expected = owner.description ?? err.message ?? 'a valid value';
  const title = owner.title ?? (err.keyword === 'type' ? parent.title : undefined);
  const name = label(path);
  const subject = title && (path.length === 0 || typeof path[path.length - 1] === 'number') ? `invalid ${title}` : name ? `invalid value for '${name}'` : `invalid ${title ?? 'value'}`;
  return new UserError(`${subject}: ${shown(err.data)} (expected ${expected})`, code, file.locate(path));
}
