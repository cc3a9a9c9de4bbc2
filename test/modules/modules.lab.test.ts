// Every module on a real lab host (Debian bookworm, systemd, sshd, apt from the lab's repository),
// over the real ssh connection with become: check mode predicts the first run's changes exactly
// (summary, diffs, data) and changes nothing, the first run changes, the second run is ok.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Command, sh } from '../../lib/command/command.js';
import type { Connection } from '../../lib/connection/connection.js';
import { createConnection } from '../../lib/connection/open.js';
import type { Facts } from '../../lib/facts/facts.js';
import { gatherFacts } from '../../lib/facts/gather.js';
import { executeModule } from '../../lib/modules/execute.js';
import { modules } from '../../lib/modules/index.js';
import type { ModuleContext } from '../../lib/modules/module.js';
import { labSkipReason, startLab, type LabHandle } from '../support/lab.js';
import { converge } from './converge.js';

const skip = labSkipReason();
let lab: LabHandle | undefined;
let connection: Connection;
let facts: Facts;
let host = '';

before(async () => {
  if (skip) return;
  lab = await startLab({ name: 'modules', hosts: 1 });
  host = lab.hosts[0]!.name;
  connection = createConnection(
    host,
    {
      ansible_host: lab.hosts[0]!.address,
      ansible_user: 'pi',
      ansible_ssh_private_key_file: lab.keyPath,
      steer_known_hosts: lab.knownHostsPath,
    },
    { hostKeyChecking: 'strict' },
  );
  await connection.connect();
  facts = await gatherFacts(connection);
});

after(async () => {
  await connection?.close();
  await lab?.down();
});

const context = (check: boolean): ModuleContext => ({
  host,
  facts,
  check,
  connection,
  run: (command, options) => connection.run(command, { ...options, become: true }),
  put: (path, content, options) => connection.put(path, content, { ...options, become: true }),
  log: () => {},
});

/** Runs a shell script as root on the lab host; its stdout (for snapshots and setup). */
async function root(script: string): Promise<string> {
  const r = await connection.run(new Command(script, script), { become: true });
  assert.equal(r.code, 0, `${script}: ${r.stderr}`);
  return r.stdout;
}

/** A snapshot of what a module may change: the output of a read-only script. */
const snapshot = (script: string) => () => root(`{ ${script} ; } 2>&1 || true`);

const labTest = (name: string, fn: () => Promise<void>) => test(name, { skip }, fn);

labTest('file, directory, lineinfile, blockinfile', async () => {
  const snap = snapshot('find /etc/steer-test -printf "%p %m %u %g\\n" -exec cat {} \\; 2>/dev/null | sort');
  const dir = await converge(modules.directory, { path: '/etc/steer-test/conf.d', mode: '0750' }, context, snap);
  assert.equal(dir.first.summary, 'create directory /etc/steer-test/conf.d (mode 0750)');

  const path = '/etc/steer-test/conf.d/app.conf';
  const file = await converge(modules.file, { path, content: 'port=80\n', mode: '0640', owner: 'pi' }, context, snap);
  assert.deepEqual(file.first.diffs, [{ path, after: 'port=80\n' }]);
  assert.equal((await root(`stat -c '%a %U' ${path}`)).trim(), '640 pi');

  const line = await converge(modules.lineinfile, { path, regexp: '^port=', line: 'port=8080' }, context, snap);
  assert.deepEqual(line.first.diffs, [{ path, before: 'port=80\n', after: 'port=8080\n' }]);
  assert.equal((await root(`stat -c '%a %U' ${path}`)).trim(), '640 pi', 'an edit keeps mode and owner');

  await converge(modules.blockinfile, { path, block: 'a=1\nb=2', insertbefore: 'BOF' }, context, snap);
  assert.equal(await root(`cat ${path}`), '# BEGIN STEER MANAGED BLOCK\na=1\nb=2\n# END STEER MANAGED BLOCK\nport=8080\n');

  await converge(modules.file, { path: '/etc/steer-test', state: 'absent' }, context, snap);
});

labTest('cmdline: the lab firmware file; a reboot makes /proc/cmdline agree', async () => {
  const file = facts.cmdlineFile || '/boot/firmware/cmdline.txt';
  const lines = (await root(`wc -l < ${file}`)).trim();
  const r = await converge(modules.cmdline, { set: ['cgroup_enable=memory', 'steer.test=1'] }, context, snapshot(`cat ${file}`));
  assert.deepEqual(r.first.data, { rebootNeeded: true, file });
  assert.ok(r.first.diffs?.length === 1);
  assert.equal((await root(`wc -l < ${file}`)).trim(), lines, 'still one line');
  assert.deepEqual(r.second.data, { rebootNeeded: true, file }, 'until the host reboots');

  const bootId = (await root('cat /proc/sys/kernel/random/boot_id')).trim();
  await connection.run(sh`systemctl reboot`, { become: true }).catch(() => undefined);
  const deadline = Date.now() + 180_000;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    try {
      await connection.reconnect({ timeoutMs: 10_000 });
      if ((await root('cat /proc/sys/kernel/random/boot_id')).trim() !== bootId) break;
    } catch {
      // still down
    }
    assert.ok(Date.now() < deadline, 'the lab host came back from its reboot');
  }
  facts = await gatherFacts(connection);
  const after = await executeModule(modules.cmdline, { set: ['cgroup_enable=memory', 'steer.test=1'] }, context(false));
  assert.deepEqual(after, { changed: false, data: { rebootNeeded: false, file } });
});

labTest('apt, apt_hold, apt_source from the lab repository', async () => {
  const snap = snapshot("dpkg-query -W -f='${Package} ${Status} ${Version}\\n' socat; apt-mark showhold");
  const install = await converge(modules.apt, { packages: ['socat=1.7.4.*'] }, context, snap);
  assert.match(install.first.summary ?? '', /install socat=1\.7\.4\.\*/);
  await converge(modules.apt_hold, { packages: ['socat'] }, context, snap);
  assert.equal((await root('apt-mark showhold')).trim(), 'socat');
  await converge(modules.apt_hold, { packages: ['socat'], held: false }, context, snap);
  await converge(modules.apt, { packages: ['socat'], state: 'absent' }, context, snap);

  const uri = `${lab!.repoUrl}/core:/stable:/v1.34/deb/`;
  const source = await converge(
    modules.apt_source,
    { name: 'kubernetes', uri, suite: '/', keyUrl: `${uri}Release.key` },
    context,
    snapshot('ls -l /etc/apt/keyrings; cat /etc/apt/sources.list.d/kubernetes.list; sha256sum /etc/apt/keyrings/kubernetes.gpg'),
  );
  assert.deepEqual(source.first.data, { changed: true });
  assert.deepEqual(source.second.data, { changed: false });
  assert.deepEqual(source.first.diffs, [
    { path: '/etc/apt/sources.list.d/kubernetes.list', after: `deb [signed-by=/etc/apt/keyrings/kubernetes.gpg] ${uri} /\n` },
  ]);
  // The repository is trusted through that keyring: apt-get update accepts it.
  const update = await executeModule(modules.apt, { packages: ['curl'], updateCache: false, sourceChanged: source.first }, context(false));
  assert.equal(update.summary, 'update the package cache');
});

labTest('systemd and systemd_dropin on a unit written by the file module', async () => {
  const unit = '/etc/systemd/system/steer-test.service';
  await executeModule(
    modules.file,
    { path: unit, content: '[Unit]\nDescription=steer test\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n' },
    context(false),
  );
  const snap = snapshot('systemctl show -p ActiveState,UnitFileState,Environment steer-test.service');
  const started = await converge(modules.systemd, { unit: 'steer-test', enabled: true, state: 'started' }, context, snap);
  assert.equal(started.first.summary, 'steer-test.service: enable, start');

  const dropin = await converge(
    modules.systemd_dropin,
    { unit: 'steer-test', name: '10-env', content: '[Service]\nEnvironment=STEER=1\n' },
    context,
    snapshot('cat /etc/systemd/system/steer-test.service.d/10-env.conf; systemctl show -p NeedDaemonReload steer-test.service'),
  );
  assert.match(dropin.first.summary ?? '', /daemon-reload$/);

  const restart = await executeModule(modules.systemd, { unit: 'steer-test', state: 'restarted' }, context(false));
  assert.equal(restart.changed, true, 'restarted always restarts');
  assert.equal((await root('systemctl show -p Environment --value steer-test.service')).trim(), 'STEER=1');

  await converge(modules.systemd, { unit: 'steer-test', enabled: false, state: 'stopped' }, context, snap);
});

labTest('sysctl: file and live values', async () => {
  const values = { 'net.ipv4.ip_forward': '1', 'net.ipv4.ip_local_port_range': '20000 60999' };
  const r = await converge(
    modules.sysctl,
    { file: '/etc/sysctl.d/90-steer-test.conf', values },
    context,
    snapshot('cat /etc/sysctl.d/90-steer-test.conf; sysctl -n net.ipv4.ip_forward net.ipv4.ip_local_port_range'),
  );
  assert.match(r.first.summary ?? '', /set net\.ipv4\.ip_forward 0 -> 1/);
  assert.equal((await root('sysctl -n net.ipv4.ip_local_port_range')).trim().split(/\s+/).join(' '), '20000 60999');
});

labTest('kernel_modules: built in or loaded already, boot list written', async () => {
  const r = await converge(
    modules.kernel_modules,
    { names: ['overlay', 'br_netfilter'], file: 'steer-test' },
    context,
    snapshot('cat /etc/modules-load.d/steer-test.conf'),
  );
  assert.equal(r.first.summary, '/etc/modules-load.d/steer-test.conf: created');
});

labTest('mount: a bind mount in fstab, mounted', async () => {
  await root('mkdir -p /srv/steer-src && echo data > /srv/steer-src/member');
  const snap = snapshot('cat /etc/fstab; findmnt -n -o TARGET --mountpoint /srv/steer-bind; ls /srv');
  const r = await converge(modules.mount, { path: '/srv/steer-bind', src: '/srv/steer-src', fstype: 'none', opts: 'defaults,bind' }, context, snap);
  assert.equal(r.first.summary, '/etc/fstab: content; mount /srv/steer-src on /srv/steer-bind');
  assert.equal((await root('cat /srv/steer-bind/member')).trim(), 'data');
  await converge(modules.mount, { path: '/srv/steer-bind', state: 'absent' }, context, snap);
});

labTest('swap: fstab lines and a dphys-swapfile service', async () => {
  // A stand-in for Raspberry Pi OS's dphys-swapfile service (the real one would write a swap file).
  await root(
    "printf '[Unit]\\nDescription=stand-in\\n[Service]\\nType=oneshot\\nRemainAfterExit=yes\\nExecStart=/bin/true\\n[Install]\\nWantedBy=multi-user.target\\n' > /usr/lib/systemd/system/dphys-swapfile.service" +
      ' && systemctl daemon-reload && systemctl enable --now dphys-swapfile.service && echo "/var/swap none swap sw 0 0" >> /etc/fstab',
  );
  const r = await converge(modules.swap, { state: 'off' }, context, snapshot('cat /etc/fstab; systemctl is-enabled dphys-swapfile.service; systemctl is-active dphys-swapfile.service'));
  assert.match(r.first.summary ?? '', /comment out swap lines; disable and mask dphys-swapfile\.service/);
  assert.equal((await root('systemctl is-enabled dphys-swapfile.service || true')).trim(), 'masked');
});

labTest('hostname and its /etc/hosts line', async () => {
  const r = await converge(modules.hostname, { name: 'steer-renamed' }, context, snapshot('hostname; cat /etc/hostname /etc/hosts'));
  assert.match(r.first.summary ?? '', /-> steer-renamed/);
  assert.equal((await root('hostname')).trim(), 'steer-renamed');
  await converge(modules.hostname, { name: host }, context, snapshot('hostname; cat /etc/hostname /etc/hosts'));
});

labTest('command with a guard, and wait', async () => {
  const r = await converge(
    modules.command,
    { cmd: sh`umask 077; cat > /root/steer-token`, creates: '/root/steer-token', stdin: 'token-value\n' },
    context,
    snapshot('cat /root/steer-token'),
  );
  assert.equal(r.first.summary, 'run umask 077; cat > /root/steer-token');
  assert.equal(await root('cat /root/steer-token'), 'token-value\n');

  assert.deepEqual(await executeModule(modules.wait, { port: 22 }, context(false)), { changed: false, data: { waitedMs: 0 } });
  await root('rm -f /run/steer-ready; (sleep 1; touch /run/steer-ready) >/dev/null 2>&1 </dev/null &');
  const checked = await executeModule(modules.wait, { path: '/run/steer-ready' }, context(true));
  assert.deepEqual(checked, { changed: false, checkOnly: true, data: { waitedMs: 0 } });
  const waited = await executeModule(modules.wait, { path: '/run/steer-ready', intervalMs: 200, timeoutMs: 20_000 }, context(false));
  assert.equal(waited.changed, false);
  assert.ok((waited.data?.waitedMs ?? 0) > 0);
});
