import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import fc from 'fast-check';
import { MarkerScanner, SHELL_PRELUDE, frameCommand } from '../../lib/connection/framing.js';

test('the end marker is found however the stream is cut into chunks', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 255 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1 }), (body, code, cuts) => {
      const marker = 'STEERabc123';
      const stream = Buffer.concat([Buffer.from(body), Buffer.from(`\n${marker}:${code}\n`)]);
      const scanner = new MarkerScanner(marker);
      let at = 0;
      let done = false;
      for (let i = 0; at < stream.length; i++) {
        const size = cuts[i % cuts.length]!;
        done = scanner.push(stream.subarray(at, at + size));
        at += size;
        if (at < stream.length) assert.equal(done, false);
      }
      assert.equal(done, true);
      assert.deepEqual(scanner.result!.data, Buffer.from(body));
      assert.equal(scanner.result!.code, code);
    }),
  );
});

test('a framed command is one line plus its stdin here-doc, and bash runs it as framed', () => {
  const frame = frameCommand("printf '%s' \"$(cat)\"; echo E >&2; exit 3", Buffer.from('in\nput'), 5000);
  const [first, ...rest] = frame.text.split('\n');
  assert.ok(first!.includes(frame.marker));
  assert.ok(!rest.join('\n').includes('in\nput'), 'stdin travels base64-encoded');
  const r = spawnSync('bash', ['--noprofile', '--norc'], { input: SHELL_PRELUDE + frame.text, encoding: 'utf8' });
  assert.equal(r.stdout, `in\nput\n${frame.marker}:3:0\n`);
  assert.equal(r.stderr, `E\n\n${frame.marker}:3:0\n`);
});
