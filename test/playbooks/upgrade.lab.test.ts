// upgrade.yaml end to end on a 3-host lab whose inventory names the hosts PiCP1, PiNode2, PiNode3
// (kubeadm registers picp1, pinode2, pinode3): site.yaml builds 1.32 and a second run changes
// nothing; a two-minor jump, a downgrade and site.yaml with a newer version are refused before
// anything changes; --check predicts the upgrade to 1.33; a fault injected on the last worker stops
// it with that node cordoned and a resume message; a re-run resumes; then 1.33 → 1.34 — while
// kube-verify's ClusterIP is fetched twice a second on the control plane.
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, stringify } from 'yaml';
import { hostShell, labSkipReason, startLab, type LabHandle } from '../support/lab.js';
import { recapOf, runSteer, type CliResult } from '../support/steer-cli.js';

type StepResult = Extract<CliResult['events'][number], { type: 'step-result' }>;
const results = (r: CliResult) => r.events.filter((e): e is StepResult => e.type === 'step-result');
const key = (e: StepResult) => `${e.host} ${e.role} : ${e.step}`;
const changed = (r: CliResult) => results(r).filter((e) => e.status === 'changed').map(key);
const output = (r: CliResult) => r.stdout.slice(-6000) + r.stderr;
const NAMES = ['PiCP1', 'PiNode2', 'PiNode3'];
const KUBECTL = 'sudo kubectl --kubeconfig /etc/kubernetes/admin.conf';

/** The lab's inventory with its hosts renamed (same addresses, keys and variables). */
function renamed(text: string, names: string[]): string {
  const inv = parse(text) as { all: { children: { cluster: { children: Record<string, { hosts: Record<string, unknown> }> } } } };
  let i = 0;
  for (const group of Object.values(inv.all.children.cluster.children))
    group.hosts = Object.fromEntries(Object.entries(group.hosts ?? {}).map(([, vars]) => [names[i++]!, vars]));
  return stringify(inv);
}

describe('upgrade.yaml on a 3-host lab (hosts named PiCP1, PiNode2, PiNode3)', { skip: labSkipReason(), timeout: 40 * 60_000 }, () => {
  let lab: LabHandle;
  let inventory: string;
  let cp: string;
  let last: string;
  const { ok } = hostShell(() => lab);
  const steer = (playbook: string, version: string, ...args: string[]) =>
    runSteer(['run', playbook, '-i', inventory, '--json', '-e', `kubernetes_version=${version}`, ...args], { timeoutMs: 25 * 60_000 });
  const nodes = async () => (await ok(cp, `${KUBECTL} get nodes --no-headers 2>/dev/null`)).trim();
  const line = (text: string, node: string) => text.split('\n').find((l) => l.startsWith(node + ' ')) ?? '';
  const versions = () => Promise.all(lab.hosts.map((h) => ok(h.name, "dpkg-query -W -f='${Package} ${Version}\\n' kubeadm kubelet kubectl; sudo kubectl --kubeconfig /etc/kubernetes/admin.conf version 2>/dev/null | grep Server || true")));

  before(async () => {
    lab = await startLab({ name: 'upgrade', hosts: 3 });
    cp = lab.hosts[0]!.name;
    last = lab.hosts[2]!.name;
    inventory = lab.inventoryPath.replace(/\.yaml$/, '-named.yaml');
    await writeFile(inventory, renamed(await readFile(lab.inventoryPath, 'utf8'), NAMES));
  });
  after(async () => {
    await lab?.down();
  });

  test('site.yaml builds 1.32 with capitalised names; the second run changes nothing and advises no reset', async () => {
    const built = await steer('site.yaml', '1.32.10');
    assert.equal(built.code, 0, output(built));
    const text = await nodes();
    for (const n of ['picp1', 'pinode2', 'pinode3']) assert.match(line(text, n), /\sReady\s.*\sv1\.32\.10$/, text);
    // The second run also carries a setting changed after init: reported, not applied.
    const again = await steer('site.yaml', '1.32.10', '-e', 'apiserver_liveness_initial_delay=240');
    assert.equal(again.code, 0, output(again));
    for (const [host, c] of Object.entries(recapOf(again.events).hosts)) assert.equal(c.changed, 0, `${host}: ${changed(again)}`);
    assert.doesNotMatch(again.stdout, /reset\.yaml/);
    const warnings = again.events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    assert.ok(
      warnings.some((w) => /^apiserver_liveness_initial_delay is 240 in the inventory but 120 in the running cluster .*To apply it: .*kubeadm upgrade apply/s.test(w)),
      warnings.join('\n'),
    );
    assert.match(await ok(cp, 'sudo cat /etc/kubernetes/manifests/kube-apiserver.yaml'), /initialDelaySeconds: 120/, 'not changed behind the user\'s back');
  });

  test('refused before anything changes: a jump of two minors (with the path), a downgrade, site.yaml with a newer version', async () => {
    const before = await versions();
    const jump = await steer('upgrade.yaml', '1.34.2');
    assert.notEqual(jump.code, 0);
    assert.match(jump.stdout, /kubeadm upgrades one minor version at a time\. Upgrade along 1\.32 → 1\.33 → 1\.34/);
    const down = await steer('upgrade.yaml', '1.32.9');
    assert.notEqual(down.code, 0);
    assert.match(down.stdout, /kubernetes_version 1\.32\.9 is older than the cluster \(API server v1\.32\.10\): upgrade\.yaml never downgrades/);
    const site = await steer('site.yaml', '1.33.6');
    assert.notEqual(site.code, 0);
    assert.match(site.stdout, /site\.yaml does not move the packages of a running cluster.*steer run upgrade\.yaml/);
    for (const r of [jump, down, site]) assert.deepEqual(changed(r), []);
    assert.deepEqual(await versions(), before);
  });

  let check: CliResult;
  test('--check lists the upgrade to 1.33 and changes nothing', async () => {
    // As the docs advise: a budget that lets drains take one kube-verify replica at a time (without
    // one, draining a node that holds every replica withdraws the Service until they restart).
    await ok(cp, `${KUBECTL} -n kube-verify create pdb kube-verify --selector=app=kube-verify --max-unavailable=1`);
    const ip = (await ok(cp, `${KUBECTL} -n kube-verify get service kube-verify -o jsonpath={.spec.clusterIP} 2>/dev/null`)).trim();
    await ok(cp, `nohup sh -c 'while :; do if curl -s -o /dev/null --max-time 5 http://${ip}/; then echo ok; else echo FAIL $(date +%T) curl exit $?; fi; sleep 0.5; done' > /tmp/fetches 2>&1 & echo $! > /tmp/fetches.pid`);
    const before = await versions();
    check = await steer('upgrade.yaml', '1.33.6', '--check');
    assert.equal(check.code, 0, output(check));
    assert.deepEqual(await versions(), before);
    const predicted = changed(check);
    assert.ok(predicted.includes('PiCP1 upgrade-control-plane : kubeadm upgrade apply'), predicted.join('\n'));
    for (const w of ['PiNode2', 'PiNode3']) for (const s of ['Drained', 'kubeadm upgrade node', 'kubelet restarted', 'Uncordoned']) assert.ok(predicted.includes(`${w} upgrade-node : ${s}`), `${w} ${s}`);
  });

  test('a fault on the last worker stops the upgrade there, cordoned, with how to resume; the run made only predicted changes', async () => {
    await ok(last, 'sudo steer-lab-fault set kubeadm-upgrade-node the SD card went read-only');
    const real = await steer('upgrade.yaml', '1.33.6');
    assert.notEqual(real.code, 0);
    assert.match(real.stdout, /the SD card went read-only/);
    assert.match(real.stdout, /kubeadm upgrade node failed on pinode3: the upgrade stopped here, and pinode3 is left cordoned/);
    assert.match(real.stdout, /To resume: fix the cause, then run upgrade\.yaml again with kubernetes_version 1\.33\.6/);
    const text = await nodes();
    assert.match(line(text, 'pinode3'), /\sReady,SchedulingDisabled\s.*\sv1\.32\.10$/, text);
    for (const n of ['picp1', 'pinode2']) assert.match(line(text, n), /\sReady\s.*\sv1\.33\.6$/, text);
    const predicted = new Set(changed(check));
    assert.deepEqual(changed(real).filter((k) => !predicted.has(k)), [], 'every change was predicted by --check');
  });

  test('the re-run resumes with the stopped node; the others are skipped', async () => {
    await ok(last, 'sudo steer-lab-fault clear kubeadm-upgrade-node');
    const resumed = await steer('upgrade.yaml', '1.33.6');
    assert.equal(resumed.code, 0, output(resumed));
    assert.deepEqual(changed(resumed).filter((k) => !k.startsWith('PiNode3 ')), []);
    assert.ok(changed(resumed).includes('PiNode3 upgrade-node : kubeadm upgrade node'));
    const text = await nodes();
    for (const n of ['picp1', 'pinode2', 'pinode3']) assert.match(line(text, n), /\sReady\s.*\sv1\.33\.6$/, text);
  });

  test('1.33 → 1.34, and kube-verify answered every fetch through both upgrades', async () => {
    const r = await steer('upgrade.yaml', '1.34.2');
    assert.equal(r.code, 0, output(r));
    const text = await nodes();
    for (const n of ['picp1', 'pinode2', 'pinode3']) assert.match(line(text, n), /\sReady\s.*\sv1\.34\.2$/, text);
    assert.match(await ok(cp, `${KUBECTL} version 2>/dev/null`), /Server Version: v1\.34\.2/);
    await ok(cp, 'kill $(cat /tmp/fetches.pid)');
    const fetches = (await ok(cp, 'cat /tmp/fetches')).trim().split('\n');
    assert.ok(fetches.length > 100, `${fetches.length} fetches`);
    assert.deepEqual(fetches.filter((l) => l !== 'ok'), [], 'no failed fetch');
    const again = await steer('upgrade.yaml', '1.34.2');
    assert.equal(again.code, 0, output(again));
    assert.deepEqual(changed(again), [], 'a finished upgrade run again changes nothing');
  });
});
