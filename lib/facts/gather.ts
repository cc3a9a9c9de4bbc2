// Facts in one round trip: one bash script prints every section, parseFacts() reads them.
import { Command } from '../command/command.js';
import type { Connection } from '../connection/connection.js';
import { SteerError, ExitCode } from '../errors.js';
import type { Facts } from './facts.js';
import { SECTION_PREFIX, parseFacts } from './parse.js';

export { parseFacts };

/**
 * Every probe is read-only and tolerates a missing tool or file (its section is then empty). Files
 * are read with bash builtins (`c`), not `cat`: on a small board every fork counts, and a host's
 * facts cost four external commands in all (uname, dpkg, getconf, ip).
 */
export const FACTS_SCRIPT = [
  'export LC_ALL=C',
  `s() { printf '\\n${SECTION_PREFIX}%s\\n' "$1"; }`,
  "c() { local l; { while IFS= read -r l || [ -n \"$l\" ]; do printf '%s\\n' \"$l\"; done < \"$1\"; } 2>/dev/null; }",
  's os-release; if [ -r /etc/os-release ]; then c /etc/os-release; else c /usr/lib/os-release; fi',
  's machine; uname -m',
  's dpkg-arch; dpkg --print-architecture 2>/dev/null',
  // The word size of user space, which may differ from the kernel's (uname -m).
  's long-bit; getconf LONG_BIT 2>/dev/null',
  's kernel; c /proc/sys/kernel/osrelease',
  's cmdline; c /proc/cmdline',
  // cgroup v2 alone (unified) has its controllers file at the root of /sys/fs/cgroup.
  's cgroup-fs; if [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo cgroup2fs; else echo tmpfs; fi',
  's cgroup-controllers; c /sys/fs/cgroup/cgroup.controllers',
  's proc-cgroups; c /proc/cgroups',
  's meminfo; c /proc/meminfo',
  // What `swapon --show` reads, and present even where util-linux is not.
  's swaps; c /proc/swaps',
  's boot-id; c /proc/sys/kernel/random/boot_id',
  's hostname; c /proc/sys/kernel/hostname',
  // The source address of the route to a documentation address (RFC 5737; no packet is sent);
  // without a default route, the first global address.
  "s route; ip -4 route get 192.0.2.1 2>/dev/null || ip -4 -o addr show scope global 2>/dev/null | awk '{ split($4, a, \"/\"); print \"src \" a[1]; exit }'",
  's init; if [ -d /run/systemd/system ]; then echo systemd; else echo other; fi',
  's package-manager; for p in apt-get dnf yum apk pacman; do if command -v "$p" >/dev/null 2>&1; then echo "$p"; break; fi; done',
  "s model; if [ -r /proc/device-tree/model ]; then IFS= read -r -d '' m < /proc/device-tree/model; printf '%s\\n' \"$m\"; fi",
  's cmdline-file; for f in /boot/firmware/cmdline.txt /boot/cmdline.txt; do if [ -e "$f" ]; then echo "$f"; break; fi; done',
  's user; if [ -n "${USER:-}" ]; then echo "$USER"; else id -un; fi',
  'exit 0',
].join('\n');

export async function gatherFacts(connection: Connection): Promise<Facts> {
  const result = await connection.run(new Command(FACTS_SCRIPT, '(gather facts)'), { timeoutMs: 60_000 });
  if (result.code !== 0) {
    throw new SteerError(`${connection.host}: gathering facts failed (exit ${result.code}): ${result.stderr.trim()}`, 'FACTS_FAILED', ExitCode.hostFailed);
  }
  return parseFacts(result.stdout);
}
