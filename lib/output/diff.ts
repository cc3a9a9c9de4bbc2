// Unified diffs for --diff, in the shape Ansible prints (--- before: path / +++ after: path).
import { createTwoFilesPatch } from 'diff';
import type { FileDiff } from '../modules/module.js';

export function formatDiff(d: FileDiff): string {
  const before = d.before ?? '';
  const after = d.after ?? '';
  const patch = createTwoFilesPatch(
    d.before === undefined ? `${d.path} (absent)` : d.path,
    d.after === undefined ? `${d.path} (absent)` : d.path,
    before,
    after,
    '',
    '',
    { context: 3 },
  );
  // Drop the "====" header line and rename the file lines like Ansible does.
  return patch
    .split('\n')
    .filter((l) => !l.startsWith('=====') && !l.startsWith('Index: '))
    .map((l) => (l.startsWith('--- ') ? `--- before: ${l.slice(4).trimEnd()}` : l.startsWith('+++ ') ? `+++ after: ${l.slice(4).trimEnd()}` : l))
    .join('\n')
    .trimEnd();
}
