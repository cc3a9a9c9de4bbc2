// A lock file holding its owner's pid: concurrent `steer lab` processes (several test files, or a
// user and a test) serialise the image build and lab allocation; a crashed owner's lock is taken over.
import { open, readFile, rm, stat } from 'node:fs/promises';
import { isAlive } from './processes.js';
import { sleep } from './run.js';

export async function withLock<T>(path: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (!Number.isInteger(owner) || owner <= 0 || !(await isAlive(owner))) {
        // A stale lock (its owner died), or one being written right now: an empty lock is stale only
        // once it is a few seconds old.
        const age = Date.now() - ((await stat(path).catch(() => undefined))?.mtimeMs ?? Date.now());
        if ((Number.isInteger(owner) && owner > 0) || age > 5_000) await rm(path, { force: true });
        await sleep(50);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${path} held by pid ${owner}`);
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
