// Loads a playbook: finds the file, parses the YAML with locations, validates it against the shipped
// JSON Schema (playbook.schema.json), resolves roles and their declared variables, and reads
// vars_files. Every mistake is a UserError at its line; several mistakes are all collected.
import { existsSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { ErrorObject } from 'ajv';
import { steerRoot } from '../package-root.js';
import { playbookSchema, playbookValidator } from './playbook-validator.js';
import { UserError, type SourceLocation } from '../errors.js';
import type { Vars } from '../inventory/inventory.js';
import { conditionSyntaxError, renderTemplateString } from '../vars/template.js';
import { ansibleYamlOptions } from '../inventory/ansible-yaml.js';
import { plainNumber, withPlainNumbers } from '../vars/python-float.js';
import { loadYamlFile, type YamlFile } from '../yaml/load.js';
import type { Condition, Play, Playbook, RoleRef, RoleVariable } from './playbook.js';
import { loadRoleVariables } from './role-variables.js';
import { findRole, ROLE_SCRIPT } from './roles.js';
import { schemaError } from './schema-errors.js';

export interface LoadPlaybookOptions {
  /** Relative paths (the playbook, -i, roles path entries) are relative to this folder. */
  cwd: string;
  /** Extra folders holding roles, searched after the playbook's own roles/ and ../roles/. */
  rolesPath?: string[];
}

/** Several mistakes in one playbook: the message is the first one's; `errors` has them all. */
export class PlaybookErrors extends UserError {
  constructor(readonly errors: UserError[]) {
    super(errors[0]!.message, errors[0]!.code, errors[0]!.location);
    this.name = 'PlaybookErrors';
  }
}

export { playbookSchema };
const validatePlaybook = playbookValidator();

export { steerRoot };

/** A path as users should see it: relative to cwd when inside it or close by (../roles/x). */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  const up = rel.split(sep).filter((seg) => seg === '..').length;
  const depth = resolve(cwd).split(sep).filter((seg) => seg !== '').length;
  // Climbing to the root says nothing a full path would not say better.
  return rel !== '' && !isAbsolute(rel) && up <= 2 && up < depth ? rel : path;
}

const isFile = (p: string): boolean => existsSync(p) && statSync(p).isFile();

/**
 * Finds the playbook: the path as given (relative to cwd); a bare name not found there is looked up
 * in playbooks/ under cwd, then under steer's own folder. `site` also finds site.yaml / site.yml.
 */
export function resolvePlaybookPath(pathOrName: string, cwd: string): string {
  const bare = !pathOrName.includes('/') && !isAbsolute(pathOrName);
  const bases = bare ? [cwd, resolve(cwd, 'playbooks'), resolve(steerRoot, 'playbooks')] : [cwd];
  const names = extname(pathOrName) ? [pathOrName] : [pathOrName, `${pathOrName}.yaml`, `${pathOrName}.yml`];
  const tried: string[] = [];
  for (const base of [...new Set(bases)]) {
    for (const name of names) {
      const candidate = resolve(base, name);
      if (isFile(candidate)) return candidate;
      tried.push(displayPath(candidate, cwd));
    }
  }
  throw new UserError(`playbook not found (looked for ${[...new Set(tried)].join(', ')})`, 'PLAYBOOK_NOT_FOUND', { file: pathOrName });
}

function isMapping(value: unknown): value is Vars {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Tags as Ansible accepts them: a list, or a comma-separated string. */
function tagList(value: string | string[] | undefined): string[] {
  return toList(value)
    .flatMap((t) => String(t).split(','))
    .map((t) => t.trim())
    .filter((t) => t !== '');
}


interface RawRole {
  role: string;
  tags?: string | string[];
  vars?: Vars;
  when?: string | boolean | (string | boolean)[];
  any_errors_fatal?: boolean;
  run_once?: boolean;
}

interface RawPlay {
  name?: string;
  hosts: string | string[];
  roles?: (string | RawRole)[];
  vars?: Vars;
  vars_files?: string | string[];
  tags?: string | string[];
  serial?: number | string | (number | string)[];
  gather_facts?: boolean;
  become?: boolean;
  become_user?: string;
  any_errors_fatal?: boolean;
  force_handlers?: boolean;
  max_fail_percentage?: number;
}

class Loader {
  readonly errors: UserError[] = [];
  private readonly roleVariables = new Map<string, RoleVariable[] | undefined>();

  constructor(
    private readonly file: YamlFile,
    private readonly dir: string,
    private readonly options: LoadPlaybookOptions,
  ) {}

  /** Runs `fn`; a UserError is collected and undefined returned, so loading goes on. */
  private attempt<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (err instanceof PlaybookErrors) this.errors.push(...err.errors);
      else if (err instanceof UserError) this.errors.push(err);
      else throw err;
      return undefined;
    }
  }

  play(raw: RawPlay, index: number): Play {
    const at = [index];
    const vars = raw.vars ?? {};
    const varSources: Record<string, SourceLocation> = {};
    for (const key of Object.keys(vars)) varSources[key] = this.file.locate([index, 'vars', key], 'key');
    const varsFiles: string[] = [];
    const varsFromFiles: Vars = {};
    toList(raw.vars_files).forEach((entry, j) => {
      this.attempt(() => {
        const loc = this.file.locate([index, 'vars_files', ...(Array.isArray(raw.vars_files) ? [j] : [])]);
        const loaded = this.varsFile(entry, vars, loc);
        varsFiles.push(loaded.path);
        for (const [key, value] of Object.entries(loaded.vars)) {
          varsFromFiles[key] = value;
          varSources[key] = loaded.file.locate([key], 'key');
        }
      });
    });
    const roles: RoleRef[] = [];
    (raw.roles ?? []).forEach((entry, j) => {
      const role = this.attempt(() => this.role(entry, [index, 'roles', j]));
      if (role) roles.push(role);
    });
    const hosts = toList(raw.hosts).join(',');
    return {
      name: raw.name ?? hosts,
      hosts,
      roles,
      vars,
      varsFiles,
      varsFromFiles,
      varSources,
      tags: tagList(raw.tags),
      serial: toList(raw.serial).map((b) => plainNumber(b)),
      gatherFacts: raw.gather_facts ?? true,
      become: raw.become ?? false,
      ...(raw.become_user !== undefined ? { becomeUser: raw.become_user } : {}),
      anyErrorsFatal: raw.any_errors_fatal ?? false,
      forceHandlers: raw.force_handlers ?? false,
      ...(raw.max_fail_percentage !== undefined ? { maxFailPercentage: plainNumber(raw.max_fail_percentage) } : {}),
      location: this.file.locate(at),
    };
  }

  private varsFile(entry: string, playVars: Vars, loc: SourceLocation): { path: string; vars: Vars; file: YamlFile } {
    let name = entry;
    if (name.includes('{{')) {
      try {
        name = renderTemplateString(name, playVars, { what: 'vars_files' });
      } catch (err) {
        throw new UserError(`${(err as Error).message} (vars_files paths may use play vars only)`, 'VARS_FILE', loc);
      }
    }
    const path = resolve(this.dir, name);
    if (!isFile(path)) {
      throw new UserError(`vars file not found: ${name} (expected a file relative to the playbook: ${displayPath(path, this.options.cwd)})`, 'VARS_FILE_NOT_FOUND', loc);
    }
    const file = loadYamlFile(path, displayPath(path, this.options.cwd), ansibleYamlOptions);
    if (file.value === null || file.value === undefined) return { path, vars: {}, file };
    if (!isMapping(file.value)) {
      throw new UserError('vars file is not a mapping (expected variable: value lines)', 'VARS_FILE', file.locate([]));
    }
    for (const key of Object.keys(file.value)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
        throw new UserError(`invalid variable name '${key}' (expected letters, digits and _, not starting with a digit)`, 'VARS_FILE', file.locate([key], 'key'));
      }
    }
    return { path, vars: file.value, file };
  }

  /** A `when` (a condition or a list of them), each checked for syntax and located in the file. */
  private conditions(value: string | boolean | (string | boolean)[], at: (string | number)[]): Condition[] {
    const list = Array.isArray(value);
    return toList(value).map((v, i) => {
      const location = this.file.locate(list ? [...at, i] : at);
      const expression = typeof v === 'boolean' ? String(v) : v.trim();
      const problem = conditionSyntaxError(expression);
      if (problem) {
        throw new UserError(`invalid condition ${JSON.stringify(expression)}: ${problem} (expected a Jinja expression such as x == 'y')`, 'BAD_CONDITION', location);
      }
      return { expression, location };
    });
  }

  private role(entry: string | RawRole, at: (string | number)[]): RoleRef {
    const raw: RawRole = typeof entry === 'string' ? { role: entry } : entry;
    const location = this.file.locate(typeof entry === 'string' ? at : [...at, 'role']);
    const { dir, searched } = findRole(raw.role, { playbookDir: this.dir, cwd: this.options.cwd, rolesPath: this.options.rolesPath });
    if (!dir) {
      const folders = searched.map((d) => displayPath(d, this.options.cwd)).join(', ');
      throw new UserError(`unknown role '${raw.role}' (expected a folder holding ${ROLE_SCRIPT} in: ${folders})`, 'UNKNOWN_ROLE', location);
    }
    const when = raw.when === undefined ? undefined : this.conditions(raw.when, [...at, 'when']);
    if (!this.roleVariables.has(dir)) {
      this.roleVariables.set(dir, this.attempt(() => loadRoleVariables(dir, displayPath(dir, this.options.cwd))));
    }
    const variables = this.roleVariables.get(dir) ?? [];
    return {
      name: raw.role,
      dir,
      tags: tagList(raw.tags),
      params: raw.vars ?? {},
      ...(when !== undefined ? { when } : {}),
      ...(raw.any_errors_fatal !== undefined ? { anyErrorsFatal: raw.any_errors_fatal } : {}),
      ...(raw.run_once !== undefined ? { runOnce: raw.run_once } : {}),
      variables,
      location,
    };
  }
}

/** Loads and validates a playbook; throws a UserError (PlaybookErrors when several) at the first mistake. */
export async function loadPlaybook(pathOrName: string, options: LoadPlaybookOptions): Promise<Playbook> {
  const path = resolvePlaybookPath(pathOrName, options.cwd);
  const shown = displayPath(path, options.cwd);
  // YAML 1.1 as PyYAML reads it, like Ansible: `become: yes` is a boolean, `x: 2.0` a float.
  const file = loadYamlFile(path, shown, ansibleYamlOptions);
  if (file.value === null || file.value === undefined || (Array.isArray(file.value) && file.value.length === 0)) {
    throw new UserError('playbook is empty (expected a YAML list of plays)', 'EMPTY_PLAYBOOK', { file: shown });
  }
  const dir = dirname(path);
  const loader = new Loader(file, dir, options);
  const schemaErrors = new Map<string, ErrorObject[]>();
  // Floats are PythonFloat values (they stay floats in play vars); the schema sees plain numbers.
  if (!validatePlaybook(withPlainNumbers(file.value))) {
    const errors = validatePlaybook.errors ?? [];
    if (!Array.isArray(file.value)) throw schemaError(errors, file, 'PLAYBOOK_SCHEMA');
    for (const e of errors) {
      const play = e.instancePath.split('/')[1] ?? '';
      schemaErrors.set(play, [...(schemaErrors.get(play) ?? []), e]);
    }
  }
  // Play by play, so a syntax check lists every mistake in the order of the file.
  const plays: Play[] = [];
  (file.value as RawPlay[]).forEach((raw, i) => {
    const invalid = schemaErrors.get(String(i));
    if (invalid) loader.errors.push(schemaError(invalid, file, 'PLAYBOOK_SCHEMA'));
    else plays.push(loader.play(raw, i));
  });
  if (loader.errors.length > 0) throw loader.errors.length === 1 ? loader.errors[0]! : new PlaybookErrors(loader.errors);
  return { path, dir, plays };
}
