// The loaded inventory: host and group lists, and each host's variables merged in Ansible's order
// (VariableManager.get_vars with the default VARIABLE_PRECEDENCE, hash_behaviour=replace):
//   `all` vars in the inventory < other groups' inventory vars (by depth, priority, name)
//   < inventory-side group_vars/all < playbook-side group_vars/all
//   < inventory-side group_vars/<group> < playbook-side group_vars/<group>   (groups in the same order)
//   < inventory host vars < inventory-side host_vars/<host> < playbook-side host_vars/<host>
// Several inventory sources are read in the order given, each one's files after the previous one's.
import { dirname } from 'node:path';
import { UserError } from '../errors.js';
import type { GroupEntry, HostEntry, Inventory, Vars } from './inventory.js';
import type { InventoryData } from './model.js';
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

  private filesVars(bases: readonly VarsBase[], kind: 'group_vars' | 'host_vars', names: string[]): Vars {
    const out: Vars = {};
    for (const base of bases) {
      for (const name of names) Object.assign(out, this.files.lookup(base.dir, base.display, kind, name));
    }
    return out;
  }

  /** Reads every group_vars/host_vars file that applies, so that a broken one fails the load. */
  preload(): void {
    const bases = [...this.inventoryBases, ...(this.playbookBase ? [this.playbookBase] : [])];
    this.filesVars(bases, 'group_vars', [...this.data.groups.keys()]);
    this.filesVars(bases, 'host_vars', [...this.data.hosts.keys()]);
  }

  hostVars(host: string): Vars {
    const cached = this.varsCache.get(host);
    if (cached) return { ...cached };
    const h = this.data.hosts.get(host);
    if (!h) throw new UserError(`unknown host '${host}'`, 'INVENTORY_HOST');
    const groups = this.sortGroups([...this.data.groupsOfHost(host)].filter((g) => g !== 'all'));
    const playbook = this.playbookBase ? [this.playbookBase] : [];
    const vars: Vars = { ...this.data.groups.get('all')!.vars };
    for (const g of groups) Object.assign(vars, this.data.groups.get(g)!.vars);
    Object.assign(vars, this.filesVars(this.inventoryBases, 'group_vars', ['all']));
    Object.assign(vars, this.filesVars(playbook, 'group_vars', ['all']));
    Object.assign(vars, this.filesVars(this.inventoryBases, 'group_vars', groups));
    Object.assign(vars, this.filesVars(playbook, 'group_vars', groups));
    Object.assign(vars, h.vars);
    Object.assign(vars, this.filesVars(this.inventoryBases, 'host_vars', [host]));
    Object.assign(vars, this.filesVars(playbook, 'host_vars', [host]));
    for (const name of INTERNAL_VARS) delete vars[name];
    this.varsCache.set(host, vars);
    return { ...vars };
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
