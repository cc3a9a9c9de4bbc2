// INI inventories, following Ansible's `ini` inventory plugin line by line: hosts before any section
// go to `ungrouped`; `[g]` lists hosts with inline `key=value` variables, `[g:vars]` sets variables,
// `[g:children]` names child groups (which may be declared later in the file). Every value goes
// through Python's literal_eval as in Ansible, so `1` is a number and `true` stays the string "true".
import { UserError, type SourceLocation } from '../errors.js';
import { iniValue } from './python-literal.js';
import { ShlexError, shlexSplit } from './shlex.js';
import { expandHostKey } from './yaml-source.js';
import type { InventoryData } from './model.js';

const SECTION = /^\[([^:\]\s]+)(?::([\p{L}\p{N}_]+))?\]\s*(?:#.*)?$/u;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

interface Pending {
  state: 'vars' | 'children';
  location: SourceLocation;
  parents: string[];
}

export function parseIniInventory(text: string, file: string, data: InventoryData, source = file): void {
  const lines = text.split(/\r\n|\r|\n/);
  const pending = new Map<string, Pending>();
  let group = 'ungrouped';
  let state: 'hosts' | 'vars' | 'children' = 'hosts';

  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line[0] === '#' || line[0] === ';') return;
    const lineCol = raw.length - raw.trimStart().length + 1;
    const at = (col = lineCol): SourceLocation => ({ file, line: index + 1, col });
    const colOf = (token: string): number => {
      const i = raw.indexOf(token);
      return i >= 0 ? i + 1 : lineCol;
    };

    const section = SECTION.exec(line);
    if (section) {
      group = section[1]!;
      const kind = section[2] ?? 'hosts';
      if (kind !== 'hosts' && kind !== 'children' && kind !== 'vars') {
        throw new UserError(`section [${group}:${kind}] has unknown type '${kind}' (expected hosts, vars or children)`, 'INVENTORY_INI', at());
      }
      state = kind;
      if (!data.groups.has(group)) {
        // [g] or [g:children] declares a group; [g:vars] needs a declaration somewhere in the file.
        if (state === 'vars' && !pending.has(group)) pending.set(group, { state, location: at(), parents: [] });
        data.addGroup(group, at());
      }
      const waiting = pending.get(group);
      if (waiting && state !== 'vars') {
        if (waiting.state === 'children') addPendingChildren(group);
        else pending.delete(group);
      }
      return;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      throw new UserError(`invalid section '${line}' (expected [group], [group:vars] or [group:children], without spaces)`, 'INVENTORY_INI', at());
    }

    if (state === 'hosts') {
      let tokens: string[];
      try {
        tokens = shlexSplit(line);
      } catch (err) {
        if (err instanceof ShlexError) throw new UserError(`cannot parse host line: ${err.message}`, 'INVENTORY_INI', at());
        throw err;
      }
      const [hostKey, ...assignments] = tokens;
      if (hostKey === undefined) return;
      const hostAt = at(colOf(hostKey));
      const { names, port } = expandHostKey(hostKey, hostAt);
      if (hostKey.trim().endsWith(':') && port === undefined) {
        throw new UserError(`invalid host '${hostKey}': a trailing ':' must be followed by a port number`, 'INVENTORY_INI', hostAt);
      }
      if (names.some((n) => n.trim() === '---')) {
        throw new UserError(`invalid host '${hostKey}' ('---' usually means a YAML file: name it .yaml)`, 'INVENTORY_INI', hostAt);
      }
      const vars: Record<string, [unknown, SourceLocation]> = {};
      for (const token of assignments) {
        const eq = token.indexOf('=');
        if (eq < 0) throw new UserError(`expected key=value host variable, got '${token}'`, 'INVENTORY_INI', at(colOf(token)));
        vars[token.slice(0, eq)] = [iniValue(token.slice(eq + 1)), at(colOf(token))];
      }
      for (const name of names) {
        data.addHost(name, group, { port, location: hostAt, source });
        for (const [k, [v, location]] of Object.entries(vars)) data.setHostVar(name, k, v, location);
      }
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) throw new UserError(`expected key=value in [${group}:vars], got '${line}'`, 'INVENTORY_INI', at());
      data.setGroupVar(group, line.slice(0, eq).trim(), iniValue(line.slice(eq + 1).trim()), at());
    } else {
      const m = GROUP_NAME.exec(line);
      if (!m) throw new UserError(`expected a group name in [${group}:children], got '${line}'`, 'INVENTORY_INI', at());
      const child = m[1]!;
      if (!data.groups.has(child)) {
        const waiting = pending.get(child);
        if (waiting) waiting.parents.push(group);
        else pending.set(child, { state: 'children', location: at(), parents: [group] });
      } else {
        data.addChild(group, child, at());
      }
    }
  });

  function addPendingChildren(child: string): void {
    const waiting = pending.get(child)!;
    for (const parent of waiting.parents) {
      data.addChild(parent, child, waiting.location);
      if (pending.get(parent)?.state === 'children') addPendingChildren(parent);
    }
    pending.delete(child);
  }

  // Anything still pending was referenced but never declared; Ansible reports the first one.
  for (const [name, waiting] of pending) {
    if (waiting.state === 'vars') {
      throw new UserError(`section [${name}:vars] is for a group that is never declared (expected a [${name}] or [${name}:children] section)`, 'INVENTORY_INI', waiting.location);
    }
    const parent = waiting.parents[waiting.parents.length - 1]!;
    throw new UserError(`section [${parent}:children] includes undefined group '${name}' (expected a [${name}] section)`, 'INVENTORY_INI', waiting.location);
  }
}
