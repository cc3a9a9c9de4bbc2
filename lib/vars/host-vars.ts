// The one place that computes a host's variables, for every phase (see magic-vars.ts): the
// inventory view (`steer inventory --host`), the connection (`steer run`, `steer facts`), the
// pre-run check of every role's variables, and a role running on a host. Ansible's precedence is in
// precedence.ts; this service assembles the layers each phase has and explains a variable that is
// read in a phase where it cannot be known yet.
import type { Inventory, Vars } from '../inventory/inventory.js';
import type { Condition, RoleRef } from '../playbook/playbook.js';
import type { ExtraVars } from './extra-vars.js';
import { LazyVars } from './lazy-vars.js';
import { baseMagic, DEFAULT_SETTINGS, phaseOf, playMagic, type PlayScope, type RunSettings, type VarsPhase } from './magic-vars.js';
import { hostvarsView } from './hostvars.js';
import { resolveRoleVars, type VarSources } from './precedence.js';
import { evaluateConditions } from './condition.js';
import { TemplateError, UndefinedVariableError } from './template.js';

/** What a host has gathered and published while the run goes on (the play phase). */
export interface HostRuntime {
  /** Gathered facts; undefined when the play does not gather them. */
  facts?: unknown;
  /** Values its roles published (Ansible's set_fact / registered results). */
  published: Vars;
}

/** The play a role runs in, with its variables (pre-run and play phases). */
export interface PlayVarsScope extends PlayScope {
  vars: Vars;
  varsFromFiles: Vars;
  varSources?: RoleVarsInputPlay['varSources'];
}
type RoleVarsInputPlay = NonNullable<Parameters<typeof resolveRoleVars>[0]['play']>;

/** An inventory that can say where each variable was set (file:line), for messages. */
interface VarSourceLookup {
  varSource?(host: string, name: string): string | undefined;
}

const PHASE_TEXT: Record<VarsPhase, string> = {
  inventory: '`steer inventory`',
  connection: 'connecting to the host',
  'pre-run': 'the check of variables before the run',
  play: 'the play',
};

/** Rewrites "undefined variable X" into "X is only known from … on" when X is known later. */
export function explainPhase(err: unknown, phase: VarsPhase): unknown {
  if (!(err instanceof UndefinedVariableError) || err.variable === undefined) return err;
  const known = phaseOf(err.variable);
  const order: VarsPhase[] = ['inventory', 'connection', 'pre-run', 'play'];
  if (known === undefined || order.indexOf(known) <= order.indexOf(phase)) return err;
  const rest = err.message.replace(/^(?:host \S+: )?undefined variable '[^']+'/, '');
  const wrapped = new UndefinedVariableError(
    `'${err.variable}' is not known during ${PHASE_TEXT[phase]} (it is known from ${PHASE_TEXT[known]} on)${rest}`,
    err.variable,
  );
  wrapped.stack = err.stack;
  return wrapped;
}

export class HostVariables {
  readonly groups: Record<string, string[]>;
  private readonly settings: RunSettings;

  constructor(
    readonly inventory: Inventory,
    private readonly extra: ExtraVars = { vars: {}, sources: {} },
    settings: Partial<RunSettings> = {},
  ) {
    this.settings = { ...DEFAULT_SETTINGS, ...settings };
    this.groups = Object.fromEntries([...inventory.groups.keys()].map((g) => [g, inventory.groupHosts(g)]));
  }

  /**
   * The host's inventory variables rendered as a run renders them (`steer inventory --host`). A value
   * that needs what only a play knows (facts, published values) is shown as written.
   */
  inventoryVars(host: string): Vars {
    const raw = this.inventory.hostVars(host);
    const scope = this.scope(host, raw);
    const out: Vars = {};
    for (const name of Object.keys(raw)) {
      try {
        out[name] = scope.get(name);
      } catch (err) {
        if (err instanceof UndefinedVariableError && err.variable !== undefined && phaseOf(err.variable) !== undefined) out[name] = raw[name];
        else throw withHost(host, explainPhase(err, 'inventory'));
      }
    }
    return out;
  }

  /**
   * The variables a connection reads (ansible_host, ansible_user …), rendered when read (only the
   * ones the connection asks for); extra vars win. Throws UserError when one of them cannot render.
   */
  connectionVars(host: string): Vars {
    const scope = this.scope(host, { ...this.inventory.hostVars(host), ...this.extra.vars });
    return new Proxy({} as Vars, {
      get: (_t, name) => {
        if (typeof name !== 'string' || !scope.has(name)) return undefined;
        try {
          return scope.get(name);
        } catch (err) {
          throw withHost(host, explainPhase(err, 'connection'));
        }
      },
      has: (_t, name) => typeof name === 'string' && scope.has(name),
    });
  }

  /**
   * The variables of `role` on `host` in `play`, with Ansible's precedence, rendered on read; the
   * role's declared variables are checked (type, required) now. Without `runtime` this is the pre-run
   * check: values that need facts or published values are left to be checked when the role runs.
   * Throws UserError (undefined variable, wrong type, missing required variable).
   */
  roleVars(host: string, play: PlayVarsScope, role: RoleRef, runtime?: HostRuntime, runtimeOf?: (host: string) => HostRuntime | undefined): Vars {
    const phase: VarsPhase = runtime ? 'play' : 'pre-run';
    try {
      return resolveRoleVars(
        {
          role,
          host,
          inventoryVars: this.inventory.hostVars(host),
          magic: { ...this.magic(host, runtimeOf), ...playMagic(play, host, role) },
          ...(runtime?.facts !== undefined ? { facts: runtime.facts } : {}),
          playVars: play.vars,
          varsFromFiles: play.varsFromFiles,
          published: runtime?.published ?? {},
          extraVars: this.extra.vars,
          sources: this.sources(host),
          play: { varSources: play.varSources } as RoleVarsInputPlay,
        },
        { beforeRun: runtime === undefined },
      );
    } catch (err) {
      throw explainPhase(err, phase);
    }
  }

  /**
   * A role entry's `when` against variables from roleVars: every condition must hold, each must be
   * a boolean (ansible-core 2.19; condition.ts). Throws UserError naming the host and the condition.
   */
  condition(conditions: readonly Condition[], vars: Vars, host: string, phase: VarsPhase): boolean {
    try {
      return evaluateConditions(conditions, vars, host);
    } catch (err) {
      throw explainPhase(err, phase);
    }
  }

  /**
   * `hostvars`: every host's variables by name, rendered on read in that host's own context
   * (inventory, facts, published values, extra vars, magic); its facts, published values and magic
   * variables are data, never rendered (hostvars.ts). Reading a host does not add it to the run.
   */
  hostvars(runtimeOf?: (host: string) => HostRuntime | undefined): Record<string, Vars> {
    const inv = this.inventory;
    return hostvarsView(
      () => [...inv.hosts.keys()],
      (name) => {
        if (!inv.hosts.has(name)) return undefined;
        const runtime = runtimeOf?.(name);
        return { inventory: inv.hostVars(name), facts: runtime?.facts, published: runtime?.published ?? {}, extra: this.extra.vars, magic: this.magic(name, runtimeOf) };
      },
    );
  }

  private magic(host: string, runtimeOf?: (host: string) => HostRuntime | undefined): Vars {
    return baseMagic(this.inventory, host, this.settings, this.hostvars(runtimeOf), this.groups);
  }

  private sources(host: string): VarSources {
    const lookup = (this.inventory as Inventory & VarSourceLookup).varSource;
    return {
      extra: this.extra.sources,
      ...(lookup ? { inventory: (name: string) => lookup.call(this.inventory, host, name) } : {}),
    };
  }

  /** A host's variables (raw, rendered on read) over its magic variables, outside any play. */
  private scope(host: string, vars: Vars): LazyVars {
    const sources = this.sources(host);
    const sourceOf = (name: string): string | undefined => {
      if (name in this.extra.vars) return this.extra.sources[name] ?? 'extra vars (-e)';
      const inventory = sources.inventory;
      return typeof inventory === 'function' ? inventory(name) : undefined;
    };
    return new LazyVars({ ...vars, ...this.magic(host) }, sourceOf);
  }
}

function withHost(host: string, err: unknown): unknown {
  if (!(err instanceof TemplateError) || err.message.startsWith(`host ${host}: `)) return err;
  const message = `host ${host}: ${err.message}`;
  const wrapped = err instanceof UndefinedVariableError ? new UndefinedVariableError(message, err.variable) : new TemplateError(message, err.code);
  wrapped.stack = err.stack;
  return wrapped;
}
