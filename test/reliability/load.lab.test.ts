// Load, reduced for CI: three runs of one playbook over 20 lab hosts in one process (as
// bench/load.ts does over 60): every run completes on every host, and file descriptors, sockets,
// listening sockets and the heap stay steady across the runs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labSkipReason, startLab, type LabHandle } from '../support/lab.js';
import { repeatedRuns } from './load-runs.js';
import { playbook } from './support.js';

const HOSTS = 20;
const MB = 1024 * 1024;

describe(`load: three runs over ${HOSTS} lab hosts in one process`, { skip: labSkipReason(), timeout: 8 * 60_000 }, () => {
  let lab: LabHandle;
  let work: string;

  before(async () => {
    lab = await startLab({ name: 'rel-load', hosts: HOSTS });
    work = mkdtempSync(join(tmpdir(), 'steer-rel-load-'));
  });
  after(async () => {
    await lab?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('every run completes; no descriptor, socket or listener leak; the heap stays steady', async () => {
    const { before, runs } = await repeatedRuns({
      playbookPath: playbook('load.yaml'),
      inventoryPaths: [lab.inventoryPath],
      runs: 3,
      forks: HOSTS,
      retryFile: join(work, 'load.retry'),
      onRun: (i, r) =>
        process.stderr.write(
          `# run ${i + 1}: exit ${r.code}, ${r.hostsOk}/${r.hosts} hosts ok, ${r.durationMs} ms, fds ${r.after.fds}, sockets ${r.after.sockets}, ` +
            `listening ${r.after.listening}, heap ${(r.after.heapUsedBytes / MB).toFixed(1)} MB, rss ${(r.after.rssBytes / MB).toFixed(1)} MB\n`,
        ),
    });
    process.stderr.write(`# before: fds ${before.fds}, sockets ${before.sockets}, listening ${before.listening}, heap ${(before.heapUsedBytes / MB).toFixed(1)} MB\n`);
    for (const [i, r] of runs.entries()) {
      assert.equal(r.code, 0, `run ${i + 1} succeeded`);
      assert.equal(r.hosts, HOSTS);
      assert.equal(r.hostsOk, HOSTS);
      assert.equal(r.after.sockets, before.sockets, `run ${i + 1} left no socket open`);
      assert.equal(r.after.listening, before.listening, `run ${i + 1} left no listener`);
      assert.equal(r.after.fds, before.fds, `run ${i + 1} left no descriptor open`);
    }
    // The first run loads modules and role scripts; after it, a run must not grow the heap.
    const growth = runs[2]!.after.heapUsedBytes - runs[0]!.after.heapUsedBytes;
    assert.ok(growth < 8 * MB, `heap grew ${(growth / MB).toFixed(1)} MB from run 1 to run 3`);
  });
});
