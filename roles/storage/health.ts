// What a node's USB disk looks like, read-only: is the disk connected and mounted, is each data
// folder bound from it, what each copy holds, do containerd and the kubelet run. The storage role
// plans from it; `checkStorage` is the health check the verify role runs on every node with a disk,
// made to be called as it is by other checks (a `steer doctor`): a probe in, problems out.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { RoleContext } from 'steer';
import { packagePath } from '../../lib/package-root.js';
import { isBoundFromDisk, storageLayout, type FolderSeen, type StorageLayout, type StorageVars } from './layout.js';

/** A read-only command runner on one host: a role's `probe`, or `on(host).probe`. */
export type Probe = RoleContext['probe'];

/** Fields of `findmnt -r` (space-separated; spaces and other bytes escaped as \xHH). */
function findmntFields(line: string): string[] {
  return line.split(' ').map((f) => f.replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))));
}

export interface DiskSeen {
  /** The filesystem mounted on the mount point, if any: its device, path inside it, UUID. */
  mounted?: { majMin: string; fsroot: string; uuid: string; source: string };
  /** The device `blkid -U` finds for the UUID (the disk is connected), if any. */
  device?: string;
}

export async function seeDisk(probe: Probe, layout: StorageLayout): Promise<DiskSeen> {
  const seen: DiskSeen = {};
  const m = await probe`findmnt -n -r -o MAJ:MIN,FSROOT,UUID,SOURCE --mountpoint ${layout.mountPoint}`;
  const fields = m.ok ? findmntFields(m.lines()[0] ?? '') : [];
  if (fields.length >= 4) seen.mounted = { majMin: fields[0]!, fsroot: fields[1]!, uuid: fields[2]!, source: fields[3]! };
  const blkid = await probe`blkid -U ${layout.uuid}`;
  if (blkid.ok && blkid.text() !== '') seen.device = blkid.text();
  return seen;
}

/** The disk is mounted on its mount point, and it is the disk of this UUID. */
export function diskMounted(disk: DiskSeen, layout: StorageLayout): boolean {
  return disk.mounted !== undefined && disk.mounted.uuid === layout.uuid;
}

/** One data folder and its copy on the disk. `compare` runs rsync when both hold data. */
export async function seeFolder(probe: Probe, bind: StorageLayout['binds'][number], disk: DiskSeen, compare: boolean): Promise<FolderSeen> {
  const seen: FolderSeen = { ...bind, hasData: false, diskExists: false, diskHasData: false, files: 0, bytes: 0 };
  if (disk.mounted) seen.disk = { majMin: disk.mounted.majMin, fsroot: disk.mounted.fsroot };
  const m = await probe`findmnt -n -r -o MAJ:MIN,FSROOT,SOURCE --mountpoint ${bind.path}`;
  const fields = m.ok ? findmntFields(m.lines()[0] ?? '') : [];
  if (fields.length >= 3) seen.mounted = { majMin: fields[0]!, fsroot: fields[1]!, source: fields[2]! };
  seen.hasData = (await probe`find ${bind.path} -mindepth 1 -maxdepth 1 -print -quit`).text() !== '';
  seen.diskExists = (await probe`test -d ${bind.onDisk}`).ok;
  seen.diskHasData = seen.diskExists && (await probe`find ${bind.onDisk} -mindepth 1 -maxdepth 1 -print -quit`).text() !== '';
  if (seen.hasData && !seen.mounted) {
    // Entries (the folder itself not counted) and apparent bytes, for the plan.
    seen.files = Math.max(0, Number((await probe`sh -c ${'find "$1" -xdev -printf x | wc -c'} sh ${bind.path}`).text()) - 1);
    seen.bytes = Number((await probe`du -s -x -B1 --apparent-size ${bind.path}`).text().split(/\s/)[0]) || 0;
    if (seen.diskHasData && compare) seen.same = await sameContent(probe, bind.path, bind.onDisk);
  }
  return seen;
}

/** rsync's flags: archive (owners, modes, times, links, devices), hard links, ACLs, xattrs, sparse files, numeric ids. */
export const RSYNC = ['-aHAXS', '--numeric-ids', '--delete'] as const;

/**
 * Both folders hold the same files with the same owners, modes, times, ACLs and xattrs: rsync,
 * comparing contents by checksum, finds nothing to change (an empty itemized dry run).
 */
export async function sameContent(probe: Probe, from: string, to: string): Promise<boolean> {
  const r = await probe`rsync ${RSYNC} --dry-run --checksum --itemize-changes -- ${`${from}/`} ${`${to}/`}`;
  return r.ok && r.text() === '';
}

/**
 * The node's storage as the storage role set it up, checked: the disk mounted on its mount point,
 * every data folder bound from it, the units that need them running. Returns one sentence per
 * problem (empty: healthy). Read-only; runs in check mode too.
 */
export async function checkStorage(probe: Probe, layout: StorageLayout): Promise<string[]> {
  const problems: string[] = [];
  const disk = await seeDisk(probe, layout);
  if (!diskMounted(disk, layout)) {
    problems.push(
      disk.device
        ? `the USB disk UUID=${layout.uuid} is connected (${disk.device}) but not mounted on ${layout.mountPoint}`
        : `the USB disk UUID=${layout.uuid} is missing or dead: nothing is mounted on ${layout.mountPoint} and blkid finds no filesystem with that UUID`,
    );
  }
  for (const bind of layout.binds) {
    const folder = await seeFolder(probe, bind, disk, false);
    if (!isBoundFromDisk(folder, layout.mountPoint)) problems.push(`${bind.path} is not mounted from the disk (${bind.onDisk})`);
  }
  const stopped: string[] = [];
  for (const unit of layout.units) if ((await probe`systemctl is-active ${unit}`).text() !== 'active') stopped.push(unit);
  if (stopped.length > 0) {
    problems.push(
      problems.length > 0
        ? `${stopped.join(' and ')} not running: they wait for the disk's folders (RequiresMountsFor=), as they should`
        : `${stopped.join(' and ')} not running`,
    );
  }
  return problems;
}

// From the package root, not next to this module: `steer doctor` runs this file compiled, from build/.
const DEFAULTS = Object.fromEntries(
  Object.entries(parse(readFileSync(packagePath('roles', 'storage', 'variables.yaml'), 'utf8')) as Record<string, { default: unknown }>).map(([k, v]) => [k, v.default]),
) as unknown as StorageVars;

/**
 * The storage layout of another host from its variables (hostvars: inventory and group_vars), the
 * storage role's defaults filling the rest; undefined when the host has no disk configured.
 */
export function layoutOfHost(hostvars: Record<string, unknown> | undefined): StorageLayout | undefined {
  const vars = { ...DEFAULTS } as StorageVars;
  for (const key of Object.keys(DEFAULTS) as (keyof StorageVars)[]) {
    if (hostvars?.[key] !== undefined) (vars as unknown as Record<string, unknown>)[key] = hostvars[key];
  }
  return typeof vars.storage_disk_uuid === 'string' && vars.storage_disk_uuid !== '' ? storageLayout(vars) : undefined;
}
