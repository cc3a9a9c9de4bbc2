// The lab's base image: Debian bookworm bootstrapped once from the Debian mirror and cached. Hosts
// boot overlays of it; the lab's own files (firmware stand-in, sshd and journald settings) are
// copied into each host's upper layer at `up`, so changing them never forces a rebuild.
import { mkdir, readFile, readdir, rename, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { CACHE_ROOT, DEBOOTSTRAP_CACHE, IMAGE_DIR } from './paths.js';
import { withLock } from './lock.js';
import { debianMirror } from './mirror.js';
import { removeTree } from './mounts.js';
import { run } from './run.js';
import { allLabs } from './state.js';

export const IMAGE_SUITE = 'bookworm';

/** What every lab host has installed (the roles install the rest from the lab repository). */
export const IMAGE_PACKAGES: readonly string[] = [
  'systemd', 'systemd-sysv', 'dbus', 'libpam-systemd', 'openssh-server', 'sudo', 'iproute2', 'kmod',
  'procps', 'curl', 'gnupg', 'ca-certificates', 'python3', 'openssl', 'iptables', 'iputils-ping',
  'netbase', 'less',
];

/** Bump when the bootstrap or the base customisation below changes. */
const IMAGE_REVISION = 2;

export interface ImageInfo {
  /** The rootfs to use as the overlay's lower layer. */
  rootfs: string;
  /** The image's dpkg status file (to resolve the repository's packages against). */
  dpkgStatus: string;
  id: string;
  /** Seconds the build took, when this call built it. */
  builtSeconds?: number;
}

/** A Debian root bootstrapped once (debootstrap minbase) and cached as DIR/ID/rootfs. */
export interface CachedRootSpec {
  /** The cache folder holding one folder per build id. */
  dir: string;
  /** The lock file that keeps builds of this kind one at a time on this machine. */
  lock: string;
  /** For log lines: "the lab image". */
  what: string;
  suite: string;
  /** Packages beside minbase (none: a minimal Debian). */
  packages: readonly string[];
  /** Bump when the bootstrap or the customisation changes: a new id, so a new build. */
  revision: number;
  customise?: (rootfs: string) => Promise<void>;
  /** Called under the lock after a build, to remove older builds no longer needed. */
  removeUnused?: (currentId: string) => Promise<void>;
}

const LAB_IMAGE: CachedRootSpec = {
  dir: IMAGE_DIR,
  lock: join(CACHE_ROOT, 'lab-image.lock'),
  what: 'the lab image',
  suite: IMAGE_SUITE,
  packages: IMAGE_PACKAGES,
  revision: IMAGE_REVISION,
  customise,
  removeUnused: removeUnusedImages,
};

function rootId(spec: CachedRootSpec): string {
  const hash = createHash('sha256').update(JSON.stringify([spec.revision, spec.suite, spec.packages])).digest('hex');
  return hash.slice(0, 12);
}

function info(spec: CachedRootSpec, id: string, builtSeconds?: number): ImageInfo {
  const rootfs = join(spec.dir, id, 'rootfs');
  return { rootfs, dpkgStatus: join(rootfs, 'var/lib/dpkg/status'), id, builtSeconds };
}

/** Returns the cached lab image, building it first if needed (one build at a time on this machine). */
export function ensureImage(log: (line: string) => void = () => {}): Promise<ImageInfo> {
  return ensureCachedRoot(LAB_IMAGE, log);
}

/**
 * Returns the cached root of `spec`, bootstrapping it from the Debian mirror first if needed. Builds
 * run one at a time under the spec's lock; a crashed build is removed by the next one. Throws
 * LabCommandError when debootstrap or the customisation fails (the half-built root is removed).
 */
export async function ensureCachedRoot(spec: CachedRootSpec, log: (line: string) => void = () => {}): Promise<ImageInfo> {
  const id = rootId(spec);
  const stamp = join(spec.dir, id, 'image.json');
  if (await exists(stamp)) return info(spec, id);
  await mkdir(spec.dir, { recursive: true });
  return withLock(spec.lock, 15 * 60_000, async () => {
    if (await exists(stamp)) return info(spec, id);
    const started = Date.now();
    // Under the lock any unfinished build is a crashed one.
    for (const name of await readdir(spec.dir)) if (name.includes('.build-')) await removeTree(join(spec.dir, name));
    const build = join(spec.dir, `${id}.build-${process.pid}`);
    const rootfs = join(build, 'rootfs');
    await mkdir(build, { recursive: true });
    const mirror = await debianMirror();
    log(`building ${spec.what} (Debian ${spec.suite} from ${mirror}); this happens once`);
    try {
      // Downloaded packages are kept, so a rebuild (a new revision) does not fetch them again.
      await mkdir(DEBOOTSTRAP_CACHE, { recursive: true });
      const include = spec.packages.length > 0 ? [`--include=${spec.packages.join(',')}`] : [];
      await run('debootstrap', ['--variant=minbase', `--cache-dir=${DEBOOTSTRAP_CACHE}`, ...include, spec.suite, rootfs, mirror], {
        timeoutMs: 20 * 60_000,
      });
      await spec.customise?.(rootfs);
      const stampText = { id, suite: spec.suite, mirror, packages: spec.packages, builtAt: new Date().toISOString() };
      await writeFile(join(build, 'image.json'), JSON.stringify(stampText, null, 2) + '\n');
      await rm(join(spec.dir, id), { recursive: true, force: true });
      await rename(build, join(spec.dir, id));
    } catch (err) {
      await removeTree(build).catch(() => {});
      throw err;
    }
    await spec.removeUnused?.(id);
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    log(`${spec.what} built in ${seconds} s`);
    return info(spec, id, seconds);
  });
}

/** Earlier image revisions, unless a lab still boots from one (its overlays need their lower layer). */
async function removeUnusedImages(current: string): Promise<void> {
  const inUse = new Set((await allLabs()).map((lab) => lab.imageRootfs));
  for (const name of await readdir(IMAGE_DIR)) {
    if (name === current || !/^[0-9a-f]{12}$/.test(name)) continue;
    if (!inUse.has(join(IMAGE_DIR, name, 'rootfs'))) await removeTree(join(IMAGE_DIR, name));
  }
}

/** Base changes that are the same for every lab: the `pi` user, no host keys, no apt sources. */
async function customise(rootfs: string): Promise<void> {
  // Groups as on Raspberry Pi OS, where they exist in a minimal Debian.
  await run('chroot', [rootfs, 'useradd', '--create-home', '--shell', '/bin/bash', '--groups', 'adm,sudo,users', 'pi']);
  await run('chroot', [rootfs, 'passwd', '--lock', 'pi']);
  await writeFile(join(rootfs, 'etc/sudoers.d/010_pi-nopasswd'), 'pi ALL=(ALL) NOPASSWD: ALL\n', { mode: 0o440 });
  // Each host gets its own host key at `up`; the ones made while bootstrapping would be shared.
  for (const name of await readdir(join(rootfs, 'etc/ssh'))) {
    if (name.startsWith('ssh_host_')) await rm(join(rootfs, 'etc/ssh', name));
  }
  // Simulated swap (docs/lab.md): each host's /usr/sbin/swapon and swapoff are the lab's, the real
  // ones moved aside the Debian way, so that scripts with their own PATH (dphys-swapfile) use them.
  for (const tool of ['swapon', 'swapoff']) {
    // The package owns /sbin/… (bookworm's /sbin is a link to usr/sbin).
    await run('chroot', [rootfs, 'dpkg-divert', '--local', '--rename', '--divert', `/sbin/${tool}.real`, '--add', `/sbin/${tool}`]);
  }
  await writeFile(join(rootfs, 'etc/apt/sources.list'), '');
  await run('chroot', [rootfs, 'apt-get', 'clean']);
  await run('rm', ['-rf', '--one-file-system', join(rootfs, 'var/lib/apt/lists')]);
  await mkdir(join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true });
  await writeFile(join(rootfs, 'etc/machine-id'), '');
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch {
    return false;
  }
}
