// Failed and unreachable hosts, one per line: usable again with `--limit @FILE`.
import { lstatSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes the retry file atomically (temp file + rename). A path that exists and is not a regular
 * file (`--retry-file /dev/null`, a FIFO) is written in place instead: a rename would replace the
 * device node itself — as root, /dev/null would become a plain file for every process.
 */
export function writeRetryFile(path: string, hosts: string[]): void {
  const text = hosts.map((h) => `${h}\n`).join('');
  let existing;
  try {
    existing = lstatSync(path);
  } catch {
    existing = undefined;
  }
  if (existing && !existing.isFile()) {
    writeFileSync(path, text);
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
