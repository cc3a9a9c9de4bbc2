import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRecap } from '../../lib/output/recap.js';
import { formatDiff } from '../../lib/output/diff.js';

test('PLAY RECAP matches Ansible columns, hosts sorted', () => {
  const c = { ok: 2, changed: 2, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
  const lines = formatRecap({ web2: c, web1: c });
  assert.equal(lines[0], 'PLAY RECAP ' + '*'.repeat(69));
  assert.equal(lines[1], 'web1                       : ok=2    changed=2    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0');
  assert.ok(lines[2]!.startsWith('web2 '));
});

test('unified diff with before/after headers', () => {
  const text = formatDiff({ path: '/etc/app/foo.conf', before: 'port=80\nmode=prod\n', after: 'port=8080\nmode=prod\n' });
  assert.equal(
    text,
    ['--- before: /etc/app/foo.conf', '+++ after: /etc/app/foo.conf', '@@ -1,2 +1,2 @@', '-port=80', '+port=8080', ' mode=prod'].join('\n'),
  );
  assert.match(formatDiff({ path: '/x', after: 'new\n' }), /--- before: \/x \(absent\)/);
});
