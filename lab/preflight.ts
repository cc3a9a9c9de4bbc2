// Makes sure the controller can run a lab: Linux, root, and the tools below (installed with apt-get
// when missing). Each refusal says why, in one line. `ensureTools` is also how the test command
// (test/run.js) gets its own prerequisites.
import { access } from 'node:fs/promises';
import { constants } from 'node:fs';
import { UserError } from '../lib/errors.js';
import { run } from './run.js';

/** A program on PATH (or an absolute path to a file) and the Debian package that provides it. */
export type Tool = readonly [program: string, pkg: string];

/** What `steer lab` runs on the controller. */
export const LAB_TOOLS: readonly Tool[] = [
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
  if (program.startsWith('/')) return (await access(program).then(() => true, () => false)) ? program : undefined;
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

/** The Debian packages (each once, in order) whose programs are not on PATH. */
export async function missingPackages(tools: readonly Tool[]): Promise<string[]> {
  const missing: string[] = [];
  for (const [program, pkg] of tools) if (!missing.includes(pkg) && !(await findProgram(program))) missing.push(pkg);
  return missing;
}

/**
 * Installs the packages of the missing tools with apt-get, as root on a machine that has it, saying
 * so in one line on stderr (`WHO: installing a b with apt-get`). Elsewhere (not root, no apt-get)
 * throws a UserError (code MISSING_TOOLS) listing the packages to install. `who` names the caller
 * in those lines ("steer lab", "steer tests").
 */
export async function ensureTools(tools: readonly Tool[], who: string): Promise<void> {
  const missing = await missingPackages(tools);
  if (missing.length === 0) return;
  const install = `apt-get install ${missing.join(' ')}`;
  if (!(await findProgram('apt-get'))) {
    throw new UserError(`${who}: missing ${missing.join(', ')} (Debian package names); install them (no apt-get found on this machine)`, 'MISSING_TOOLS');
  }
  if (process.getuid?.() !== 0) throw new UserError(`${who}: missing ${missing.join(', ')}; install them as root: ${install}`, 'MISSING_TOOLS');
  process.stderr.write(`${who}: installing ${missing.join(' ')} with apt-get\n`);
  await installPackages(missing);
}

export async function checkController(): Promise<void> {
  if (process.platform !== 'linux') {
    throw new UserError(`steer lab needs Linux (systemd-nspawn and network namespaces); this is ${process.platform}`, 'LAB_NOT_LINUX');
  }
  if (process.getuid?.() !== 0) {
    throw new UserError('steer lab needs root (it creates network namespaces, mounts and containers): run it with sudo', 'LAB_NOT_ROOT');
  }
  await ensureTools(LAB_TOOLS, 'steer lab');
  if (!(await findProgram('systemd-nspawn'))) {
    throw new UserError('steer lab needs systemd-nspawn (package systemd-container), and installing it failed', 'LAB_NO_NSPAWN');
  }
}

async function installPackages(packages: string[]): Promise<void> {
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
