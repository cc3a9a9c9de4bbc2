// Faults on real lab hosts: a host off before the run, a host powered off or cut from the network
// in the middle of a step, sshd restarted and connections dropped by a role, the dpkg lock held by
// another process, a disk that fills during a write. In each, the other hosts finish their work.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cutHost, healHost, startHost, stopHost } from '../../lab/lab.js';
import { labSkipReason, startLab, testLabName, type LabHandle } from '../support/lab.js';
import { recapOf, runSteer } from '../support/steer-cli.js';
import { eventTime, playbook, sleep, startSteer, stepResult, stepResults } from './support.js';

const LAB = testLabName('rel-faults');
/** The connection's default connect timeout (lib/connection/ssh.ts). */
const CONNECT_TIMEOUT_MS = 20_000;
/** Keepalive: 3 unanswered probes 5 s apart, plus slack for a loaded CI machine. */
const KEEPALIVE_BOUND_MS = 40_000;

describe('faults on lab hosts', { skip: labSkipReason(), timeout: 12 * 60_000 }, () => {
  let lab: LabHandle;
  let work: string;
  let hosts: string[];
  const inv = () => lab.inventoryPath;
  const onHost = (host: string, command: string) => lab.exec(host, command);

  before(async () => {
    lab = await startLab({ name: 'rel-faults', hosts: 3 });
    hosts = lab.hosts.map((h) => h.name);
    work = mkdtempSync(join(tmpdir(), 'steer-rel-faults-'));
  });
  after(async () => {
    await lab?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The hosts other than `victim` ran every step of the sleeper role. */
  async function othersFinished(events: Parameters<typeof recapOf>[0], victim: string): Promise<void> {
    const recap = recapOf(events);
    for (const h of hosts.filter((x) => x !== victim)) {
      const c = recap.hosts[h]!;
      assert.equal(c.failed + c.unreachable, 0, `${h} had no failures`);
      assert.equal(stepResult(events, h, 'After the sleep')?.status !== undefined, true, `${h} ran its last step`);
      assert.equal(await onHost(h, 'cat /var/tmp/steer-rel/after-sleep'), `${h}\n`);
    }
  }

  test('a host powered off before the run is unreachable within the connect timeout; exit 4', async () => {
    const victim = hosts[2]!;
    await stopHost(LAB, victim);
    try {
      const retry = join(work, 'off.retry');
      const r = await runSteer(['run', playbook('sleep.yaml'), '-i', inv(), '--json', '--retry-file', retry, '-e', 'sleep_seconds=1']);
      assert.equal(r.code, 4, r.stderr);
      const refused = stepResults(r.events).find((e) => e.host === victim);
      assert.equal(refused?.status, 'unreachable');
      assert.equal(refused?.step, 'Connect');
      assert.ok(refused.durationMs <= CONNECT_TIMEOUT_MS + 2000, `gave up after ${refused.durationMs} ms`);
      assert.equal(recapOf(r.events).hosts[victim]!.unreachable, 1);
      await othersFinished(r.events, victim);
      assert.equal(readFileSync(retry, 'utf8'), `${victim}\n`);
    } finally {
      await startHost(LAB, victim);
    }
  });

  for (const fault of ['powered off', 'cut from the network'] as const) {
    test(`a host ${fault} in the middle of a step is detected in bounded time and written to the retry file`, async () => {
      const victim = fault === 'powered off' ? hosts[1]! : hosts[2]!;
      const retry = join(work, `${fault.replaceAll(' ', '-')}.retry`);
      const run = startSteer(['run', playbook('sleep.yaml'), '-i', inv(), '--json', '--retry-file', retry, '-e', 'sleep_seconds=15']);
      await run.waitFor((e) => e.type === 'step-start' && e.host === victim && e.step === 'Long sleep');
      await sleep(1000);
      const struck = Date.now();
      try {
        if (fault === 'powered off') await stopHost(LAB, victim);
        else await cutHost(LAB, victim);
        const r = await run.done;
        assert.equal(r.code, 4, r.stderr);
        const lost = stepResult(r.events, victim, 'Long sleep');
        assert.equal(lost?.status, 'unreachable', JSON.stringify(lost));
        const detectedAfter = eventTime(lost) - struck;
        assert.ok(detectedAfter < KEEPALIVE_BOUND_MS, `detected after ${detectedAfter} ms`);
        assert.equal(stepResult(r.events, victim, 'After the sleep'), undefined);
        await othersFinished(r.events, victim);
        assert.equal(readFileSync(retry, 'utf8'), `${victim}\n`);
      } finally {
        await run.done;
        if (fault === 'powered off') await startHost(LAB, victim);
        else await healHost(LAB, victim);
      }
    });
  }

  test('sshd restarted, then the connection dropped between steps: re-established once, the run goes on', async () => {
    const host = hosts[0]!;
    const r = await runSteer(['run', playbook('reconnect.yaml'), '-i', inv(), '--json', '--limit', host, '--retry-file', join(work, 'reconnect.retry')]);
    assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
    assert.equal(stepResult(r.events, host, 'After the drop')?.status, 'changed');
    const [before, afterDrop] = (await onHost(host, 'cat /var/tmp/steer-rel/shells')).trim().split(' ');
    assert.ok(before && afterDrop && before !== afterDrop, `a new remote shell after the drop (${before} → ${afterDrop})`);
  });

  test('a connection dropped while a command runs: that step is unreachable and not sent again', async () => {
    const host = hosts[1]!;
    const retry = join(work, 'in-flight.retry');
    const r = await runSteer(['run', playbook('reconnect.yaml'), '-i', inv(), '--json', '--limit', host, '--retry-file', retry, '-e', '{"drop_in_flight": true}']);
    assert.equal(r.code, 4, r.stdout.slice(-3000) + r.stderr);
    assert.equal(stepResult(r.events, host, 'After the drop')?.status, 'changed', 'the drop between steps was survived');
    assert.equal(stepResult(r.events, host, 'Dropped in flight')?.status, 'unreachable');
    assert.equal(stepResult(r.events, host, 'Never reached'), undefined);
    assert.equal(await onHost(host, 'cat /var/tmp/steer-rel/in-flight.log'), 'ran\n', 'the command ran exactly once');
    assert.equal(await onHost(host, 'test -e /var/tmp/steer-rel/never && echo yes || echo no'), 'no\n');
    assert.equal(readFileSync(retry, 'utf8'), `${host}\n`);
  });

  test('apt waits for the dpkg lock another process holds, then proceeds', async () => {
    const host = hosts[2]!;
    const holdSeconds = 12;
    // apt locks with fcntl (not flock): hold lock-frontend the same way, as a running apt would.
    const holder = `import fcntl, os, sys, time
f = open('/var/lib/dpkg/lock-frontend', 'w')
fcntl.lockf(f, fcntl.LOCK_EX)
open('/run/steer-lock-held', 'w').close()
time.sleep(${holdSeconds})
os.remove('/run/steer-lock-held')
`;
    await onHost(
      host,
      `echo ${Buffer.from(holder).toString('base64')} | base64 -d > /tmp/hold-lock.py && sudo rm -f /run/steer-lock-held && sudo sh -c 'nohup python3 /tmp/hold-lock.py >/dev/null 2>&1 &' && for i in $(seq 50); do test -e /run/steer-lock-held && break; sleep 0.1; done; test -e /run/steer-lock-held`,
    );
    const heldSince = Date.now();
    const r = await runSteer(['run', playbook('apt.yaml'), '-i', inv(), '--json', '--limit', host, '--retry-file', join(work, 'apt.retry')]);
    assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
    const install = stepResult(r.events, host, 'Install the package');
    assert.equal(install?.status, 'changed');
    assert.ok(eventTime(install) >= heldSince + holdSeconds * 1000 - 1500, 'the install finished only after the lock was released');
    assert.equal(stepResult(r.events, host, 'Remove the package')?.status, 'changed');
    assert.equal(await onHost(host, 'test -e /run/steer-lock-held && echo held || echo free'), 'free\n');
  });

  test('a disk that fills during a file write: the step fails, the old file is intact, no temp file is left', async () => {
    const host = hosts[0]!;
    const dir = '/mnt/steer-small';
    await onHost(
      host,
      `sudo sh -c 'mkdir -p ${dir} && mount -t tmpfs -o size=64k,mode=0755 steer-small ${dir} && printf old > ${dir}/data.conf && ` +
        `mkdir ${dir}/pi && printf old-pi > ${dir}/pi/data.conf && chown -R pi: ${dir}/pi && head -c 24576 /dev/zero > ${dir}/filler'`,
    );
    try {
      const r = await runSteer(['run', playbook('diskfull.yaml'), '-i', inv(), '--json', '--limit', host, '--retry-file', join(work, 'diskfull.retry')]);
      assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
      // Two plays (as root through sudo, as the login user), each an inline and an SFTP write.
      const writes = stepResults(r.events).filter((e) => e.host === host && / does not fit$/.test(e.step));
      assert.equal(writes.length, 4);
      for (const w of writes) {
        assert.equal(w.status, 'ignored', `${w.step}: ${w.message}`);
        assert.match(w.message ?? '', /No space left on device/);
      }
      assert.equal(await onHost(host, `cat ${dir}/data.conf`), 'old');
      assert.equal(await onHost(host, `cat ${dir}/pi/data.conf`), 'old-pi');
      assert.equal(await onHost(host, `sudo find ${dir} /tmp /var/tmp -name '.steer-put.*' | wc -l`), '0\n');
      assert.equal(await onHost(host, `ls -A ${dir} ${dir}/pi | tr '\\n' ' '`), `${dir}: data.conf filler pi  ${dir}/pi: data.conf `);
    } finally {
      await onHost(host, `sudo umount ${dir}`).catch(() => {});
    }
  });
});
