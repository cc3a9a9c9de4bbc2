// The variables a role sees on one host, merged with Ansible's precedence (low → high):
// role defaults < inventory (group and host vars, already merged) < facts < play vars < vars_files
// < role params < published (set_fact-like) < extra vars. Magic variables (inventory_hostname,
// groups, hostvars …) are reserved and win. Templates render when read, against the whole merged
// context — but facts, published values and magic variables are data (unsafe.ts), never rendered;
// the role's declared variables are then checked against their schema before it runs.
import { relative } from 'node:path';
import { UserError, formatLocation } from '../errors.js';
import type { Vars } from '../inventory/inventory.js';
import type { Play, RoleRef } from '../playbook/playbook.js';
import { registerSecretsIn } from '../secrets/masker.js';
import { LazyVars } from './lazy-vars.js';
import { phaseOf } from './magic-vars.js';
import { UndefinedVariableError } from './template.js';
import { DATA_LAYERS } from './unsafe.js';
import { resolveOmitted } from './omit.js';
import { checkVariable } from './validate.js';


export type VarLayer = 'roleDefaults' | 'inventory' | 'facts' | 'play' | 'varsFiles' | 'roleParams' | 'published' | 'extra' | 'magic';

/** Where a layer's values were set: one description for all, one per variable, or a lookup. */
export type LayerSource = string | Record<string, string> | ((name: string) => string | undefined);
export type VarSources = Partial<Record<VarLayer, LayerSource>>;

export interface ResolveRoleVarsInput {
  role: RoleRef;
  host: string;
  /** The host's inventory variables (group and host vars merged, raw). */
  inventoryVars: Vars;
  /** inventory_hostname, groups, group_names, hostvars, ansible_check_mode … */
  magic: Vars;
  /** Gathered facts, seen as `ansible_facts` and `facts`. */
  facts?: unknown;
  playVars: Vars;
  varsFromFiles: Vars;
  /** Values this host published during the run (like set_fact). */
  published: Vars;
  extraVars: Vars;
  /** For messages: where values were set. Play var locations are taken from `play` when given. */
  sources?: VarSources;
  play?: Play;
}

function describeRoleFile(role: RoleRef): string {
  const rel = relative(process.cwd(), role.dir);
  return `${rel && !rel.startsWith('..') ? rel : role.dir}/variables.yaml (default)`;
}

function withHost(host: string, err: unknown): unknown {
  if (err instanceof UserError && !err.message.startsWith(`host ${host}: `)) {
    const wrapped = new UserError(`host ${host}: ${err.message}`, err.code, err.location);
    wrapped.stack = err.stack;
    return wrapped;
  }
  return err;
}

export interface ResolveOptions {
  /**
   * Before the run (no facts, nothing published yet): a declared variable that cannot be rendered
   * for lack of runtime values is left to be checked when the role runs.
   */
  beforeRun?: boolean;
}

/** Errors that only mean "not known before the run": facts, or values other hosts publish. */
export function needsRuntime(err: unknown): boolean {
  if (!(err instanceof UndefinedVariableError)) return false;
  return err.variable === undefined || phaseOf(err.variable) === 'play';
}

/** The merged variables of one role on one host, rendered on read; nothing is checked yet. */
export function mergeRoleVars(input: ResolveRoleVarsInput): LazyVars {
  const { role, host } = input;
  const playSources = Object.fromEntries(Object.entries(input.play?.varSources ?? {}).map(([k, loc]) => [k, formatLocation(loc)]));
  const defaults: Vars = {};
  for (const v of role.variables) if (v.default !== undefined) defaults[v.name] = v.default;
  const playbookFile = role.location.file;
  const layers: [VarLayer, Vars, string][] = [
    ['roleDefaults', defaults, describeRoleFile(role)],
    ['inventory', input.inventoryVars, 'the inventory'],
    ['facts', input.facts === undefined ? {} : { ansible_facts: input.facts, facts: input.facts }, 'facts'],
    ['play', input.playVars, playbookFile],
    ['varsFiles', input.varsFromFiles, playbookFile],
    ['roleParams', role.params, formatLocation(role.location)],
    ['published', input.published, 'a value published during the run'],
    ['extra', input.extraVars, 'extra vars (-e)'],
    ['magic', input.magic, 'steer (magic variable)'],
  ];
  const given: VarSources = { play: playSources, varsFiles: playSources, ...input.sources };
  const merged: Vars = {};
  const winner = new Map<string, [VarLayer, string]>();
  for (const [layer, vars, fallback] of layers) {
    for (const [name, value] of Object.entries(vars)) {
      merged[name] = value;
      winner.set(name, [layer, fallback]);
    }
  }
  // A value that renders to `omit` is not set at its layer: the next lower layer's value wins.
  for (const [name, index] of resolveOmitted(merged, layers.map(([, vars]) => vars), (m) => new LazyVars(m))) {
    if (index < 0) winner.delete(name);
    else winner.set(name, [layers[index]![0], layers[index]![2]]);
  }
  // The most precise source known: a per-variable location, else the layer's description.
  const sourceOf = (name: string): string | undefined => {
    const w = winner.get(name);
    if (!w) return undefined;
    const [layer, fallback] = w;
    const source = given[layer];
    const found = typeof source === 'function' ? source(name) : typeof source === 'string' ? source : source?.[name];
    return found ?? fallback;
  };
  const isData = (name: string): boolean => DATA_LAYERS.has(winner.get(name)?.[0] ?? '');
  return new LazyVars(merged, sourceOf, (err) => withHost(host, err), isData);
}

/** The merged variables of one role on one host: rendered on read, declared ones checked now. */
export function resolveRoleVars(input: ResolveRoleVarsInput, options: ResolveOptions = {}): Vars {
  const { role, host } = input;
  const lazy = mergeRoleVars(input);

  for (const variable of role.variables) {
    if (!lazy.has(variable.name)) {
      if (variable.required) {
        throw new UserError(
          `host ${host}: variable ${variable.name} of role ${role.name} is not set (expected it in the inventory, the play's vars or -e: ${variable.description})`,
          'VARIABLE_MISSING',
        );
      }
      continue;
    }
    let value: unknown;
    try {
      value = lazy.get(variable.name);
    } catch (err) {
      if (options.beforeRun && needsRuntime(err)) continue;
      throw withHost(host, err);
    }
    // Known secret before anything could show it (the check's message never holds it either).
    if (variable.secret) registerSecretsIn(value);
    const check = checkVariable(variable, value);
    if (check.problem) {
      const source = lazy.source(variable.name);
      throw new UserError(`host ${host}: variable ${check.problem}${source ? ` — set in ${source}` : ''}`, 'VARIABLE_TYPE');
    }
    lazy.set(variable.name, check.value);
    if (variable.secret) registerSecretsIn(check.value);
  }
  return lazy.proxy();
}
