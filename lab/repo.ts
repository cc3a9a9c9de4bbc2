// The lab's package repository, served to lab hosts from the controller (they have no other route):
//  - debian/: the Debian packages the roles install, downloaded once on the controller with apt
//    and resolved against the image's installed packages;
//  - core:/stable:/v1.NN/deb/: repositories shaped like pkgs.k8s.io, one per minor version, with
//    the Kubernetes stand-ins (lab/standins);
//  - files/: extra files roles fetch (e.g. a pinned CNI manifest).
// Every repository is signed with the lab's own GPG key.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, copyFile, link, mkdir, readdir, readFile, rm, writeFile, cp } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildKubernetesPackages } from './standins/index.js';
import { DEB_CACHE, K8S_WORK_DIR } from './paths.js';
import type { ImageInfo } from './image.js';
import { withLock } from './lock.js';
import { run, tryRun } from './run.js';

/** Packages the roles install (besides what the image has). Missing ones are skipped. */
export const LAB_DEBIAN_PACKAGES: readonly string[] = [
  'containerd', 'runc', 'docker.io', 'containernetworking-plugins', 'conntrack', 'socat', 'ebtables',
  'ethtool', 'iptables', 'curl', 'gnupg', 'dphys-swapfile', 'apt-transport-https',
  // the storage role copies data onto the USB disk with rsync (owners, modes, xattrs kept)
  'rsync',
];

/** Minor versions that always have a (possibly empty) pkgs.k8s.io-shaped repository. */
export const DEFAULT_KUBERNETES_MINORS: readonly string[] = ['1.31', '1.32', '1.33', '1.34', '1.35'];

export const KEYRING_ON_HOSTS = '/usr/share/keyrings/steer-lab-archive-keyring.gpg';

// ---------------------------------------------------------------------------------------------
// The lab's signing key

export async function createSigningKey(gnupgHome: string, labName: string): Promise<void> {
  await mkdir(gnupgHome, { recursive: true, mode: 0o700 });
  const env = gpgEnv(gnupgHome);
  if ((await run('gpg', ['--batch', '--list-secret-keys', '--with-colons'], { env })).includes('sec:')) return;
  await run('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-generate-key', `steer lab ${labName} <steer-lab@localhost>`, 'ed25519', 'sign', 'never'], { env });
}

function gpgEnv(gnupgHome: string): NodeJS.ProcessEnv {
  return { ...process.env, GNUPGHOME: gnupgHome };
}

/** gpg starts an agent on its own; the lab ends it so nothing of the lab is left running. */
export async function stopGpgAgent(gnupgHome: string): Promise<void> {
  try {
    await access(gnupgHome);
  } catch {
    return;
  }
  await tryRun('gpgconf', ['--kill', 'all'], { env: gpgEnv(gnupgHome) });
}

async function exportPublicKey(gnupgHome: string, armor: boolean): Promise<Buffer> {
  const args = ['--batch', ...(armor ? ['--armor'] : []), '--export'];
  return new Promise<Buffer>((resolve, reject) => {
    execFile('gpg', args, { env: gpgEnv(gnupgHome), encoding: 'buffer' }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

// ---------------------------------------------------------------------------------------------
// Debian packages (cached on the controller, shared by every lab)

export interface DebianPackageSet {
  /** Directory with the .deb files and their Packages index (Filename: ./NAME.deb). */
  dir: string;
  skipped: string[];
}

export async function ensureDebianPackages(image: ImageInfo, log: (line: string) => void): Promise<DebianPackageSet> {
  const key = createHash('sha256').update(JSON.stringify([image.id, LAB_DEBIAN_PACKAGES])).digest('hex').slice(0, 12);
  const dir = join(DEB_CACHE, key);
  const stamp = join(dir, 'complete.json');
  const cached = await readJson<{ skipped: string[] }>(stamp);
  if (cached) return { dir, skipped: cached.skipped };
  await mkdir(DEB_CACHE, { recursive: true });
  return withLock(join(DEB_CACHE, `${key}.lock`), 15 * 60_000, async () => {
    const again = await readJson<{ skipped: string[] }>(stamp);
    if (again) return { dir, skipped: again.skipped };
    log('downloading the Debian packages for the lab repository (once)');
    await mkdir(join(dir, 'partial'), { recursive: true });
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const apt = (extra: string[]) => [
      '-q', '-y', '--no-install-recommends',
      '-o', `Dir::State::status=${image.dpkgStatus}`,
      '-o', `Dir::Cache::archives=${dir}`,
      '-o', 'Dir::Cache::pkgcache=', '-o', 'Dir::Cache::srcpkgcache=',
      '-o', 'APT::Sandbox::User=root',
      ...extra,
    ];
    const available: string[] = [];
    const skipped: string[] = [];
    const probe = async () => {
      available.length = skipped.length = 0;
      for (const pkg of LAB_DEBIAN_PACKAGES) {
        const out = await run('apt-cache', ['-o', 'Dir::Cache::pkgcache=', '-o', 'Dir::Cache::srcpkgcache=', 'policy', pkg]).catch(() => '');
        (/Candidate: (?!\(none\))/.test(out) ? available : skipped).push(pkg);
      }
    };
    await probe();
    if (available.length < LAB_DEBIAN_PACKAGES.length / 2) {
      // Missing or stale package lists on the controller.
      await run('apt-get', ['-q', '-o', 'DPkg::Lock::Timeout=300', 'update'], { env });
      await probe();
    }
    await run('apt-get', apt(['--download-only', 'install', ...available]), { env, timeoutMs: 15 * 60_000 });
    await rm(join(dir, 'partial'), { recursive: true, force: true });
    await rm(join(dir, 'lock'), { force: true });
    await writeFile(join(dir, 'Packages'), await run('apt-ftparchive', ['packages', '.'], { cwd: dir }));
    if (skipped.length > 0) log(`not in the Debian archive, skipped: ${skipped.join(', ')}`);
    await writeFile(stamp, JSON.stringify({ packages: available, skipped }) + '\n');
    // Packages for earlier images or package lists: labs hold hard links to what they serve.
    for (const name of await readdir(DEB_CACHE)) {
      if (name !== key && /^[0-9a-f]{12}$/.test(name)) await rm(join(DEB_CACHE, name), { recursive: true, force: true });
    }
    return { dir, skipped };
  });
}

// ---------------------------------------------------------------------------------------------
// The lab's repository tree

/** Builds `repoRoot` for one lab (hard links to the cached packages) and signs every repository. */
export async function buildRepository(repoRoot: string, gnupgHome: string, debian: DebianPackageSet, log: (line: string) => void): Promise<void> {
  await rm(repoRoot, { recursive: true, force: true });
  const publicKey = await exportPublicKey(gnupgHome, true);

  const debianDir = join(repoRoot, 'debian');
  await mkdir(debianDir, { recursive: true });
  for (const name of await readdir(debian.dir)) {
    if (name.endsWith('.deb')) await linkOrCopy(join(debian.dir, name), join(debianDir, name));
  }
  const packages = await readFile(join(debian.dir, 'Packages'));
  await writeIndex(debianDir, packages);
  await signRepository(debianDir, gnupgHome, 'steer lab Debian packages');

  const kubernetes = await withLock(`${K8S_WORK_DIR}.lock`, 15 * 60_000, async () => {
    await mkdir(K8S_WORK_DIR, { recursive: true });
    return buildKubernetesPackages(K8S_WORK_DIR);
  });
  const minors = new Set([...DEFAULT_KUBERNETES_MINORS, ...kubernetes.map((k) => k.minor)]);
  for (const minor of minors) {
    const dir = join(repoRoot, `core:/stable:/v${minor}/deb`);
    await mkdir(dir, { recursive: true });
    const debs = kubernetes.filter((k) => k.minor === minor).flatMap((k) => k.debs);
    for (const deb of debs) await linkOrCopy(deb, join(dir, deb.split('/').pop()!));
    const index = debs.length > 0 ? await run('apt-ftparchive', ['packages', '.'], { cwd: dir }) : '';
    await writeIndex(dir, Buffer.from(index));
    await signRepository(dir, gnupgHome, `steer lab Kubernetes stand-ins v${minor}`);
    await writeFile(join(dir, 'Release.key'), publicKey);
  }
  if (kubernetes.length === 0) log('no Kubernetes stand-in packages yet: the pkgs.k8s.io-shaped repositories are empty');

  const files = join(repoRoot, 'files');
  await mkdir(files, { recursive: true });
  const extra = join(K8S_WORK_DIR, 'files');
  if (await exists(extra)) await cp(extra, files, { recursive: true });
  await writeFile(join(repoRoot, 'steer-lab.key'), publicKey);
}

async function writeIndex(dir: string, packages: Buffer): Promise<void> {
  await writeFile(join(dir, 'Packages'), packages);
  await writeFile(join(dir, 'Packages.gz'), gzipSync(packages));
}

async function signRepository(dir: string, gnupgHome: string, label: string): Promise<void> {
  const release = await run('apt-ftparchive', [
    '-o', 'APT::FTPArchive::Release::Origin=steer-lab',
    '-o', `APT::FTPArchive::Release::Label=${label}`,
    '-o', 'APT::FTPArchive::Release::Architectures=amd64 arm64 armhf all',
    'release', '.',
  ], { cwd: dir });
  await writeFile(join(dir, 'Release'), release);
  const env = gpgEnv(gnupgHome);
  await run('gpg', ['--batch', '--yes', '--clearsign', '--output', join(dir, 'InRelease'), join(dir, 'Release')], { env });
  await run('gpg', ['--batch', '--yes', '--armor', '--detach-sign', '--output', join(dir, 'Release.gpg'), join(dir, 'Release')], { env });
}

/** The binary keyring hosts use in `signed-by=`. */
export function keyringForHosts(gnupgHome: string): Promise<Buffer> {
  return exportPublicKey(gnupgHome, false);
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
