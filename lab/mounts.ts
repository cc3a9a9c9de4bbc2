// Mount bookkeeping: what is mounted under a directory, and removing a directory tree only after
// everything under it is unmounted (so a stray bind of /proc or /dev is never deleted through).
import { readFile } from 'node:fs/promises';
import { run, tryRun } from './run.js';

/** Mount points at or under `dir`, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const prefix = dir.endsWith('/') ? dir : dir + '/';
  const points = text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(prefix));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export async function isMountPoint(dir: string): Promise<boolean> {
  return (await mountsUnder(dir)).includes(dir);
}

/** Unmounts everything at or under `dir` (lazily if busy). Repeats for stacked mounts. */
export async function unmountUnder(dir: string): Promise<void> {
  for (let round = 0; round < 10; round++) {
    const points = await mountsUnder(dir);
    if (points.length === 0) return;
    for (const point of points) {
      if (!(await tryRun('umount', [point]))) await tryRun('umount', ['-l', point]);
    }
  }
  const left = await mountsUnder(dir);
  if (left.length > 0) throw new Error(`could not unmount ${left.join(', ')}`);
}

/** Removes a directory tree, never crossing into another file system. */
export async function removeTree(dir: string): Promise<void> {
  await unmountUnder(dir);
  await run('rm', ['-rf', '--one-file-system', dir]);
}
