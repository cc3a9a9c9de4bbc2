// `-e/--extra-vars`, as ansible-playbook reads it: `k=v k2="a b"` (values stay strings), inline
// JSON/YAML starting with { or [, or @FILE (YAML or JSON). Later options win, key by key.
import { existsSync } from 'node:fs';
import { resolve, relative, isAbsolute } from 'node:path';
import { UserError, type SourceLocation } from '../errors.js';
import type { Vars } from '../inventory/inventory.js';
import { ansibleYamlOptions } from '../inventory/ansible-yaml.js';
import { loadYamlFile, parseYaml } from '../yaml/load.js';

export interface ExtraVars {
  vars: Vars;
  /** Where each variable was set, for messages ("extra vars (-e)", "vars.yaml:3:1"). */
  sources: Record<string, string>;
}

const EXPECTED = 'expected KEY=VALUE pairs, inline JSON/YAML, or @FILE';
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isMapping(value: unknown): value is Vars {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Splits on whitespace outside quotes and outside Jinja blocks (`x={{ a | b }}` is one token), like
 * Ansible's split_args; quotes stay in the tokens.
 */
function splitArgs(text: string, option: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let quote: string | undefined;
  let jinja = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const pair = text.slice(i, i + 2);
    if (quote) {
      if (ch === '\\' && i + 1 < text.length && text[i + 1] === quote) {
        current += ch + text[++i];
        continue;
      }
      if (ch === quote) quote = undefined;
      current += ch;
    } else if (pair === '{{' || pair === '{%' || pair === '{#') {
      jinja++;
      current += pair;
      i++;
    } else if (jinja > 0 && (pair === '}}' || pair === '%}' || pair === '#}')) {
      jinja--;
      current += pair;
      i++;
    } else if (/\s/.test(ch) && jinja === 0) {
      if (current !== '') tokens.push(current);
      current = '';
    } else {
      if (ch === '"' || ch === "'") quote = ch;
      current += ch;
    }
  }
  if (quote) throw new UserError(`unbalanced ${quote === '"' ? 'double' : 'single'} quote in extra vars '${option}' (${EXPECTED})`, 'BAD_EXTRA_VARS');
  if (current !== '') tokens.push(current);
  return tokens;
}

/** Removes one pair of matching outer quotes and the escapes of that quote inside. */
function unquote(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value[value.length - 1] === value[0]) {
    const q = value[0];
    return value.slice(1, -1).split(`\\${q}`).join(q);
  }
  return value;
}

function parseKeyValues(option: string): Vars {
  const out: Vars = {};
  for (const token of splitArgs(option, option)) {
    const eq = token.indexOf('=');
    if (eq <= 0) {
      throw new UserError(`invalid extra vars '${token}': not KEY=VALUE (${EXPECTED})`, 'BAD_EXTRA_VARS');
    }
    const name = token.slice(0, eq);
    if (!VAR_NAME.test(name)) {
      throw new UserError(
        `invalid variable name '${name}' in extra vars (expected letters, digits and _, not starting with a digit)`,
        'BAD_EXTRA_VARS',
      );
    }
    out[name] = unquote(token.slice(eq + 1));
  }
  return out;
}

function checkNames(vars: Vars, where: string, locate?: (name: string) => SourceLocation): void {
  for (const name of Object.keys(vars)) {
    if (!VAR_NAME.test(name)) {
      throw new UserError(
        `invalid variable name '${name}' in ${where} (expected letters, digits and _, not starting with a digit)`,
        'BAD_EXTRA_VARS',
        locate?.(name),
      );
    }
  }
}

function display(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Parses every -e option in order; later values win. */
export function parseExtraVars(options: readonly string[], cwd = process.cwd()): ExtraVars {
  const vars: Vars = {};
  const sources: Record<string, string> = {};
  for (const raw of options) {
    const option = raw.trim();
    if (option === '') continue;
    let data: Vars;
    let sourceOf: (name: string) => string;
    if (option.startsWith('@')) {
      const path = resolve(cwd, option.slice(1));
      const shown = display(path, cwd);
      if (option.length === 1) throw new UserError(`invalid extra vars "@": no file name (${EXPECTED})`, 'BAD_EXTRA_VARS');
      if (!existsSync(path)) {
        throw new UserError('extra vars file not found (expected a YAML or JSON file for -e @FILE)', 'BAD_EXTRA_VARS', { file: shown });
      }
      const file = loadYamlFile(path, shown, ansibleYamlOptions);
      if (file.value === null || file.value === undefined) data = {};
      else if (isMapping(file.value)) data = file.value;
      else throw new UserError('extra vars file is not a mapping (expected variable: value lines, or a JSON object)', 'BAD_EXTRA_VARS', file.locate([]));
      checkNames(data, shown, (name) => file.locate([name], 'key'));
      sourceOf = (name) => {
        const loc = file.locate([name], 'key');
        return loc.line ? `${loc.file}:${loc.line}:${loc.col}` : loc.file;
      };
    } else if (option.startsWith('{') || option.startsWith('[')) {
      let value: unknown;
      try {
        value = parseYaml(option, 'extra vars', ansibleYamlOptions).value;
      } catch (err) {
        const reason = err instanceof UserError ? err.message : String(err);
        throw new UserError(`invalid extra vars '${option}': ${reason} (${EXPECTED})`, 'BAD_EXTRA_VARS');
      }
      if (!isMapping(value)) {
        throw new UserError(`invalid extra vars '${option}': not a mapping (${EXPECTED})`, 'BAD_EXTRA_VARS');
      }
      data = value;
      checkNames(data, 'extra vars');
      sourceOf = () => 'extra vars (-e)';
    } else {
      data = parseKeyValues(option);
      sourceOf = () => 'extra vars (-e)';
    }
    for (const [name, value] of Object.entries(data)) {
      vars[name] = value;
      sources[name] = sourceOf(name);
    }
  }
  return { vars, sources };
}
