// The lab end to end: real hosts booted with systemd-nspawn, reached over OpenSSH with strict
// host-key checking; reboots, faults, USB disks, the package repository, and a teardown that leaves
// nothing (loop devices included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, readFile, readdir } from 'node:fs/promises';
import { labPaths, hostPaths } from '../../lab/paths.js';
import { addDisk, labDown, labStatus, labUp, removeDisk, stopHost, startHost, cutHost, healHost } from '../../lab/lab.js';
import { loadState, type LabState } from '../../lab/state.js';
import { livePid } from '../../lab/processes.js';
import { labSkipReason, startLab, testLabName, type LabHandle } from '../support/lab.js';

const skip = labSkipReason();

function sh(program: string, args: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(program, args, { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 255) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** OpenSSH as a user would run it, strictly checking the host key against the lab's known_hosts. */
function ssh(lab: LabHandle, address: string, command: string, knownHosts = lab.knownHostsPath, timeoutMs = 120_000) {
  return sh('ssh', [
    '-i', lab.keyPath, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=3',
    '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null',
    `pi@${address}`, command,
  ], timeoutMs);
}

async function run(lab: LabHandle, address: string, command: string): Promise<string> {
  const r = await ssh(lab, address, command);
  assert.equal(r.code, 0, `ssh ${address} ${command}: ${r.stderr}`);
  return r.stdout;
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function bootId(lab: LabHandle, address: string): Promise<string | undefined> {
  const r = await ssh(lab, address, 'cat /proc/sys/kernel/random/boot_id', lab.knownHostsPath, 15_000);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** Everything a lab made, from its state file, to check that `down` removed it all. */
async function assertNothingLeft(state: LabState): Promise<void> {
  const netns = (await sh('ip', ['netns', 'list'])).stdout;
  const links = (await sh('ip', ['-o', 'link', 'show'])).stdout;
  for (const h of state.hosts) {
    assert.ok(!netns.includes(h.netns), `network namespace ${h.netns} left`);
    assert.ok(!new RegExp(`: ${h.veth}[@:]`).test(links), `link ${h.veth} left`);
  }
  assert.ok(!new RegExp(`: ${state.bridge}[@:]`).test(links), `bridge ${state.bridge} left`);
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  assert.ok(!mounts.includes(labPaths(state.name).dir + '/'), 'mounts left under the lab directory');
  for (const h of state.hosts) assert.ok(!mounts.includes(`/run/netns/${h.netns} `), `netns mount ${h.netns} left`);
  await assert.rejects(access(labPaths(state.name).dir), 'lab directory left');
  if (state.inventoryPath) await assert.rejects(access(state.inventoryPath), 'inventory left');
  for (const h of state.hosts) {
    const cgroups = (await sh('find', ['/sys/fs/cgroup', '-maxdepth', '4', '-name', `steer-lab-${state.name}-${h.name}`])).stdout;
    assert.equal(cgroups.trim(), '', `cgroups of ${h.name} left`);
  }
  // No loop device is left on a lab disk's image (deleted or not).
  const loops = (await sh('losetup', ['--list', '--noheadings', '--raw', '--output', 'NAME,BACK-FILE'])).stdout;
  assert.ok(!loops.includes(labPaths(state.name).dir + '/'), `loop devices left: ${loops}`);
  // No process still runs from the lab's directory (supervisors, nspawn, the repository server).
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    assert.ok(!cmdline.includes(labPaths(state.name).dir + '/'), `process ${pid} left: ${cmdline.replace(/\0/g, ' ')}`);
  }
}

// The first lab on a machine builds the image and fetches packages (~2-3 min); later ones boot in seconds.
test('a lab boots real hosts, survives reboots and faults, serves packages, and leaves nothing behind', { skip, timeout: 900_000 }, async (t) => {
  // Two labs at once: distinct bridges and subnets.
  const [lab, other] = await Promise.all([
    startLab({ name: 'labtest', hosts: 3, bootDelay: 1 }),
    startLab({ name: 'labtest-b', hosts: 1 }),
  ]);
  t.after(() => lab.down());
  t.after(() => other.down());
  const state = (await loadState(lab.name))!;
  const otherState = (await loadState(other.name))!;
  assert.notEqual(state.bridgeAddress, otherState.bridgeAddress);
  assert.deepEqual(lab.hosts.map((h) => h.name), [`${lab.name}1`, `${lab.name}2`, `${lab.name}3`]);
  const [h1, h2, h3] = lab.hosts as [LabHandle['hosts'][0], LabHandle['hosts'][0], LabHandle['hosts'][0]];

  await t.test('inventory has the shape of the home inventory', async () => {
    const text = await readFile(lab.inventoryPath, 'utf8');
    assert.match(text, /^# Generated by `steer lab up`/);
    const { parse } = await import('yaml');
    const inv = parse(text);
    assert.deepEqual(Object.keys(inv.all.children.cluster.children.control_plane.hosts), [`${lab.name}1`]);
    assert.deepEqual(Object.keys(inv.all.children.cluster.children.workers.hosts), [`${lab.name}2`, `${lab.name}3`]);
    assert.equal(inv.all.children.cluster.children.workers.hosts[`${lab.name}2`].ansible_host, h2.address);
    // The lab's repository, as host variables (they win over the cluster's group_vars).
    assert.equal(inv.all.children.cluster.children.workers.hosts[`${lab.name}2`].kubernetes_apt_base_url, `${lab.repoUrl}/core:/stable:`);
  });

  await t.test('every host answers SSH with its real host key, strictly checked', async () => {
    for (const host of lab.hosts) {
      assert.equal((await run(lab, host.address, 'hostname')).trim(), host.name);
      assert.equal((await run(lab, host.address, 'sudo -n id -u')).trim(), '0');
      assert.equal((await run(lab, host.address, 'cat /proc/1/comm')).trim(), 'systemd');
      // Without the lab's known_hosts the same connection is refused.
      const unknown = await ssh(lab, host.address, 'true', '/dev/null');
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, /Host key verification failed|No ED25519 host key is known/);
    }
    const b = await run(other, other.hosts[0]!.address, 'hostname');
    assert.equal(b.trim(), `${other.name}1`);
  });

  await t.test('hosts look like Raspberry Pis where the roles look', async () => {
    const cmdlineTxt = await run(lab, h1.address, 'cat /boot/firmware/cmdline.txt');
    assert.equal(cmdlineTxt.split('\n').filter(Boolean).length, 1, 'cmdline.txt is one line');
    assert.match(cmdlineTxt, /^console=serial0,115200 console=tty1 root=PARTUUID=[0-9a-f]{8}-02 rootfstype=ext4 fsck.repair=yes rootwait\n$/);
    assert.match(await run(lab, h1.address, 'cat /boot/firmware/config.txt'), /^arm_64bit=1$/m);
    const cmdline = (await run(lab, h1.address, 'cat /proc/cmdline')).trim();
    assert.ok(cmdline.endsWith(cmdlineTxt.trim()), cmdline);
    assert.match(cmdline, /cgroup_disable=memory/);
    assert.doesNotMatch(await run(lab, h1.address, 'cat /sys/fs/cgroup/cgroup.controllers'), /\bmemory\b/);
    assert.equal((await run(lab, h1.address, 'stat -fc %T /sys/fs/cgroup')).trim(), 'cgroup2fs');
    assert.equal((await run(lab, h1.address, 'sudo sysctl -w net.ipv4.ip_forward=1 && cat /proc/sys/net/ipv4/ip_forward')).trim().split('\n').pop(), '1');
    await run(lab, h1.address, 'sudo modprobe overlay && sudo modprobe br_netfilter');
    assert.match(await run(lab, h1.address, 'ip -o link show eth0'), /link\/ether dc:a6:32:/);
    // Hosts reach each other.
    await run(lab, h1.address, `ping -c1 -W2 ${h2.address}`);
  });

  await t.test('a reboot brings the host back with a new boot id and the edited cmdline.txt', async () => {
    const before = (await bootId(lab, h2.address))!;
    await run(lab, h2.address, `sudo sed -i '1 s/$/ cgroup_enable=memory/' /boot/firmware/cmdline.txt`);
    // Not before the reboot, as on a Pi.
    assert.doesNotMatch(await run(lab, h2.address, 'cat /proc/cmdline'), /cgroup_enable=memory/);
    await ssh(lab, h2.address, 'sudo systemctl reboot');
    const after = await waitFor('the host to come back', 90_000, async () => {
      const id = await bootId(lab, h2.address);
      return id !== undefined && id !== before ? id : undefined;
    });
    assert.notEqual(after, before);
    assert.match((await run(lab, h2.address, 'cat /proc/cmdline')).trim(), /cgroup_disable=memory .* cgroup_enable=memory$/);
    assert.match(await run(lab, h2.address, 'cat /sys/fs/cgroup/cgroup.controllers'), /\bmemory\b/);
    const status = (await labStatus(lab.name)).find((h) => h.name === h2.name)!;
    assert.equal(status.bootId, after);
  });

  await t.test('cut partitions a running host; heal reconnects it', async () => {
    const before = (await bootId(lab, h3.address))!;
    await cutHost(lab.name, h3.name);
    assert.notEqual((await ssh(lab, h3.address, 'true')).code, 0);
    assert.notEqual((await ssh(lab, h1.address, `ping -c1 -W1 ${h3.address}`)).code, 0);
    const status = (await labStatus(lab.name)).find((h) => h.name === h3.name)!;
    assert.equal(status.cut, true);
    assert.equal(status.power, 'running');
    await healHost(lab.name, h3.name);
    const back = await waitFor('the healed host', 30_000, () => bootId(lab, h3.address));
    assert.equal(back, before, 'the host kept running while cut');
  });

  await t.test('stop powers a host off; start boots it again', async () => {
    const before = (await bootId(lab, h3.address))!;
    await stopHost(lab.name, h3.name);
    assert.equal((await labStatus(lab.name)).find((h) => h.name === h3.name)!.power, 'stopped');
    assert.notEqual((await ssh(lab, h3.address, 'true')).code, 0);
    await startHost(lab.name, h3.name);
    const after = (await bootId(lab, h3.address))!;
    assert.notEqual(after, before);
  });

  await t.test('a USB disk: a real ext4 block device found by UUID, mounted from fstab at boot, missing after a remove', async () => {
    const disk = await addDisk(lab.name, h1.name, 64 * 1024 ** 2);
    assert.match(disk.device ?? '', /^\/dev\/loop\d+$/);
    const device = (await run(lab, h1.address, `sudo blkid -U ${disk.uuid}`)).trim();
    assert.equal(device, disk.device, 'blkid -U resolves the UUID in the host (hot plug)');
    assert.match(await run(lab, h1.address, `sudo blkid ${device}`), new RegExp(`UUID="${disk.uuid}".*TYPE="ext4"`));
    assert.equal((await run(lab, h1.address, `readlink /dev/disk/by-uuid/${disk.uuid}`)).trim(), `../../${device.slice(5)}`);
    // fstab by UUID, nofail and a short device timeout, as the storage role writes it.
    await run(lab, h1.address, [
      `echo 'UUID=${disk.uuid} /mnt/usb ext4 defaults,nofail,x-systemd.device-timeout=2s 0 0' | sudo tee -a /etc/fstab`,
      'sudo systemctl daemon-reload && sudo systemctl start mnt-usb.mount && echo kept | sudo tee /mnt/usb/data',
    ].join(' && '));
    assert.equal((await run(lab, h1.address, 'findmnt -n -o SOURCE --mountpoint /mnt/usb')).trim(), device);

    const reboot = async () => {
      const before = (await bootId(lab, h1.address))!;
      await ssh(lab, h1.address, 'sudo systemctl reboot');
      await waitFor('the host to come back', 90_000, async () => {
        const id = await bootId(lab, h1.address);
        return id !== undefined && id !== before ? id : undefined;
      });
    };
    await reboot();
    assert.equal((await run(lab, h1.address, 'cat /mnt/usb/data')).trim(), 'kept', 'mounted from fstab at boot');

    const removed = await removeDisk(lab.name, h1.name);
    assert.equal(removed.stillInUse, true, 'the kernel keeps a mounted loop device until it is unmounted');
    assert.notEqual((await ssh(lab, h1.address, `test -e ${device}`)).code, 0, 'the device node is gone');
    await reboot();
    // The mount fails after the device timeout; the host boots on and answers.
    const state = await waitFor('the mount to fail', 30_000, async () => {
      const s = (await ssh(lab, h1.address, 'systemctl is-active mnt-usb.mount')).stdout.trim();
      return s === 'failed' || s === 'inactive' ? s : undefined;
    });
    assert.ok(state);
    assert.notEqual((await ssh(lab, h1.address, `sudo blkid -U ${disk.uuid}`)).code, 0);

    const again = await addDisk(lab.name, h1.name);
    assert.equal(again.uuid, disk.uuid, 'the same disk');
    await run(lab, h1.address, 'sudo systemctl start mnt-usb.mount');
    assert.equal((await run(lab, h1.address, 'cat /mnt/usb/data')).trim(), 'kept', 'its data');
  });

  await t.test('hosts install packages from the lab repository only, signed by the lab key', async () => {
    const sources = await run(lab, h1.address, 'cat /etc/apt/sources.list; ls /etc/apt/sources.list.d');
    assert.equal(sources.match(/^deb /gm)?.length, 1);
    assert.ok(sources.includes(lab.repoUrl));
    await run(lab, h1.address, 'sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q socat');
    assert.match(await run(lab, h1.address, 'socat -V'), /socat version/);
    // The pkgs.k8s.io-shaped repository, set up the way the official instructions say.
    const minor = 'v1.31';
    await run(lab, h1.address, [
      'set -e',
      'sudo mkdir -p -m 755 /etc/apt/keyrings',
      `curl -fsSL ${lab.repoUrl}/core:/stable:/${minor}/deb/Release.key | sudo gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg`,
      `echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] ${lab.repoUrl}/core:/stable:/${minor}/deb/ /' | sudo tee /etc/apt/sources.list.d/kubernetes.list`,
      // apt reports an unsigned or badly signed repository as W:/E: lines.
      'out=$(sudo apt-get update -q 2>&1); echo "$out"; ! echo "$out" | grep -E "^(W|E):"',
    ].join('\n'));
    // Nothing outside the lab is reachable.
    assert.notEqual((await ssh(lab, h1.address, 'curl -fsS -m 3 http://deb.debian.org/ >/dev/null')).code, 0);
  });

  await t.test('down removes every process, mount, namespace, link and file', async () => {
    await lab.down();
    await assertNothingLeft(state);
    assert.equal(await labDown(lab.name), false, 'down is idempotent');
    // The other lab was not touched.
    assert.equal((await run(other, other.hosts[0]!.address, 'hostname')).trim(), `${other.name}1`);
    await other.down();
    await assertNothingLeft(otherState);
  });
});

test('down cleans up after a lab whose supervisor was killed', { skip, timeout: 180_000 }, async (t) => {
  const name = testLabName('labcrash');
  const info = await labUp({ name, hosts: 1, inventoryPath: null });
  t.after(() => labDown(name));
  const state = (await loadState(name))!;
  const hp = hostPaths(name, info.hosts[0]!.name);
  const supervisor = (await livePid(hp.supervisorPid))!;
  process.kill(supervisor, 'SIGKILL');
  assert.ok((await livePid(hp.nspawnPid)) !== undefined, 'the host runs on without its supervisor');
  assert.equal(await labDown(name), true);
  await assertNothingLeft(state);
});
