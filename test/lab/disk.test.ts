// Lab disks without a lab: sizes as `--size` takes them, and what `steer lab disk` prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDiskSize } from '../../lab/disk.js';
import { formatDisk } from '../../lib/cli/commands/lab.js';

test('disk sizes: binary multiples, 32M to 64G, anything else refused with the accepted range', () => {
  assert.equal(parseDiskSize('512M'), 512 * 1024 ** 2);
  assert.equal(parseDiskSize('1G'), 1024 ** 3);
  assert.equal(parseDiskSize('2GiB'), 2 * 1024 ** 3);
  assert.equal(parseDiskSize('64m'), 64 * 1024 ** 2);
  assert.equal(parseDiskSize(String(100 * 1024 ** 2)), 100 * 1024 ** 2);
  for (const bad of ['', '1', '16M', '65G', '1T', 'big', '-1G', '1.5G']) assert.throws(() => parseDiskSize(bad), /invalid disk size .*32M to 64G/, bad);
});

test('what add and remove say, including a disk still held by a mount', () => {
  const disk = { host: 'lab1', uuid: '8c005f3c-fc87-4791-bd3d-808d5bede555', sizeBytes: 1024 ** 3, device: '/dev/loop3' };
  assert.equal(formatDisk(disk, true), 'lab1: disk UUID=8c005f3c-fc87-4791-bd3d-808d5bede555 (ext4, 1.0 GiB) plugged in as /dev/loop3');
  assert.equal(formatDisk({ ...disk, device: undefined, sizeBytes: 256 * 1024 ** 2 }, false), 'lab1: disk UUID=8c005f3c-fc87-4791-bd3d-808d5bede555 (ext4, 256 MiB) unplugged');
  assert.match(formatDisk({ ...disk, device: undefined, stillInUse: true }, false), /unplugged; still mounted on the running host/);
});
