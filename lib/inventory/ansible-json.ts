// ansible-inventory's three views: --list (JSON: each group's `hosts` and `children`, every host's
// merged variables under `_meta.hostvars`), --graph (the `@all:` tree) and --host NAME (one host's
// variables). Printed like ansible-inventory: keys sorted, 4-space indentation.
import { UserError } from '../errors.js';
import type { Inventory, Vars } from './inventory.js';
import { pyJson } from '../vars/python-semantics.js';
import { evaluatePattern, splitHostPattern } from './patterns.js';

export interface InventoryView {
  /** Only these hosts appear (a --limit); every host when absent. */
  hosts?: ReadonlySet<string>;
}

type ListGroup = { hosts?: string[]; children?: string[] };
export type InventoryList = Record<string, ListGroup> & { _meta?: { hostvars: Record<string, Vars> } };

function visible(inv: Inventory, view: InventoryView): (host: string) => boolean {
  return view.hosts ? (h) => view.hosts!.has(h) : (h) => inv.hosts.has(h);
}

/** The --list structure (json_inventory): empty lists and empty groups are left out, as Ansible does. */
export function inventoryList(inv: Inventory, view: InventoryView = {}): InventoryList {
  const shown = visible(inv, view);
  const seen = new Set<string>();
  const results: Record<string, ListGroup> = {};
  const formatGroup = (name: string): void => {
    const group = inv.groups.get(name)!;
    const entry: ListGroup = {};
    const hosts = group.hosts.filter(shown);
    if (name !== 'all' && hosts.length > 0) entry.hosts = hosts;
    if (group.children.length > 0) entry.children = [...group.children];
    if (entry.hosts || entry.children) results[name] = entry;
    for (const child of group.children) {
      if (seen.has(child)) continue;
      seen.add(child);
      formatGroup(child);
    }
  };
  formatGroup('all');
  const hostvars: Record<string, Vars> = {};
  for (const host of inv.groupHosts('all').filter(shown)) {
    const vars = inv.hostVars(host);
    if (Object.keys(vars).length > 0) hostvars[host] = vars;
  }
  return { ...results, _meta: { hostvars } } as InventoryList;
}

/** The --graph lines under `group` (default `all`): `@group:`, then `  |--@child:` and `  |--host`. */
export function inventoryGraph(inv: Inventory, group = 'all', view: InventoryView = {}): string {
  if (!inv.groups.has(group)) {
    throw new UserError(`--graph needs a group name, and '${group}' is not a group of the inventory`, 'BAD_OPTION');
  }
  const shown = visible(inv, view);
  const line = (text: string, depth: number) => (depth ? '  |'.repeat(depth) + '--' + text : text);
  const walk = (name: string, depth: number): string[] => {
    const g = inv.groups.get(name)!;
    const out = [line(`@${name}:`, depth)];
    for (const child of g.children) out.push(...walk(child, depth + 1));
    if (name !== 'all') for (const h of g.hosts.filter(shown)) out.push(line(h, depth + 1));
    return out;
  };
  return walk(group, 0).join('\n');
}

/** --host NAME: the variables of the single host `name` selects. */
/** The one host `name` designates (a name or a pattern matching exactly one); UserError otherwise. */
export function singleHost(inv: Inventory, name: string): string {
  const hosts = evaluatePattern(inv, splitHostPattern(name)).hosts;
  if (hosts.length !== 1) throw new UserError(`--host needs the name of a single host of the inventory, and '${name}' matches ${hosts.length}`, 'BAD_OPTION');
  return hosts[0]!;
}

/** A host's variables as ansible-inventory --host prints them: as written, templates unrendered. */
export function inventoryHost(inv: Inventory, name: string): Vars {
  return inv.hostVars(singleHost(inv, name));
}

/**
 * json.dumps(value, sort_keys=True, indent=4, ensure_ascii=False) as ansible-inventory prints it:
 * Python sorts every key as text (a JS object would put integer-like keys first), and a float
 * keeps its ".0".
 */
export function ansibleJson(value: unknown): string {
  return pyJson(value, { indent: 4, sortKeys: true, ensureAscii: false });
}
