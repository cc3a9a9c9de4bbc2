// Facts in one round trip: one bash script prints every section, parseFacts() reads them.
import { Command } from '../command/command.js';
import type { Connection } from '../connection/connection.js';
import { SteerError, ExitCode } from '../errors.js';
import type { Facts } from './facts.js';
import { SECTION_PREFIX, parseFacts } from './parse.js';

export { parseFacts };

/** Every probe is read-only and tolerates a missing tool or file (its section is then empty). */
export const FACTS_SCRIPT = [
  'export LC_ALL=C',
  `s() { printf '\\n${SECTION_PREFIX}%s\\n' "$1"; }`,
  's os-release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null',
  's machine; uname -m',
  's dpkg-arch; dpkg --print-architecture 2>/dev/null',
  // The word size of user space, which may differ from the kernel's (uname -m).
  's long-bit; getconf LONG_BIT 2>/dev/null',
  's kernel; uname -r',
  's cmdline; cat /proc/cmdline 2>/dev/null',
  's cgroup-fs; stat -fc %T /sys/fs/cgroup 2>/dev/null',
  's cgroup-controllers; cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null',
  's proc-cgroups; cat /proc/cgroups 2>/dev/null',
  's meminfo; cat /proc/meminfo 2>/dev/null',
  // What `swapon --show` reads, and present even where util-linux is not.
  's swaps; cat /proc/swaps 2>/dev/null',
  's boot-id; cat /proc/sys/kernel/random/boot_id 2>/dev/null',
  's hostname; uname -n',
  // The source address of the default route; without one, the first global address.
  "s route; ip -4 route get 1.1.1.1 2>/dev/null || ip -4 -o addr show scope global 2>/dev/null | awk '{ split($4, a, \"/\"); print \"src \" a[1]; exit }'",
  's init; if [ -d /run/systemd/system ]; then echo systemd; else echo other; fi',
  's package-manager; for p in apt-get dnf yum apk pacman; do if command -v "$p" >/dev/null 2>&1; then echo "$p"; break; fi; done',
  "s model; tr -d '\\000' < /proc/device-tree/model 2>/dev/null",
  's cmdline-file; for f in /boot/firmware/cmdline.txt /boot/cmdline.txt; do if [ -e "$f" ]; then echo "$f"; break; fi; done',
  's user; id -un',
  'exit 0',
].join('\n');

export async function gatherFacts(connection: Connection): Promise<Facts> {
  const result = await connection.run(new Command(FACTS_SCRIPT, '(gather facts)'), { timeoutMs: 60_000 });
  if (result.code !== 0) {
    throw new SteerError(`${connection.host}: gathering facts failed (exit ${result.code}): ${result.stderr.trim()}`, 'FACTS_FAILED', ExitCode.hostFailed);
  }
  return parseFacts(result.stdout);
}
