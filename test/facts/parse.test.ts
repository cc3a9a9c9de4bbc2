import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { armVariantOf, parseFacts, parseOsRelease, splitSections } from '../../lib/facts/parse.js';

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

test('Raspberry Pi 4 on Ubuntu arm64: 64-bit, cgroup v2 with memory', () => {
  const f = parseFacts(fixture('pi4-ubuntu-arm64.txt'));
  assert.deepEqual(f.os, { id: 'ubuntu', versionId: '24.04', prettyName: 'Ubuntu 24.04.1 LTS', codename: 'noble', family: 'debian' });
  assert.equal(f.machine, 'aarch64');
  assert.equal(f.dpkgArch, 'arm64');
  assert.equal(f.userspaceBits, 64);
  assert.equal(f.armVariant, 'arm64');
  assert.equal(f.kernel, '6.8.0-1013-raspi');
  assert.match(f.cmdline, /cgroup_enable=memory cgroup_memory=1$/);
  assert.deepEqual(f.cgroup, { version: 2, controllers: ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc'] });
  assert.deepEqual(f.memory, { totalMb: 7811, swapTotalMb: 0 });
  assert.deepEqual(f.swapDevices, []);
  assert.equal(f.bootId, '3f6a4c1e-8d2b-4b7a-9e51-0c2d7f8a9b10');
  assert.equal(f.hostname, 'cp1');
  assert.equal(f.defaultIpv4, '192.168.1.21');
  assert.equal(f.initSystem, 'systemd');
  assert.equal(f.packageManager, 'apt');
  assert.equal(f.piModel, 'Raspberry Pi 4 Model B Rev 1.4');
  assert.equal(f.cmdlineFile, '/boot/firmware/cmdline.txt');
  assert.equal(f.user, 'ubuntu');
});

test('Pi Zero W on Raspbian: armv6l, cgroup v1 with the memory controller disabled, swap file', () => {
  const f = parseFacts(fixture('pi-zero-raspbian-armv6.txt'));
  assert.equal(f.os.id, 'raspbian');
  assert.equal(f.os.family, 'debian');
  assert.equal(f.os.codename, 'buster');
  assert.equal(f.machine, 'armv6l');
  // Raspbian calls its ARMv6 hard-float port armhf too: the kernel machine decides.
  assert.equal(f.dpkgArch, 'armhf');
  assert.equal(f.armVariant, 'armv6');
  assert.equal(f.userspaceBits, 32);
  assert.equal(f.cgroup.version, 1);
  assert.ok(!f.cgroup.controllers.includes('memory'));
  assert.deepEqual(f.cgroup.controllers, ['cpuset', 'cpu', 'cpuacct', 'blkio', 'devices', 'freezer', 'net_cls', 'perf_event', 'pids']);
  assert.deepEqual(f.memory, { totalMb: 430, swapTotalMb: 100 });
  assert.deepEqual(f.swapDevices, ['/var/swap']);
  assert.equal(f.defaultIpv4, '192.168.1.40');
  assert.equal(f.piModel, 'Raspberry Pi Zero W Rev 1.1');
  assert.equal(f.cmdlineFile, '/boot/cmdline.txt');
});

test('Pi 3 with a 32-bit user space on a 64-bit kernel counts as armv7', () => {
  const f = parseFacts(fixture('pi3-raspios-armhf-on-arm64-kernel.txt'));
  assert.equal(f.machine, 'aarch64');
  assert.equal(f.dpkgArch, 'armhf');
  assert.equal(f.userspaceBits, 32);
  assert.equal(f.armVariant, 'armv7');
  assert.equal(f.cgroup.version, 2);
  assert.deepEqual(f.cgroup.controllers, ['cpuset', 'cpu', 'io', 'pids']);
  assert.match(f.cmdline, /cgroup_disable=memory/);
  assert.deepEqual(f.swapDevices, ['/dev/zram0']);
  assert.equal(f.memory.swapTotalMb, 512);
  assert.equal(f.piModel, 'Raspberry Pi 3 Model B Plus Rev 1.3');
});

test('Debian amd64 lab host: no Pi model, no cmdline.txt, address without a default route', () => {
  const f = parseFacts(fixture('debian-amd64-lab.txt'));
  assert.deepEqual(f.os, { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', codename: 'bookworm', family: 'debian' });
  assert.equal(f.armVariant, 'amd64');
  assert.equal(f.userspaceBits, 64);
  assert.equal(f.cgroup.version, 2);
  assert.ok(f.cgroup.controllers.includes('memory'));
  assert.equal(f.memory.totalMb, 1983);
  assert.equal(f.defaultIpv4, '10.77.0.11');
  assert.equal(f.piModel, '');
  assert.equal(f.cmdlineFile, '');
  assert.equal(f.user, 'root');
});

test('missing tools and files give empty values, not errors', () => {
  const f = parseFacts('@@steer-fact machine\nx86_64\n@@steer-fact package-manager\napk\n@@steer-fact dpkg-arch\n\n');
  assert.equal(f.dpkgArch, '');
  assert.equal(f.packageManager, 'apk');
  assert.equal(f.userspaceBits, 64);
  assert.equal(f.armVariant, 'amd64');
  assert.equal(f.os.id, '');
  assert.equal(f.defaultIpv4, '');
  assert.equal(f.initSystem, 'other');
  assert.deepEqual(f.cgroup, { version: 1, controllers: [] });
});

test('armVariantOf covers kernels and user spaces', () => {
  assert.equal(armVariantOf('armv7l', 'armhf', 32), 'armv7');
  assert.equal(armVariantOf('aarch64', 'arm64', 64), 'arm64');
  assert.equal(armVariantOf('aarch64', 'armhf', 32), 'armv7');
  assert.equal(armVariantOf('aarch64', 'armel', 32), 'armv6');
  assert.equal(armVariantOf('armv6l', 'armhf', 32), 'armv6');
  assert.equal(armVariantOf('i686', 'i386', 32), 'other');
  assert.equal(armVariantOf('x86_64', 'i386', 32), 'other');
  assert.equal(armVariantOf('riscv64', 'riscv64', 64), 'other');
});

test('os-release quoting and section splitting', () => {
  assert.deepEqual(parseOsRelease('A="x \\"y\\""\nB=\'z\'\nC=plain\n# comment\n'), { A: 'x "y"', B: 'z', C: 'plain' });
  const s = splitSections('junk\n@@steer-fact a\n1\n2\n@@steer-fact b\n\n');
  assert.deepEqual([...s], [['a', '1\n2'], ['b', '']]);
});
