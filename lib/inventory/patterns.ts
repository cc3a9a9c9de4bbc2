// Host patterns as Ansible's InventoryManager evaluates them: `a:b` / `a,b` (union), `a:&b`
// (intersection), `a:!b` (exclusion) — unions first, then intersections, then exclusions —
// shell wildcards, `~regex`, subscripts `g[0]`, `g[-1]`, `g[1:]`, `g[0:2]`, `all`, host names and IPs.
import { readFileSync, statSync } from 'node:fs';
import { UserError } from '../errors.js';
import { isExactIpv6, parseAddress } from './address.js';
import type { Inventory } from './inventory.js';

/** An IPv6 address (maybe after `!`, `&` or `[`) at the start of a pattern or after a separator. */
const IPV6_IN_PATTERN = /(?:^|[:,])([!&]?)(\[?)((?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:%[\w.-]+)?)(\]?)/giu;

/** The longest IPv6 address at the start of `run` ("2001:db8::1" of "2001:db8::1:web1"), if any. */
function leadingIpv6(run: string): string | undefined {
  for (let end = run.length; end > 0; end--) {
    if (end < run.length && run[end] !== ':') continue;
    const candidate = run.slice(0, end);
    if (isExactIpv6(candidate)) return candidate;
  }
  return undefined;
}

/** The refusal for an IPv6 address that Ansible would cut at its colons, with the pattern to write instead. */
function cutAddress(pattern: string, m: RegExpMatchArray, address: string): UserError {
  const [whole, op, open] = m as unknown as [string, string, string];
  const head = pattern.slice(0, m.index);
  const addressEnd = m.index! + whole.indexOf(address, whole.length - m[3]!.length - m[4]!.length) + address.length;
  let tail = pattern.slice(addressEnd);
  const close = tail.startsWith(']');
  if (close) tail = tail.slice(1);
  tail = tail.replace(/^:/, ',');
  const instead = `${head ? `${head},` : op ? 'all,' : ''}${op}${address}${tail}`;
  const why = open || close ? 'in brackets, which patterns do not use (brackets only give a port in an inventory: [addr]:22)' : "between ':' separators, which would cut it at its colons";
  return new UserError(`host pattern '${pattern}' has the IPv6 address '${address}' ${why}, and would select other hosts than meant (expected '${instead}': ',' separates patterns)`, 'BAD_PATTERN');
}

/**
 * split_host_pattern: commas always separate; colons do unless the whole text is one address.
 * Where Ansible would cut an IPv6 address at its colons — `all:!2001:db8::1` becomes `all`, `!2001`,
 * `db8` and `1`, which match nothing, so Ansible runs on the host the user meant to exclude (and
 * `!::1` makes it crash) — steer refuses the pattern and says to separate with commas.
 */
export function splitHostPattern(pattern: string): string[] {
  let parts: string[];
  if (pattern.includes(',')) parts = pattern.split(',');
  else if (parseAddress(pattern)) parts = [pattern];
  else {
    for (const m of pattern.matchAll(IPV6_IN_PATTERN)) {
      const address = leadingIpv6(m[3]!);
      if (address) throw cutAddress(pattern, m, address);
    }
    parts = pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
  }
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** order_patterns: plain patterns, then `&`, then `!`; `all` when only operators were given. */
export function orderPatterns(patterns: string[]): string[] {
  const regular = patterns.filter((p) => p && p[0] !== '!' && p[0] !== '&');
  const and = patterns.filter((p) => p[0] === '&');
  const not = patterns.filter((p) => p[0] === '!');
  return [...(regular.length > 0 ? regular : ['all']), ...and, ...not];
}

/** fnmatch.translate: `*`, `?`, `[seq]`, `[!seq]`, anchored at both ends. */
function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      let j = i + 1;
      if (glob[j] === '!') j++;
      if (glob[j] === ']') j++;
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) {
        out += '\\[';
        continue;
      }
      let stuff = glob.slice(i + 1, j).replace(/\\/g, '\\\\');
      if (stuff[0] === '!') stuff = '^' + stuff.slice(1);
      else if (stuff[0] === '^' || stuff[0] === '[') stuff = '\\' + stuff;
      out += `[${stuff}]`;
      i = j;
    } else out += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^(?:${out})$`, 's');
}

function compilePattern(pattern: string): RegExp {
  try {
    // Python's re.match anchors at the start only; `(?P<n>` is Python's spelling of `(?<n>`.
    return pattern[0] === '~' ? new RegExp(`^(?:${pattern.slice(1).replace(/\(\?P</g, '(?<')})`) : globToRegExp(pattern);
  } catch {
    throw new UserError(`invalid host pattern '${pattern}' (expected a name, a glob or ~regex)`, 'BAD_PATTERN');
  }
}

const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/s;

type Subscript = { start: number; end?: number };

function splitSubscript(pattern: string): [string, Subscript | undefined] {
  if (pattern[0] === '~') return [pattern, undefined];
  const m = SUBSCRIPT.exec(pattern);
  if (!m) return [pattern, undefined];
  if (m[2] !== undefined) return [m[1]!, { start: Number(m[2]) }];
  return [m[1]!, { start: Number(m[3]), end: m[5] ? Number(m[5]) : -1 }];
}

function applySubscript(hosts: string[], sub: Subscript | undefined, pattern: string): string[] {
  if (hosts.length === 0 || !sub) return hosts;
  if (sub.end) {
    const end = sub.end === -1 ? hosts.length - 1 : sub.end;
    return hosts.slice(sub.start, end + 1);
  }
  const index = sub.start < 0 ? hosts.length + sub.start : sub.start;
  if (index < 0 || index >= hosts.length) {
    throw new UserError(`no hosts matched the subscripted pattern '${pattern}' (it has ${hosts.length} host(s))`, 'BAD_PATTERN');
  }
  return [hosts[index]!];
}

/** Hosts of every group matching, then (for globs, regexes or when no group matched) hosts matching. */
function enumerateMatches(inv: Inventory, expr: string, unmatched: string[]): string[] {
  const re = compilePattern(expr);
  const groups = [...inv.groups.keys()].filter((g) => re.test(g));
  const results = groups.flatMap((g) => inv.groupHosts(g));
  if (groups.length === 0 || expr[0] === '~' || /[.?*[]/.test(expr)) {
    for (const h of inv.hosts.keys()) if (re.test(h)) results.push(h);
  }
  if (results.length === 0 && groups.length === 0 && expr !== 'all') unmatched.push(expr);
  return results;
}

export interface PatternResult {
  hosts: string[];
  /** Parts that matched no group and no host (Ansible warns: "Could not match supplied host pattern"). */
  unmatched: string[];
}

/** _evaluate_patterns over already split patterns, duplicates removed. */
export function evaluatePattern(inv: Inventory, patterns: string[]): PatternResult {
  const unmatched: string[] = [];
  let hosts: string[] = [];
  for (const p of orderPatterns(patterns)) {
    if (inv.hosts.has(p)) {
      hosts.push(p);
      continue;
    }
    const bare = p[0] === '!' || p[0] === '&' ? p.slice(1) : p;
    const [expr, sub] = splitSubscript(bare);
    const that = applySubscript(enumerateMatches(inv, expr, unmatched), sub, bare);
    if (p[0] === '!') {
      const drop = new Set(that);
      hosts = hosts.filter((h) => !drop.has(h));
    } else if (p[0] === '&') {
      const keep = new Set(that);
      hosts = hosts.filter((h) => keep.has(h));
    } else {
      const existing = new Set(hosts);
      hosts.push(...that.filter((h) => !existing.has(h)));
    }
  }
  return { hosts: [...new Set(hosts)], unmatched: [...new Set(unmatched)] };
}

/** The warning Ansible prints for a pattern part that matches nothing. */
export function unmatchedWarning(part: string): string {
  return `[WARNING]: Could not match supplied host pattern, ignoring: ${part}`;
}

/** A --limit's patterns, with `@file` entries replaced by the file's lines (one host per line). */
export function limitPatterns(limit: string): string[] {
  const out: string[] = [];
  for (const part of splitHostPattern(limit)) {
    if (part[0] !== '@') {
      out.push(part);
      continue;
    }
    const file = part.slice(1);
    let isFile: boolean;
    try {
      isFile = statSync(file).isFile();
    } catch {
      throw new UserError('limit file not found (expected a file with one host per line)', 'LIMIT_FILE', { file });
    }
    if (!isFile) throw new UserError('a limit starting with @ must be a file, not a directory', 'LIMIT_FILE', { file });
    out.push(...readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== ''));
  }
  return out;
}

/**
 * Narrows `hosts` to those the limit selects (`web`, `a:!b`, `@retry-file`, ...), keeping their
 * order. A limit that matches nothing gives []; `options.warn` receives Ansible's warning lines.
 * Synchronous (the limit file is small) so that callers may use it with or without `await`.
 */
export function applyLimit(inv: Inventory, hosts: string[], limit: string, options: { warn?: (line: string) => void } = {}): string[] {
  const result = evaluatePattern(inv, limitPatterns(limit));
  for (const part of result.unmatched) options.warn?.(unmatchedWarning(part));
  const allowed = new Set(result.hosts);
  return hosts.filter((h) => allowed.has(h));
}
