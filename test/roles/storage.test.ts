// The storage role's pure parts: fstab entries that never stop a boot, the units' drop-ins, and the
// decision for each data folder (bound, mount, move, or refuse — never hide data under a mount).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeMove } from '../../roles/storage/move.js';
import { layoutOfHost } from '../../roles/storage/health.js';
import { bindOptions, dropinContent, isBoundFromDisk, planFolder, storageLayout, type FolderSeen, type StorageVars } from '../../roles/storage/layout.js';

const vars: StorageVars = {
  storage_disk_uuid: '655a39e8-9a5d-45f3-ae14-73b4c5ed50c3',
  storage_mount_point: '/mnt/root',
  storage_fstype: 'ext4',
  storage_mount_options: 'defaults',
  storage_device_timeout: 30,
  storage_bind_paths: ['/var/lib/etcd', '/var/lib/containerd'],
  storage_units: ['containerd', 'kubelet'],
};
const layout = storageLayout(vars);

test("the disk's entry always has nofail and a bounded device timeout; the binds wait for the disk", () => {
  assert.equal(layout.diskOptions, 'defaults,nofail,x-systemd.device-timeout=30s');
  // The article's options keep their words; a user's own timeout and nofail are not doubled.
  const article = storageLayout({ ...vars, storage_mount_options: 'defaults,rw,user,auto,exec,nofail,x-systemd.device-timeout=5s', storage_device_timeout: 10 });
  assert.equal(article.diskOptions, 'defaults,rw,user,auto,exec,nofail,x-systemd.device-timeout=10s');
  assert.equal(bindOptions(layout), 'bind,nofail,x-systemd.requires-mounts-for=/mnt/root');
  assert.deepEqual(layout.binds, [
    { path: '/var/lib/etcd', onDisk: '/mnt/root/var/lib/etcd' },
    { path: '/var/lib/containerd', onDisk: '/mnt/root/var/lib/containerd' },
  ]);
  assert.equal(storageLayout({ ...vars, storage_mount_point: '/mnt/root/' }).binds[0]!.onDisk, '/mnt/root/var/lib/etcd');
});

test('containerd and the kubelet require every data folder to be mounted', () => {
  assert.match(dropinContent(layout), /^\[Unit\]\nRequiresMountsFor=\/var\/lib\/etcd \/var\/lib\/containerd\n$/m);
});

const seen = (over: Partial<FolderSeen>): FolderSeen => ({
  path: '/var/lib/etcd', onDisk: '/mnt/root/var/lib/etcd', hasData: false, diskExists: false, diskHasData: false, files: 0, bytes: 0,
  disk: { majMin: '7:0', fsroot: '/' }, ...over,
});

test('a folder bound from the disk is recognised by device and path inside the disk', () => {
  assert.ok(isBoundFromDisk(seen({ mounted: { majMin: '7:0', fsroot: '/var/lib/etcd', source: '/dev/loop0[/var/lib/etcd]' } }), '/mnt/root'));
  assert.ok(!isBoundFromDisk(seen({ mounted: { majMin: '7:0', fsroot: '/var/lib/other', source: 'x' } }), '/mnt/root'));
  assert.ok(!isBoundFromDisk(seen({ mounted: { majMin: '8:1', fsroot: '/var/lib/etcd', source: '/dev/sda1[/var/lib/etcd]' } }), '/mnt/root'));
  assert.ok(!isBoundFromDisk(seen({ mounted: { majMin: '7:0', fsroot: '/var/lib/etcd', source: 'x' }, disk: undefined }), '/mnt/root'));
});

test('each folder: bound, mounted when empty, moved when only the SD card holds data, refused when both differ', () => {
  assert.deepEqual(planFolder(seen({ mounted: { majMin: '7:0', fsroot: '/var/lib/etcd', source: 's' } }), '/mnt/root'), { kind: 'bound' });
  assert.deepEqual(planFolder(seen({}), '/mnt/root'), { kind: 'mount' });
  assert.deepEqual(planFolder(seen({ diskHasData: true, diskExists: true }), '/mnt/root'), { kind: 'mount' });
  assert.deepEqual(planFolder(seen({ hasData: true, files: 12, bytes: 3000 }), '/mnt/root'), { kind: 'move', files: 12, bytes: 3000 });
  assert.deepEqual(planFolder(seen({ hasData: true, diskHasData: true, diskExists: true, same: true }), '/mnt/root'), { kind: 'same' });
  const differ = planFolder(seen({ hasData: true, diskHasData: true, diskExists: true, same: false }), '/mnt/root');
  assert.equal(differ.kind, 'refuse');
  assert.match((differ as { reason: string }).reason, /both \/var\/lib\/etcd \(on the SD card\) and \/mnt\/root\/var\/lib\/etcd \(on the disk\) hold data, and they differ/);
  const foreign = planFolder(seen({ mounted: { majMin: '8:1', fsroot: '/', source: '/dev/sdb1' } }), '/mnt/root');
  assert.match((foreign as { reason: string }).reason, /already a mount of \/dev\/sdb1/);
});

test('the move is described before it runs', () => {
  const text = describeMove([{ ...seen({ hasData: true }), plan: { kind: 'move', files: 12, bytes: 3_400_000 } }], layout.units);
  assert.equal(text, "would stop kubelet, containerd and the node's Pods; copy /var/lib/etcd (12 files, 3.4 MB) to /mnt/root/var/lib/etcd, verify; bind-mount; start them again");
});

test("another host's layout comes from its variables, the role's defaults filling the rest", () => {
  assert.equal(layoutOfHost({}), undefined);
  assert.equal(layoutOfHost({ storage_disk_uuid: '' }), undefined);
  const other = layoutOfHost({ storage_disk_uuid: 'abcd', storage_device_timeout: 5 })!;
  assert.equal(other.mountPoint, '/mnt/root');
  assert.equal(other.diskOptions, 'defaults,nofail,x-systemd.device-timeout=5s');
  assert.deepEqual(other.units, ['containerd', 'kubelet']);
});
