// The loaded inventory: host and group lists, and each host's variables merged in Ansible's order
// (VariableManager.get_vars with the default VARIABLE_PRECEDENCE, hash_behaviour=replace):
//   `all` vars in the inventory < other groups' inventory vars (by depth, priority, name)
//   < inventory-side group_vars/all < playbook-side group_vars/all
//   < inventory-side group_vars/<group> < playbook-side group_vars/<group>   (groups in the same order)
//   < inventory host vars < inventory-side host_vars/<host> < playbook-side host_vars/<host>
// Several inventory sources are read in the order given, each one's files after the previous one's.
import { dirname } from 'node:path';
import { UserError, formatLocation } from '../errors.js';
import type { GroupEntry, HostEntry, Inventory, Vars } from './inventory.js';
import type { InventoryData, VarLocations } from './model.js';
import { evaluatePattern, splitHostPattern } from './patterns.js';
import type { VarsFileCache } from './vars-files.js';

/** A folder whose group_vars/ and host_vars/ apply, with the path shown in messages. */
export interface VarsBase {
  dir: string;
  display: string;
}

/** Names ansible-inventory leaves out of a host's variables (they are magic, set per run). */
export const INTERNAL_VARS: ReadonlySet<string> = new Set([
  'ansible_diff_mode', 'ansible_config_file', 'ansible_facts', 'ansible_forks', 'ansible_inventory_sources',
  'ansible_limit', 'ansible_playbook_python', 'ansible_run_tags', 'ansible_skip_tags', 'ansible_verbosity',
  'ansible_version', 'inventory_dir', 'inventory_file', 'inventory_hostname', 'inventory_hostname_short',
  'groups', 'group_names', 'omit', 'playbook_dir',
]);

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A set of variables and where each was written. */
type Layer = [Vars, VarLocations];

export class StaticInventory implements Inventory {
  private readonly varsCache = new Map<string, Vars>();
  private depthCache: Map<string, number> | undefined;

  constructor(
    readonly data: InventoryData,
    /** One entry per inventory source, in -i order (Ansible re-reads a folder given twice). */
    readonly inventoryBases: readonly VarsBase[],
    readonly playbookBase: VarsBase | undefined,
    private readonly files: VarsFileCache,
  ) {}

  get hosts(): ReadonlyMap<string, HostEntry> {
    return this.data.hosts;
  }

  get groups(): ReadonlyMap<string, GroupEntry> {
    return this.data.groups;
  }

  private depth(group: string): number {
    this.depthCache ??= this.data.depths();
    return this.depthCache.get(group) ?? 0;
  }

  /** Ansible's sort_groups: by depth, then ansible_group_priority, then name. */
  sortGroups(groups: Iterable<string>): string[] {
    return [...groups].sort((a, b) => {
      const d = this.depth(a) - this.depth(b);
      if (d !== 0) return d;
      const p = this.data.groups.get(a)!.priority - this.data.groups.get(b)!.priority;
      return p !== 0 ? p : byCodePoint(a, b);
    });
  }

  /** One kind of vars file for these names under each base, in order: [vars, where each was written][]. */
  private filesLayers(bases: readonly VarsBase[], kind: 'group_vars' | 'host_vars', names: string[]): Layer[] {
    return bases.flatMap((base) =>
      names.map((name): Layer => [this.files.lookup(base.dir, base.display, kind, name), this.files.sources(base.dir, base.display, kind, name)]),
    );
  }

  /** Reads every group_vars/host_vars file that applies, so that a broken one fails the load. */
  preload(): void {
    const bases = [...this.inventoryBases, ...(this.playbookBase ? [this.playbookBase] : [])];
    this.filesLayers(bases, 'group_vars', [...this.data.groups.keys()]);
    this.filesLayers(bases, 'host_vars', [...this.data.hosts.keys()]);
  }

  /** The host's variable layers, lowest first (see the header for the order). */
  private layers(host: string): Layer[] {
    const h = this.data.hosts.get(host);
    if (!h) throw new UserError(`unknown host '${host}'`, 'INVENTORY_HOST');
    const groups = this.sortGroups([...this.data.groupsOfHost(host)].filter((g) => g !== 'all'));
    const playbook = this.playbookBase ? [this.playbookBase] : [];
    const all = this.data.groups.get('all')!;
    return [
      [all.vars, all.varLocations],
      ...groups.map((g): Layer => [this.data.groups.get(g)!.vars, this.data.groups.get(g)!.varLocations]),
      ...this.filesLayers(this.inventoryBases, 'group_vars', ['all']),
      ...this.filesLayers(playbook, 'group_vars', ['all']),
      ...this.filesLayers(this.inventoryBases, 'group_vars', groups),
      ...this.filesLayers(playbook, 'group_vars', groups),
      [h.vars, h.varLocations],
      ...this.filesLayers(this.inventoryBases, 'host_vars', [host]),
      ...this.filesLayers(playbook, 'host_vars', [host]),
    ];
  }

  hostVars(host: string): Vars {
    const cached = this.varsCache.get(host);
    if (cached) return { ...cached };
    const vars: Vars = {};
    for (const [layer] of this.layers(host)) Object.assign(vars, layer);
    for (const name of INTERNAL_VARS) delete vars[name];
    this.varsCache.set(host, vars);
    return { ...vars };
  }

  /** Where the host's winning value of `name` was written ("hosts.ini:4:12"), if the inventory sets it. */
  varSource(host: string, name: string): string | undefined {
    if (!this.data.hosts.has(host) || INTERNAL_VARS.has(name)) return undefined;
    const layer = this.layers(host).reverse().find(([vars]) => Object.hasOwn(vars, name));
    const location = layer?.[1][name];
    return location ? formatLocation(location) : layer ? 'the inventory' : undefined;
  }

  /** Ansible's warnings about this inventory ("Found both group and host with same name: web"). */
  get warnings(): readonly string[] {
    return this.data.warnings;
  }

  /** The inventory file that first defined the host (for inventory_file / inventory_dir). */
  hostSource(host: string): { file: string; dir: string } | undefined {
    const source = this.data.hosts.get(host)?.source;
    return source ? { file: source, dir: dirname(source) } : undefined;
  }

  groupsOf(host: string): string[] {
    return [...this.data.groupsOfHost(host)].filter((g) => g !== 'all').sort(byCodePoint);
  }

  groupHosts(group: string): string[] {
    return this.data.groupHosts(group);
  }

  select(pattern: string): string[] {
    return evaluatePattern(this, splitHostPattern(pattern)).hosts;
  }
}
