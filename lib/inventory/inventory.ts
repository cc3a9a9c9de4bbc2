// The inventory model every other part reads. Loaders (YAML, INI, group_vars/host_vars) build it;
// patterns select from it. Variables here are raw (not yet templated): templates render on use.
import type { SourceLocation } from '../errors.js';

export type Vars = Record<string, unknown>;

export interface HostEntry {
  name: string;
  /** Where the host was first defined (for messages). */
  location?: SourceLocation;
}

export interface GroupEntry {
  name: string;
  /** Hosts listed directly in this group, in inventory order. */
  hosts: string[];
  /** Child group names. */
  children: string[];
  location?: SourceLocation;
}

export interface Inventory {
  /** Every host, in the order Ansible would list them. */
  readonly hosts: ReadonlyMap<string, HostEntry>;
  /** Every group, including the implicit `all` and `ungrouped`. */
  readonly groups: ReadonlyMap<string, GroupEntry>;
  /** The host's variables merged with Ansible's precedence (inventory side, then playbook side). */
  hostVars(host: string): Vars;
  /** Every group the host belongs to, directly or through children (without `all`), sorted. */
  groupsOf(host: string): string[];
  /** All hosts of a group, through children, in inventory order. */
  groupHosts(group: string): string[];
  /** Hosts matching an Ansible pattern (`a:b`, `a:!b`, `a:&b`, `*`, `~re`, `g[0]`, `g[1:]`). */
  select(pattern: string): string[];
  /** Where the host's value of a variable was written ("hosts.ini:4:12"), when known. */
  varSource?(host: string, name: string): string | undefined;
  /** Ansible's warnings about the inventory, without the "[WARNING]: " prefix. */
  readonly warnings?: readonly string[];
}
