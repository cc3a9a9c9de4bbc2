// Per-host magic variables Ansible provides next to the inventory's own (Host.get_magic_vars plus
// the inventory file): they are left out of hostVars(), as ansible-inventory leaves them out.
import { isIpAddress } from './address.js';
import type { Inventory, Vars } from './inventory.js';

/** Where a host was defined, when the inventory knows it (steer's loaded inventories do). */
interface WithSources {
  hostSource?(host: string): { file: string; dir: string } | undefined;
}

/**
 * inventory_hostname, inventory_hostname_short (up to the first dot, unless an IP address),
 * group_names (sorted, every group but `all`; `ungrouped` included as in Ansible), and
 * inventory_file / inventory_dir when known.
 */
export function magicVars(inv: Inventory, host: string): Vars {
  const source = (inv as Inventory & WithSources).hostSource?.(host);
  return {
    inventory_hostname: host,
    inventory_hostname_short: isIpAddress(host) ? host : host.split('.')[0],
    group_names: inv.groupsOf(host),
    ...(source ? { inventory_file: source.file, inventory_dir: source.dir } : {}),
  };
}
