// Turns the output of the facts script (gather.ts) into Facts. Pure, so recorded outputs of real
// machines are its tests. Each section starts with a line `@@steer-fact NAME`.
import type { Facts } from './facts.js';

export const SECTION_PREFIX = '@@steer-fact ';

export function splitSections(output: string): Map<string, string> {
  const sections = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  const flush = () => {
    if (name !== undefined) sections.set(name, lines.join('\n').trim());
  };
  for (const line of output.split('\n')) {
    if (line.startsWith(SECTION_PREFIX)) {
      flush();
      name = line.slice(SECTION_PREFIX.length).trim();
      lines = [];
    } else lines.push(line);
  }
  flush();
  return sections;
}

/** KEY=value lines of os-release, with shell quoting removed. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2]!;
    if (/^".*"$/.test(value)) value = value.slice(1, -1).replace(/\\(["$`\\])/g, '$1');
    else if (/^'.*'$/.test(value)) value = value.slice(1, -1);
    out[m[1]!] = value;
  }
  return out;
}

/** Ansible-like family names, lower case: debian, redhat, suse, archlinux, alpine, or the id. */
function osFamily(id: string, idLike: string): string {
  const ids = [id, ...idLike.split(/\s+/)].filter(Boolean);
  if (ids.some((x) => x === 'debian' || x === 'ubuntu' || x === 'raspbian')) return 'debian';
  if (ids.some((x) => ['rhel', 'fedora', 'centos', 'rocky', 'almalinux'].includes(x))) return 'redhat';
  if (ids.some((x) => x.startsWith('suse') || x.startsWith('opensuse'))) return 'suse';
  if (ids.some((x) => x === 'arch' || x === 'archarm')) return 'archlinux';
  if (ids.includes('alpine')) return 'alpine';
  return id;
}

function meminfoMb(meminfo: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(meminfo);
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

/** The container-image architecture this host runs, from kernel machine and user space. */
export function armVariantOf(machine: string, dpkgArch: string, userspaceBits: 32 | 64): Facts['armVariant'] {
  if (machine === 'x86_64' || machine === 'amd64') return userspaceBits === 64 ? 'amd64' : 'other';
  if (machine === 'aarch64' || machine === 'arm64' || machine.startsWith('armv8')) {
    if (userspaceBits === 64) return 'arm64';
    // A 64-bit kernel under a 32-bit user space (Raspberry Pi OS with arm_64bit=1): the images
    // that run are those of the user space.
    return dpkgArch === 'armel' ? 'armv6' : 'armv7';
  }
  if (machine.startsWith('armv7')) return 'armv7';
  if (machine.startsWith('armv6')) return 'armv6';
  return 'other';
}

const PACKAGE_MANAGERS = ['apt', 'dnf', 'yum', 'apk', 'pacman'] as const;

export function parseFacts(output: string): Facts {
  const s = splitSections(output);
  const get = (name: string) => s.get(name) ?? '';
  const os = parseOsRelease(get('os-release'));
  const machine = get('machine');
  const dpkgArch = get('dpkg-arch');
  const longBit = Number(get('long-bit'));
  const userspaceBits: 32 | 64 = longBit === 32 || longBit === 64 ? longBit : /64/.test(machine) ? 64 : 32;
  const cgroupFs = get('cgroup-fs');
  const version: 1 | 2 = cgroupFs === 'cgroup2fs' ? 2 : 1;
  const controllers =
    version === 2
      ? get('cgroup-controllers').split(/\s+/).filter(Boolean)
      : get('proc-cgroups')
          .split('\n')
          .filter((l) => l.trim() !== '' && !l.startsWith('#'))
          .map((l) => l.trim().split(/\s+/))
          .filter((f) => f[3] === '1')
          .map((f) => f[0]!);
  const meminfo = get('meminfo');
  const swapDevices = get('swaps')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
  const pm = get('package-manager').replace(/-get$/, '');
  const id = os.ID ?? '';
  return {
    hostname: get('hostname'),
    os: {
      id,
      versionId: os.VERSION_ID ?? '',
      prettyName: os.PRETTY_NAME ?? '',
      codename: os.VERSION_CODENAME ?? os.UBUNTU_CODENAME ?? /\(([a-z]+)\)/.exec(os.VERSION ?? '')?.[1] ?? '',
      family: osFamily(id, os.ID_LIKE ?? ''),
    },
    machine,
    dpkgArch,
    armVariant: armVariantOf(machine, dpkgArch, userspaceBits),
    userspaceBits,
    kernel: get('kernel'),
    cmdline: get('cmdline'),
    cgroup: { version, controllers },
    memory: { totalMb: meminfoMb(meminfo, 'MemTotal'), swapTotalMb: meminfoMb(meminfo, 'SwapTotal') },
    swapDevices,
    bootId: get('boot-id'),
    defaultIpv4: /\bsrc\s+(\d+\.\d+\.\d+\.\d+)/.exec(get('route'))?.[1] ?? '',
    initSystem: get('init') === 'systemd' ? 'systemd' : 'other',
    packageManager: (PACKAGE_MANAGERS as readonly string[]).includes(pm) ? (pm as Facts['packageManager']) : 'unknown',
    // The device-tree model ends in a NUL byte, which the script strips.
    piModel: /raspberry pi/i.test(get('model')) ? get('model') : '',
    cmdlineFile: get('cmdline-file'),
    user: get('user'),
  };
}
