// Host key checking against OpenSSH known_hosts files: plain and hashed (|1|salt|hash) host
// fields, [host]:port for other ports, wildcard and negated patterns, several key types per host,
// and @revoked lines. ssh2 itself accepts any key, so every connection goes through here.
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { HostKeyError } from './errors.js';
import { matchList } from './ssh-config.js';

export type HostKeyChecking = 'strict' | 'accept-new' | 'off';

export interface KnownHostEntry {
  file: string;
  line: number;
  /** The host field as written (patterns, or a |1| hash). */
  hosts: string;
  keyType: string;
  key: Buffer;
  marker?: '@revoked' | '@cert-authority';
}

export type HostKeyVerdict =
  | { status: 'match'; entry: KnownHostEntry }
  | { status: 'unknown' }
  | { status: 'changed'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry };

/** The name known_hosts stores: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's fingerprint form: `SHA256:` + unpadded base64 of the key blob's SHA-256. */
export function fingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** The key type named inside an SSH public key blob (its first string). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const len = key.readUInt32BE(0);
  return key.subarray(4, 4 + len).toString('latin1');
}

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostEntry['marker'];
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64) return;
    entries.push({ file, line: i + 1, hosts, keyType, key: Buffer.from(b64, 'base64'), marker });
  });
  return entries;
}

/** Whether an entry's host field names this host (plain patterns or a hashed name). */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hosts.startsWith('|1|')) {
    const [, , salt, hash] = entry.hosts.split('|');
    if (!salt || !hash) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return digest === hash;
  }
  return matchList(name, entry.hosts.split(','));
}

export class KnownHosts {
  private constructor(
    /** Where new keys are appended (the user's file). */
    readonly path: string,
    private readonly entries: KnownHostEntry[],
  ) {}

  /** Reads the user's file and, read-only, the system-wide ones. */
  static load(path: string, systemFiles: string[] = ['/etc/ssh/ssh_known_hosts']): KnownHosts {
    const entries: KnownHostEntry[] = [];
    for (const file of [path, ...systemFiles]) {
      if (existsSync(file)) entries.push(...parseKnownHosts(readFileSync(file, 'utf8'), file));
    }
    return new KnownHosts(path, entries);
  }

  /** Key types known for the host, to ask the server for one of those first (as OpenSSH does). */
  knownKeyTypes(name: string): string[] {
    return [...new Set(this.entries.filter((e) => !e.marker && entryMatches(e, name)).map((e) => e.keyType))];
  }

  verify(name: string, key: Buffer): HostKeyVerdict {
    const type = keyTypeOf(key);
    const revoked = this.entries.find((e) => e.marker === '@revoked' && e.key.equals(key));
    if (revoked) return { status: 'revoked', entry: revoked };
    const mine = this.entries.filter((e) => !e.marker && entryMatches(e, name));
    const same = mine.find((e) => e.key.equals(key));
    if (same) return { status: 'match', entry: same };
    const changed = mine.find((e) => e.keyType === type);
    if (changed) return { status: 'changed', entry: changed };
    return { status: 'unknown' };
  }

  /** Appends a line for the host (accept-new), creating the file and its folder if needed. */
  add(name: string, key: Buffer): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    let prefix = '';
    if (existsSync(this.path)) {
      const text = readFileSync(this.path, 'utf8');
      if (text.length > 0 && !text.endsWith('\n')) prefix = '\n';
    }
    const line = `${name} ${keyTypeOf(key)} ${key.toString('base64')}`;
    appendFileSync(this.path, `${prefix}${line}\n`, { mode: 0o600 });
    this.entries.push({ file: this.path, line: -1, hosts: name, keyType: keyTypeOf(key), key });
  }
}

export interface HostKeyCheck {
  /** The inventory name, for messages. */
  host: string;
  /** What is looked up: the address connected to and its port. */
  hostName: string;
  port: number;
  mode: HostKeyChecking;
  knownHostsPath: string;
  verbose?: (line: string) => void;
}

/**
 * Decides on a presented key. Returns undefined to accept, or the HostKeyError that refuses it.
 * A changed or revoked key is refused in every mode but 'off'.
 */
export function checkHostKey(check: HostKeyCheck, key: Buffer, knownHosts = KnownHosts.load(check.knownHostsPath)): HostKeyError | undefined {
  if (check.mode === 'off') return undefined;
  const name = knownHostsName(check.hostName, check.port);
  const type = keyTypeOf(key);
  const print = fingerprint(key);
  const verdict = knownHosts.verify(name, key);
  switch (verdict.status) {
    case 'match':
      return undefined;
    case 'revoked':
      return new HostKeyError(check.host, `host key for ${name} (${type} ${print}) is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}; refusing to connect`);
    case 'changed':
      return new HostKeyError(
        check.host,
        `host key for ${name} has CHANGED: the host now presents ${type} ${print}, but ${verdict.entry.file}:${verdict.entry.line} holds a different ${verdict.entry.keyType} key. ` +
          `Someone could be intercepting the connection, or the host was reinstalled; if the change is expected, remove that line ` +
          `(ssh-keygen -R '${name}' -f ${verdict.entry.file}) and connect again`,
      );
    case 'unknown':
      if (check.mode === 'accept-new') {
        knownHosts.add(name, key);
        check.verbose?.(`${check.host}: added host key ${type} ${print} for ${name} to ${knownHosts.path}`);
        return undefined;
      }
      return new HostKeyError(
        check.host,
        `host key for ${name} is not known (${type} ${print}); add it to ${knownHosts.path} ` +
          `(e.g. ssh-keyscan -p ${check.port} ${check.hostName} >> ${knownHosts.path}, after checking the fingerprint) ` +
          `or run with --host-key-checking accept-new`,
      );
  }
}
