// `steer inventory`: shows an inventory the way ansible-inventory does (--list JSON, --graph tree,
// --host variables), without connecting anywhere. Useful to check what a run would see.
import { Command } from 'commander';
import { UserError } from '../../errors.js';
import { ansibleJson, inventoryGraph, inventoryHost, inventoryList, singleHost, type InventoryView } from '../../inventory/ansible-json.js';
import { loadInventory } from '../../inventory/load.js';
import { applyLimit } from '../../inventory/patterns.js';
import { maskSecrets } from '../../secrets/masker.js';
import { HostVariables } from '../../vars/host-vars.js';
import { addVaultOptions, applyVaultOptions, type VaultPasswordOptions } from '../../vault/password.js';
import { inventoryOption, limitOption } from '../options.js';

interface InventoryOptions extends VaultPasswordOptions {
  inventory: string[];
  list?: boolean;
  graph?: string | boolean;
  host?: string;
  playbookDir?: string;
  limit?: string;
  raw?: boolean;
}


const say = (text: string): void => void process.stdout.write(maskSecrets(text) + '\n');
const warn = (line: string): void => void process.stderr.write(maskSecrets(line) + '\n');

async function runInventory(opts: InventoryOptions): Promise<void> {
  const modes = [opts.list, opts.graph !== undefined, opts.host !== undefined].filter(Boolean).length;
  if (modes !== 1) throw new UserError('give exactly one of --list, --graph [GROUP] or --host NAME', 'BAD_OPTION');
  if (opts.inventory.length === 0) throw new UserError('no inventory given (expected -i FILE or -i FOLDER)', 'BAD_OPTION');

  await applyVaultOptions(opts);
  const inv = await loadInventory(opts.inventory, { playbookDir: opts.playbookDir });
  for (const warning of inv.warnings ?? []) warn(`[WARNING]: ${warning}`);
  const view: InventoryView = {};
  if (opts.limit !== undefined) view.hosts = new Set(applyLimit(inv, inv.groupHosts('all'), opts.limit, { warn }));

  if (opts.list) say(ansibleJson(inventoryList(inv, view)));
  else if (opts.graph !== undefined) say(inventoryGraph(inv, typeof opts.graph === 'string' ? opts.graph : 'all', view));
  else if (opts.raw) say(ansibleJson(inventoryHost(inv, opts.host!)));
  else say(ansibleJson(new HostVariables(inv, undefined, { inventorySources: opts.inventory }).inventoryVars(singleHost(inv, opts.host!))));
}

export function registerInventoryCommand(program: Command): void {
  const command = program
    .command('inventory')
    .description('show an inventory as ansible-inventory does: --list (JSON), --graph (tree) or --host NAME (variables)');
  inventoryOption(command);
  limitOption(command);
  command
    .option('--list', "every group's hosts and children, and each host's merged variables under _meta.hostvars (JSON)")
    .option('--graph [group]', 'the group tree from GROUP (default all), with each group\'s hosts')
    .option('--host <name>', "one host's merged variables (JSON), templates rendered as a run renders them")
    .option('--raw', 'with --host: the values as written, templates unrendered (exactly what ansible-inventory --host prints)')
    .option('--playbook-dir <dir>', "also read group_vars/ and host_vars/ next to this folder's playbooks (they win over the inventory's)")
    .addHelpText(
      'after',
      `
Examples:
  steer inventory -i inventory/home.yaml --graph
  steer inventory -i inventory/home.yaml --list
  steer inventory -i inventory/home.yaml --host huckleberry
  steer inventory -i inventory/ -i extra.ini --list -l workers

Never connects to any host. See docs/inventory.md for the formats.`,
    );
  addVaultOptions(command).action(async (opts: InventoryOptions) => runInventory(opts));
}
