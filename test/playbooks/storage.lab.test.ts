// The second article's USB disk, rehearsed on a 2-host lab with real lab disks (loop devices):
// a fresh worker with a disk builds the cluster with etcd's and containerd's folders on it; the
// running control plane gets a disk later and keeps its cluster across the move; the worker rebooted
// without its disk comes back reachable, with containerd and the kubelet not started and the problem
// reported, and recovers when the disk is back. Every time: --check predicts the run, and a second
// run changes nothing. One lab for all of it (each step builds on the one before).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { addDisk, removeDisk } from '../../lab/lab.js';
import { labSkipReason, startLab, type LabHandle } from '../support/lab.js';
import { recapOf, runSteer, stepStatuses, type CliResult } from '../support/steer-cli.js';

type StepResult = Extract<CliResult['events'][number], { type: 'step-result' }>;
const stepResult = (r: CliResult, host: string, role: string, step: string) =>
  r.events.find((e): e is StepResult => e.type === 'step-result' && e.host === host && e.role === role && e.step === step);

const stepKey = (e: StepResult) => `${e.host} ${e.role} : ${e.step}${e.handler ? ' (handler)' : ''}`;

/** Every step the real run changed was predicted by --check: changed, or a command it would run. */
function assertPredicted(check: CliResult, real: CliResult): void {
  const steps = (r: CliResult) => r.events.filter((e): e is StepResult => e.type === 'step-result');
  const predicted = new Set(steps(check).filter((e) => e.status === 'changed' || (e.status === 'skipped' && /would run/.test(e.message ?? ''))).map(stepKey));
  const unpredicted = steps(real).filter((e) => e.status === 'changed' && !predicted.has(stepKey(e))).map(stepKey);
  assert.deepEqual(unpredicted, [], 'every change of the real run was predicted by --check');
}

function assertNothingChanged(r: CliResult): void {
  for (const [host, c] of Object.entries(recapOf(r.events).hosts)) {
    assert.equal(c.changed, 0, `${host}: ${[...stepStatuses(r.events)].filter(([, s]) => s === 'changed').map(([k]) => k)}`);
  }
}

describe('the storage role on a 2-host lab with USB disks', { skip: labSkipReason(), timeout: 40 * 60_000 }, () => {
  let lab: LabHandle;
  let cp: string;
  let worker: string;
  const site = (...args: string[]) => runSteer(['run', 'site.yaml', '-i', lab.inventoryPath, '--json', ...args], { timeoutMs: 20 * 60_000 });
  const sudo = (host: string, command: string) => lab.exec(host, `sudo sh -c ${JSON.stringify(command)}`);
  const kubectl = (args: string) => sudo(cp, `kubectl --kubeconfig=/etc/kubernetes/admin.conf ${args}`);
  /** The host's disk in its inventory (host_vars beside the lab's inventory), as a user writes it. */
  const declareDisk = async (host: string, uuid: string) => {
    const file = join(dirname(lab.inventoryPath), 'host_vars', `${host}.yaml`);
    await mkdir(dirname(file), { recursive: true });
    // A short device timeout: the lab's stand-in waits as long as systemd would for the device.
    await writeFile(file, `storage_disk_uuid: ${uuid}\nstorage_device_timeout: 5\n`);
  };
  /** MAJ:MIN and path inside the filesystem of what is mounted on a path ("" when nothing). */
  const mountOf = async (host: string, path: string) => (await sudo(host, `findmnt -n -r -o MAJ:MIN,FSROOT --mountpoint ${path} || true`)).trim();
  const assertOnDisk = async (host: string) => {
    const [disk, root] = (await mountOf(host, '/mnt/root')).split(' ');
    assert.equal(root, '/', `${host}: the disk is mounted on /mnt/root`);
    for (const path of ['/var/lib/etcd', '/var/lib/containerd']) assert.equal(await mountOf(host, path), `${disk} ${path}`, `${host}: ${path} is bound from the disk`);
  };

  before(async () => {
    lab = await startLab({ name: 'disk', hosts: 2 });
    [cp, worker] = lab.hosts.map((h) => h.name) as [string, string];
  });
  after(async () => {
    await lab?.down();
  });

  test('a fresh worker with a disk: the cluster is built with its etcd and containerd folders on the disk', async () => {
    const disk = await addDisk(lab.name, worker, 256 * 1024 ** 2);
    assert.match((await sudo(worker, `blkid -U ${disk.uuid}`)).trim(), /^\/dev\/loop\d+$/, 'UUID= resolves in the host');
    await declareDisk(worker, disk.uuid);

    const check = await site('--check', '--diff');
    assert.equal(check.code, 0, check.stdout.slice(-3000));
    assert.equal(await mountOf(worker, '/mnt/root'), '', '--check mounted nothing');
    assert.equal(stepStatuses(check.events).get(`${worker} storage : USB disk mounted by UUID`), 'changed');

    const real = await site();
    assert.equal(real.code, 0, real.stdout.slice(-5000));
    assertPredicted(check, real);
    await assertOnDisk(worker);
    assert.match(await sudo(worker, 'ls /mnt/root/var/lib/containerd'), /io\.containerd/, "containerd's data is on the disk");
    // The fstab entries a missing disk cannot turn into a failed boot, and the units' drop-ins.
    const fstab = await sudo(worker, 'cat /etc/fstab');
    assert.match(fstab, new RegExp(`^UUID=${disk.uuid} /mnt/root ext4 defaults,nofail,x-systemd\\.device-timeout=5s 0 0$`, 'm'));
    assert.match(fstab, /^\/mnt\/root\/var\/lib\/etcd \/var\/lib\/etcd none bind,nofail,x-systemd\.requires-mounts-for=\/mnt\/root 0 0$/m);
    for (const unit of ['containerd', 'kubelet']) {
      const requires = (await sudo(worker, `systemctl show -p RequiresMountsFor --value ${unit}`)).trim().split(' ');
      for (const path of ['/var/lib/etcd', '/var/lib/containerd']) assert.ok(requires.includes(path), `${unit} requires ${path}: ${requires}`);
    }
    const nodes = await kubectl('get nodes --no-headers');
    assert.equal(nodes.trim().split('\n').filter((l) => /\sReady\s/.test(l)).length, 2, nodes);

    assertNothingChanged(await site());
  });

  test('the running control plane gets a disk later: its data is moved, never hidden, and the cluster is kept', async () => {
    const deployment = (await kubectl('-n kube-verify get deployment kube-verify -o jsonpath={.metadata.uid}')).trim();
    const nodesBefore = (await kubectl('get nodes -o name')).trim();
    const disk = await addDisk(lab.name, cp, 256 * 1024 ** 2);
    await declareDisk(cp, disk.uuid);

    const check = await site('--check');
    assert.equal(check.code, 0, check.stdout.slice(-3000));
    const plan = stepResult(check, cp, 'storage', 'Existing data moved to the disk');
    assert.equal(plan?.status, 'changed');
    assert.match(plan!.message!, /would stop kubelet, containerd and the node's Pods; copy \/var\/lib\/etcd \(\d+ files?, [\d.]+ kB\) to \/mnt\/root\/var\/lib\/etcd, verify; copy \/var\/lib\/containerd/);
    assert.equal(await mountOf(cp, '/var/lib/etcd'), '', '--check moved nothing');

    const real = await site();
    assert.equal(real.code, 0, real.stdout.slice(-5000));
    assertPredicted(check, real);
    const moved = stepResult(real, cp, 'storage', 'Existing data moved to the disk');
    assert.match(moved!.message!, /stopped kubelet, 3 Pods, containerd; \/var\/lib\/etcd copied to \/mnt\/root\/var\/lib\/etcd .* verified .*bind-mounted; started containerd, kubelet; back after \d+ s/);
    process.stderr.write(`# move on ${cp}: ${moved!.message} (${moved!.durationMs} ms)\n`);
    await assertOnDisk(cp);
    // The cluster's state is on the disk, in use by the stand-in etcd member, which was stopped and started again.
    await sudo(cp, 'test -s /mnt/root/var/lib/etcd/member/snap/db');
    assert.match(await sudo(cp, 'journalctl -u kubelet --no-pager'), /starting etcd [\s\S]*starting etcd /, 'etcd was stopped and started again');
    assert.equal((await kubectl('get nodes -o name')).trim(), nodesBefore);
    assert.equal((await kubectl('-n kube-verify get deployment kube-verify -o jsonpath={.metadata.uid}')).trim(), deployment);
    assert.equal((await kubectl('-n kube-verify get deployment kube-verify -o jsonpath={.status.readyReplicas}')).trim(), '3');
    // The SD card's copy stays under the mount (nothing deleted).
    await sudo(cp, 'mkdir -p /run/sd && mount --bind / /run/sd && test -s /run/sd/var/lib/etcd/member/snap/db; r=$?; umount /run/sd; exit $r');

    assertNothingChanged(await site());
  });

  test('two different copies of a folder are refused before anything changes', async () => {
    await sudo(cp, 'mkdir -p /srv/data /mnt/root/srv/data && echo sd > /srv/data/a && echo disk > /mnt/root/srv/data/a');
    const paths = ['-e', '{"storage_bind_paths": ["/var/lib/etcd", "/var/lib/containerd", "/srv/data"]}', '--tags', 'storage', '--limit', cp];
    const r = await site(...paths);
    assert.equal(r.code, 2, r.stdout.slice(-2000));
    assert.match(stepResult(r, cp, 'storage', 'Data folders checked')!.message!, /both \/srv\/data \(on the SD card\) and \/mnt\/root\/srv\/data \(on the disk\) hold data, and they differ/);
    assert.equal(await mountOf(cp, '/srv/data'), '');
    assert.equal((await sudo(cp, 'cat /srv/data/a /mnt/root/srv/data/a')).trim(), 'sd\ndisk');
    assert.doesNotMatch(await sudo(cp, 'cat /etc/systemd/system/containerd.service.d/steer-storage.conf'), /srv/);
    await sudo(cp, 'rm -r /srv/data /mnt/root/srv/data');
  });

  test('the worker rebooted without its disk comes back reachable, containerd and the kubelet not started, the problem reported', async () => {
    const bootBefore = (await lab.exec(worker, 'cat /proc/sys/kernel/random/boot_id')).trim();
    await removeDisk(lab.name, worker);
    await lab.exec(worker, 'sudo systemctl reboot').catch(() => '');
    const started = Date.now();
    let boot = bootBefore;
    while (boot === bootBefore) {
      assert.ok(Date.now() - started < 120_000, 'the worker answers SSH again');
      boot = (await lab.exec(worker, 'cat /proc/sys/kernel/random/boot_id').catch(() => bootBefore)).trim();
      if (boot === bootBefore) await new Promise((r) => setTimeout(r, 250));
    }
    process.stderr.write(`# ${worker} rebooted without its disk: SSH answered after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    // Once the device timeout has passed, the mounts have failed and what needs them has not started.
    const units = async () => (await lab.exec(worker, 'systemctl is-active containerd kubelet mnt-root.mount || true')).trim().split('\n');
    const deadline = Date.now() + 60_000;
    while ((await units()).some((u) => u === 'activating') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
    const [containerd, kubelet, disk] = await units();
    assert.deepEqual([containerd, kubelet], ['inactive', 'inactive']);
    assert.notEqual(disk, 'active', 'the disk is not mounted');
    assert.equal(await mountOf(worker, '/var/lib/containerd'), '', "nothing on the SD card's folder");

    const tags = ['--tags', 'storage,verify'];
    const check = await site(...tags, '--check');
    const real = await site(...tags);
    for (const r of [check, real]) {
      assert.equal(r.code, 2);
      assert.match(stepResult(r, worker, 'storage', 'USB disk connected')!.message!, /the USB disk UUID=\S+ is not connected to .*: blkid finds no filesystem with that UUID/);
    }
    const reported = stepResult(real, cp, 'verify', 'USB disks mounted');
    assert.equal(reported?.status, 'failed');
    assert.match(reported!.message!, new RegExp(`${worker}: the USB disk UUID=\\S+ is missing or dead`));
    assert.match(reported!.message!, new RegExp(`${worker}: containerd and kubelet not running: they wait for the disk's folders`));

    // The disk is back: the next run mounts it and starts what waited for it.
    await addDisk(lab.name, worker);
    const checkBack = await site(...tags, '--check');
    const back = await site(...tags);
    assert.equal(back.code, 0, back.stdout.slice(-3000));
    assertPredicted(checkBack, back);
    await assertOnDisk(worker);
    assert.deepEqual((await units()).slice(0, 2), ['active', 'active']);
    assertNothingChanged(await site(...tags));
  });
});
