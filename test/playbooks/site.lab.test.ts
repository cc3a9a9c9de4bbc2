// The main job, end to end: `steer run site.yaml` against a 3-host lab with the Kubernetes
// stand-ins builds the cluster (the cgroups reboot through the handler, workers joined, Flannel,
// the verify check); --check predicts it and changes nothing; a second run changes nothing;
// --tags runs one role.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labSkipReason, startLab, type LabHandle } from '../support/lab.js';
import { recapOf, runSteer, type CliResult } from '../support/steer-cli.js';

type StepResult = Extract<CliResult['events'][number], { type: 'step-result' }>;
const results = (r: CliResult) => r.events.filter((e): e is StepResult => e.type === 'step-result');
const key = (e: StepResult) => `${e.host} ${e.role} : ${e.step}${e.handler ? ' (handler)' : ''}`;

describe('site.yaml on a 3-host lab', { skip: labSkipReason(), timeout: 40 * 60_000 }, () => {
  let lab: LabHandle;
  let cp: string;
  const site = (...args: string[]) => runSteer(['run', 'site.yaml', '-i', lab.inventoryPath, '--json', ...args], { timeoutMs: 25 * 60_000 });
  // What the roles change on a host: if none of this moves, the host was not touched.
  const fingerprint = (host: string) =>
    lab.exec(
      host,
      'sudo sh -c "cat /boot/firmware/cmdline.txt /proc/sys/kernel/random/boot_id; ls -la /etc/apt/sources.list.d /etc/modules-load.d /etc/sysctl.d /etc/kubernetes 2>&1; dpkg -l | grep -E \'containerd|kube\' ; md5sum /etc/containerd/config.toml 2>&1; true"',
    );

  before(async () => {
    lab = await startLab({ name: 'site', hosts: 3 });
    cp = lab.hosts[0]!.name;
  });
  after(async () => {
    await lab?.down();
  });

  let check: CliResult;
  let listed: string[];

  test('--list-tasks lists the plan without connecting', async () => {
    const r = await runSteer(['run', 'site.yaml', '-i', lab.inventoryPath, '--list-tasks']);
    assert.equal(r.code, 0, r.stderr);
    listed = [...r.stdout.matchAll(/^ {6}(\S+) : (.*)\t/gm)].map((m) => `${m[1]} : ${m[2]}`);
    assert.ok(listed.length > 20, r.stdout);
  });

  test('--check on fresh hosts changes nothing and lists the changes', async () => {
    const before = await Promise.all(lab.hosts.map((h) => fingerprint(h.name)));
    check = await site('--check', '--diff');
    assert.equal(check.code, 0, check.stdout.slice(-3000) + check.stderr);
    assert.deepEqual(await Promise.all(lab.hosts.map((h) => fingerprint(h.name))), before);
    const predicted = results(check).filter((e) => e.status === 'changed');
    assert.ok(predicted.some((e) => e.role === 'cgroups' && e.step === 'reboot'), 'the reboot is predicted');
    assert.ok(predicted.some((e) => e.role === 'control-plane' && e.step === 'kubeadm init'));
  });

  test('the real run builds the cluster, making the changes check mode predicted', async () => {
    const real = await site();
    assert.equal(real.code, 0, real.stdout.slice(-5000) + real.stderr);
    const predicted = new Set(
      results(check)
        .filter((e) => e.status === 'changed' || (e.status === 'skipped' && /would run/.test(e.message ?? '')))
        .map(key),
    );
    const unpredicted = results(real)
      .filter((e) => e.status === 'changed' && !predicted.has(key(e)))
      .map(key);
    assert.deepEqual(unpredicted, [], 'every change of the real run was predicted by --check');

    // Every raw command the real run ran, check mode listed as "would run", in order, per host.
    for (const h of lab.hosts) {
      const wouldRun = results(check).filter((e) => e.host === h.name).flatMap((e) => e.wouldRun ?? []);
      const ran = real.events.flatMap((e) => (e.type === 'command' && e.raw && e.host === h.name ? [e.command] : []));
      assert.deepEqual(ran, wouldRun, `${h.name}: raw commands predicted by --check`);
    }
    // Every step the real run reached on any host, --list-tasks listed (in the order of each role).
    const pattern = (s: string) => new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/<[^>]*>|\\\(unknown\\\)/g, '.*')}$`);
    for (const e of results(real)) {
      if (e.handler || e.role === 'setup' || e.step.startsWith('(')) continue;
      assert.ok(listed.some((l) => pattern(l).test(`${e.role} : ${e.step}`)), `${e.role} : ${e.step} is listed by --list-tasks`);
    }

    // The cgroups reboot happened through the handler on every host, and every host had come back
    // before any host started the next role.
    const events = real.events;
    for (const h of lab.hosts) {
      const reboot = events.findIndex((e) => e.type === 'step-result' && e.host === h.name && e.role === 'cgroups' && e.step === 'reboot' && e.status === 'changed');
      assert.ok(reboot >= 0, `${h.name} rebooted`);
      const sysctlStart = events.findIndex((e) => e.type === 'role-start' && e.role === 'sysctl');
      assert.ok(reboot < sysctlStart, 'every reboot finished before the next role started');
    }

    const nodes = await lab.exec(cp, 'sudo kubectl --kubeconfig=/etc/kubernetes/admin.conf get nodes --no-headers');
    assert.equal(nodes.trim().split('\n').length, 3, nodes);
    for (const line of nodes.trim().split('\n')) assert.match(line, /\sReady\s/, line);
    const verified = results(real).find((e) => e.role === 'verify' && e.step === 'Service answers over HTTP');
    assert.equal(verified?.status, 'ok');
    assert.ok(events.some((e) => e.type === 'note' && /kube-verify answered/.test(e.message)));
    // Credentials written by the roles are private.
    assert.match(await lab.exec(cp, 'sudo stat -c %a /etc/kubernetes/admin.conf /root/.kube/config /home/pi/.kube/config'), /^600\n600\n600\n$/);
  });

  test('a second run changes nothing; --check on the built cluster reports nothing', async () => {
    const again = await site();
    assert.equal(again.code, 0, again.stdout.slice(-3000));
    for (const [host, c] of Object.entries(recapOf(again.events).hosts)) assert.equal(c.changed, 0, `${host}: ${results(again).filter((e) => e.host === host && e.status === 'changed').map(key)}`);
    const checkBuilt = await site('--check');
    assert.equal(checkBuilt.code, 0);
    for (const [host, c] of Object.entries(recapOf(checkBuilt.events).hosts)) assert.equal(c.changed, 0, host);
  });

  test('--tags sysctl runs only that role', async () => {
    const r = await site('--tags', 'sysctl');
    assert.equal(r.code, 0);
    const roles = new Set(results(r).filter((e) => e.role !== 'setup').map((e) => e.role));
    assert.deepEqual([...roles], ['sysctl']);
  });
});
