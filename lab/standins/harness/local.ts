// Test harness only (imported by test/lab/standins*.test.ts, never by the tool). Local harness for the Kubernetes stand-ins: each "host" is a temporary root directory
// (STANDIN_ROOT) with fake /proc and /sys files and a listening containerd socket; the stand-ins run
// from the source tree, kubelets under the harness's systemctl replacement, services on loopback.
// Nothing touches the controller's own /etc, /var or /proc.
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAKE_SYSTEMCTL, PYTHON_DIR } from '../index.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface FakeHost {
  name: string;
  root: string;
  env: NodeJS.ProcessEnv;
  /** Runs a stand-in (kubeadm, kubectl, kubelet) as on this host. */
  run(tool: string, args: string[], options?: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  /** Writes a file at a host path (under the root). */
  write(path: string, content: string): Promise<void>;
  read(path: string): Promise<string>;
  stopRuntime(): Promise<void>;
  /** Restarts the kubelet as systemd would, optionally as another version (an upgraded package). */
  restartKubelet(version?: string): Promise<RunResult>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export class Harness {
  readonly hosts: FakeHost[] = [];
  private servers: Server[] = [];
  private dir = '';
  private binDir = '';

  async init(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'steer-standins-'));
    this.binDir = join(this.dir, 'bin');
    await mkdir(this.binDir);
    for (const tool of ['kubeadm', 'kubelet', 'kubectl', 'etcdctl', 'etcdutl']) {
      const path = join(this.binDir, tool);
      await writeFile(path, [
        '#!/usr/bin/env python3',
        'import sys',
        `sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})`,
        `from standin.${tool} import main`,
        'sys.exit(main(sys.argv[1:]))',
        '',
      ].join('\n'));
      await chmod(path, 0o755);
    }
  }

  /** A fresh host root: swap off, ip_forward=1, bridge netfilter on, memory cgroup on, containerd up. */
  async host(name: string, options: { version?: string } = {}): Promise<FakeHost> {
    const root = join(this.dir, name);
    const files: Record<string, string> = {
      'proc/swaps': 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n',
      'proc/sys/net/ipv4/ip_forward': '1\n',
      'proc/sys/net/bridge/bridge-nf-call-iptables': '1\n',
      'proc/meminfo': 'MemTotal:        3884096 kB\n',
      'proc/sys/kernel/random/boot_id': 'c8a4a5a0-0000-4000-8000-000000000001\n',
      'sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc\n',
      'etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
      'etc/machine-id': `${name.padEnd(32, '0').slice(0, 32)}\n`,
    };
    for (const [p, c] of Object.entries(files)) {
      await mkdir(join(root, p, '..'), { recursive: true });
      await writeFile(join(root, p), c);
    }
    const socketDir = join(root, 'var/run/containerd');
    await mkdir(socketDir, { recursive: true });
    const socketPath = join(socketDir, 'containerd.sock');
    const server = createServer((c) => c.end());
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    this.servers.push(server);
    const healthz = await freePort();
    const etcdPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${this.binDir}:${process.env.PATH}`,
      STANDIN_ROOT: root,
      STANDIN_HOSTNAME: name,
      STANDIN_SYSTEMCTL: `python3 ${FAKE_SYSTEMCTL}`,
      STANDIN_KUBELET_HEALTHZ_PORT: String(healthz),
      STANDIN_ETCD_CLIENT_PORT: String(etcdPort),
      STANDIN_SERVICE_LISTEN: '127.0.0.1',
      STANDIN_POD_START_SECONDS: '1',
      STANDIN_VERSION: options.version ?? '1.34.2',
      FAKE_SYSTEMD_RESTART_SEC: '1',
      PYTHONDONTWRITEBYTECODE: '1',
    };
    delete env.KUBECONFIG;
    const host: FakeHost = {
      name,
      root,
      env,
      run: (tool, args, o = {}) => runProcess(join(this.binDir, tool), args, { ...env, ...o.env }, o.input, o.timeoutMs),
      write: async (path, content) => {
        await mkdir(join(root, path, '..'), { recursive: true });
        await writeFile(join(root, path), content);
      },
      read: (path) => readFile(join(root, path), 'utf8'),
      stopRuntime: () => new Promise<void>((resolve) => server.close(() => resolve())),
      restartKubelet: (version) =>
        runProcess('python3', [FAKE_SYSTEMCTL, 'restart', 'kubelet'], { ...env, ...(version ? { STANDIN_VERSION: version } : {}) }),
    };
    this.hosts.push(host);
    return host;
  }

  /** Stops every kubelet and API server the hosts started (by their pid files), then removes all. */
  async cleanup(): Promise<void> {
    for (const h of this.hosts) {
      await runProcess('python3', [FAKE_SYSTEMCTL, 'stop', 'kubelet'], h.env, undefined, 30_000).catch(() => undefined);
      for (const component of ['kube-proxy', 'kube-apiserver', 'etcd']) await stopByPidFile(h, component);
    }
    for (const s of this.servers) await new Promise<void>((resolve) => s.close(() => resolve()));
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** Stops a stand-in component process (etcd, kube-apiserver, kube-proxy) by the pid file it wrote. */
async function stopByPidFile(h: FakeHost, component: string): Promise<void> {
  let pid = 0;
  try {
    pid = Number((await h.read(`run/standin/${component}.pid`)).trim());
  } catch {
    return;
  }
  if (!(pid > 0)) return;
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes('standin.')) return; // a reused pid: not ours
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50; i++) {
      process.kill(pid, 0);
      await new Promise((r) => setTimeout(r, 100));
    }
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

export function runProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string, timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    // a program that exits without reading its stdin (a shell script) must not fail the run with EPIPE
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** A kubeadm InitConfiguration for a harness host (loopback address, free port, short timeouts). */
export function initConfig(port: number, extra: { token?: string; podSubnet?: string; skipPhases?: string[]; kubeletHealthCheck?: string; version?: string } = {}): string {
  return [
    'apiVersion: kubeadm.k8s.io/v1beta4',
    'kind: InitConfiguration',
    'bootstrapTokens:',
    `- token: ${extra.token ?? 'abcdef.0123456789abcdef'}`,
    '  ttl: 24h0m0s',
    'localAPIEndpoint:',
    '  advertiseAddress: 127.0.0.1',
    `  bindPort: ${port}`,
    ...(extra.skipPhases ? ['skipPhases:', ...extra.skipPhases.map((p) => `- ${p}`)] : []),
    'timeouts:',
    `  kubeletHealthCheck: ${extra.kubeletHealthCheck ?? '30s'}`,
    '  controlPlaneComponentHealthCheck: 30s',
    '---',
    'apiVersion: kubeadm.k8s.io/v1beta4',
    'kind: ClusterConfiguration',
    `kubernetesVersion: v${extra.version ?? '1.34.2'}`,
    'networking:',
    `  podSubnet: ${extra.podSubnet ?? '10.244.0.0/16'}`,
    '---',
    'apiVersion: kubelet.config.k8s.io/v1beta1',
    'kind: KubeletConfiguration',
    'cgroupDriver: systemd',
    '',
  ].join('\n');
}

export function joinConfig(endpoint: string, token: string, hashes: string[] | 'unsafe', discovery = '4s'): string {
  return [
    'apiVersion: kubeadm.k8s.io/v1beta4',
    'kind: JoinConfiguration',
    'discovery:',
    '  bootstrapToken:',
    `    apiServerEndpoint: ${endpoint}`,
    `    token: ${token}`,
    ...(hashes === 'unsafe' ? ['    unsafeSkipCAVerification: true'] : ['    caCertHashes:', ...hashes.map((h) => `    - ${h}`)]),
    'timeouts:',
    `  discovery: ${discovery}`,
    '  kubeletHealthCheck: 30s',
    '',
  ].join('\n');
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
