// Builds the connection a host's variables ask for, and opens many at once.
import { homedir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import type { Connection } from './connection.js';
import type { HostLock } from './host-lock.js';
import type { HostKeyChecking } from './known-hosts.js';
import { LocalConnection } from './local.js';
import { SshConnection } from './ssh.js';
import { SshConfig } from './ssh-config.js';
import { resolveSshTarget, stringVar } from './ssh-target.js';
import { UserError } from '../errors.js';

export interface ConnectionOptions {
  hostKeyChecking: HostKeyChecking;
  /** The become password (from --ask-become-pass, an env var …); else ansible_become_password. */
  becomePassword?: string;
  connectTimeoutMs?: number;
  /** Receives -v lines (commands, results, connection events), secrets already masked. */
  verbose?: (line: string) => void;
  /** The OpenSSH client config to honour (default ~/.ssh/config). */
  sshConfigPath?: string;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Channels per ssh connection (default 8, below sshd's default MaxSessions of 10). */
  maxChannels?: number;
  /** The ssh agent socket (default $SSH_AUTH_SOCK). */
  agentSocket?: string;
  /** The run's host lock, held while connected (host-lock.ts); none for read-only work. */
  hostLock?: HostLock;
}

const configs = new Map<string, SshConfig>();

function sshConfig(path: string): SshConfig {
  let config = configs.get(path);
  if (!config) {
    config = SshConfig.load(path);
    configs.set(path, config);
  }
  return config;
}

export function createConnection(host: string, vars: Record<string, unknown>, options: ConnectionOptions): Connection {
  const kind = stringVar(vars, 'ansible_connection') ?? 'ssh';
  if (kind === 'local') {
    const becomePassword = options.becomePassword ?? stringVar(vars, 'ansible_become_password', 'ansible_become_pass');
    return new LocalConnection(host, { becomeUser: stringVar(vars, 'ansible_become_user'), becomePassword, verbose: options.verbose, hostLock: options.hostLock });
  }
  if (kind !== 'ssh' && kind !== 'smart' && kind !== 'paramiko') {
    throw new UserError(`${host}: ansible_connection ${JSON.stringify(kind)} is not supported (use ssh or local)`, 'UNSUPPORTED_CONNECTION');
  }
  const config = sshConfig(options.sshConfigPath ?? join(homedir(), '.ssh', 'config'));
  const target = resolveSshTarget(host, vars, config, { becomePassword: options.becomePassword });
  return new SshConnection(target, {
    hostKeyChecking: options.hostKeyChecking,
    connectTimeoutMs: options.connectTimeoutMs,
    keepaliveIntervalMs: options.keepaliveIntervalMs,
    keepaliveCountMax: options.keepaliveCountMax,
    maxChannels: options.maxChannels,
    agentSocket: options.agentSocket,
    verbose: options.verbose,
    hostLock: options.hostLock,
  });
}

/** Opens every connection, `concurrency` at a time; each host's error (or undefined) by host name. */
export async function connectAll(connections: Connection[], concurrency: number): Promise<Map<string, Error | undefined>> {
  const limit = pLimit(Math.max(1, concurrency));
  const results = new Map<string, Error | undefined>();
  await Promise.all(
    connections.map((c) =>
      limit(async () => {
        try {
          await c.connect();
          results.set(c.host, undefined);
        } catch (error) {
          results.set(c.host, error instanceof Error ? error : new Error(String(error)));
        }
      }),
    ),
  );
  return results;
}
