// Properties of the pure edits, over generated files: applying an edit twice changes nothing the
// second time (idempotence: the second run is ok), cmdline.txt never gains a line, and the lines a
// module does not own are kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { editBlock } from '../../lib/modules/blockinfile.js';
import { cmdline, editCmdline, removes } from '../../lib/modules/cmdline.js';
import { validateArgs } from '../../lib/modules/args.js';
import { editLine } from '../../lib/modules/lineinfile.js';
import { editFstab, fstabLine } from '../../lib/modules/mount.js';
import { commentSwapLines } from '../../lib/modules/swap.js';
import { editHosts } from '../../lib/modules/hostname.js';

const word = fc.stringMatching(/^[a-z0-9_.,=:-]{1,12}$/);
const line = fc.stringMatching(/^[ -~]{0,30}$/);
const text = fc.tuple(fc.array(line, { maxLength: 8 }), fc.boolean()).map(([ls, nl]) => (ls.length ? ls.join('\n') + (nl ? '\n' : '') : ''));

test('cmdline: idempotent, never a new line, other lines untouched', () => {
  fc.assert(
    fc.property(text, fc.array(word, { maxLength: 4 }), fc.array(word, { maxLength: 3 }), (content, set, remove) => {
      // Arguments the module accepts: no word both set and removed (validate() refuses those).
      const args = { set, remove: remove.filter((r) => !set.some((w) => removes(r, w))) };
      const once = editCmdline(content, args).content;
      assert.equal(editCmdline(once, args).content, once);
      assert.equal(once.split('\n').length, Math.max(1, content.split('\n').length));
      assert.equal(once.split('\n').slice(1).join('\n'), content.split('\n').slice(1).join('\n'));
      const first = once.split('\n')[0]!.split(/\s+/);
      for (const w of args.set) assert.ok(first.includes(w));
      for (const w of args.remove) assert.ok(!first.includes(w));
    }),
  );
});

test('cmdline: replace leaves exactly one word with the key', () => {
  fc.assert(
    fc.property(text, fc.stringMatching(/^[a-z]{1,6}$/), fc.stringMatching(/^[a-z0-9]{1,6}$/), (content, key, value) => {
      const args = { replace: [`${key}=${value}`] };
      const once = editCmdline(content, args).content;
      assert.equal(editCmdline(once, args).content, once);
      const words = once.split('\n')[0]!.split(/\s+/).filter((w) => w.startsWith(`${key}=`));
      assert.deepEqual(words, [`${key}=${value}`]);
    }),
  );
});

test('lineinfile: idempotent with and without regexp', () => {
  fc.assert(
    fc.property(text, fc.stringMatching(/^[a-z]{1,5}=[0-9]{1,3}$/), fc.boolean(), (content, l, useRegexp) => {
      const args = { path: '/x', line: l, ...(useRegexp ? { regexp: `^${l.split('=')[0]}=` } : {}) };
      const once = editLine(content, args);
      assert.equal(editLine(once, args), once);
      assert.ok(once.split('\n').includes(l));
      const absent = { path: '/x', line: l, state: 'absent' as const };
      const gone = editLine(once, absent);
      assert.ok(!gone.split('\n').includes(l));
      assert.equal(editLine(gone, absent), gone);
    }),
  );
});

test('blockinfile: idempotent, and removing it restores the lines around it', () => {
  fc.assert(
    fc.property(text, fc.array(line, { minLength: 1, maxLength: 4 }), (content, block) => {
      fc.pre(!content.includes('STEER MANAGED BLOCK'));
      const args = { path: '/x', block: block.join('\n') || 'x' };
      const once = editBlock(content, args);
      assert.equal(editBlock(once, args), once);
      const removed = editBlock(once, { ...args, state: 'absent' });
      assert.equal(removed.replace(/\n$/, ''), content.replace(/\n$/, ''));
    }),
  );
});

test('fstab, swap lines, hosts: idempotent', () => {
  fc.assert(
    fc.property(text, fc.stringMatching(/^\/[a-z]{1,8}( [a-z]{1,3})?$/), (content, path) => {
      const l = fstabLine({ path, src: 'UUID=1234', fstype: 'ext4' });
      const once = editFstab(content, path, l);
      assert.equal(editFstab(once, path, l), once);
      assert.equal(editFstab(editFstab(once, path, undefined), path, undefined), editFstab(once, path, undefined));
      const commented = commentSwapLines(once);
      assert.equal(commentSwapLines(commented), commented);
      const hosts = editHosts(content, 'elderberry');
      assert.equal(editHosts(hosts, 'elderberry'), hosts);
    }),
  );
});

test('cmdline: a word both set and removed is refused (found by the property above)', () => {
  assert.throws(() => validateArgs(cmdline, { set: ['=a', '_'], remove: ['='] }), /"=a" is both set and removed \(by "="\)/);
  assert.throws(() => validateArgs(cmdline, { set: ['cgroup_enable=memory'], remove: ['cgroup_enable='] }), /both set and removed/);
  assert.doesNotThrow(() => validateArgs(cmdline, { set: ['cgroup_enable=memory'], remove: ['cgroup_disable=memory'] }));
});
