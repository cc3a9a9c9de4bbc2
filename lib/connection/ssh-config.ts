// A small reader of OpenSSH's client config (~/.ssh/config) for what steer honours: HostName, User,
// Port, IdentityFile, ProxyJump, UserKnownHostsFile. Like OpenSSH, the first value found for a
// keyword wins (IdentityFile accumulates); Host patterns take * ? and !negation; Include works;
// of Match only `all`, `host`, `originalhost` and `localuser` are understood (others never match).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';

type Condition =
  | { kind: 'host'; patterns: string[] }
  | { kind: 'match'; criteria: { name: string; negate: boolean; patterns: string[] }[] };

interface Directive {
  keyword: string;
  args: string[];
  /** All conditions (enclosing Include blocks, then its own block) must hold. */
  conditions: Condition[];
}

/** What the config says for one host. */
export interface SshHostConfig {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  /** The raw ProxyJump value ('none' is returned as undefined). */
  proxyJump?: string;
  userKnownHostsFiles: string[];
}

export class SshConfig {
  private constructor(private readonly directives: Directive[]) {}

  static empty(): SshConfig {
    return new SshConfig([]);
  }

  /** Reads a config file; a missing file is an empty config. */
  static load(path: string): SshConfig {
    if (!existsSync(path)) return SshConfig.empty();
    return new SshConfig(parseFile(path, [], 0));
  }

  static parse(text: string, path = 'ssh_config'): SshConfig {
    return new SshConfig(parseText(text, path, [], 0));
  }

  lookup(host: string): SshHostConfig {
    const first = new Map<string, string[]>();
    const identityFiles: string[] = [];
    for (const d of this.directives) {
      const hostName = first.get('hostname')?.[0];
      if (!d.conditions.every((c) => holds(c, host, hostName))) continue;
      if (d.keyword === 'identityfile') identityFiles.push(d.args[0]!);
      else if (!first.has(d.keyword)) first.set(d.keyword, d.args);
    }
    const user = first.get('user')?.[0];
    const portText = first.get('port')?.[0];
    const port = portText === undefined ? undefined : Number(portText);
    const rawHostName = first.get('hostname')?.[0];
    const hostName = rawHostName === undefined ? undefined : expandTokens(rawHostName, { h: host, n: host });
    const tokens = { h: hostName ?? host, n: host, r: user ?? userInfo().username, p: String(port ?? 22) };
    const jump = first.get('proxyjump')?.[0];
    return {
      hostName,
      user,
      port: port !== undefined && Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined,
      identityFiles: identityFiles.map((f) => expandPath(f, tokens)),
      proxyJump: jump === undefined || jump.toLowerCase() === 'none' ? undefined : jump,
      userKnownHostsFiles: (first.get('userknownhostsfile') ?? []).map((f) => expandPath(f, tokens)),
    };
  }
}

function parseFile(path: string, outer: Condition[], depth: number): Directive[] {
  return parseText(readFileSync(path, 'utf8'), path, outer, depth);
}

function parseText(text: string, path: string, outer: Condition[], depth: number): Directive[] {
  const out: Directive[] = [];
  let block: Condition | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const words = splitLine(rawLine);
    if (words.length === 0) continue;
    const keyword = words[0]!.toLowerCase();
    const args = words.slice(1);
    if (keyword === 'host') {
      block = { kind: 'host', patterns: args };
      continue;
    }
    if (keyword === 'match') {
      block = parseMatch(args);
      continue;
    }
    const conditions = block ? [...outer, block] : outer;
    if (keyword === 'include') {
      if (depth >= 16) continue; // OpenSSH's own recursion limit
      for (const pattern of args) {
        for (const file of expandInclude(pattern, path)) out.push(...parseFile(file, conditions, depth + 1));
      }
      continue;
    }
    if (args.length > 0) out.push({ keyword, args, conditions });
  }
  return out;
}

/** Splits `Keyword value`, `Keyword=value` and "quoted values"; drops comments. */
function splitLine(line: string): string[] {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return [];
  const eq = /^([A-Za-z]+)\s*=\s*|^([A-Za-z]+)\s+/.exec(trimmed);
  if (!eq) return [trimmed];
  const words = [eq[1] ?? eq[2]!];
  const rest = trimmed.slice(eq[0].length);
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    if (m[2]?.startsWith('#')) break;
    words.push(m[1] ?? m[2]!);
  }
  return words;
}

function parseMatch(args: string[]): Condition {
  const criteria: { name: string; negate: boolean; patterns: string[] }[] = [];
  for (let i = 0; i < args.length; i++) {
    let name = args[i]!.toLowerCase();
    const negate = name.startsWith('!');
    if (negate) name = name.slice(1);
    if (name === 'all' || name === 'canonical' || name === 'final') {
      criteria.push({ name, negate, patterns: [] });
      continue;
    }
    criteria.push({ name, negate, patterns: (args[++i] ?? '').split(',') });
  }
  return { kind: 'match', criteria };
}

function holds(condition: Condition, host: string, hostName: string | undefined): boolean {
  if (condition.kind === 'host') return matchList(host, condition.patterns);
  return condition.criteria.every((c) => {
    let result: boolean;
    switch (c.name) {
      case 'all':
        result = true;
        break;
      case 'host':
        result = matchList(hostName ?? host, c.patterns);
        break;
      case 'originalhost':
        result = matchList(host, c.patterns);
        break;
      case 'localuser':
        result = matchList(userInfo().username, c.patterns);
        break;
      default:
        return false; // exec, user, canonical …: not evaluated, so the block is not applied
    }
    return c.negate ? !result : result;
  });
}

/** A pattern list matches when some positive pattern matches and no negated one does. */
export function matchList(name: string, patterns: string[]): boolean {
  let matched = false;
  for (const p of patterns.flatMap((x) => x.split(','))) {
    if (p === '') continue;
    if (p.startsWith('!')) {
      if (globMatch(name, p.slice(1))) return false;
    } else if (globMatch(name, p)) matched = true;
  }
  return matched;
}

/** OpenSSH's pattern: * any run, ? one character, case-insensitive (host names). */
export function globMatch(name: string, pattern: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

function expandTokens(value: string, tokens: Record<string, string>): string {
  return value.replace(/%(.)/g, (whole, t: string) => {
    if (t === '%') return '%';
    if (t === 'd') return homedir();
    if (t === 'u') return userInfo().username;
    return tokens[t] ?? whole;
  });
}

function expandPath(value: string, tokens: Record<string, string>): string {
  const v = expandTokens(value, tokens);
  if (v === '~') return homedir();
  return v.startsWith('~/') ? join(homedir(), v.slice(2)) : v;
}

/** Include paths: relative ones are under ~/.ssh; `*` and `?` in the last component glob. */
function expandInclude(pattern: string, from: string): string[] {
  let path = expandPath(pattern, {});
  if (!isAbsolute(path)) path = join(from.startsWith(join(homedir(), '.ssh')) ? join(homedir(), '.ssh') : dirname(from), path);
  const dir = dirname(path);
  const name = basename(path);
  if (!/[*?]/.test(name)) return existsSync(path) ? [path] : [];
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => globMatch(f, name) && statSync(join(dir, f)).isFile())
    .sort()
    .map((f) => join(dir, f));
}

/** One hop of a ProxyJump value: `[user@]host[:port]` or `ssh://[user@]host[:port]`. */
export interface JumpSpec {
  host: string;
  user?: string;
  port?: number;
}

export function parseProxyJump(value: string): JumpSpec[] {
  return value.split(',').map((hop) => {
    const m = /^(?:ssh:\/\/)?(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hop.trim());
    if (!m) throw new Error(`invalid ProxyJump hop ${JSON.stringify(hop)}`);
    return { user: m[1], host: m[2]!.replace(/^\[|\]$/g, ''), port: m[3] === undefined ? undefined : Number(m[3]) };
  });
}
