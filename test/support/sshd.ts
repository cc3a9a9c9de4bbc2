// A real OpenSSH sshd for tests: listens on 127.0.0.1 on a free port with a temp config, temp host
// keys and a temp authorized key for the current user. Everything lives in one temp folder that
// stop() removes, after ending the sshd and every process it started.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  port: number;
  /** The folder holding config, keys, known_hosts and log. */
  dir: string;
  /** Private host keys (the first is ed25519, the second ecdsa). */
  hostKeyPath: string;
  hostKeyPaths: string[];
  /** `TYPE BASE64` of each host public key, same order. */
  hostPublicKeys: string[];
  clientKeyPath: string;
  /** A known_hosts file holding the host's ed25519 key for [127.0.0.1]:port. */
  knownHostsPath: string;
  logPath: string;
  readonly pid: number;
  /** Connections sshd has accepted so far (from its VERBOSE log). */
  acceptedConnections(): number;
  /** Pids of every process below the listening sshd (per-connection sshd processes, shells …). */
  descendants(): number[];
  /** Ends sshd and its sessions but keeps its files, so start() brings back the same server. */
  kill(): Promise<void>;
  /** Starts sshd again (same port, keys and config) after kill(). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Extra sshd_config lines. */
  config?: string;
  /**
   * Runs sshd in its own PID namespace: /proc/loadavg read by its sessions then shows the last pid
   * of that namespace alone, so a benchmark counts the processes its commands fork exactly, however
   * busy the machine is.
   */
  pidNamespace?: boolean;
}

function ensureSshd(): void {
  // test/run.js installs it (test/support/prerequisites.ts); a test file run on its own may lack it.
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: install openssh-server (node test/run.js does, as root)`);
}

function keygen(path: string, type: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'steer-test', '-f', path]);
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

export function descendantsOf(pid: number): number[] {
  const all: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const kids = childrenOf(queue.shift()!);
    all.push(...kids);
    queue.push(...kids);
  }
  return all;
}

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  ensureSshd();
  // Privilege separation needs this folder; systemd-tmpfiles creates it on a booted system.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'steer-sshd-'));
  let child: ChildProcess | undefined;
  try {
    const hostKeyPaths = [join(dir, 'host_ed25519'), join(dir, 'host_ecdsa')];
    keygen(hostKeyPaths[0]!, 'ed25519');
    keygen(hostKeyPaths[1]!, 'ecdsa');
    const hostPublicKeys = hostKeyPaths.map((p) => readFileSync(`${p}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' '));
    const clientKeyPath = join(dir, 'client_ed25519');
    keygen(clientKeyPath, 'ed25519');
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKeyPath}.pub`), { mode: 0o600 });
    const port = await freePort();
    const knownHostsPath = join(dir, 'known_hosts');
    writeFileSync(knownHostsPath, `[127.0.0.1]:${port} ${hostPublicKeys[0]}\n`);
    const logPath = join(dir, 'sshd.log');
    const configPath = join(dir, 'sshd_config');
    writeFileSync(
      configPath,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        ...hostKeyPaths.map((p) => `HostKey ${p}`),
        'PidFile none',
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'StrictModes no',
        'UsePAM no',
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'AllowTcpForwarding yes',
        'MaxSessions 10',
        'LogLevel VERBOSE',
        'Subsystem sftp internal-sftp',
        options.config ?? '',
        '',
      ].join('\n'),
    );
    const launch = async (): Promise<ChildProcess> => {
      const argv = [SSHD, '-D', '-f', configPath, '-E', logPath];
      const started = options.pidNamespace
        ? spawn('unshare', ['--pid', '--fork', '--kill-child', ...argv], { stdio: 'ignore' })
        : spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
      child = started;
      let exited = false;
      started.once('exit', () => (exited = true));
      const deadline = Date.now() + 10_000;
      const logged = countConnections(logPath);
      while (!(await canConnect(port))) {
        if (exited || Date.now() > deadline) {
          const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
          throw new Error(`sshd did not start: ${log}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      // The probe above counts as a connection, logged a moment later (much later on a busy
      // machine): wait for its line, so tests count from here.
      while (countConnections(logPath) === logged && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      probes++;
      return started;
    };
    let probes = 0;
    let started = await launch();
    const baseline = countConnections(logPath);
    return {
      port,
      dir,
      hostKeyPath: hostKeyPaths[0]!,
      hostKeyPaths,
      hostPublicKeys,
      clientKeyPath,
      knownHostsPath,
      logPath,
      get pid() {
        return started.pid!;
      },
      acceptedConnections: () => countConnections(logPath) - baseline - (probes - 1),
      descendants: () => descendantsOf(started.pid!),
      kill: () => stopProcessTree(started, started.pid!),
      start: async () => {
        started = await launch();
      },
      stop: async () => {
        await stopProcessTree(started, started.pid!);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (child?.pid) await stopProcessTree(child, child.pid);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function countConnections(logPath: string): number {
  if (!existsSync(logPath)) return 0;
  return readFileSync(logPath, 'utf8').split('\n').filter((l) => l.includes('Connection from ')).length;
}

async function stopProcessTree(child: ChildProcess, pid: number): Promise<void> {
  const kids = descendantsOf(pid);
  for (const p of kids) {
    try {
      process.kill(p, 'SIGCONT'); // stopped ones (keepalive tests) must be able to die
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}
