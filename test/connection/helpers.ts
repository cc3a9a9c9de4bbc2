// Shared by the connection tests: a connection to the test sshd as the current user.
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createConnection, type ConnectionOptions } from '../../lib/connection/open.js';
import type { SshConnection } from '../../lib/connection/ssh.js';
import type { Sshd } from '../support/sshd.js';

export function sshTo(sshd: Pick<Sshd, 'port' | 'dir' | 'clientKeyPath' | 'knownHostsPath'>, options: Partial<ConnectionOptions> = {}, vars: Record<string, unknown> = {}): SshConnection {
  return createConnection(
    'target',
    {
      ansible_host: '127.0.0.1',
      ansible_port: sshd.port,
      ansible_user: userInfo().username,
      ansible_ssh_private_key_file: sshd.clientKeyPath,
      steer_known_hosts: sshd.knownHostsPath,
      ...vars,
    },
    // A config file that does not exist: the tests never read the user's ~/.ssh/config.
    // Nor the user's ssh agent.
    { hostKeyChecking: 'strict', sshConfigPath: join(sshd.dir, 'no-ssh-config'), agentSocket: join(sshd.dir, 'no-agent'), connectTimeoutMs: 5000, ...options },
  ) as SshConnection;
}

/** Command lines of every process on this machine (the test sshd runs here too). */
export async function processCommandLines(): Promise<string[]> {
  const { readdirSync, readFileSync } = await import('node:fs');
  const out: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      out.push(readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
