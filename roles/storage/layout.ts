// The storage role's pure parts: the article's layout (the disk on a mount point, the data folders
// bound from it) as fstab entries that never brick a boot, the units' drop-ins, and what to do with
// each data folder given what the probes saw. No I/O here: role.ts probes, these decide.
import type { Vars } from './variables.js';

/** The storage role's variables the layout reads (declared once, in roles/storage/variables.yaml). */
export type StorageVars = Pick<
  Vars,
  'storage_disk_uuid' | 'storage_mount_point' | 'storage_fstype' | 'storage_mount_options' | 'storage_device_timeout' | 'storage_bind_paths' | 'storage_units'
>;

export interface StorageLayout {
  uuid: string;
  mountPoint: string;
  fstype: string;
  /** The disk's fstab options, with nofail and the device timeout always in. */
  diskOptions: string;
  /** Each data folder and its copy on the disk (mount point + the same path). */
  binds: { path: string; onDisk: string }[];
  /** Units that must not start without the disk (containerd, kubelet). */
  units: string[];
}

/** The drop-in every unit of `storage_units` gets (/etc/systemd/system/UNIT.d/steer-storage.conf). */
export const DROPIN_NAME = 'steer-storage';

/**
 * The layout from the variables. The disk's entry always gets `nofail` (a missing disk must not
 * send the boot to emergency mode, where sshd never starts) and `x-systemd.device-timeout=`
 * (systemd waits that long for the disk, not its 90 s default); words the user gave are kept.
 */
export function storageLayout(vars: StorageVars): StorageLayout {
  const mountPoint = vars.storage_mount_point.replace(/\/+$/, '') || '/';
  const given = vars.storage_mount_options.split(',').filter((o) => o !== '' && o !== 'nofail' && !o.startsWith('x-systemd.device-timeout='));
  return {
    uuid: vars.storage_disk_uuid,
    mountPoint,
    fstype: vars.storage_fstype,
    diskOptions: [...(given.length ? given : ['defaults']), 'nofail', `x-systemd.device-timeout=${vars.storage_device_timeout}s`].join(','),
    binds: vars.storage_bind_paths.map((path) => ({ path, onDisk: `${mountPoint}${path}` })),
    units: vars.storage_units,
  };
}

/** A bind mount's fstab options: nofail, and mounted only once the disk is (never on the SD card's empty mount point). */
export function bindOptions(layout: StorageLayout): string {
  return `bind,nofail,x-systemd.requires-mounts-for=${layout.mountPoint}`;
}

/** The units' drop-in: systemd starts them only once every data folder is mounted (RequiresMountsFor=). */
export function dropinContent(layout: StorageLayout): string {
  return [
    '# steer (storage role): start only once the data folders are mounted from the USB disk, never on',
    "# the SD card's empty folders when the disk is missing or dead.",
    '[Unit]',
    `RequiresMountsFor=${layout.binds.map((b) => b.path).join(' ')}`,
    '',
  ].join('\n');
}

/** What the probes saw of one data folder. */
export interface FolderSeen {
  path: string;
  onDisk: string;
  /** What is mounted on the folder now: the device (MAJ:MIN) and the path inside its filesystem. */
  mounted?: { majMin: string; fsroot: string; source: string };
  /** The disk as mounted on the mount point, if it is. */
  disk?: { majMin: string; fsroot: string };
  /** Entries in the folder itself (the SD card's copy when nothing is mounted on it). */
  hasData: boolean;
  /** The disk's copy exists (as a folder). */
  diskExists: boolean;
  /** Entries in the disk's copy. */
  diskHasData: boolean;
  /** Both copies compared equal (rsync, by checksum, with owners, modes and xattrs); undefined when not compared. */
  same?: boolean;
  files: number;
  bytes: number;
}

export type FolderPlan =
  | { kind: 'bound' }
  | { kind: 'mount' }
  | { kind: 'move'; files: number; bytes: number }
  | { kind: 'same' }
  | { kind: 'refuse'; reason: string };

/** The folder is a bind mount of the disk's copy: same device, and the disk's path inside it. */
export function isBoundFromDisk(seen: FolderSeen, mountPoint: string): boolean {
  if (!seen.mounted || !seen.disk || seen.mounted.majMin !== seen.disk.majMin) return false;
  const inside = seen.onDisk.slice(mountPoint === '/' ? 0 : mountPoint.length);
  return seen.mounted.fsroot === `${seen.disk.fsroot.replace(/\/$/, '')}${inside}`;
}

/**
 * What to do with a data folder: nothing (already bound), mount (the SD card's folder is empty),
 * move (it holds data and the disk's copy is empty), mount after stopping its users (both hold
 * the same data: a move that stopped before mounting), or refuse (both hold different data, or
 * something else is mounted there) — never hide data under a mount.
 */
export function planFolder(seen: FolderSeen, mountPoint: string): FolderPlan {
  if (isBoundFromDisk(seen, mountPoint)) return { kind: 'bound' };
  if (seen.mounted) {
    return { kind: 'refuse', reason: `${seen.path} is already a mount of ${seen.mounted.source}, not of the disk's ${seen.onDisk}: unmount it (and remove its /etc/fstab line) first, or leave it out of storage_bind_paths` };
  }
  if (!seen.hasData) return { kind: 'mount' };
  if (!seen.diskHasData) return { kind: 'move', files: seen.files, bytes: seen.bytes };
  if (seen.same) return { kind: 'same' };
  return {
    kind: 'refuse',
    reason:
      `both ${seen.path} (on the SD card) and ${seen.onDisk} (on the disk) hold data, and they differ: steer will not choose which to keep. ` +
      `Keep the one you want and move the other aside (e.g. sudo mv ${seen.onDisk} ${seen.onDisk}.old), then run again`,
  };
}

/** "12 files, 3.4 MB" */
export function describeSize(files: number, bytes: number): string {
  const size = bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
  return `${files} file${files === 1 ? '' : 's'}, ${size}`;
}
