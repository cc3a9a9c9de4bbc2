// `steer lab`: real sandbox hosts on this Linux machine (systemd-nspawn + network namespaces +
// sshd). The CLI and the tests share these functions.
import { ensureInotifyInstances } from './limits.js';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../lib/errors.js';
import { packagePath } from '../lib/package-root.js';
import { releaseDisks } from './disk.js';
import { ensureImage } from './image.js';
import { withLock } from './lock.js';
import { removeTree, unmountUnder } from './mounts.js';
import { hostModules, type ModulesMount } from './modules.js';
import {
  addForwardRule, createBridge, createHostNetwork, cutLink, forwardRule, healLink, linkIsUp,
  needsForwardRule, pickFreeIndex, removeBridge, removeForwardRule, removeHostNetwork,
} from './network.js';
import { REPO_PORT, STATE_ROOT, hostPaths, labPaths } from './paths.js';
import { checkController } from './preflight.js';
import { childrenOf, endRecorded, isAlive, livePid, recordPid, signal, waitForExit } from './processes.js';
import { buildRepository, createSigningKey, ensureDebianPackages, keyringForHosts, stopGpgAgent } from './repo.js';
import { mountHostRoot, populateHostRoot } from './host-root.js';
import { removeInventory, writeInventory } from './inventory-file.js';
import { run, sleep, tryRun } from './run.js';
import { waitForSsh } from './ssh.js';
import {
  allLabs, checkLabName, findHost, loadState, planLab, requireState, saveState,
  type LabHostState, type LabState,
} from './state.js';

const HERE = packagePath('lab');
const SUPERVISOR = join(HERE, 'supervise-host.sh');
const REPO_SERVER = join(HERE, 'repo-server.ts');

export const DEFAULT_LAB = 'default';
export const DEFAULT_INVENTORY = 'inventory/lab.yaml';
const MAX_HOSTS = 50;
const SSH_TIMEOUT_MS = 120_000;

export type Log = (line: string) => void;

export interface LabUpOptions {
  name?: string;
  hosts?: number;
  /** Where to write the inventory; `null` writes none. Default inventory/lab.yaml. */
  inventoryPath?: string | null;
  /** Seconds a rebooting host stays down before it boots again. */
  bootDelay?: number;
  log?: Log;
}

export interface LabInfo {
  name: string;
  hosts: { name: string; address: string }[];
  inventoryPath?: string;
  keyPath: string;
  knownHostsPath: string;
  /** Base URL of the lab's package repository (…/debian, …/core:/stable:/v1.NN/deb, …/files). */
  repoUrl: string;
  bridgeAddress: string;
  /** Seconds spent in each phase of `up` (for the budgets). */
  timings: Record<string, number>;
}

export function labInfo(state: LabState, timings: Record<string, number> = {}): LabInfo {
  const paths = labPaths(state.name);
  return {
    name: state.name,
    hosts: state.hosts.map((h) => ({ name: h.name, address: h.address })),
    inventoryPath: state.inventoryPath,
    keyPath: paths.key,
    knownHostsPath: paths.knownHosts,
    repoUrl: state.repoUrl,
    bridgeAddress: state.bridgeAddress,
    timings,
  };
}

// ---------------------------------------------------------------------------------------------
// up

export async function labUp(options: LabUpOptions = {}): Promise<LabInfo> {
  const name = options.name ?? DEFAULT_LAB;
  const count = options.hosts ?? 3;
  const bootDelay = options.bootDelay ?? 0;
  const log = options.log ?? (() => {});
  checkLabName(name);
  if (!Number.isInteger(count) || count < 1 || count > MAX_HOSTS) {
    throw new UserError(`a lab has 1 to ${MAX_HOSTS} hosts, not ${count}`, 'LAB_BAD_SIZE');
  }
  if (!Number.isFinite(bootDelay) || bootDelay < 0) throw new UserError(`--boot-delay must be a number of seconds ≥ 0, not ${bootDelay}`, 'LAB_BAD_DELAY');
  await checkController();

  const timings: Record<string, number> = {};
  const started = Date.now();
  let mark = started;
  const phase = (what: string) => {
    timings[what] = (Date.now() - mark) / 1000;
    mark = Date.now();
  };

  const existing = await loadState(name);
  if (existing) {
    if (await anyProcessAlive(existing)) {
      throw new UserError(`lab "${name}" is already up (${existing.hosts.map((h) => h.name).join(', ')}); run \`steer lab down${name === DEFAULT_LAB ? '' : ` --name ${name}`}\` first`, 'LAB_ALREADY_UP');
    }
    log(`cleaning up what a previous \`steer lab up\` of "${name}" left behind`);
    await labDown(name);
  }

  const image = await ensureImage(log);
  if (image.builtSeconds !== undefined) timings.imageBuild = image.builtSeconds;
  phase('image');

  const inventoryPath = options.inventoryPath === null ? undefined : resolve(options.inventoryPath ?? DEFAULT_INVENTORY);
  await mkdir(STATE_ROOT, { recursive: true, mode: 0o700 });
  const state = await withLock(join(STATE_ROOT, '.allocate.lock'), 60_000, async () => {
    const taken = new Set((await allLabs()).map((l) => l.index));
    const planned = planLab(name, await pickFreeIndex(taken), count, bootDelay, image.rootfs);
    planned.inventoryPath = inventoryPath;
    await saveState(planned);
    return planned;
  });

  const machineHosts = (await allLabs()).reduce((n, lab) => n + lab.hosts.length, 0);
  const raised = await ensureInotifyInstances(machineHosts);
  if (raised) log(`fs.inotify.max_user_instances raised to ${raised} for ${machineHosts} lab hosts on this machine`);

  try {
    await bringUp(state, log, phase);
  } catch (err) {
    log(`lab "${name}" failed to come up; removing what was made`);
    await labDown(name).catch(() => {});
    throw err;
  }
  timings.total = (Date.now() - started) / 1000;
  return labInfo(state, timings);
}

async function bringUp(state: LabState, log: Log, phase: (what: string) => void): Promise<void> {
  const paths = labPaths(state.name);
  const image = { rootfs: state.imageRootfs, dpkgStatus: join(state.imageRootfs, 'var/lib/dpkg/status'), id: state.imageRootfs.split('/').at(-2)! };

  // Keys, packages and the kernel modules view are independent of each other.
  const [debian, , , , modules] = await Promise.all([
    ensureDebianPackages(image, log),
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `steer-lab-${state.name}`, '-f', paths.key]),
    createSigningKey(paths.gnupgHome, state.name),
    Promise.all(state.hosts.map(async (h) => {
      const hp = hostPaths(state.name, h.name);
      await mkdir(hp.dir, { recursive: true });
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${h.name}`, '-f', hp.hostKey]);
    })),
    hostModules(paths.modules),
  ]);
  phase('prepare');

  if (await needsForwardRule()) {
    state.forwardRule = forwardRule(state);
    await saveState(state);
    await addForwardRule(state.forwardRule);
  }
  await createBridge(state);
  await Promise.all(state.hosts.map((h, i) => createHostNetwork(state, h, i + 1)));
  phase('network');

  await buildRepository(paths.repoRoot, paths.gnupgHome, debian, log);
  await stopGpgAgent(paths.gnupgHome);
  await startRepoServer(state);
  phase('repository');

  const authorizedKey = await readFile(`${paths.key}.pub`, 'utf8');
  const keyring = await keyringForHosts(paths.gnupgHome);
  await stopGpgAgent(paths.gnupgHome);
  const knownHosts: string[] = [];
  await Promise.all(state.hosts.map(async (host) => {
    const hp = hostPaths(state.name, host.name);
    const hostPublicKey = await readFile(`${hp.hostKey}.pub`, 'utf8');
    knownHosts.push(`${host.name},${host.address} ${hostPublicKey.trim().split(/\s+/).slice(0, 2).join(' ')}\n`);
    await mountHostRoot(state.name, host.name, state.imageRootfs);
    await populateHostRoot({ state, host, authorizedKey, hostPrivateKey: await readFile(hp.hostKey, 'utf8'), hostPublicKey, keyring });
  }));
  await writeFile(paths.knownHosts, knownHosts.sort().join(''));
  phase('roots');

  for (const host of state.hosts) await startSupervisor(state, host, modules);
  await Promise.all(state.hosts.map((h) => waitForSsh(state, h, SSH_TIMEOUT_MS)));
  phase('boot');

  if (state.inventoryPath) await writeInventory(state.inventoryPath, state);
}

function nspawnArgs(state: LabState, host: LabHostState, modules: ModulesMount): string[] {
  return [
    '--quiet',
    '--boot',
    '--register=no',
    '--keep-unit',
    `--machine=${host.machine}`,
    `--directory=${hostPaths(state.name, host.name).root}`,
    `--network-namespace-path=/run/netns/${host.netns}`,
    // net.* sysctls and iptables (CAP_NET_ADMIN); containerd locks memory (CAP_IPC_LOCK).
    '--capability=CAP_NET_ADMIN,CAP_IPC_LOCK',
    '--resolv-conf=off',
    '--timezone=off',
    '--link-journal=no',
    '--console=passive',
    '--setenv=SYSTEMD_COLORS=0',
    `--bind-ro=${modules.source}:${modules.target}`,
  ];
}

async function startSupervisor(state: LabState, host: LabHostState, modules: ModulesMount): Promise<void> {
  const hp = hostPaths(state.name, host.name);
  if ((await livePid(hp.supervisorPid)) !== undefined) return;
  const out = openSync(hp.log, 'a');
  try {
    const child = spawn(SUPERVISOR, [hp.dir, String(state.bootDelay), `${state.name}-${host.name}`, '--', ...nspawnArgs(state, host, modules)], {
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start the supervisor of ${host.name}`);
    await recordPid(hp.supervisorPid, child.pid);
  } finally {
    closeSync(out);
  }
}

async function startRepoServer(state: LabState): Promise<void> {
  const paths = labPaths(state.name);
  const out = openSync(paths.repoLog, 'a');
  try {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), REPO_SERVER, paths.repoRoot, state.bridgeAddress, String(REPO_PORT), paths.repoPid], {
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.unref();
    if (child.pid === undefined) throw new Error('could not start the lab repository server');
    await recordPid(paths.repoPid, child.pid);
  } finally {
    closeSync(out);
  }
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await fetch(`${state.repoUrl}/debian/Release`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the lab repository server did not answer on ${state.repoUrl} (log: ${paths.repoLog})`);
    await sleep(100);
  }
}

async function anyProcessAlive(state: LabState): Promise<boolean> {
  const files = [labPaths(state.name).repoPid, ...state.hosts.flatMap((h) => [hostPaths(state.name, h.name).supervisorPid, hostPaths(state.name, h.name).nspawnPid])];
  for (const file of files) if ((await livePid(file)) !== undefined) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// down

/** Removes everything the lab made. Idempotent; returns false when there was no such lab. */
export async function labDown(name: string = DEFAULT_LAB, log: Log = () => {}): Promise<boolean> {
  checkLabName(name);
  await checkController();
  const state = await loadState(name);
  const dir = labPaths(name).dir;
  if (!state) {
    // A state directory without a state file: an `up` killed before it wrote anything else.
    try {
      await readdir(dir);
    } catch {
      return false;
    }
    await removeTree(dir);
    return true;
  }
  await Promise.all(state.hosts.map((h) => powerOff(state, h, 30_000)));
  await endRecorded(labPaths(name).repoPid, 5_000);
  await stopGpgAgent(labPaths(name).gnupgHome);
  for (const host of state.hosts) {
    await unmountUnder(hostPaths(name, host.name).dir);
    await removeCgroups(state, host);
  }
  // Loop devices of the hosts' disks, once no host mount holds them.
  await releaseDisks(state);
  for (const host of state.hosts) {
    await removeHostNetwork(host);
    await rm(`/run/systemd/nspawn/propagate/${host.machine}`, { recursive: true, force: true });
  }
  await removeBridge(state);
  if (state.forwardRule) await removeForwardRule(state.forwardRule);
  if (state.inventoryPath) await removeInventory(state.inventoryPath);
  await removeTree(dir);
  log(`lab "${name}" is down`);
  return true;
}

/** Shuts a host down cleanly (nspawn turns SIGTERM into a halt of the host), then makes sure. */
async function powerOff(state: LabState, host: LabHostState, graceMs: number): Promise<void> {
  const hp = hostPaths(state.name, host.name);
  const nspawn = await livePid(hp.nspawnPid);
  const leaders = nspawn === undefined ? [] : await childrenOf(nspawn);
  await endRecorded(hp.supervisorPid, graceMs);
  // The supervisor was killed, or did not get nspawn to stop in time.
  if (nspawn !== undefined && (await isAlive(nspawn))) {
    signal(nspawn, 'SIGTERM');
    if (!(await waitForExit(nspawn, 10_000))) signal(nspawn, 'SIGKILL');
    await waitForExit(nspawn, 5_000);
  }
  // Killing a container's init ends every process of its PID namespace.
  for (const leader of leaders) {
    if (await isAlive(leader)) {
      signal(leader, 'SIGKILL');
      await waitForExit(leader, 5_000);
    }
  }
  await rm(hp.nspawnPid, { force: true });
}

async function removeCgroups(state: LabState, host: LabHostState): Promise<void> {
  let dirs: string[];
  try {
    dirs = (await readFile(hostPaths(state.name, host.name).cgroups, 'utf8')).split('\n').filter((d) => d.includes('/steer-lab-'));
  } catch {
    return;
  }
  for (const dir of dirs) {
    // Deepest first; a cgroup can only be removed once its children are.
    await tryRun('find', [dir, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', '+']);
  }
}

// ---------------------------------------------------------------------------------------------
// status and faults

export type HostPower = 'running' | 'booting' | 'rebooting' | 'stopped';

export interface LabHostStatus {
  name: string;
  address: string;
  power: HostPower;
  /** The host's network cable is pulled (`steer lab cut`). */
  cut: boolean;
  bootId?: string;
}

export async function labStatus(name: string = DEFAULT_LAB): Promise<LabHostStatus[]> {
  const state = await requireState(name);
  return Promise.all(state.hosts.map((h) => hostStatus(state, h)));
}

async function hostStatus(state: LabState, host: LabHostState): Promise<LabHostStatus> {
  const hp = hostPaths(state.name, host.name);
  const cut = !(await linkIsUp(host));
  const base = { name: host.name, address: host.address, cut };
  if ((await livePid(hp.supervisorPid)) === undefined) return { ...base, power: 'stopped' };
  const nspawn = await livePid(hp.nspawnPid);
  if (nspawn === undefined) return { ...base, power: 'rebooting' };
  for (const leader of await childrenOf(nspawn)) {
    try {
      const bootId = (await readFile(`/proc/${leader}/root/proc/sys/kernel/random/boot_id`, 'utf8')).trim();
      const sshd = await readFile(`/proc/${leader}/root/run/sshd.pid`, 'utf8').catch(() => '');
      return { ...base, power: sshd ? 'running' : 'booting', bootId };
    } catch {
      // the container's init is just starting
    }
  }
  return { ...base, power: 'booting' };
}

/** Powers a host off, as pulling its power would, but cleanly (`steer lab stop HOST`). */
export async function stopHost(name: string, host: string): Promise<void> {
  await checkController();
  const state = await requireState(name);
  await powerOff(state, findHost(state, host), 60_000);
}

/** Powers a stopped host on and waits until it answers SSH (unless its cable is cut). */
export async function startHost(name: string, host: string): Promise<void> {
  await checkController();
  const state = await requireState(name);
  const h = findHost(state, host);
  const modules = await hostModules(labPaths(name).modules);
  await startSupervisor(state, h, modules);
  if (await linkIsUp(h)) await waitForSsh(state, h, SSH_TIMEOUT_MS);
}

/** Partitions a host: it keeps running, but nothing reaches it and it reaches nothing. */
export async function cutHost(name: string, host: string): Promise<void> {
  await checkController();
  const state = await requireState(name);
  await cutLink(findHost(state, host));
}

export async function healHost(name: string, host: string): Promise<void> {
  await checkController();
  const state = await requireState(name);
  await healLink(findHost(state, host));
}

export { requireState, findHost };
export { addDisk, removeDisk, parseDiskSize, type DiskInfo } from './disk.js';
