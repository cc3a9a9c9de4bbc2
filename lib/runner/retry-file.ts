// Failed and unreachable hosts, one per line: usable again with `--limit @FILE`.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeRetryFile(path: string, hosts: string[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, hosts.map((h) => `${h}\n`).join(''));
  renameSync(tmp, path);
}
