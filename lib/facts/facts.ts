// What one round trip per host learns about it at the start of each play.

export interface Facts {
  hostname: string;
  os: { id: string; versionId: string; prettyName: string; codename: string; family: string };
  /** uname -m: x86_64, aarch64, armv7l, armv6l … */
  machine: string;
  /** Debian architecture name: amd64, arm64, armhf, armel … ('' when dpkg is missing). */
  dpkgArch: string;
  /** arm64 | armv7 | armv6 | amd64 | other: what matters for container images. */
  armVariant: 'arm64' | 'armv7' | 'armv6' | 'amd64' | 'other';
  /** 32 or 64: the word size of the user space (a 64-bit kernel may run a 32-bit user space). */
  userspaceBits: 32 | 64;
  kernel: string;
  cmdline: string;
  cgroup: { version: 1 | 2; controllers: string[] };
  memory: { totalMb: number; swapTotalMb: number };
  swapDevices: string[];
  bootId: string;
  defaultIpv4: string;
  initSystem: 'systemd' | 'other';
  packageManager: 'apt' | 'dnf' | 'yum' | 'apk' | 'pacman' | 'unknown';
  /** Whether this is a Raspberry Pi (device-tree model) and the model string. */
  piModel: string;
  /** The kernel command line file of a Pi, or '' when none exists. */
  cmdlineFile: string;
  user: string;
}
