// Day-2 care on a 3-host lab, one cluster built once: a backup, the control plane wiped and restored
// (the workers come back Ready without rejoining, kube-verify answers); certificates pushed near
// expiry, flagged by `steer doctor`, renewed by renew-certs.yaml; swap injected and flagged; the
// admin kubeconfig merged into a temp kubeconfig beside another context. --check on each playbook
// predicts its real run.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { hostShell, labSkipReason, startLab, type LabHandle } from '../support/lab.js';
import { recapOf, runSteer, type CliResult } from '../support/steer-cli.js';

type StepResult = Extract<CliResult['events'][number], { type: 'step-result' }>;
const results = (r: CliResult) => r.events.filter((e): e is StepResult => e.type === 'step-result');
const key = (e: StepResult) => `${e.host} ${e.role} : ${e.step}`;
const tail = (r: CliResult) => `${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`;

/** Every change of the real run was predicted by the check run (changed, or listed as would run). */
function assertPredicted(check: CliResult, real: CliResult): void {
  const predicted = new Set(results(check).filter((e) => e.status === 'changed' || (e.status === 'skipped' && /would run/.test(e.message ?? ''))).map(key));
  const unpredicted = results(real).filter((e) => e.status === 'changed' && !predicted.has(key(e))).map(key);
  assert.deepEqual(unpredicted, [], 'every change of the real run was predicted by --check');
}

describe('day-2 care on a 3-host lab', { skip: labSkipReason(), timeout: 30 * 60_000 }, () => {
  let lab: LabHandle;
  let cp: string;
  let workers: string[];
  let dir: string;
  const { ok, sh } = hostShell(() => lab);
  const steer = (args: string[]) => runSteer([...args, '-i', lab.inventoryPath], { timeoutMs: 20 * 60_000 });
  const run = (playbook: string, ...args: string[]) => steer(['run', playbook, '--json', ...args]);
  const doctor = (...args: string[]) => steer(['doctor', '--json', ...args]);
  // stderr dropped: the stand-ins label themselves there.
  const kubectl = (args: string) => ok(cp, `sudo kubectl --kubeconfig=/etc/kubernetes/admin.conf ${args} 2>/dev/null`);
  const verifyAnswers = async () => {
    const ip = (await kubectl('-n kube-verify get service kube-verify -o jsonpath={.spec.clusterIP}')).trim();
    const page = await ok(workers[0]!, `curl -sS --max-time 5 http://${ip}/`);
    assert.match(page, /kube-verify|nginx|Welcome/i);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steer-care-'));
    lab = await startLab({ name: 'care', hosts: 3 });
    cp = lab.hosts[0]!.name;
    workers = lab.hosts.slice(1).map((h) => h.name);
    const site = await run('site.yaml');
    assert.equal(site.code, 0, tail(site));
  });
  after(async () => {
    await lab?.down();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('workstation kubeconfig: merged beside another context, 0600, check predicts, second run changes nothing', async () => {
    const path = join(dir, 'kube', 'config');
    const other = 'apiVersion: v1\nkind: Config\nclusters:\n- name: work\n  cluster: {server: "https://work.example:443"}\nusers:\n- name: me\n  user: {token: abc}\ncontexts:\n- name: work\n  context: {cluster: work, user: me}\ncurrent-context: work\n';
    await mkdir(join(dir, 'kube'), { mode: 0o700 });
    await writeFile(path, other, { mode: 0o600 });
    const vars = ['-e', `kubeconfig_path=${path}`, '-e', 'cluster_name=pilab'];
    const check = await run('kubeconfig.yaml', '--check', ...vars);
    assert.equal(check.code, 0, tail(check));
    assert.equal(await readFile(path, 'utf8'), other, 'check mode wrote nothing');
    const real = await run('kubeconfig.yaml', ...vars);
    assert.equal(real.code, 0, tail(real));
    assertPredicted(check, real);
    const doc = parse(await readFile(path, 'utf8'));
    assert.deepEqual(doc.contexts.map((c: { name: string }) => c.name), ['work', 'pilab']);
    assert.equal(doc['current-context'], 'work');
    const address = lab.hosts[0]!.address;
    assert.equal(doc.clusters[1].cluster.server, `https://${address}:6443`);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const key = doc.users[1].user['client-key-data'] as string;
    assert.ok(!real.stdout.includes(key), 'the client key is never printed');
    const again = await run('kubeconfig.yaml', ...vars);
    assert.equal(again.code, 0, tail(again));
    for (const [host, c] of Object.entries(recapOf(again.events).hosts)) assert.equal(c.changed, 0, `${host}: second run changes nothing`);
  });

  test('certificates near expiry: doctor flags them (exit 1); renew-certs renews, check predicts; doctor is clean', async () => {
    await ok(cp, 'sudo steer-lab-cert-expiry apiserver 10d && sudo steer-lab-cert-expiry admin.conf 5d');
    const sick = await doctor();
    assert.equal(sick.code, 1, tail(sick));
    const report = JSON.parse(sick.stdout) as { nodes: { host: string; problems: string[] }[] };
    const cpProblems = report.nodes.find((n) => n.host === cp)!.problems.join('\n');
    assert.match(cpProblems, /certificate apiserver expires in 9 days: run `steer run renew-certs.yaml`/);
    assert.match(cpProblems, /certificate admin.conf expires in 4 days/);
    const text = await steer(['doctor']);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /PROBLEM: certificate apiserver expires in 9 days/);

    const kubeconfig = join(dir, 'kube', 'config');
    const vars = ['-e', `kubeconfig_path=${kubeconfig}`, '-e', 'cluster_name=pilab'];
    const before = parse(await readFile(kubeconfig, 'utf8')).users[1].user['client-certificate-data'];
    const check = await run('renew-certs.yaml', '--check', ...vars);
    assert.equal(check.code, 0, tail(check));
    const real = await run('renew-certs.yaml', ...vars);
    assert.equal(real.code, 0, tail(real));
    assertPredicted(check, real);
    assert.notEqual(parse(await readFile(kubeconfig, 'utf8')).users[1].user['client-certificate-data'], before, 'the workstation copy was refreshed');
    assert.equal(await ok(cp, 'sudo cmp /etc/kubernetes/admin.conf /root/.kube/config && echo same'), 'same\n');
    const healthy = await doctor();
    assert.equal(healthy.code, 0, tail(healthy));
    await verifyAnswers();
  });

  test('swap turned on: doctor flags it with what to do; limited to that node', async () => {
    const w = workers[0]!;
    await ok(w, 'sudo fallocate -l 64M /var/swap-doctor && sudo chmod 600 /var/swap-doctor && sudo mkswap /var/swap-doctor >/dev/null && sudo swapon /var/swap-doctor');
    try {
      const r = await doctor('-l', w);
      assert.equal(r.code, 1, tail(r));
      const report = JSON.parse(r.stdout) as { nodes: { host: string; problems: string[]; seen: Record<string, string> }[] };
      assert.deepEqual(report.nodes.map((n) => n.host), [w]);
      assert.match(report.nodes[0]!.problems.join('\n'), /swap is on \(\/var\/swap-doctor\).*swapoff -a/);
      assert.equal(report.nodes[0]!.seen['SWAP'], 'ON');
    } finally {
      await sh(w, 'sudo swapoff /var/swap-doctor; sudo rm -f /var/swap-doctor');
    }
  });

  test('backup, wipe the control plane, restore: workers Ready without rejoining, kube-verify answers', async () => {
    const backups = join(dir, 'backups');
    const vars = ['-e', `backup_dir=${backups}`, '-e', 'cluster_name=pilab'];
    const check = await run('backup.yaml', '--check', ...vars);
    assert.equal(check.code, 0, tail(check));
    assert.deepEqual(await readdir(dir).then((n) => n.includes('backups')), false, 'check mode fetched nothing');
    const real = await run('backup.yaml', ...vars);
    assert.equal(real.code, 0, tail(real));
    assertPredicted(check, real);
    const [stamp] = await readdir(join(backups, 'pilab'));
    const folder = join(backups, 'pilab', stamp!);
    assert.deepEqual((await readdir(folder)).sort(), ['backup.json', 'etcd-snapshot.db', 'pki.tar.gz']);
    for (const f of await readdir(folder)) assert.equal((await stat(join(folder, f))).mode & 0o777, 0o600, f);
    for (const d of [backups, join(backups, 'pilab'), folder]) assert.equal((await stat(d)).mode & 0o777, 0o700, d);
    assert.equal(await ok(cp, 'sudo ls -A /var/backups/steer'), '', 'nothing left on the host');

    // A Deployment made after the backup is gone after the restore: the cluster is the snapshot's.
    await kubectl('create namespace after-backup');
    const refused = await run('restore.yaml', '-e', `backup=${folder}`);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, /is running and answers.*restore_force=true/);

    await ok(cp, 'sudo kubeadm reset -f >/dev/null 2>&1; sudo rm -rf /etc/kubernetes /var/lib/etcd/member');
    // The workers are not touched: their kubelet credentials stay those the same CA signed.
    const kubeletConf = () => Promise.all(workers.map((w) => ok(w, 'sudo md5sum /etc/kubernetes/kubelet.conf')));
    const credentials = await kubeletConf();
    const restoreCheck = await run('restore.yaml', '--check', '-e', `backup=${folder}`);
    assert.equal(restoreCheck.code, 0, tail(restoreCheck));
    const restored = await run('restore.yaml', '-e', `backup=${folder}`);
    assert.equal(restored.code, 0, tail(restored));
    assertPredicted(restoreCheck, restored);
    const nodes = await kubectl('get nodes --no-headers');
    for (const h of lab.hosts) assert.match(nodes, new RegExp(`^${h.name.toLowerCase()}\\s+Ready`, 'm'));
    assert.equal((await sh(cp, 'sudo kubectl --kubeconfig=/etc/kubernetes/admin.conf get namespace after-backup')).code, 1);
    assert.deepEqual(await kubeletConf(), credentials, 'the workers did not rejoin');
    await verifyAnswers();
    const healthy = await doctor();
    assert.equal(healthy.code, 0, tail(healthy));
  });
});
