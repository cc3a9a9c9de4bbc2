// Where the lab keeps things on the controller. State is per lab and removed by `down`; caches
// (the image, downloaded packages) are shared by every lab and kept.
import { join } from 'node:path';

export const STATE_ROOT = process.env.STEER_LAB_STATE_DIR ?? '/var/lib/steer/lab';
export const CACHE_ROOT = process.env.STEER_LAB_CACHE_DIR ?? '/var/cache/steer';

export const IMAGE_DIR = join(CACHE_ROOT, 'lab-image-bookworm');
export const IMAGE_ROOTFS = join(IMAGE_DIR, 'rootfs');
export const DEBOOTSTRAP_CACHE = join(CACHE_ROOT, 'lab-debootstrap-debs');
export const DEB_CACHE = join(CACHE_ROOT, 'lab-debs');
export const K8S_WORK_DIR = join(CACHE_ROOT, 'lab-k8s-work');

/** Port of the lab's package repository, on the bridge address (one address per lab). */
export const REPO_PORT = 8213;

export function labDir(name: string): string {
  return join(STATE_ROOT, name);
}

export function labPaths(name: string) {
  const dir = labDir(name);
  return {
    dir,
    state: join(dir, 'state.json'),
    key: join(dir, 'id_ed25519'),
    knownHosts: join(dir, 'known_hosts'),
    gnupgHome: join(dir, 'gnupg'),
    repoRoot: join(dir, 'repo'),
    repoPid: join(dir, 'repo-server.pid'),
    repoLog: join(dir, 'repo-server.log'),
    modules: join(dir, 'modules'),
    hostsDir: join(dir, 'hosts'),
  };
}

export function hostPaths(lab: string, host: string) {
  const dir = join(labPaths(lab).hostsDir, host);
  return {
    dir,
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    root: join(dir, 'root'),
    hostKey: join(dir, 'ssh_host_ed25519_key'),
    supervisorPid: join(dir, 'supervisor.pid'),
    nspawnPid: join(dir, 'nspawn.pid'),
    cgroups: join(dir, 'cgroups'),
    phase: join(dir, 'phase'),
    log: join(dir, 'supervisor.log'),
    cut: join(dir, 'cut'),
    /** The image of the host's lab disk (steer lab disk add), a sparse file. */
    disk: join(dir, 'disk.img'),
  };
}
