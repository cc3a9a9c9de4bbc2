// The inventory as the parsers build it, with Ansible's rules (ansible.inventory.data/group/host):
// groups form a DAG under `all`, a host listed nowhere else lands in `ungrouped`, a group that would
// contain itself is an error, and `ansible_group_priority` is a setting, not a variable.
import { UserError, formatLocation, type SourceLocation } from '../errors.js';
import type { GroupEntry, HostEntry, Vars } from './inventory.js';

/** Where each variable of a group or host was written, for messages. */
export type VarLocations = Record<string, SourceLocation>;

export interface GroupData extends GroupEntry {
  parents: string[];
  vars: Vars;
  varLocations: VarLocations;
  /** ansible_group_priority (default 1): orders groups of the same depth. */
  priority: number;
}

export interface HostData extends HostEntry {
  vars: Vars;
  varLocations: VarLocations;
  /** Groups that list the host directly, in the order they did. */
  groups: string[];
  /** The inventory source that first defined the host (Ansible's inventory_file). */
  source?: string;
}

export class InventoryData {
  readonly groups = new Map<string, GroupData>();
  readonly hosts = new Map<string, HostData>();
  /** What Ansible warns about in this inventory (printed as `[WARNING]: …` by the commands). */
  readonly warnings: string[] = [];

  constructor() {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.addChild('all', 'ungrouped');
  }

  addGroup(name: string, location?: SourceLocation): GroupData {
    if (!name) throw new UserError('empty group name', 'INVENTORY_GROUP', location);
    let group = this.groups.get(name);
    if (!group) {
      group = { name, hosts: [], children: [], parents: [], vars: {}, varLocations: {}, priority: 1, location };
      this.groups.set(name, group);
    }
    return group;
  }

  /**
   * Adds a host (a port only counts when the host is new, as in Ansible) and lists it in `group`.
   * A name with whitespace is refused: Ansible takes it, but it is always a mistake — typically
   * several addresses under `hosts:` without colons, which YAML reads as one line.
   */
  addHost(name: string, group: string | undefined, opts: { port?: number; location?: SourceLocation; source?: string } = {}): HostData {
    if (!name) throw new UserError('empty host name', 'INVENTORY_HOST', opts.location);
    if (/\s/.test(name)) {
      throw new UserError(
        `invalid host name ${JSON.stringify(name)}: a host name cannot contain whitespace (in YAML, write each host under 'hosts:' as a key ending with ':' — lines without ':' join into one name)`,
        'INVENTORY_HOST',
        opts.location,
      );
    }
    let host = this.hosts.get(name);
    if (!host) {
      host = { name, vars: {}, varLocations: {}, groups: [], location: opts.location, source: opts.source };
      if (opts.port !== undefined) host.vars.ansible_port = opts.port;
      this.hosts.set(name, host);
    }
    if (group !== undefined) {
      const g = this.groups.get(group);
      if (!g) throw new UserError(`group '${group}' is not defined`, 'INVENTORY_GROUP', opts.location);
      if (!g.hosts.includes(name)) {
        g.hosts.push(name);
        host.groups.push(group);
      }
    }
    return host;
  }

  ancestors(group: string): Set<string> {
    const seen = new Set<string>();
    const queue = [...(this.groups.get(group)?.parents ?? [])];
    while (queue.length > 0) {
      const g = queue.shift()!;
      if (seen.has(g)) continue;
      seen.add(g);
      queue.push(...(this.groups.get(g)?.parents ?? []));
    }
    return seen;
  }

  /** Makes `child` a child group of `parent`; refuses loops with the location of the offending entry. */
  addChild(parent: string, child: string, location?: SourceLocation): void {
    const p = this.groups.get(parent);
    const c = this.groups.get(child);
    if (!p || !c) throw new UserError(`group '${p ? child : parent}' is not defined`, 'INVENTORY_GROUP', location);
    if (parent === child) throw new UserError(`group '${parent}' cannot be a child of itself`, 'INVENTORY_CYCLE', location);
    if (p.children.includes(child)) return;
    if (this.ancestors(parent).has(child)) {
      throw new UserError(
        `adding group '${child}' as a child of '${parent}' creates a loop ('${child}' is already an ancestor of '${parent}')`,
        'INVENTORY_CYCLE',
        location,
      );
    }
    p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
  }

  setGroupVar(group: string, key: string, value: unknown, location?: SourceLocation): void {
    const g = this.groups.get(group)!;
    if (key === 'ansible_group_priority') {
      const n = typeof value === 'boolean' ? Number(value) : typeof value === 'number' ? Math.trunc(value) : Number.parseInt(String(value).trim(), 10);
      if (!Number.isInteger(n) || (typeof value === 'string' && !/^\s*[-+]?[0-9]+\s*$/.test(value))) {
        throw new UserError(`ansible_group_priority must be an integer, got ${JSON.stringify(value)}`, 'INVENTORY_VAR', location);
      }
      g.priority = n;
      return;
    }
    g.vars[key] = value;
    if (location) g.varLocations[key] = location;
    else delete g.varLocations[key];
  }

  setHostVar(host: string, key: string, value: unknown, location?: SourceLocation): void {
    const h = this.hosts.get(host)!;
    h.vars[key] = value;
    if (location) h.varLocations[key] = location;
    else delete h.varLocations[key];
  }

  /** Ansible's reconcile_inventory: top-level groups under `all`, lone hosts in `ungrouped`. */
  reconcile(): void {
    const all = this.groups.get('all')!;
    if (all.parents.length > 0) {
      throw new UserError(`group 'all' cannot be a child of '${all.parents[0]}'`, 'INVENTORY_CYCLE', all.location);
    }
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && g.parents.length === 0) this.addChild('all', g.name);
    }
    const ungrouped = this.groups.get('ungrouped')!;
    for (const h of this.hosts.values()) {
      const others = h.groups.filter((g) => g !== 'all' && g !== 'ungrouped');
      if (h.groups.includes('ungrouped')) {
        if (others.length > 0) {
          ungrouped.hosts = ungrouped.hosts.filter((x) => x !== h.name);
          h.groups = h.groups.filter((g) => g !== 'ungrouped');
        }
      } else if (others.length === 0) {
        ungrouped.hosts.push(h.name);
        h.groups.push('ungrouped');
      }
    }
    // Ansible's warning (InventoryData.reconcile_inventory); typically a `[group]` line typed inside
    // a `:children` section, which turns the group names after it into hosts.
    for (const h of this.hosts.values()) {
      const g = this.groups.get(h.name);
      if (!g) continue;
      const where = [h.location && `host at ${formatLocation(h.location)}`, g.location && `group at ${formatLocation(g.location)}`].filter(Boolean).join(', ');
      this.warnings.push(`Found both group and host with same name: ${h.name}${where ? ` (${where})` : ''}`);
    }
  }

  /** Longest distance from `all` (Ansible's group depth): deeper groups win over their parents. */
  depths(): Map<string, number> {
    const depth = new Map<string, number>();
    const visit = (name: string): number => {
      const known = depth.get(name);
      if (known !== undefined) return known;
      const parents = this.groups.get(name)!.parents;
      const d = parents.length === 0 ? 0 : Math.max(...parents.map((p) => visit(p) + 1));
      depth.set(name, d);
      return d;
    };
    for (const name of this.groups.keys()) visit(name);
    return depth;
  }

  /** Every group containing the host, directly or through children (including `all`). */
  groupsOfHost(host: string): Set<string> {
    const out = new Set<string>();
    for (const g of this.hosts.get(host)?.groups ?? []) {
      out.add(g);
      for (const a of this.ancestors(g)) out.add(a);
    }
    return out;
  }

  /**
   * A group's hosts through its children (Group.get_hosts): its own hosts, then its children's,
   * then grandchildren's, breadth first. Ansible walks levels below the first through a Python
   * set, so its order there is not stable; this walks them in definition order.
   */
  groupHosts(group: string): string[] {
    const g = this.groups.get(group);
    if (!g) return [];
    const ordered = [group, ...g.children];
    const seen = new Set(ordered);
    let level = [...g.children];
    while (level.length > 0) {
      const next: string[] = [];
      for (const name of level) {
        for (const kid of this.groups.get(name)!.children) {
          if (!seen.has(kid)) {
            seen.add(kid);
            next.push(kid);
            ordered.push(kid);
          }
        }
      }
      level = next;
    }
    const hosts: string[] = [];
    const seenHosts = new Set<string>();
    for (const name of ordered) {
      for (const h of this.groups.get(name)!.hosts) {
        if (!seenHosts.has(h)) {
          seenHosts.add(h);
          hosts.push(h);
        }
      }
    }
    return hosts;
  }
}
