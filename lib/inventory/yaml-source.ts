// YAML inventories (Ansible's `yaml` inventory plugin): top-level keys are groups, each with `hosts`
// (name or range → variables), `vars` and `children` (nested groups, same shape). Where Ansible only
// warns and skips (an unknown key, a group that is not a mapping) steer stops with the location.
import { UserError, type SourceLocation } from '../errors.js';
import type { YamlFile, YamlPath } from '../yaml/load.js';
import { HostRangeError, expandHostRange, parseAddress } from './address.js';
import type { InventoryData } from './model.js';

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

export function describeType(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return 'a mapping';
  return `a ${typeof value}`;
}

/** A host key (name, range, optional port) as Ansible expands it; errors carry `location`. */
export function expandHostKey(key: string, location: SourceLocation): { names: string[]; port?: number } {
  const address = parseAddress(key);
  const pattern = address ? address.host : key;
  try {
    return { names: expandHostRange(pattern), port: address?.port };
  } catch (err) {
    if (err instanceof HostRangeError) throw new UserError(`${err.message} (in host '${key}')`, 'INVENTORY_HOST_RANGE', location);
    throw err;
  }
}

const SECTIONS = ['vars', 'children', 'hosts'] as const;

export function parseYamlInventory(file: YamlFile, data: InventoryData, source: string): void {
  const root = file.value;
  if (root === null || root === undefined) return; // an empty file is an empty inventory, as in Ansible
  if (!isMapping(root)) {
    throw new UserError(`a YAML inventory must be a mapping of group names (got ${describeType(root)})`, 'INVENTORY_YAML', file.locate([]));
  }
  if (root.plugin) {
    throw new UserError('inventory plugin configurations (plugin: ...) are not supported (expected a static inventory)', 'INVENTORY_YAML', file.locate(['plugin'], 'key'));
  }
  const parseGroup = (name: string, body: unknown, at: YamlPath): void => {
    if (body !== null && body !== undefined && !isMapping(body)) {
      throw new UserError(
        `group '${name}' must be a mapping with hosts, vars or children (got ${describeType(body)})`,
        'INVENTORY_YAML',
        file.locate(at),
      );
    }
    data.addGroup(name, file.locate(at, 'key'));
    if (!body) return;
    // A bare string is allowed for a section: `hosts: web1` means `hosts: {web1: }`.
    const sections: Record<string, Record<string, unknown> | null> = {};
    const bare = new Set<string>();
    for (const section of SECTIONS) {
      const value = body[section];
      if (typeof value === 'string') {
        sections[section] = { [value]: null };
        bare.add(section);
      }
      else if (value === null || value === undefined) sections[section] = null;
      else if (isMapping(value)) sections[section] = value;
      else {
        const hint = section === 'hosts' ? 'host names as keys, each with its variables or nothing' : section === 'children' ? 'group names as keys' : 'variable names as keys';
        throw new UserError(
          `'${section}' of group '${name}' must be a mapping (${hint}), not ${describeType(value)}`,
          'INVENTORY_YAML',
          file.locate([...at, section]),
        );
      }
    }
    for (const key of Object.keys(body)) {
      if (!(SECTIONS as readonly string[]).includes(key)) {
        throw new UserError(`unknown key '${key}' in group '${name}' (expected hosts, vars or children)`, 'INVENTORY_YAML', file.locate([...at, key], 'key'));
      }
      const entries = sections[key];
      if (!entries) continue;
      if (key === 'vars') {
        for (const [k, v] of Object.entries(entries)) data.setGroupVar(name, k, v, file.locate([...at, 'vars', k], 'value'));
      } else if (key === 'children') {
        for (const [child, childBody] of Object.entries(entries)) {
          const childAt = [...at, 'children', child];
          parseGroup(child, childBody, childAt);
          data.addChild(name, child, file.locate(childAt, 'key'));
        }
      } else {
        for (const [hostKey, hostVars] of Object.entries(entries)) {
          // A bare string (`hosts: web1`) is located at the string itself.
          const keyAt = bare.has('hosts') ? file.locate([...at, 'hosts']) : file.locate([...at, 'hosts', hostKey], 'key');
          if (hostVars !== null && hostVars !== undefined && !isMapping(hostVars)) {
            throw new UserError(
              `host '${hostKey}' in group '${name}' must have a mapping of variables or nothing (got ${describeType(hostVars)})`,
              'INVENTORY_YAML',
              file.locate([...at, 'hosts', hostKey]),
            );
          }
          const { names, port } = expandHostKey(hostKey, keyAt);
          for (const host of names) {
            data.addHost(host, name, { port, location: keyAt, source });
            for (const [k, v] of Object.entries(hostVars ?? {})) data.setHostVar(host, k, v, file.locate([...at, 'hosts', hostKey, k], 'value'));
          }
        }
      }
    }
  };
  for (const [name, body] of Object.entries(root)) parseGroup(name, body, [name]);
}
