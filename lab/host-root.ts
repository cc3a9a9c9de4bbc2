// Each host's root: an overlay (copy-on-write) over the cached image, given what makes it this host
// and a Raspberry Pi look-alike: hostname, machine id, its own SSH host key, the lab's login key for
// `pi`, apt sources pointing only at the lab repository, /boot/firmware, and the firmware stand-in.
import { randomBytes } from 'node:crypto';
import { chmod, chown, cp, mkdir, readFile, symlink, writeFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { hostPaths } from './paths.js';
import type { LabHostState, LabState } from './state.js';
import { KEYRING_ON_HOSTS } from './repo.js';
import { isMountPoint } from './mounts.js';
import { run } from './run.js';
import { packagePath } from '../lib/package-root.js';

const HOST_FILES = packagePath('lab', 'host-files');

/** Units a board has no use for in the lab: console gettys, and apt's background timers (they take
 * the dpkg lock while a role runs apt). */
const MASKED_UNITS = ['console-getty.service', 'getty@tty1.service', 'apt-daily.timer', 'apt-daily-upgrade.timer', 'fstrim.timer', 'e2scrub_all.timer', 'e2scrub_reap.service'];

export interface HostRootInput {
  state: LabState;
  host: LabHostState;
  authorizedKey: string;
  hostPrivateKey: string;
  hostPublicKey: string;
  keyring: Buffer;
}

export async function mountHostRoot(lab: string, host: string, lowerdir: string): Promise<string> {
  const paths = hostPaths(lab, host);
  await mkdir(paths.upper, { recursive: true });
  await mkdir(paths.work, { recursive: true });
  await mkdir(paths.root, { recursive: true });
  if (!(await isMountPoint(paths.root))) {
    await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowerdir},upperdir=${paths.upper},workdir=${paths.work}`, paths.root]);
  }
  return paths.root;
}

export async function populateHostRoot(input: HostRootInput): Promise<void> {
  const { state, host } = input;
  const root = hostPaths(state.name, host.name).root;
  const at = (path: string) => join(root, path);

  await cp(HOST_FILES, root, { recursive: true, force: true });
  for (const unit of ['steer-lab-firmware.service', 'steer-lab-disks.service']) {
    await symlinkForce(`/etc/systemd/system/${unit}`, at(`etc/systemd/system/sysinit.target.wants/${unit}`));
  }
  for (const unit of MASKED_UNITS) await symlinkForce('/dev/null', at(`etc/systemd/system/${unit}`));

  await writeFile(at('etc/hostname'), `${host.name}\n`);
  await writeFile(at('etc/hosts'), `127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n\n127.0.1.1\t${host.name}\n`);
  await writeFile(at('etc/machine-id'), randomBytes(16).toString('hex') + '\n');
  await writeFile(at('boot/firmware/cmdline.txt'), `console=serial0,115200 console=tty1 root=PARTUUID=${randomBytes(4).toString('hex')}-02 rootfstype=ext4 fsck.repair=yes rootwait\n`);
  await writeFile(
    at('usr/lib/steer-lab/lab.env'),
    `# steer lab host: which lab this is and where its package repository is.\nSTEER_LAB=${state.name}\nSTEER_LAB_HOST=${host.name}\nSTEER_LAB_REPO=${state.repoUrl}\n`,
  );

  await writeFile(at('etc/ssh/ssh_host_ed25519_key'), input.hostPrivateKey, { mode: 0o600 });
  await writeFile(at('etc/ssh/ssh_host_ed25519_key.pub'), input.hostPublicKey, { mode: 0o644 });

  const [uid, gid] = await userIds(root, 'pi');
  const ssh = at('home/pi/.ssh');
  await mkdir(ssh, { recursive: true, mode: 0o700 });
  await writeFile(join(ssh, 'authorized_keys'), input.authorizedKey, { mode: 0o600 });
  await chown(ssh, uid, gid);
  await chown(join(ssh, 'authorized_keys'), uid, gid);
  await chmod(ssh, 0o700);

  await writeFile(at(KEYRING_ON_HOSTS.slice(1)), input.keyring, { mode: 0o644 });
  await writeFile(at('etc/apt/sources.list'), `# steer lab: the lab's repository is the only one lab hosts can reach.\ndeb [signed-by=${KEYRING_ON_HOSTS}] ${state.repoUrl}/debian ./\n`);
  await rm(at('etc/apt/sources.list.d'), { recursive: true, force: true });
  await mkdir(at('etc/apt/sources.list.d'), { recursive: true });
}

async function symlinkForce(target: string, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await rm(path, { force: true });
  await symlink(target, path);
}

async function userIds(root: string, user: string): Promise<[number, number]> {
  const line = (await readFile(join(root, 'etc/passwd'), 'utf8')).split('\n').find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`the lab image has no user ${user}`);
  const fields = line.split(':');
  return [Number(fields[2]), Number(fields[3])];
}
