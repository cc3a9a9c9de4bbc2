// The benchmark's own lab hosts: a lab named `bench` for workloads 1–4, and `bench-scaleN` labs
// (at most 50 hosts each) that add hosts for the scale workload. Every lab this process started is
// taken down at the end, on failure, and on Ctrl-C / SIGTERM.
import { spawn } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { labDown, labUp, requireState, findHost } from '../lab/lab.js';
import { run } from '../lab/run.js';
import { sshArgs, sshRun } from '../lab/ssh.js';
import { labRepositoryVars } from '../lab/inventory-file.js';

/**
 * Hosts per scale lab (lab/lab.ts allows 50): labs boot one after the other, so that fewer
 * hosts boot at once and each answers SSH within the lab's 120 s even on a busy 2-core machine.
 */
const HOSTS_PER_LAB = 25;

export interface BenchHost {
  name: string;
  address: string;
  /** The lab (or the set of light hosts, bench/light-hosts.ts) the host belongs to. */
  lab: string;
  /** The login user: `pi` on lab hosts, `root` on light hosts. */
  user: string;
  keyPath: string;
  knownHostsPath: string;
  /** The lines workloads' file on this host (the `bench_file` host variable); default BENCH_FILE. */
  benchFile?: string;
  /** The host's cgroup v2 directory, when not the lab supervisor's (light hosts). */
  cgroup?: string;
}

export interface BenchLabs {
  hosts: BenchHost[];
  /** Variables of `all` from the first lab's inventory (the lab's repository URLs). */
  allVars: Record<string, unknown>;
  /** Every lab's known_hosts file. */
  knownHostsFiles: string[];
}

const started: string[] = [];

const log = (line: string): void => void process.stderr.write(`# lab: ${line}\n`);

/** Boots lab `name` with `count` hosts; its inventory goes to `dir`. */
export async function bringUpLab(name: string, count: number, dir: string): Promise<{ hosts: BenchHost[]; allVars: Record<string, unknown>; knownHostsPath: string }> {
  const inventoryPath = join(dir, `${name}.inventory.yaml`);
  started.push(name);
  const t0 = Date.now();
  // A busy machine can make a host miss the lab's 120 s boot deadline: try once more.
  const up = () => labUp({ name, hosts: count, bootDelay: 0, inventoryPath, log });
  const info = await up().catch((err: Error) => {
    log(`${name}: ${err.message.split('\n')[0]}; trying once more`);
    return up();
  });
  log(`${name}: ${count} hosts up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return {
    hosts: info.hosts.map((h) => ({ ...h, lab: name, user: 'pi', keyPath: info.keyPath, knownHostsPath: info.knownHostsPath })),
    allVars: labRepositoryVars(info.repoUrl),
    knownHostsPath: info.knownHostsPath,
  };
}

/** Boots labs `${prefix}a`, `${prefix}b`, … holding `extra` hosts in all; their names go to `labs` as they start. */
export async function addScaleLabs(prefix: string, extra: number, dir: string, labs: string[]): Promise<BenchHost[]> {
  const hosts: BenchHost[] = [];
  for (let i = 0; extra > 0 && i < 26; i++) {
    const count = Math.min(extra, HOSTS_PER_LAB);
    const name = `${prefix}${String.fromCharCode(97 + i)}`;
    labs.push(name);
    hosts.push(...(await bringUpLab(name, count, dir)).hosts);
    extra -= count;
  }
  return hosts;
}

/** Takes down every lab this process started (idempotent). */
export async function takeDownLabs(): Promise<void> {
  while (started.length > 0) {
    const name = started.pop()!;
    try {
      await labDown(name);
      log(`${name}: down`);
    } catch (err) {
      process.stderr.write(`# lab: could not take ${name} down: ${(err as Error).message} (run \`steer lab down --name ${name}\`)\n`);
    }
  }
}

/** Takes down a subset (the scale labs) as soon as they are no longer needed. */
export async function takeDownLab(name: string): Promise<void> {
  const i = started.indexOf(name);
  if (i < 0) return;
  started.splice(i, 1);
  await labDown(name);
  log(`${name}: down`);
}

/** On Ctrl-C or SIGTERM: `stop()` (running programs), labs down, exit 130/143. A second signal exits at once. */
export function takeDownOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      process.stderr.write(`\n# ${signal}: stopping, taking the bench labs down\n`);
      void stop()
        .catch(() => {})
        .then(takeDownLabs)
        .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
}

/** An Ansible/steer inventory of these hosts, all in group `bench`. */
export async function writeInventory(path: string, hosts: BenchHost[], allVars: Record<string, unknown>): Promise<string> {
  const inventory = {
    all: {
      vars: allVars,
      children: {
        bench: {
          hosts: Object.fromEntries(
            hosts.map((h) => [
              h.name,
              {
                ansible_host: h.address,
                ansible_user: h.user,
                ansible_ssh_private_key_file: h.keyPath,
                steer_known_hosts: h.knownHostsPath,
                // Light hosts share the controller's filesystem: each writes a file of its own.
                ...(h.benchFile ? { bench_file: h.benchFile } : {}),
              },
            ]),
          ),
        },
      },
    },
  };
  await writeFile(path, stringify(inventory));
  return path;
}

/** Runs a shell command on every host (as `pi`, over the lab's OpenSSH), all at once. */
export async function onHosts(hosts: BenchHost[], command: string, timeoutMs = 300_000): Promise<string[]> {
  return Promise.all(
    hosts.map(async (h) => {
      const state = await requireState(h.lab);
      return sshRun(state, findHost(state, h.name), command, timeoutMs);
    }),
  );
}

/**
 * Ansible's apt, apt_repository and dpkg_selections modules need python3-apt on the host (Raspberry
 * Pi OS and Debian ship it); the lab image has none and the lab's repository does not serve it. Copy
 * the controller's packages over and install them (untimed setup).
 */
export async function installPythonApt(hosts: BenchHost[], cacheDir: string): Promise<void> {
  const packages = ['python3-apt', 'python-apt-common', 'distro-info-data'];
  const missing = (await onHosts(hosts, "dpkg-query -W -f='${Status}' python3-apt 2>/dev/null || true")).some((s) => !s.includes('ok installed'));
  if (!missing) return;
  await mkdir(cacheDir, { recursive: true });
  const have = async () => (await readdir(cacheDir)).filter((f) => f.endsWith('.deb'));
  if ((await have()).length < packages.length) {
    log(`downloading ${packages.join(' ')} on the controller for Ansible's apt modules`);
    try {
      await run('apt-get', ['download', ...packages], { cwd: cacheDir, timeoutMs: 300_000 });
    } catch {
      await run('apt-get', ['update', '-qq'], { timeoutMs: 300_000 });
      await run('apt-get', ['download', ...packages], { cwd: cacheDir, timeoutMs: 300_000 });
    }
  }
  const debs = await have();
  await Promise.all(
    hosts.map(async (h) => {
      const state = await requireState(h.lab);
      // Stream the archive through ssh's stdin: tar on the controller, tar + dpkg on the host.
      await runPiped(
        ['tar', '-C', cacheDir, '-cf', '-', ...debs],
        ['ssh', ...sshArgs(state, findHost(state, h.name), ['-o', 'BatchMode=yes']),
          'rm -rf /tmp/bench-debs && mkdir /tmp/bench-debs && tar -C /tmp/bench-debs -xf - && sudo dpkg -i /tmp/bench-debs/*.deb >/dev/null && rm -rf /tmp/bench-debs'],
      );
    }),
  );
}

async function runPiped(first: string[], second: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const a = spawn(first[0]!, first.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    const b = spawn(second[0]!, second.slice(1), { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    b.stderr.on('data', (d: Buffer) => (err += d.toString()));
    a.stdout.pipe(b.stdin);
    a.on('error', reject);
    b.on('error', reject);
    b.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${second.slice(0, 1).join(' ')} … exited ${code}: ${err.trim()}`))));
  });
}
