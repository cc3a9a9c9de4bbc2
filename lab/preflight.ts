// Makes sure the controller can run a lab: Linux, root, and the tools below (installed with apt-get
// when missing). Each refusal says why, in one line.
import { access } from 'node:fs/promises';
import { constants } from 'node:fs';
import { UserError } from '../lib/errors.js';
import { run } from './run.js';

/** Program → Debian package that provides it. */
const TOOLS: ReadonlyArray<[program: string, pkg: string]> = [
  ['debootstrap', 'debootstrap'],
  ['systemd-nspawn', 'systemd-container'],
  ['ip', 'iproute2'],
  ['gpg', 'gnupg'],
  ['apt-ftparchive', 'apt-utils'],
  ['dpkg-deb', 'dpkg'],
  ['ssh', 'openssh-client'],
  ['ssh-keygen', 'openssh-client'],
  ['depmod', 'kmod'],
  ['mount', 'mount'],
  // lab disks (steer lab disk add)
  ['losetup', 'mount'],
  ['mkfs.ext4', 'e2fsprogs'],
  ['nsenter', 'util-linux'],
];

async function findProgram(program: string): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin']);
  for (const dir of dirs) {
    const path = `${dir}/${program}`;
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      // try the next directory
    }
  }
  return undefined;
}

export async function checkController(): Promise<void> {
  if (process.platform !== 'linux') {
    throw new UserError(`steer lab needs Linux (systemd-nspawn and network namespaces); this is ${process.platform}`, 'LAB_NOT_LINUX');
  }
  if (process.getuid?.() !== 0) {
    throw new UserError('steer lab needs root (it creates network namespaces, mounts and containers): run it with sudo', 'LAB_NOT_ROOT');
  }
  const missing: string[] = [];
  for (const [program, pkg] of TOOLS) if (!(await findProgram(program)) && !missing.includes(pkg)) missing.push(pkg);
  if (missing.length > 0) await installPackages(missing);
  if (!(await findProgram('systemd-nspawn'))) {
    throw new UserError('steer lab needs systemd-nspawn (package systemd-container), and installing it failed', 'LAB_NO_NSPAWN');
  }
}

async function installPackages(packages: string[]): Promise<void> {
  if (!(await findProgram('apt-get'))) {
    throw new UserError(`steer lab needs ${packages.join(', ')}; install them (no apt-get found on this machine)`, 'LAB_MISSING_TOOLS');
  }
  process.stderr.write(`steer lab: installing ${packages.join(' ')} with apt-get\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '-q', '--no-install-recommends', ...packages];
  try {
    await run('apt-get', install, { env });
  } catch {
    // The package lists may be missing or stale on a fresh machine.
    await run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update', '-q'], { env });
    await run('apt-get', install, { env });
  }
}
