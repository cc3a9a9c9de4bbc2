// Lab disks: a lab host gets a real block device, as a Raspberry Pi gets a USB disk. The disk is a
// sparse image file on the controller with an ext4 filesystem (its own UUID), plugged in through a
// loop device. A container has no udev, so the host's own stand-in (/usr/lib/steer-lab/plug-disks,
// run at each boot and at each plug/unplug) makes the device node and its /dev/disk/by-uuid link
// from the list the controller keeps in the host's /usr/lib/steer-lab/disks.
//
// `remove` unplugs it (to rehearse a missing or dead disk); `add` plugs the same disk in again (same
// UUID, same data). The state file records the image before it is made and the loop device as soon
// as it exists, so `steer lab down` detaches and deletes exactly those.
import { randomUUID } from 'node:crypto';
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UserError } from '../lib/errors.js';
import { withLock } from './lock.js';
import { hostPaths, labPaths } from './paths.js';
import { checkController } from './preflight.js';
import { childrenOf, livePid } from './processes.js';
import { run, sleep, tryRun } from './run.js';
import { findHost, requireState, saveState, type LabDisk, type LabHostState, type LabState } from './state.js';

export const DEFAULT_DISK_SIZE = 1024 ** 3;
const MIN_DISK_SIZE = 32 * 1024 ** 2;
const MAX_DISK_SIZE = 64 * 1024 ** 3;
/** In the host's root: the disks the controller has plugged in, one `NAME MAJOR:MINOR UUID` a line. */
const DISK_LIST = 'usr/lib/steer-lab/disks';
const PLUG_UNIT = 'steer-lab-disks.service';

/** "512M", "1G", "2GiB", "1073741824" → bytes (binary multiples, like truncate -s). */
export function parseDiskSize(text: string): number {
  const m = /^\s*(\d+)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(text);
  const bytes = m ? Number(m[1]) * 1024 ** ' KMGT'.indexOf((m[2] || ' ').toUpperCase()) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < MIN_DISK_SIZE || bytes > MAX_DISK_SIZE) {
    throw new UserError(`invalid disk size '${text}': use a size from 32M to 64G (e.g. 512M, 1G)`, 'LAB_BAD_DISK_SIZE');
  }
  return bytes;
}

export interface DiskInfo {
  host: string;
  uuid: string;
  sizeBytes: number;
  /** The loop device, while plugged in. */
  device?: string;
  /** Set when the removed disk is still held by a mount on the running host (see removeDisk). */
  stillInUse?: boolean;
}

const info = (host: LabHostState, disk: LabDisk, stillInUse?: boolean): DiskInfo => ({
  host: host.name, uuid: disk.uuid, sizeBytes: disk.sizeBytes, device: disk.device, stillInUse,
});

/**
 * Plugs a disk into a lab host (`steer lab disk add`): makes it the first time (sizeBytes, default
 * 1 GiB: a sparse image, `mkfs.ext4` with a fresh UUID), else plugs the same disk in again.
 * Works on a running host (hot plug) or a stopped one (there at its next boot).
 * Throws UserError when the host already has its disk plugged in, or a size is asked for a disk
 * that exists with another size.
 */
export async function addDisk(lab: string, hostName: string, sizeBytes?: number): Promise<DiskInfo> {
  await checkController();
  return withDiskLock(lab, async () => {
    const state = await requireState(lab);
    const host = findHost(state, hostName);
    if (host.disk?.device) throw new UserError(`${host.name} already has its disk plugged in (${host.disk.device}, UUID ${host.disk.uuid})`, 'LAB_DISK_PRESENT');
    if (host.disk && sizeBytes !== undefined && sizeBytes !== host.disk.sizeBytes) {
      throw new UserError(`${host.name}'s disk exists with ${host.disk.sizeBytes} bytes; it is plugged in again as it is`, 'LAB_DISK_SIZE');
    }
    if (!host.disk) {
      host.disk = { image: hostPaths(lab, host.name).disk, sizeBytes: sizeBytes ?? DEFAULT_DISK_SIZE, uuid: randomUUID() };
      await saveState(state);
      await makeImage(host.disk);
    }
    const held = await loopsOf(host.disk.image);
    if (held.length > 0) {
      throw new UserError(`${host.name}'s disk is still held by ${held.join(', ')} (a mount on the host from before it was removed); reboot or stop ${host.name} first`, 'LAB_DISK_BUSY');
    }
    host.disk.device = (await run('losetup', ['--find', '--show', host.disk.image])).trim();
    await saveState(state);
    await tellHost(state, host);
    return info(host, host.disk);
  });
}

/**
 * Unplugs a host's disk (`steer lab disk remove`): its device node and by-uuid link disappear and
 * the loop device is detached; the image (and its data) stays for a later `add`. On a running host
 * whose filesystem is still mounted, the kernel keeps the loop device until that mount ends (the
 * host unmounts it or reboots): the result says so (stillInUse).
 */
export async function removeDisk(lab: string, hostName: string): Promise<DiskInfo> {
  await checkController();
  return withDiskLock(lab, async () => {
    const state = await requireState(lab);
    const host = findHost(state, hostName);
    const disk = host.disk;
    if (!disk?.device) throw new UserError(`${host.name} has no disk plugged in (add one with: steer lab disk add ${host.name})`, 'LAB_NO_DISK');
    const device = disk.device;
    delete disk.device;
    await saveState(state);
    await tellHost(state, host);
    // A busy loop device is not refused: the kernel detaches it when its last user closes it.
    await tryRun('losetup', ['--detach', device]);
    return info(host, disk, (await loopsOf(disk.image)).length > 0);
  });
}

/** For `steer lab down`, once the hosts are off: detaches every loop device of the lab's images. */
export async function releaseDisks(state: LabState): Promise<void> {
  for (const host of state.hosts) {
    if (!host.disk) continue;
    // A host's mounts go with its mount namespace, a moment after its last process.
    const deadline = Date.now() + 15_000;
    for (let loops = await loopsOf(host.disk.image); loops.length > 0; loops = await loopsOf(host.disk.image)) {
      for (const loop of loops) await tryRun('losetup', ['--detach', loop]);
      if (Date.now() > deadline) throw new Error(`could not detach ${loops.join(', ')} (${host.disk.image})`);
      await sleep(200);
    }
  }
}

/** Loop devices whose backing file is `image` (also after it was deleted). */
export async function loopsOf(image: string): Promise<string[]> {
  const out = await run('losetup', ['--list', '--noheadings', '--raw', '--output', 'NAME,BACK-FILE']).catch(() => '');
  return out
    .split('\n')
    .map((line) => /^(\S+) (.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && (m[2] === image || m[2] === `${image} (deleted)`))
    .map((m) => m[1]!);
}

async function makeImage(disk: LabDisk): Promise<void> {
  const file = await open(disk.image, 'w', 0o600);
  try {
    await file.truncate(disk.sizeBytes);
  } finally {
    await file.close();
  }
  await run('mkfs.ext4', ['-q', '-F', '-U', disk.uuid, '-L', 'steerlabdisk', '-E', 'lazy_itable_init=1,lazy_journal_init=1', disk.image]);
}

/**
 * Writes the host's disk list and, when the host runs, has its udev stand-in apply it now (a hot
 * plug); a host that is off or booting applies it at boot, before local-fs-pre.target.
 */
async function tellHost(state: LabState, host: LabHostState): Promise<void> {
  const root = hostPaths(state.name, host.name).root;
  const line = host.disk?.device ? `${basename(host.disk.device)} ${await majorMinor(host.disk.device)} ${host.disk.uuid}\n` : '';
  const list = join(root, DISK_LIST);
  await writeFile(`${list}.tmp`, `# steer lab: disks plugged into this host (steer lab disk add|remove); NAME MAJOR:MINOR UUID\n${line}`);
  await rename(`${list}.tmp`, list);
  const nspawn = await livePid(hostPaths(state.name, host.name).nspawnPid);
  for (const leader of nspawn === undefined ? [] : await childrenOf(nspawn)) {
    await tryRun('nsenter', [`--target=${leader}`, '--mount', '--pid', '--', 'systemctl', 'restart', PLUG_UNIT], { timeoutMs: 30_000 });
  }
}

async function majorMinor(device: string): Promise<string> {
  return (await readFile(`/sys/block/${basename(device)}/dev`, 'utf8')).trim();
}

function withDiskLock<T>(lab: string, fn: () => Promise<T>): Promise<T> {
  return withLock(join(labPaths(lab).dir, '.disk.lock'), 60_000, fn);
}
