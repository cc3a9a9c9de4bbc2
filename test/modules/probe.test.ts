// The probe framing, run in a real bash: sections come back intact (no final newline, binary,
// empty, failing), whatever options the surrounding shell has set.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sh } from '../../lib/command/command.js';
import { HOST_FUNCTIONS } from '../../lib/connection/host-functions.js';
import { fileSections, parseFileState, sha256 } from '../../lib/modules/file-state.js';
import { formatProbeOutput, parseProbeOutput, probeCommand, runProbe } from '../../lib/modules/probe.js';
import { FakeConnection, fakeContext } from '../support/fake-connection.js';

/** Runs a script in bash with the functions every steer shell has (host-functions.sh). */
function bash(script: string): string {
  return execFileSync('bash', ['-c', `${HOST_FUNCTIONS}\n${script}`], { encoding: 'utf8' });
}

test('sections survive a strict shell and come back byte for byte', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'steer-probe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const binary = Buffer.from([0, 1, 2, 0xff, 0x0a, 0x99]);
  writeFileSync(join(dir, 'bin'), binary);
  writeFileSync(join(dir, 'odd name'), 'no newline at the end');
  const command = probeCommand({
    bin: sh`cat ${join(dir, 'bin')}`,
    odd: sh`cat ${join(dir, 'odd name')}`,
    fails: sh`cat ${join(dir, 'missing')}`,
    empty: sh`true`,
    exits: sh`echo partial; exit 3`,
    reads: sh`cat`,
  });
  const outputs = parseProbeOutput(bash(`set -euo pipefail; ${command.text}; echo after`).replace(/after\n$/, ''));
  assert.deepEqual(outputs['bin']!.bytes, binary);
  assert.equal(outputs['odd']!.text, 'no newline at the end');
  assert.equal(outputs['fails']!.code, 1);
  assert.equal(outputs['fails']!.text, '');
  assert.deepEqual({ code: outputs['empty']!.code, text: outputs['empty']!.text }, { code: 0, text: '' });
  assert.deepEqual({ code: outputs['exits']!.code, text: outputs['exits']!.text }, { code: 3, text: 'partial\n' });
  assert.equal(outputs['reads']!.text, '', 'a section never reads the shell stdin');
});

test('file sections on a real file system', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'steer-probe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'a.conf'), 'x=1\n', { mode: 0o640 });
  execFileSync('ln', ['-s', join(dir, 'a.conf'), join(dir, 'link')]);
  const outputs = parseProbeOutput(
    bash(
      probeCommand({
        ...fileSections('a', join(dir, 'a.conf'), { content: true }),
        ...fileSections('l', join(dir, 'link')),
        ...fileSections('d', dir),
        ...fileSections('m', join(dir, 'missing'), { content: true }),
      }).text,
    ),
  );
  const a = parseFileState(outputs, 'a');
  assert.equal(a.type, 'file');
  assert.equal(a.mode, '640');
  assert.equal(a.content, 'x=1\n');
  assert.equal(a.sha256, sha256('x=1\n'));
  assert.equal(parseFileState(outputs, 'l').target, join(dir, 'a.conf'));
  assert.equal(parseFileState(outputs, 'd').type, 'directory');
  assert.deepEqual(parseFileState(outputs, 'm'), { exists: false });
});

test('formatProbeOutput is what parseProbeOutput reads', () => {
  const sections = { a: { text: 'x\ny' }, b: { code: 2, text: '' } };
  const parsed = parseProbeOutput(formatProbeOutput(sections));
  assert.deepEqual(
    Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, { code: v.code, text: v.text }])),
    { a: { code: 0, text: 'x\ny' }, b: { code: 2, text: '' } },
  );
});

test('a probe whose output lacks a section fails clearly', async () => {
  const connection = new FakeConnection().respond(() => true, { stdout: formatProbeOutput({ a: { text: '' } }), stderr: 'bash: base64: command not found', code: 0 });
  await assert.rejects(runProbe(fakeContext(connection), { a: sh`true`, b: sh`true` }), /returned no "b" section \(exit 0\): bash: base64: command not found/);
});
