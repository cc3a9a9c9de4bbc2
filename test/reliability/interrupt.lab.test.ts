// Ctrl-C (SIGINT) and SIGTERM in the middle of a run of large file writes: the running steps
// finish, no new ones start, the recap is printed, exit 99; on the hosts no temp file is left and
// every file is whole (the old content or the new, never part of it).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labSkipReason, startLab, type LabHandle } from '../support/lab.js';
import { recapOf, runSteer, type CliResult } from '../support/steer-cli.js';
import { playbook, startSteer, stepResults } from './support.js';

const DIR = '/var/tmp/steer-int';
const FILES = 30;
const SIZE = 1_500_000;
const INTERRUPTED = 99;

/** sha256 of file i as the writer role writes it. */
const expectedSha = (i: number): string => createHash('sha256').update(String.fromCharCode(97 + (i % 26)).repeat(SIZE)).digest('hex');

describe('interrupting a run', { skip: labSkipReason(), timeout: 6 * 60_000 }, () => {
  let lab: LabHandle;
  let work: string;
  let hosts: string[];

  before(async () => {
    lab = await startLab({ name: 'rel-int', hosts: 2 });
    hosts = lab.hosts.map((h) => h.name);
    work = mkdtempSync(join(tmpdir(), 'steer-rel-int-'));
  });
  after(async () => {
    await lab?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const args = (name: string) => ['run', playbook('interrupt.yaml'), '-i', lab.inventoryPath, '--retry-file', join(work, `${name}.retry`)];

  /** Every file on every host is whole; no temp file of a write is left anywhere it could be. */
  async function hostsClean(): Promise<number> {
    let written = 0;
    for (const host of hosts) {
      assert.equal(await lab.exec(host, `sudo find / -xdev -name '.steer-put.*' 2>/dev/null | wc -l`), '0\n', `no temp files on ${host}`);
      const sums = (await lab.exec(host, `cd ${DIR} && sudo sha256sum f-* 2>/dev/null || true`)).trim();
      for (const line of sums ? sums.split('\n') : []) {
        const [sha, name] = line.split(/\s+/);
        const i = Number(name!.slice(2));
        assert.equal(sha, expectedSha(i), `${host}:${DIR}/${name} is whole`);
        written++;
      }
    }
    return written;
  }

  async function resetHosts(): Promise<void> {
    await Promise.all(hosts.map((h) => lab.exec(h, `sudo rm -rf ${DIR}`)));
  }

  function checkStoppedRun(r: CliResult, signal: string): void {
    assert.equal(r.code, INTERRUPTED, r.stdout.slice(-3000) + r.stderr);
    const recap = recapOf(r.events);
    assert.equal(recap.interrupted, true);
    assert.ok(r.events.some((e) => e.type === 'warning' && e.message.startsWith(`${signal}:`)), 'the signal is reported');
    for (const host of hosts) {
      const started = r.events.filter((e) => e.type === 'step-start' && e.host === host).map((e) => (e as { step: string }).step);
      const finished = stepResults(r.events).filter((e) => e.host === host);
      assert.ok(started.length < FILES + 1, `${host} stopped early (${started.length} steps started)`);
      assert.equal(finished.length, started.length, `every step ${host} started was finished and reported`);
      assert.ok(finished.every((e) => e.status === 'changed' || e.status === 'ok'), 'no step was cut off half-way');
      assert.equal(recap.hosts[host]!.failed + recap.hosts[host]!.unreachable, 0);
    }
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} during file writes: clean stop, recap, exit 99, no temp or half-written files`, async () => {
      await resetHosts();
      const run = startSteer([...args(signal), '--json']);
      await run.waitFor((e) => e.type === 'step-start' && e.host === hosts[0] && e.step === 'Write file 3');
      run.signal(signal);
      const r = await run.done;
      checkStoppedRun(r, signal);
      const written = await hostsClean();
      assert.ok(written >= 3 && written < FILES * hosts.length, `${written} files written before the stop`);
    });
  }

  test('Ctrl-C with the plain output prints the recap and says the run was interrupted', async () => {
    await resetHosts();
    const r = await runSteer(args('plain'), { signalAfterMs: { signal: 'SIGINT', ms: 3500 } });
    assert.equal(r.code, INTERRUPTED, r.stdout.slice(-3000) + r.stderr);
    assert.match(r.stdout, /PLAY RECAP/);
    assert.match(r.stdout, /Interrupted: no new steps were started after the signal\./);
    for (const host of hosts) assert.match(r.stdout, new RegExp(`${host}\\s+: ok=\\d+`));
    await hostsClean();
  });
});
