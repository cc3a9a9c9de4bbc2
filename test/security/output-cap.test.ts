// Issue 14, item 5: what steer captures of a command's output is bounded (OUTPUT_LIMIT_BYTES per
// stream). The inputs — 300 MB from `head -c 300000000 /dev/zero | tr`, and `yes` — stop
// with a clear error while the controller's memory stays bounded; the connection goes on.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { OUTPUT_LIMIT_BYTES } from '../../lib/connection/framing.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { repoRoot } from '../support/steer-cli.js';

let sshd: Sshd;
before(async () => {
  sshd = await startSshd();
});
after(async () => {
  await sshd?.stop();
});

interface WorkerResult {
  error?: string;
  code?: string;
  beforeKb: number;
  peakKb: number;
  elapsedMs: number;
  next: string;
}

function runWorker(kind: string, command: string): WorkerResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/security/output-cap-worker.ts'), kind, command], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, STEER_TEST_SSHD: JSON.stringify({ port: sshd.port, dir: sshd.dir, clientKeyPath: sshd.clientKeyPath, knownHostsPath: sshd.knownHostsPath }) },
    timeout: 300_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as WorkerResult;
}

const inputs = {
  '300 MB through tr': "head -c 300000000 /dev/zero | tr '\\0' a",
  yes: 'yes',
  '300 MB on stderr': "head -c 300000000 /dev/zero | tr '\\0' a >&2",
};

for (const kind of ['local', 'ssh']) {
  for (const [name, command] of Object.entries(inputs)) {
    test(`${kind}: ${name} stops at the output cap with a clear error, memory bounded`, (t) => {
      const r = runWorker(kind, command);
      assert.equal(r.code, 'OUTPUT_LIMIT');
      assert.match(r.error ?? '', /printed more than 16 MiB on std(out|err) and was stopped/);
      const grownMb = (r.peakKb - r.beforeKb) / 1024;
      // Two streams at the cap, plus chunks in flight: far below the 300 MB the input carries.
      assert.ok(grownMb < (4 * OUTPUT_LIMIT_BYTES) / 2 ** 20, `peak memory grew by ${grownMb.toFixed(0)} MB`);
      assert.equal(r.next, 'still here\n', 'the connection runs the next command');
      t.diagnostic(`${kind} ${name}: +${grownMb.toFixed(0)} MB peak, stopped after ${r.elapsedMs} ms`);
    });
  }
}
