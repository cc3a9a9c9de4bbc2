// Where a backup lives on the controller and what it holds: backup_dir/CLUSTER/STAMP/ with the etcd
// snapshot, the pki archive and backup.json (what restore.yaml needs to know: the cluster's
// Kubernetes version, the snapshot's revision). Shared by backup and restore.
import { resolve } from 'node:path';
import { expandHome } from '../workstation/role.js';

export const BACKUP_FILES = { snapshot: 'etcd-snapshot.db', pki: 'pki.tar.gz', info: 'backup.json' } as const;

/** What backup.json says. */
export interface BackupInfo {
  host: string;
  cluster: string;
  /** ISO 8601, UTC. */
  createdAt: string;
  /** The API server's version when the snapshot was taken (v1.34.2): restore inits at it. */
  kubernetesVersion: string;
  etcd: { revision?: number; totalKey?: number; totalSize?: number; hash?: number };
}

/** 2026-11-30T07-05-09Z: sortable, no colon (safe in every file system and in scp paths). */
export function utcStamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** The absolute folder of one backup (backup_dir may be relative to the current folder or start with ~). */
export function backupFolder(dir: string, cluster: string, stamp: string): string {
  return resolve(expandHome(dir), cluster, stamp);
}
