// A backup folder of backup.yaml on the controller, checked before anything touches the host: the
// three files there, backup.json readable and naming a Kubernetes version. The two big files are
// read when they are uploaded, not before.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BACKUP_FILES, type BackupInfo } from '../backup/folder.js';
import { expandHome } from '../workstation/role.js';

export interface Backup {
  folder: string;
  info: BackupInfo;
  snapshot(): Buffer;
  pki(): Buffer;
}

/** Reads backup.json of `folder` and checks the other files are there; `fail` says what is wrong. */
export function readBackup(folder: string, fail: (message: string) => never): Backup {
  if (!folder) fail('no backup given: run with -e backup=FOLDER (a folder backup.yaml made, e.g. backups/kubernetes/2026-11-30T07-05-09Z)');
  const dir = expandHome(folder);
  for (const name of Object.values(BACKUP_FILES)) {
    const st = statSync(join(dir, name), { throwIfNoEntry: false });
    if (!st?.isFile()) fail(`${join(dir, name)} is missing: ${folder} is not a backup of backup.yaml`);
  }
  let info: BackupInfo;
  try {
    info = JSON.parse(readFileSync(join(dir, BACKUP_FILES.info), 'utf8')) as BackupInfo;
  } catch (err) {
    return fail(`${join(dir, BACKUP_FILES.info)}: ${(err as Error).message}`);
  }
  if (!/^v\d+\.\d+\.\d+$/.test(String(info.kubernetesVersion))) fail(`${join(dir, BACKUP_FILES.info)} names no Kubernetes version (kubernetesVersion: v1.34.2)`);
  return {
    folder: dir,
    info,
    snapshot: () => readFileSync(join(dir, BACKUP_FILES.snapshot)),
    pki: () => readFileSync(join(dir, BACKUP_FILES.pki)),
  };
}
