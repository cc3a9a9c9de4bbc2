// Loads one or more inventory sources (-i, repeatable) into one Inventory, as ansible-inventory does:
// a file is YAML (.yml/.yaml/.json, or no extension and YAML content) or INI (anything else); a
// folder is read entry by entry in byte order, skipping what Ansible skips (hidden files,
// group_vars/, host_vars/, *.ini, *.cfg, *.retry, *.md, *.txt, *.rst, *~, ...); `a,b,` is a host list.
// group_vars/ and host_vars/ are read next to each source and next to the playbook (playbookDir).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { SteerError, UserError } from '../errors.js';
import { openVaultFile } from '../vault/yaml.js';
import { parseYaml } from '../yaml/load.js';
import { parseAddress } from './address.js';
import { ansibleYamlOptions, parseAnsibleYaml } from './ansible-yaml.js';
import { parseIniInventory } from './ini-source.js';
import type { Inventory } from './inventory.js';
import { InventoryData } from './model.js';
import { StaticInventory, type VarsBase } from './static-inventory.js';
import { VarsFileCache } from './vars-files.js';
import { isMapping, parseYamlInventory } from './yaml-source.js';

export { magicVars } from './magic.js';

const YAML_EXTENSIONS = ['.yml', '.yaml', '.json'];

/** Entries Ansible never reads as inventory inside a folder (IGNORED_ALWAYS + INVENTORY_IGNORE_EXTS). */
const IGNORED_IN_FOLDER =
  /^\.|^host_vars$|^group_vars$|^vars_plugins$|\.pyc$|\.pyo$|\.swp$|\.bak$|~$|\.rpm$|\.md$|\.txt$|\.rst$|\.orig$|\.ini$|\.cfg$|\.retry$/;

export interface LoadInventoryOptions {
  /** The playbook's folder: its group_vars/ and host_vars/ override the inventory's. */
  playbookDir?: string;
}

function readText(path: string, display: string): string {
  try {
    // An inventory file encrypted whole with ansible-vault is read decrypted (values in it are not masked).
    return openVaultFile(readFileSync(path, 'utf8'), display);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot read inventory file (${(err as NodeJS.ErrnoException).code})`, 'FILE_NOT_FOUND', { file: display });
  }
}

/** The first meaningful line, to guess which format a file without extension was meant to be. */
function looksLikeYaml(text: string): boolean {
  const first = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';'));
  return first !== undefined && (first === '---' || /^[^=[\s][^=]*:$/.test(first) || /^[^=[\s][^=]*:\s/.test(first));
}

function parseFile(path: string, display: string, data: InventoryData): void {
  const text = readText(path, display);
  const ext = extname(path);
  if (YAML_EXTENSIONS.includes(ext)) {
    parseYamlInventory(parseAnsibleYaml(text, display), data, path);
    return;
  }
  if (ext === '.toml') throw new UserError('TOML inventories are not supported (expected YAML or INI)', 'INVENTORY_FORMAT', { file: display });
  if (ext !== '') {
    parseIniInventory(text, display, data, path);
    return;
  }
  // No extension: Ansible tries YAML first and falls back to INI.
  let yamlError: SteerError | undefined;
  try {
    const file = parseAnsibleYaml(text, display);
    if (isMapping(file.value) && !file.value.plugin) {
      parseYamlInventory(file, data, path);
      return;
    }
  } catch (err) {
    if (!(err instanceof SteerError)) throw err;
    yamlError = err;
  }
  try {
    parseIniInventory(text, display, data, path);
  } catch (err) {
    if (yamlError && err instanceof SteerError && looksLikeYaml(text)) throw yamlError;
    throw err;
  }
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function parseSource(path: string, display: string, data: InventoryData): void {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort(byteOrder)) {
      if (IGNORED_IN_FOLDER.test(name)) continue;
      parseSource(join(path, name), join(display, name), data);
    }
    return;
  }
  parseFile(path, display, data);
}

/** host_list: `-i 'web1,web2:2222,'` (a comma and no such file). */
function parseHostList(list: string, data: InventoryData): void {
  for (const entry of list.split(',')) {
    const h = entry.trim();
    if (!h) continue;
    const address = h.includes('[') ? undefined : parseAddress(h);
    const name = address?.host ?? h;
    if (!data.hosts.has(name)) data.addHost(name, 'ungrouped', { port: address?.port });
  }
}

export async function loadInventory(sources: string[], options: LoadInventoryOptions = {}): Promise<Inventory> {
  return loadInventorySync(sources, options);
}

/** loadInventory without the promise (tests and listings that need no I/O concurrency). */
export function loadInventorySync(sources: string[], options: LoadInventoryOptions = {}): StaticInventory {
  const data = new InventoryData();
  const bases: VarsBase[] = [];
  for (const source of sources) {
    const path = resolve(source);
    if (source.includes(',') && !existsSync(path)) {
      parseHostList(source, data);
      continue;
    }
    if (!existsSync(path)) throw new UserError('inventory source not found (expected a file or a folder)', 'FILE_NOT_FOUND', { file: source });
    parseSource(path, source, data);
    const isDir = statSync(path).isDirectory();
    bases.push({ dir: isDir ? path : dirname(path), display: isDir ? source : dirname(source) });
  }
  data.reconcile();
  const playbookBase = options.playbookDir !== undefined ? { dir: resolve(options.playbookDir), display: options.playbookDir } : undefined;
  const inventory = new StaticInventory(data, bases, playbookBase, new VarsFileCache());
  inventory.preload();
  return inventory;
}

/** Parses inventory text directly (tests, generated inventories): `format` picks the parser. */
export function parseInventoryText(text: string, format: 'yaml' | 'ini', display = `<inventory.${format}>`): StaticInventory {
  const data = new InventoryData();
  if (format === 'yaml') parseYamlInventory(parseYaml(text, display, ansibleYamlOptions), data, display);
  else parseIniInventory(text, display, data);
  data.reconcile();
  return new StaticInventory(data, [], undefined, new VarsFileCache());
}
