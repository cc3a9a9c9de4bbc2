// Variables rendered when they are read, as Ansible does: a value may refer to other variables
// ("{{ kubernetes_version }}.0"), which are rendered in turn, against the same merged context.
// Values that are data (unsafe.ts: facts, published values, magic variables, template extras) are
// read as they are: host text never becomes a template.
import { UserError } from '../errors.js';
import type { Vars } from '../inventory/inventory.js';
import { isDataScope } from './unsafe.js';

/**
 * Renders one raw value against a scope. template.ts installs it when it loads: the template engine
 * depends on this module, never the reverse (no import circle).
 */
export type ValueRenderer = (value: unknown, scope: LazyVars, site: { variable: string; source?: string | undefined }) => unknown;
let renderValue: ValueRenderer = () => {
  throw new Error('lazy-vars: no template renderer installed (import lib/vars/template.js first)');
};

/** Called once by template.ts. */
export function installValueRenderer(render: ValueRenderer): void {
  renderValue = render;
}

const LAZY = Symbol('steer.lazyVars');

/** Says where a variable's winning value was set ("site.yaml:5:7", "extra vars (-e)"), if known. */
export type SourceOf = (name: string) => string | undefined;

export class LazyVars {
  private readonly rendered = new Map<string, unknown>();
  private readonly resolving: string[] = [];

  constructor(
    private readonly raw: Vars,
    private readonly sourceOf: SourceOf = () => undefined,
    /** Adds context (the host) to errors raised when a property of `proxy()` is read. */
    private readonly decorateError: (err: unknown) => unknown = (err) => err,
    /** True for a variable whose value is data: returned as it is, never rendered. */
    private readonly isData: (name: string) => boolean = () => false,
  ) {}

  /** The LazyVars behind a proxy made by `proxy()`, or undefined for any other object. */
  static of(vars: unknown): LazyVars | undefined {
    if (vars instanceof LazyVars) return vars;
    if (vars && typeof vars === 'object') return (vars as { [LAZY]?: LazyVars })[LAZY];
    return undefined;
  }

  /** Plain variables (their values may still hold templates, unless marked data) or an existing lazy view. */
  static from(vars: Vars | LazyVars, sourceOf?: SourceOf): LazyVars {
    return LazyVars.of(vars) ?? new LazyVars(vars as Vars, sourceOf, undefined, isDataScope(vars) ? () => true : undefined);
  }

  has(name: string): boolean {
    return this.rendered.has(name) || Object.prototype.hasOwnProperty.call(this.raw, name);
  }

  names(): string[] {
    return [...new Set([...Object.keys(this.raw), ...this.rendered.keys()])];
  }

  source(name: string): string | undefined {
    return this.sourceOf(name);
  }

  /** The rendered value; undefined when the variable is not set. */
  get(name: string): unknown {
    if (this.rendered.has(name)) return this.rendered.get(name);
    if (!Object.prototype.hasOwnProperty.call(this.raw, name)) return undefined;
    if (this.isData(name)) return this.raw[name];
    const at = this.resolving.indexOf(name);
    if (at >= 0) {
      const chain = [...this.resolving.slice(at), name].join(' → ');
      const source = this.sourceOf(name);
      throw new UserError(
        `variable '${name}' refers to itself (${chain})${source ? ` — set in ${source}` : ''}`,
        'VAR_RECURSION',
      );
    }
    this.resolving.push(name);
    try {
      const value = renderValue(this.raw[name], this, { variable: name, source: this.sourceOf(name) });
      this.rendered.set(name, value);
      return value;
    } finally {
      this.resolving.pop();
    }
  }

  /** Replaces a variable's value (already rendered), e.g. after type coercion. */
  set(name: string, value: unknown): void {
    this.rendered.set(name, value);
  }

  /** A plain-looking object whose properties render on first read. */
  proxy(): Vars {
    return new Proxy({} as Vars, {
      get: (_t, key) => {
        if (key === LAZY) return this;
        if (typeof key !== 'string') return undefined;
        try {
          return this.get(key);
        } catch (err) {
          throw this.decorateError(err);
        }
      },
      has: (_t, key) => key === LAZY || (typeof key === 'string' && this.has(key)),
      ownKeys: () => this.names(),
      getOwnPropertyDescriptor: (_t, key) =>
        typeof key === 'string' && this.has(key)
          ? { value: this.get(key), enumerable: true, configurable: true, writable: true }
          : undefined,
      set: (_t, key, value) => {
        if (typeof key !== 'string') return false;
        this.set(key, value);
        return true;
      },
      deleteProperty: () => false,
    });
  }
}
