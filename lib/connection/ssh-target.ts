// Where and how to log in to a host: inventory variables first (as Ansible passes them to ssh on the
// command line), then ~/.ssh/config, then OpenSSH's defaults.
import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { Secret, registerSecret } from '../secrets/masker.js';
import { SshConfig, parseProxyJump } from './ssh-config.js';

/** One machine to log in to (the target, or a ProxyJump hop). */
export interface SshEndpoint {
  /** How the user named it (inventory name or jump spec), for messages. */
  label: string;
  /** The address connected to (also the known_hosts name). */
  hostName: string;
  port: number;
  user: string;
  identityFiles: string[];
  password?: string;
  /** A local command whose stdin/stdout carry the connection (ssh's ProxyCommand), tokens expanded. */
  proxyCommand?: string;
}

export interface SshTarget extends SshEndpoint {
  /** Hops to go through, first one connected directly. */
  jumps: SshEndpoint[];
  knownHostsPath: string;
  becomeUser: string;
  becomePassword?: string;
}

const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** A host variable as a string (Secret values unwrapped and kept registered for masking). */
export function stringVar(vars: Record<string, unknown>, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = vars[name];
    if (value === undefined || value === null || value === '') continue;
    if (value instanceof Secret) return value.value;
    if (typeof value === 'string' || typeof value === 'number') return String(value);
    throw new UserError(`host variable ${name} must be a string, not ${Array.isArray(value) ? 'a list' : typeof value}`, 'INVALID_HOST_VAR');
  }
  return undefined;
}

function portVar(vars: Record<string, unknown>, host: string): number | undefined {
  const text = stringVar(vars, 'ansible_port', 'ansible_ssh_port');
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UserError(`${host}: ansible_port must be a port number (1-65535), not ${JSON.stringify(text)}`, 'INVALID_HOST_VAR');
  return port;
}

function defaultIdentities(): string[] {
  return DEFAULT_IDENTITIES.map((f) => join(homedir(), '.ssh', f)).filter((f) => existsSync(f));
}

function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

export function resolveSshTarget(
  host: string,
  vars: Record<string, unknown>,
  config: SshConfig,
  options: { becomePassword?: string } = {},
): SshTarget {
  const given = stringVar(vars, 'ansible_host', 'ansible_ssh_host') ?? host;
  const givenUser = stringVar(vars, 'ansible_user', 'ansible_ssh_user');
  const givenPort = portVar(vars, host);
  const fromConfig = config.lookup(given, { user: givenUser, port: givenPort });
  const keyFile = stringVar(vars, 'ansible_ssh_private_key_file', 'ansible_private_key_file');
  const identityFiles = keyFile !== undefined ? [expandHome(keyFile), ...fromConfig.identityFiles] : fromConfig.identityFiles;
  const password = stringVar(vars, 'ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password');
  const becomePassword = options.becomePassword ?? stringVar(vars, 'ansible_become_password', 'ansible_become_pass');
  for (const secret of [password, becomePassword]) if (secret !== undefined) registerSecret(secret);
  const knownHosts = stringVar(vars, 'steer_known_hosts');
  return {
    label: host,
    hostName: fromConfig.hostName ?? given,
    port: givenPort ?? fromConfig.port ?? 22,
    user: givenUser ?? fromConfig.user ?? userInfo().username,
    identityFiles: identityFiles.length > 0 ? identityFiles : defaultIdentities(),
    password,
    proxyCommand: fromConfig.proxyCommand,
    jumps: fromConfig.proxyJump ? resolveJumps(host, fromConfig.proxyJump, config, identityFiles) : [],
    knownHostsPath: expandHome(knownHosts ?? fromConfig.userKnownHostsFiles[0] ?? join(homedir(), '.ssh', 'known_hosts')),
    becomeUser: stringVar(vars, 'ansible_become_user') ?? 'root',
    becomePassword,
  };
}

/**
 * ProxyJump hops, each looked up in the config by the name given. The target's own keys are tried
 * on the hops too (after the hop's configured ones): a lab or a Pi cluster usually shares one key.
 * The first hop may have a ProxyCommand; a later hop is reached through the one before it, so a
 * ProxyCommand (or ProxyJump) of its own is refused rather than ignored.
 */
function resolveJumps(host: string, value: string, config: SshConfig, targetIdentities: string[]): SshEndpoint[] {
  return parseProxyJump(value).map((hop, i) => {
    const c = config.lookup(hop.host, { user: hop.user, port: hop.port });
    if ((i > 0 && c.proxyCommand) || c.proxyJump) {
      throw new UserError(`${host}: jump host ${hop.host} has a ProxyCommand or ProxyJump of its own in ~/.ssh/config; steer follows a ProxyCommand on the first hop only, and no nested ProxyJump`, 'SSH_CONFIG_UNSUPPORTED');
    }
    const files = [...new Set([...c.identityFiles, ...targetIdentities, ...defaultIdentities()])];
    return {
      label: `jump host ${hop.host}`,
      hostName: c.hostName ?? hop.host,
      port: hop.port ?? c.port ?? 22,
      user: hop.user ?? c.user ?? userInfo().username,
      identityFiles: files,
      proxyCommand: c.proxyCommand,
    };
  });
}
