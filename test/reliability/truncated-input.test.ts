// A connection that drops while a framed command is being sent (Ctrl-C twice, a cable pulled, sshd
// killed) leaves the remote bash with a cut frame and then end-of-file; bash still runs a command
// whose here-doc ended early. A command must never run on part of its stdin: a put would replace
// the file with its first half. Real bash, fed the frame cut at many points.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHELL_PRELUDE, frameCommand } from '../../lib/connection/framing.js';
import { putFromStdinCommand } from '../../lib/connection/transfer.js';

const runBash = (input: string) => spawnSync('bash', ['--noprofile', '--norc'], { input, encoding: 'utf8', timeout: 10_000 });

/** Cut points: inside the command line, at its end, across the stdin here-doc, just before its end. */
function cutPoints(text: string): number[] {
  const firstLine = text.indexOf('\n') + 1;
  const points = new Set([10, Math.floor(firstLine / 2), firstLine - 1, firstLine, text.length - 2, text.length - 1]);
  for (let i = 1; i < 16; i++) points.add(firstLine + Math.floor(((text.length - firstLine) * i) / 16));
  // At a line boundary inside the here-doc: what is left is still valid base64.
  const lines = text.split('\n');
  points.add(lines.slice(0, Math.floor(lines.length / 2)).join('\n').length + 1);
  return [...points].filter((p) => p > 0 && p < text.length).sort((a, b) => a - b);
}

test('a put whose frame is cut never replaces the file and leaves no temp file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'steer-cut-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const target = join(dir, 'target.conf');
  const content = Buffer.from(Array.from({ length: 2000 }, (_, i) => `line ${i}\n`).join(''));
  const frame = frameCommand(putFromStdinCommand(target, { mode: '0644' }).text, content);
  for (const cut of cutPoints(frame.text)) {
    writeFileSync(target, 'old\n');
    runBash(SHELL_PRELUDE + frame.text.slice(0, cut));
    // Only a cut after the last byte of content (in the here-doc's end line) may complete the put.
    const now = readFileSync(target);
    assert.ok(now.equals(Buffer.from('old\n')) || now.equals(content), `cut at ${cut} of ${frame.text.length}: the old file or the whole new one`);
    assert.deepEqual(readdirSync(dir), ['target.conf'], `cut at ${cut}: no temp file`);
  }
  // The whole frame does write the file.
  runBash(SHELL_PRELUDE + frame.text);
  assert.deepEqual(readFileSync(target), content);
});

test('a command whose stdin is cut does not run', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'steer-cut-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  const input = Buffer.from('secret-ish input\n'.repeat(500));
  const frame = frameCommand(`cat > '${out}'`, input, 5000);
  const contentEnd = frame.text.lastIndexOf('STEER_IN_');
  for (const cut of cutPoints(frame.text)) {
    const r = runBash(SHELL_PRELUDE + frame.text.slice(0, cut));
    if (cut < contentEnd) assert.equal(existsSync(out), false, `cut at ${cut} of ${frame.text.length}: the command did not run (${r.stderr})`);
    else if (existsSync(out)) assert.deepEqual(readFileSync(out), input, `cut at ${cut}: all of the input had arrived`);
    rmSync(out, { force: true });
  }
  const whole = runBash(SHELL_PRELUDE + frame.text);
  assert.deepEqual(readFileSync(out), input, whole.stderr);
  // Empty stdin is complete stdin.
  const empty = frameCommand(`cat; echo done`, Buffer.alloc(0));
  assert.equal(runBash(SHELL_PRELUDE + empty.text).stdout, `done\n\n${empty.marker}:0:0\n`);
});
