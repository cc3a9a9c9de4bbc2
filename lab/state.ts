// A lab's state file, written before anything is created, names every resource the lab will make
// (bridge, namespaces, links, mounts, processes, files), so `down` can remove exactly those, even
// after a crashed or killed `up`.
import { mkdir, readFile, readdir, writeFile, rename } from 'node:fs/promises';
import { UserError } from '../lib/errors.js';
import { REPO_PORT, STATE_ROOT, labPaths } from './paths.js';

export interface LabHostState {
  name: string;
  address: string;
  /** Network namespace (under /run/netns). */
  netns: string;
  /** The controller's end of the host's veth pair, on the lab bridge. */
  veth: string;
  /** systemd-nspawn machine name (unique on the controller). */
  machine: string;
  /** The host's USB disk stand-in, once `steer lab disk add` made one (lab/disk.ts). */
  disk?: LabDisk;
}

/** A lab disk: an image file with an ext4 filesystem, plugged in through a loop device. */
export interface LabDisk {
  /** The image on the controller (hostPaths().disk), recorded before it is created. */
  image: string;
  sizeBytes: number;
  /** UUID of the ext4 filesystem on it, as `blkid` shows it on the host. */
  uuid: string;
  /** The loop device while the disk is plugged in (/dev/loopN); absent while it is removed. */
  device?: string;
}

export interface LabState {
  version: 1;
  name: string;
  /** Selects the subnet 10.213.<index>.0/24 and the bridge name. */
  index: number;
  bridge: string;
  bridgeAddress: string;
  prefixLength: number;
  repoUrl: string;
  bootDelay: number;
  imageRootfs: string;
  /** iptables rule added to let bridged traffic through a FORWARD policy of DROP, if any. */
  forwardRule?: string[];
  inventoryPath?: string;
  hosts: LabHostState[];
  createdAt: string;
}

const NAME = /^[a-z][a-z0-9-]{0,23}$/;

export function checkLabName(name: string): void {
  if (!NAME.test(name)) {
    throw new UserError(`invalid lab name "${name}": use 1-24 lowercase letters, digits and dashes, starting with a letter`, 'LAB_BAD_NAME');
  }
}

/** Host names: lab "default" has lab1, lab2, …; lab "x" has x1, x2, … */
export function hostName(lab: string, n: number): string {
  return `${lab === 'default' ? 'lab' : lab}${n}`;
}

export function planLab(name: string, index: number, count: number, bootDelay: number, imageRootfs: string): LabState {
  const net = `10.213.${index}`;
  const bridgeAddress = `${net}.1`;
  return {
    version: 1,
    name,
    index,
    bridge: `steerlab${index}`,
    bridgeAddress,
    prefixLength: 24,
    repoUrl: `http://${bridgeAddress}:${REPO_PORT}`,
    bootDelay,
    imageRootfs,
    hosts: Array.from({ length: count }, (_, i) => {
      const host = hostName(name, i + 1);
      return {
        name: host,
        address: `${net}.${10 + i + 1}`,
        netns: `steerlab-${name}-${host}`,
        veth: `sl${index}h${i + 1}`,
        machine: `steerlab-${name}-${host}`,
      };
    }),
    createdAt: new Date().toISOString(),
  };
}

export async function saveState(state: LabState): Promise<void> {
  const file = labPaths(state.name).state;
  await mkdir(labPaths(state.name).dir, { recursive: true, mode: 0o700 });
  await writeFile(file + '.tmp', JSON.stringify(state, null, 2) + '\n');
  await rename(file + '.tmp', file);
}

export async function loadState(name: string): Promise<LabState | undefined> {
  try {
    return JSON.parse(await readFile(labPaths(name).state, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

export async function requireState(name: string): Promise<LabState> {
  const state = await loadState(name);
  if (!state) throw new UserError(`lab "${name}" is not up (start it with: steer lab up --name ${name})`, 'LAB_NOT_UP');
  return state;
}

export function findHost(state: LabState, host: string): LabHostState {
  const found = state.hosts.find((h) => h.name === host || h.address === host);
  if (!found) {
    throw new UserError(`lab "${state.name}" has no host "${host}" (hosts: ${state.hosts.map((h) => h.name).join(', ')})`, 'LAB_NO_HOST');
  }
  return found;
}

/** Every lab with a state file on this machine. */
export async function allLabs(): Promise<LabState[]> {
  let names: string[];
  try {
    names = await readdir(STATE_ROOT);
  } catch {
    return [];
  }
  const states = await Promise.all(names.filter((n) => NAME.test(n)).map((n) => loadState(n)));
  return states.filter((s): s is LabState => s !== undefined);
}

