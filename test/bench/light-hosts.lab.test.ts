// The benchmark's light hosts (bench/light-hosts.ts): three sshd-only hosts in network namespaces
// take steer's lines workload, their cgroups count the CPU it cost them, and taking them down
// leaves no namespace, process, cgroup, bridge or scratch folder — also when the test body throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bringUpLightHosts, leftovers, type LightHosts } from '../../bench/light-hosts.js';
import { hostsCpuSeconds } from '../../bench/host-cpu.js';
import { writeInventory } from '../../bench/labs.js';
import { runSteer } from '../../bench/runners.js';
import { labSkipReason, testLabName } from '../support/lab.js';

const skip = labSkipReason();
const name = (base: string): string => testLabName(base).replace(/[^a-z0-9]/g, '').slice(0, 10);
const LINES = join(import.meta.dirname, '..', '..', 'bench', 'steer', 'lines.yaml');

/**
 * Is `pid` running? A zombie is not: the sshd were started from a bash that has exited, so init
 * reaps them, a moment after they end.
 */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

async function assertGone(set: LightHosts): Promise<void> {
  assert.deepEqual(await leftovers(set.name), [], 'nothing of the light hosts is left');
  assert.deepEqual(set.pids.filter(alive), [], 'no sshd started for them still runs');
}

test('light hosts take the lines workload, count host CPU, and leave nothing behind', { skip, timeout: 300_000 }, async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'steer-light-test-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const set = await bringUpLightHosts(name('lt'), 3);
  try {
    assert.equal(set.hosts.length, 3);
    assert.equal(new Set(set.hosts.map((h) => h.benchFile)).size, 3, 'a bench file of its own per host');
    const inventory = await writeInventory(join(tmp, 'light.yaml'), set.hosts, {});
    const env = { STEER_HOST_LOCK: join(tmp, 'steer.lock') };
    const before = await hostsCpuSeconds(set.hosts);
    const first = await runSteer(LINES, inventory, 3, tmp, [], env);
    const cpu = (await hostsCpuSeconds(set.hosts)) - before;
    assert.equal(first.counts.changed, 3 * 20, 'the first run adds 20 lines on each host');
    assert.equal(first.counts.failed + first.counts.unreachable, 0);
    assert.ok(cpu > 0 && Number.isFinite(cpu), `the hosts' cgroups counted the run's CPU (${cpu} s)`);
    for (const h of set.hosts) assert.equal((await readFile(h.benchFile!, 'utf8')).split('\n').filter(Boolean).length, 20, `${h.name}'s own file`);
    const second = await runSteer(LINES, inventory, 3, tmp, [], env);
    assert.equal(second.counts.changed, 0, 'the second run changes nothing');
  } finally {
    await set.down();
  }
  await assertGone(set);
});

test('light hosts are taken down when the body throws', { skip, timeout: 120_000 }, async () => {
  const set = await bringUpLightHosts(name('lx'), 3);
  await assert.rejects(
    (async () => {
      try {
        assert.ok(set.pids.every(alive), 'every sshd runs');
        throw new Error('the body failed');
      } finally {
        await set.down();
      }
    })(),
    /the body failed/,
  );
  await assertGone(set);
});
