// The built-in reboot handler against a host that takes its time (the lab's boot delay) and one
// that never comes back (powered off while the handler waits).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labStatus, stopHost } from '../../lab/lab.js';
import { labSkipReason, startLab, testLabName, type LabHandle } from '../support/lab.js';
import { recapOf, runSteer } from '../support/steer-cli.js';
import { playbook, sleep, startSteer, stepResult } from './support.js';

const LAB = testLabName('rel-reboot');
/** Seconds a rebooting lab host stays down: slow, yet kind to CI. */
const BOOT_DELAY = 20;

describe('reboots that take long or never end', { skip: labSkipReason(), timeout: 6 * 60_000 }, () => {
  let lab: LabHandle;
  let work: string;
  let host: string;
  const bootId = () => lab.exec(host, 'cat /proc/sys/kernel/random/boot_id');

  before(async () => {
    lab = await startLab({ name: 'rel-reboot', hosts: 1, bootDelay: BOOT_DELAY });
    host = lab.hosts[0]!.name;
    work = mkdtempSync(join(tmpdir(), 'steer-rel-reboot-'));
  });
  after(async () => {
    await lab?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test(`a slow reboot (down for ${BOOT_DELAY} s) is waited for and succeeds`, async () => {
    const before = await bootId();
    const r = await runSteer(['run', playbook('reboot.yaml'), '-i', lab.inventoryPath, '--json', '--retry-file', join(work, 'slow.retry')]);
    assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
    const reboot = stepResult(r.events, host, 'reboot');
    assert.equal(reboot?.status, 'changed');
    assert.equal(reboot.handler, true);
    assert.ok(reboot.durationMs >= BOOT_DELAY * 1000, `waited ${reboot.durationMs} ms`);
    assert.match(reboot.message ?? '', /rebooted, back after \d+ s/);
    assert.notEqual(await bootId(), before);
  });

  test('a reboot that never comes back: the handler gives up at reboot_timeout with a clear message', async () => {
    const timeout = 15;
    const retry = join(work, 'never.retry');
    const run = startSteer(['run', playbook('reboot.yaml'), '-i', lab.inventoryPath, '--json', '--retry-file', retry, '-e', `{"reboot_timeout": ${timeout}}`]);
    await run.waitFor((e) => e.type === 'step-start' && e.host === host && e.step === 'reboot');
    // Power the host off while it is down for the reboot: it will not come back.
    for (let i = 0; i < 100 && (await labStatus(LAB))[0]!.power !== 'rebooting'; i++) await sleep(100);
    assert.equal((await labStatus(LAB))[0]!.power, 'rebooting');
    await stopHost(LAB, host);
    try {
      const r = await run.done;
      assert.equal(r.code, 2, r.stdout.slice(-3000) + r.stderr);
      const reboot = stepResult(r.events, host, 'reboot');
      assert.equal(reboot?.status, 'failed');
      assert.match(reboot.message ?? '', new RegExp(`the host did not come back from the reboot within ${timeout} s`));
      assert.ok(reboot.durationMs >= timeout * 1000 && reboot.durationMs < (timeout + 20) * 1000, `gave up after ${reboot.durationMs} ms`);
      assert.equal(recapOf(r.events).hosts[host]!.failed, 1);
      assert.equal(readFileSync(retry, 'utf8'), `${host}\n`);
    } finally {
      // The host stays off: this is the file's last test, and lab.down() removes it as it is.
      await run.done;
    }
  });
});
