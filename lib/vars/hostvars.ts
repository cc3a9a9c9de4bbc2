// `hostvars`: every host's variables as the other hosts see them, like Ansible's HostVars. What the
// operator wrote for that host (its inventory variables, and extra vars) renders lazily in that host's
// own context; what came from the host or the run — its facts, the values its roles published, its
// magic variables — is data and is read as it is (unsafe.ts).
import { UserError } from '../errors.js';
import type { Vars } from '../inventory/inventory.js';
import { LazyVars } from './lazy-vars.js';
import { DATA_LAYERS } from './unsafe.js';

/** One host's variables, by layer (lowest precedence first, as in precedence.ts). */
export interface HostLayers {
  inventory: Vars;
  /** Gathered facts, when they were: seen as `facts` and `ansible_facts`. */
  facts?: unknown;
  published: Vars;
  extra: Vars;
  /** inventory_hostname, group_names … */
  magic: Vars;
}

function describe(layer: string): string {
  return layer === 'inventory' ? 'the inventory' : layer === 'extra' ? 'extra vars (-e)' : layer === 'published' ? 'a value published during the run' : layer;
}

/** One host's view: rendered on read, data layers as they are. */
function hostView(host: string, layers: HostLayers): Vars {
  const facts = layers.facts === undefined ? {} : { ansible_facts: layers.facts, facts: layers.facts };
  const ordered: [string, Vars][] = [
    ['inventory', layers.inventory],
    ['facts', facts],
    ['published', layers.published],
    ['extra', layers.extra],
    ['magic', layers.magic],
  ];
  const merged: Vars = {};
  const winner = new Map<string, string>();
  for (const [layer, vars] of ordered) {
    for (const [name, value] of Object.entries(vars)) {
      merged[name] = value;
      winner.set(name, layer);
    }
  }
  const decorate = (err: unknown): unknown =>
    err instanceof UserError && !err.message.startsWith('hostvars[') ? new UserError(`hostvars['${host}']: ${err.message}`, err.code, err.location) : err;
  return new LazyVars(merged, (name) => describe(winner.get(name) ?? ''), decorate, (name) => DATA_LAYERS.has(winner.get(name) ?? '')).proxy();
}

/**
 * The `hostvars` mapping: `hostvars[name]` for every host `hosts()` lists, built when read from
 * `layersOf(name)` (so it always shows what roles published so far). Unknown names are undefined.
 */
export function hostvarsView(hosts: () => string[], layersOf: (host: string) => HostLayers | undefined): Record<string, Record<string, unknown>> {
  const view = (name: string): Vars | undefined => {
    const layers = layersOf(name);
    return layers ? hostView(name, layers) : undefined;
  };
  // A null prototype: the view is not a plain object, so rendering a value never walks into it
  // (each host's variables hold hostvars again).
  return new Proxy(Object.create(null) as Record<string, Record<string, unknown>>, {
    get: (_t, name) => (typeof name === 'string' ? view(name) : undefined),
    has: (_t, name) => typeof name === 'string' && hosts().includes(name),
    ownKeys: () => hosts(),
    getOwnPropertyDescriptor: (_t, name) => {
      const value = typeof name === 'string' && hosts().includes(name) ? view(name) : undefined;
      return value ? { enumerable: true, configurable: true, writable: false, value } : undefined;
    },
  });
}
