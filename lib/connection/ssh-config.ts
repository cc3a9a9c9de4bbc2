// A reader of OpenSSH's client config (~/.ssh/config) for what steer honours: HostName, User,
// Port, IdentityFile, ProxyJump, ProxyCommand, UserKnownHostsFile. Like OpenSSH, the first value
// found for a keyword wins (IdentityFile accumulates; ProxyJump and ProxyCommand exclude each
// other); Host patterns take * ? and !negation; Include works; Match takes all, host, originalhost,
// user, localuser and exec (run with sh, as ssh runs it).
//
// A keyword that would change where a connection goes or which host key is trusted, and that
// steer does not implement (REFUSED), is an error when it applies to a host: it is never dropped
// silently. The rest (session options: keepalives, ciphers, agent forwarding …) are ignored.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { UserError } from '../errors.js';

/** Keywords steer applies (Host, Match and Include structure the file). */
export const HONOURED_KEYWORDS = ['HostName', 'User', 'Port', 'IdentityFile', 'ProxyJump', 'ProxyCommand', 'UserKnownHostsFile'] as const;

/**
 * Keywords that change where the connection goes or which host key is accepted, which steer does
 * not implement: using the config without them would connect somewhere else than `ssh` does.
 * `harmless` is the value that changes nothing (then the keyword is accepted).
 */
export const REFUSED_KEYWORDS: Record<string, { name: string; why: string; harmless?: string[] }> = {
  hostkeyalias: { name: 'HostKeyAlias', why: 'which known_hosts entry the host key is checked against' },
  canonicalizehostname: { name: 'CanonicalizeHostname', why: 'the host name connected to', harmless: ['no'] },
  addressfamily: { name: 'AddressFamily', why: 'which address of the host is used', harmless: ['any'] },
  bindaddress: { name: 'BindAddress', why: 'the address the connection leaves from' },
  bindinterface: { name: 'BindInterface', why: 'the interface the connection leaves from' },
  proxyusefdpass: { name: 'ProxyUseFdpass', why: 'how the ProxyCommand hands over its connection', harmless: ['no'] },
  globalknownhostsfile: { name: 'GlobalKnownHostsFile', why: 'which host keys are trusted' },
  knownhostscommand: { name: 'KnownHostsCommand', why: 'which host keys are trusted' },
};

/** Match criteria steer cannot evaluate: a block under them is refused, not guessed. */
const REFUSED_MATCH = new Set(['canonical', 'final', 'localnetwork', 'tagged']);

type Criterion = { name: string; negate: boolean; patterns: string[]; command?: string };

type Condition = { kind: 'host'; patterns: string[] } | { kind: 'match'; criteria: Criterion[]; at: Where };

interface Where {
  file: string;
  line: number;
}

interface Directive {
  keyword: string;
  args: string[];
  /** The value as written after the keyword (ProxyCommand is a whole command line). */
  rest: string;
  at: Where;
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
  /** The ProxyCommand with its %tokens expanded ('none' is returned as undefined). */
  proxyCommand?: string;
  userKnownHostsFiles: string[];
}

/** What is known of the connection before the config is read (ssh's command line: inventory). */
export interface LookupGiven {
  user?: string;
  port?: number;
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

  /**
   * The config for `host` (the name ssh is given). Throws UserError (with file:line) for a refused
   * keyword or Match criterion that applies to it, or a bad %token.
   */
  lookup(host: string, given: LookupGiven = {}): SshHostConfig {
    const first = new Map<string, Directive>();
    const identityFiles: string[] = [];
    for (const d of this.directives) {
      const state = { host, hostName: first.get('hostname')?.args[0], user: given.user ?? first.get('user')?.args[0], port: given.port ?? portOf(first.get('port')) };
      if (!d.conditions.every((c) => holds(c, state))) continue;
      const refused = REFUSED_KEYWORDS[d.keyword];
      if (refused && !refused.harmless?.includes(d.args[0]!.toLowerCase())) {
        throw new UserError(
          `${refused.name} is not supported by steer (it changes ${refused.why}); steer honours ${HONOURED_KEYWORDS.join(', ')} (docs/inventory.md)`,
          'SSH_CONFIG_UNSUPPORTED',
          d.at,
        );
      }
      if (d.keyword === 'identityfile') identityFiles.push(d.args[0]!);
      else if ((d.keyword === 'proxyjump' || d.keyword === 'proxycommand') && (first.has('proxyjump') || first.has('proxycommand'))) continue;
      else if (!first.has(d.keyword)) first.set(d.keyword, d);
    }
    const user = given.user ?? first.get('user')?.args[0];
    const port = portOf(first.get('port'));
    const rawHostName = first.get('hostname');
    const hostName = rawHostName === undefined ? undefined : expandTokens(rawHostName.args[0]!, { h: host, n: host }, rawHostName.at);
    const tokens = { h: hostName ?? host, n: host, r: user ?? userInfo().username, p: String(given.port ?? port ?? 22) };
    const jump = first.get('proxyjump')?.args[0];
    const proxy = first.get('proxycommand');
    return {
      hostName,
      user: first.get('user')?.args[0],
      port,
      identityFiles: identityFiles.map((f) => expandPath(f, tokens)),
      proxyJump: jump === undefined || jump.toLowerCase() === 'none' ? undefined : jump,
      proxyCommand: proxy === undefined || proxy.rest.toLowerCase() === 'none' ? undefined : expandTokens(proxy.rest, tokens, proxy.at),
      userKnownHostsFiles: (first.get('userknownhostsfile')?.args ?? []).map((f) => expandPath(f, tokens)),
    };
  }
}

function portOf(d: Directive | undefined): number | undefined {
  const port = d === undefined ? undefined : Number(d.args[0]);
  return port !== undefined && Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

function parseFile(path: string, outer: Condition[], depth: number): Directive[] {
  return parseText(readFileSync(path, 'utf8'), path, outer, depth);
}

function parseText(text: string, path: string, outer: Condition[], depth: number): Directive[] {
  const out: Directive[] = [];
  let block: Condition | undefined;
  for (const [index, rawLine] of text.split(/\r?\n/).entries()) {
    const at = { file: path, line: index + 1 };
    const words = splitLine(rawLine);
    if (words.length === 0) continue;
    const keyword = words[0]!.toLowerCase();
    const args = words.slice(1);
    if (keyword === 'host') {
      block = { kind: 'host', patterns: args };
      continue;
    }
    if (keyword === 'match') {
      block = parseMatch(args, at);
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
    const rest = rawLine.trim().replace(/^[A-Za-z]+(\s*=\s*|\s+)/, '');
    if (args.length > 0) out.push({ keyword, args, rest, at, conditions });
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

function parseMatch(args: string[], at: Where): Condition {
  const criteria: Criterion[] = [];
  for (let i = 0; i < args.length; i++) {
    let name = args[i]!.toLowerCase();
    const negate = name.startsWith('!');
    if (negate) name = name.slice(1);
    if (name === 'all' || name === 'canonical' || name === 'final') {
      criteria.push({ name, negate, patterns: [] });
      continue;
    }
    const value = args[++i] ?? '';
    criteria.push(name === 'exec' ? { name, negate, patterns: [], command: value } : { name, negate, patterns: value.split(',') });
  }
  return { kind: 'match', criteria, at };
}

interface MatchState {
  host: string;
  hostName?: string;
  user?: string;
  port?: number;
}

/** Whether a Host or Match line applies; like OpenSSH, `exec` runs only when the criteria before it held. */
function holds(condition: Condition, state: MatchState): boolean {
  if (condition.kind === 'host') return matchList(state.host, condition.patterns);
  for (const c of condition.criteria) {
    if (REFUSED_MATCH.has(c.name)) {
      throw new UserError(`Match ${c.name} is not supported by steer; use Host or Match host/originalhost/user/localuser/exec (docs/inventory.md)`, 'SSH_CONFIG_UNSUPPORTED', condition.at);
    }
    const result = criterion(c, state, condition.at);
    if (c.negate ? result : !result) return false;
  }
  return true;
}

function criterion(c: Criterion, state: MatchState, at: Where): boolean {
  const hostName = state.hostName === undefined ? state.host : expandTokens(state.hostName, { h: state.host, n: state.host }, at);
  switch (c.name) {
    case 'all':
      return true;
    case 'host':
      return matchList(hostName, c.patterns);
    case 'originalhost':
      return matchList(state.host, c.patterns);
    case 'user':
      return matchList(state.user ?? userInfo().username, c.patterns);
    case 'localuser':
      return matchList(userInfo().username, c.patterns);
    case 'exec': {
      const tokens = { h: hostName, n: state.host, r: state.user ?? userInfo().username, p: String(state.port ?? 22) };
      return spawnSync('/bin/sh', ['-c', expandTokens(c.command!, tokens, at)], { stdio: 'ignore', timeout: 30_000 }).status === 0;
    }
    default:
      throw new UserError(`Match ${c.name} is not a criterion steer knows`, 'SSH_CONFIG_UNSUPPORTED', at);
  }
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

/** OpenSSH's %tokens; an unknown one is an error (ssh refuses it too). */
function expandTokens(value: string, tokens: Record<string, string>, at?: Where): string {
  return value.replace(/%(.)/g, (_whole, t: string) => {
    if (t === '%') return '%';
    if (t === 'd') return homedir();
    if (t === 'u') return userInfo().username;
    if (t === 'L') return hostname().split('.')[0]!;
    if (t === 'l') return hostname();
    const known = tokens[t];
    if (known === undefined) throw new UserError(`unknown or unsupported token %${t} in ${JSON.stringify(value)}`, 'SSH_CONFIG_UNSUPPORTED', at);
    return known;
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
