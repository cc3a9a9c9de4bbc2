// Shared by the table-driven tests: reading fixture files and turning their JSON back into the
// values modules take (commands, secrets, buffers) and give (actions as plain data).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from '../../lib/command/command.js';
import type { Action } from '../../lib/modules/module.js';
import { Secret } from '../../lib/secrets/masker.js';

export const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

export interface FixtureFile<T> {
  /** module/case */
  name: string;
  module: string;
  data: T;
}

/** Every fixtures/<module>/<case>.json under a folder (default: the plan fixtures). */
export function readFixtures<T>(root: string): FixtureFile<T>[] {
  const out: FixtureFile<T>[] = [];
  for (const module of readdirSync(root).sort()) {
    const dir = join(root, module);
    if (!statSync(dir).isDirectory()) continue;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      out.push({ name: `${module}/${file.replace(/\.json$/, '')}`, module, data: JSON.parse(readFileSync(join(dir, file), 'utf8')) as T });
    }
  }
  return out;
}

/**
 * JSON to module values: {"$sh": "text"} is a Command with that text, {"$secret": "v"} a Secret,
 * {"$base64": "…"} a Buffer; objects with `code` and `text` (a probe section) get their `bytes`.
 */
export function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if (typeof o['$sh'] === 'string') return new Command(o['$sh'], o['$sh']);
  if (typeof o['$secret'] === 'string') return new Secret(o['$secret']);
  if (typeof o['$base64'] === 'string') return Buffer.from(o['$base64'], 'base64');
  const out: Record<string, unknown> = Object.fromEntries(Object.entries(o).map(([k, v]) => [k, revive(v)]));
  if (typeof out['code'] === 'number' && typeof out['text'] === 'string' && out['bytes'] === undefined) {
    out['bytes'] = Buffer.from(out['text']);
  }
  return out;
}

/** An action as fixtures write it: a command's text, or a put as {path, content|contentBase64, mode…}. */
export function actionAsData(action: Action): unknown {
  if (action.kind === 'run') {
    if (action.stdin === undefined && action.okCodes === undefined) return action.command.text;
    return { run: action.command.text, ...(action.stdin !== undefined ? { stdin: action.stdin } : {}), ...(action.okCodes ? { okCodes: action.okCodes } : {}) };
  }
  const put: Record<string, unknown> = { path: action.path };
  if (typeof action.content === 'string') put['content'] = action.content;
  else put['contentBase64'] = action.content.toString('base64');
  for (const key of ['mode', 'owner', 'group'] as const) if (action[key] !== undefined) put[key] = action[key];
  return put;
}
