// Machine-wide limits that many lab hosts run into. Every lab host runs its own systemd, journald,
// logind and dbus, and all of them share root's inotify instance limit (128 by default): beyond
// ~15 hosts on the machine, hosts fail to boot ("Failed to allocate manager object: Too many open
// files"). The lab raises the limit to what all its hosts need and never lowers it (other labs
// may still be running); it returns to the default at the next boot of the machine.
import { readFile, writeFile } from 'node:fs/promises';

const INOTIFY_INSTANCES = '/proc/sys/fs/inotify/max_user_instances';
/** inotify instances one lab host takes (measured 6–10), with a margin. */
const INOTIFY_PER_HOST = 16;
const KERNEL_DEFAULT = 128;

/** Makes room for `hosts` lab hosts on the machine (all labs together); returns the new limit if raised. */
export async function ensureInotifyInstances(hosts: number): Promise<number | undefined> {
  const current = Number((await readFile(INOTIFY_INSTANCES, 'utf8')).trim());
  const wanted = KERNEL_DEFAULT + hosts * INOTIFY_PER_HOST;
  if (current >= wanted) return undefined;
  await writeFile(INOTIFY_INSTANCES, `${wanted}\n`);
  return wanted;
}
