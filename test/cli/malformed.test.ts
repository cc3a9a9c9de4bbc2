// The malformed-input corpus (test/fixtures/malformed): every case ends in one clear message on
// stderr, exit code 5, and no stack trace.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const corpus = join(root, 'test/fixtures/malformed');

/** Splits an args line like a shell: spaces separate, quotes group. */
function splitArgs(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let current = '';
  let last = -1;
  for (const m of line.matchAll(re)) {
    const piece = m[1] ?? m[2] ?? m[3] ?? '';
    if (last === m.index) current += piece;
    else {
      if (last !== -1) out.push(current);
      current = piece;
    }
    last = m.index + m[0].length;
  }
  if (last !== -1) out.push(current);
  return out;
}

const cases = readdirSync(corpus, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

test('the corpus has at least 25 cases, each with args and expected.txt', () => {
  assert.ok(cases.length >= 25, `only ${cases.length} cases`);
  for (const name of cases) {
    assert.ok(existsSync(join(corpus, name, 'args')), `${name}/args`);
    assert.ok(existsSync(join(corpus, name, 'expected.txt')), `${name}/expected.txt`);
  }
});

const env = { ...process.env };
delete env['STEER_ROLES_PATH'];
delete env['STEER_BECOME_PASSWORD'];

/** Runs the CLI, resolving with its exit code and stderr (killed after 30 s). */
function steer(args: string[], cwd: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(root, 'bin/steer.js'), ...args], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', fail);
    child.on('close', (status) => {
      clearTimeout(timer);
      done({ status, stderr });
    });
  });
}

describe('malformed inputs', { concurrency: 4 }, () => {
  for (const name of cases) {
    test(name, async () => {
      const dir = join(corpus, name);
      const [expectedLine, expectedCode] = readFileSync(join(dir, 'expected.txt'), 'utf8').split('\n');
      const args = splitArgs(readFileSync(join(dir, 'args'), 'utf8').trim());
      const r = await steer(args, dir);
      const stderr = r.stderr.split(root + '/').join('<steer>/');
      assert.equal(stderr.split('\n')[0], expectedLine, `stderr:\n${r.stderr}`);
      assert.equal(r.status, Number(expectedCode), `exit code; stderr:\n${r.stderr}`);
      assert.equal(r.status, 5);
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
      assert.doesNotMatch(r.stderr, /internal error/);
    });
  }
});
