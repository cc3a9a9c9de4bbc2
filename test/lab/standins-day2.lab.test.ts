// Day-2 operations by hand on a 3-host lab with the stand-ins, over OpenSSH, with the real command
// sequences the upgrade / backup / restore / renew-certs playbooks will run: a 1.32 cluster, a kubelet
// upgraded ahead of its control plane (NotReady), kubeadm's refusal to skip a minor, the control plane
// then each worker upgraded to 1.33 with drain / uncordon while kube-verify's ClusterIP is fetched
// every half second, a PodDisruptionBudget holding a drain until --timeout, a fault that stops a
// worker's `kubeadm upgrade node` with it cordoned, certificates near expiry and renewed, and an etcd
// snapshot (etcdctl from the lab's release tarball) restored on a wiped control plane.
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { etcdTarballName } from '../../lab/standins/etcd-release.js';
import { hostShell, labSkipReason, startLab, type LabHandle } from '../support/lab.js';

const articleManifest = (name: string) => readFileSync(new URL(`../fixtures/standins/kube-verify-${name}.yaml`, import.meta.url), 'utf8');
const skip = labSkipReason();
const KUBECTL = 'sudo kubectl --kubeconfig /etc/kubernetes/admin.conf';
const ETCDCTL = 'sudo ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt ' +
  '--cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key';

describe('day-2 operations on lab hosts with the stand-ins', { skip, timeout: 40 * 60_000 }, () => {
  let lab: LabHandle;
  let cp: string;
  let w1: string;
  let w2: string;
  const { sh, ok } = hostShell(() => lab);
  const apt = (pkgs: string) => `sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-downgrades --allow-change-held-packages ${pkgs} >/dev/null`;
  const repo = (minor: string) => `${lab.repoUrl}/core:/stable:/v${minor}/deb/`;
  const nodes = () => ok(cp, `${KUBECTL} get nodes --no-headers 2>/dev/null`);
  const waitNodes = async (what: string, pred: (text: string) => boolean, ms = 120_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const text = await nodes();
      if (pred(text)) return text;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${text}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  const line = (text: string, node: string) => text.split('\n').find((l) => l.startsWith(node + ' ')) ?? '';

  before(async () => {
    lab = await startLab({ name: 'day2', hosts: 3 });
    [cp, w1, w2] = lab.hosts.map((h) => h.name) as [string, string, string];
  });
  after(() => lab?.down());

  test('a 1.32 cluster: packages from the v1.32 repository, kubeadm init with patches, Flannel, two joins, kube-verify', async () => {
    await Promise.all([cp, w1, w2].map((h) => ok(h, [
      'sudo mkdir -p -m 755 /etc/apt/keyrings',
      `curl -fsSL ${repo('1.32')}Release.key | sudo gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg`,
      `echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] ${repo('1.32')} /' | sudo tee /etc/apt/sources.list.d/kubernetes.list >/dev/null`,
      'sudo apt-get update -q >/dev/null',
      apt('containerd kubelet=1.32.10-1.1 kubeadm=1.32.10-1.1 kubectl=1.32.10-1.1'),
      'sudo apt-mark hold kubelet kubeadm kubectl >/dev/null && sudo systemctl enable --now containerd',
      'sudo swapoff -a; sudo sysctl -qw net.ipv4.ip_forward=1',
      // The memory cgroup without the cmdline.txt reboot (standins.lab.test.ts does that one): what a Pi
      // kernel with cgroup_enable=memory lists, bind-mounted over the lab's simulated controller list.
      "sudo sh -c 'echo cpuset cpu io memory pids > /run/steer-lab/pi-controllers && mount --bind /run/steer-lab/pi-controllers /sys/fs/cgroup/cgroup.controllers'",
    ].join(' && '))));
    await ok(cp, [
      'sudo mkdir -p /etc/kubernetes/patches',
      "printf 'spec:\\n  containers:\\n  - name: kube-apiserver\\n    livenessProbe:\\n      initialDelaySeconds: 33\\n' | sudo tee /etc/kubernetes/patches/kube-apiserver+strategic.yaml >/dev/null",
      `printf 'apiVersion: kubeadm.k8s.io/v1beta4\\nkind: InitConfiguration\\nnodeRegistration:\\n  taints: []\\npatches:\\n  directory: /etc/kubernetes/patches\\n---\\napiVersion: kubeadm.k8s.io/v1beta4\\nkind: ClusterConfiguration\\nkubernetesVersion: v1.32.10\\nnetworking:\\n  podSubnet: 10.244.0.0/16\\n' | sudo tee /etc/kubernetes/kubeadm-init.yaml >/dev/null`,
    ].join(' && '));
    const init = await ok(cp, 'sudo kubeadm init --config /etc/kubernetes/kubeadm-init.yaml');
    assert.match(init, /\[patches\] Applied patch of type "application\/strategic-merge-patch\+json" to target "kube-apiserver"/);
    const join = /(kubeadm join \S+ --token \S+ \\\n\s+--discovery-token-ca-cert-hash sha256:[0-9a-f]{64})/.exec(init)![1]!.replace(/\\\n\s+/, '');
    await ok(cp, `curl -fsSL ${lab.repoUrl}/files/kube-flannel.yml | ${KUBECTL} apply -f - >/dev/null`);
    await Promise.all([w1, w2].map((w) => ok(w, `sudo ${join}`)));
    await ok(cp, `${KUBECTL} wait --for=condition=Ready node --all --timeout=180s`);
    await ok(cp, `${KUBECTL} create namespace kube-verify`);
    for (const m of ['deployment', 'service']) await ok(cp, `cat <<'EOF' | ${KUBECTL} apply -f -\n${articleManifest(m)}EOF`);
    await ok(cp, `${KUBECTL} -n kube-verify rollout status deployment/kube-verify --timeout=120s`);
    const text = await nodes();
    for (const h of [cp, w1, w2]) assert.match(line(text, h), /\sReady\s.*\sv1\.32\.10$/);
  });

  test('a kubelet upgraded ahead of its control plane goes NotReady and says why; downgraded, it is Ready', async () => {
    await ok(w2, `echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] ${repo('1.33')} /' | sudo tee /etc/apt/sources.list.d/ahead.list >/dev/null && sudo apt-get update -q >/dev/null && ${apt('kubelet=1.33.6-1.1')}`);
    const text = await waitNodes(`${w2} NotReady at v1.33.6`, (t) => /\sNotReady\s.*\sv1\.33\.6$/.test(line(t, w2)));
    assert.match(line(text, cp), /\sReady\s.*\sv1\.32\.10$/);
    const why = await ok(cp, `${KUBECTL} get node ${w2} -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}' 2>/dev/null`);
    assert.match(why, /unsupported version skew: kubelet v1\.33\.6 is newer than kube-apiserver v1\.32\.10/);
    assert.match(await ok(w2, 'sudo journalctl -u kubelet --no-pager -n 100'), /Unsupported version skew: the kubelet must not be newer than kube-apiserver/);
    await ok(w2, `sudo rm /etc/apt/sources.list.d/ahead.list && sudo apt-get update -q >/dev/null && ${apt('kubelet=1.32.10-1.1')} && sudo apt-mark hold kubelet >/dev/null`);
    await waitNodes(`${w2} Ready at v1.32.10`, (t) => /\sReady\s.*\sv1\.32\.10$/.test(line(t, w2)));
  });

  let ip = '';
  test('the control plane to 1.33: repository switched, kubeadm first, plan, a skipped minor refused, apply, then its kubelet', async () => {
    ip = (await ok(cp, `${KUBECTL} get -n kube-verify service/kube-verify -o jsonpath={.spec.clusterIP} 2>/dev/null`)).trim();
    // kube-verify fetched twice a second on the control plane for the rest of the upgrade. A fetch
    // fails when no answer comes within 5 s: on a busy 2-core machine running two lab tests (and
    // the stand-ins in Python), 2 s was outlived twice in one CI run by a working Service.
    await ok(cp, `nohup sh -c 'while :; do if curl -s -o /dev/null --max-time 5 http://${ip}/; then echo ok; else echo FAIL $(date +%T) curl exit $?; fi; sleep 0.5; done' > /tmp/fetches 2>&1 & echo $! > /tmp/fetches.pid`);
    await Promise.all([cp, w1, w2].map((h) => ok(h, "sudo sed -i 's|/v1.32/|/v1.33/|' /etc/apt/sources.list.d/kubernetes.list && sudo apt-get update -q >/dev/null")));
    await ok(cp, `sudo apt-mark unhold kubeadm >/dev/null && ${apt('kubeadm=1.33.6-1.1')} && sudo apt-mark hold kubeadm >/dev/null`);
    assert.equal((await ok(cp, 'kubeadm version -o short 2>/dev/null')).trim(), 'v1.33.6');
    const skipped = await sh(cp, 'sudo kubeadm upgrade apply v1.34.2 -y');
    assert.equal(skipped.code, 1);
    assert.match(skipped.out, /Specified version to upgrade to "v1\.34\.2" is at least one minor release higher than the kubeadm minor release \(34 > 33\)\. Such an upgrade is not supported/);
    const plan = await ok(cp, 'sudo kubeadm upgrade plan -o yaml 2>/dev/null');
    assert.match(plan, /^kind: UpgradePlan$/m);
    assert.match(plan, /- currentVersion: v1\.32\.10\n {4}name: kube-apiserver\n {4}newVersion: v1\.33\.6\n/);
    const apply = await ok(cp, 'sudo kubeadm upgrade apply v1.33.6 -y --patches /etc/kubernetes/patches');
    assert.match(apply, /\[upgrade\/staticpods\] Restarting the etcd static pod and backing up its manifest to/);
    assert.match(apply, /\[upgrade\] SUCCESS! A control plane node of your cluster was upgraded to "v1\.33\.6"\./);
    assert.match(await ok(cp, 'sudo cat /etc/kubernetes/manifests/kube-apiserver.yaml'), /initialDelaySeconds: 33/, '--patches kept the patch');
    assert.match(await ok(cp, `${KUBECTL} version 2>/dev/null`), /^Client Version: v1\.32\.10\nKustomize Version: v5\.7\.1\nServer Version: v1\.33\.6\n$/);
    await ok(cp, `${KUBECTL} drain ${cp} --ignore-daemonsets --delete-emptydir-data --timeout=120s`);
    await ok(cp, `sudo apt-mark unhold kubelet kubectl >/dev/null && ${apt('kubelet=1.33.6-1.1 kubectl=1.33.6-1.1')} && sudo apt-mark hold kubelet kubectl >/dev/null`);
    await ok(cp, 'sudo systemctl daemon-reload && sudo systemctl restart kubelet');
    await ok(cp, `${KUBECTL} uncordon ${cp}`);
    await waitNodes(`${cp} Ready at v1.33.6`, (t) => /\sReady\s.*\sv1\.33\.6$/.test(line(t, cp)));
  });

  const upgradeWorker = async (w: string, prepare?: () => Promise<void>) => {
    await ok(w, `sudo apt-mark unhold kubeadm >/dev/null && ${apt('kubeadm=1.33.6-1.1')} && sudo apt-mark hold kubeadm >/dev/null`);
    await ok(cp, `${KUBECTL} drain ${w} --ignore-daemonsets --delete-emptydir-data --timeout=120s`);
    await prepare?.();
    const node = await ok(w, 'sudo kubeadm upgrade node');
    assert.match(node, /\[upgrade\/kubelet-config\] The kubelet configuration for this node was successfully upgraded!/);
    await ok(w, `sudo apt-mark unhold kubelet kubectl >/dev/null && ${apt('kubelet=1.33.6-1.1 kubectl=1.33.6-1.1')} && sudo apt-mark hold kubelet kubectl >/dev/null`);
    await ok(w, 'sudo systemctl daemon-reload && sudo systemctl restart kubelet');
    await ok(cp, `${KUBECTL} uncordon ${w}`);
    await waitNodes(`${w} Ready at v1.33.6`, (t) => /\sReady\s.*\sv1\.33\.6$/.test(line(t, w)));
  };

  test('the first worker: kubeadm, drain, kubeadm upgrade node, kubelet, uncordon', async () => {
    await upgradeWorker(w1);
  });

  test('the second worker: a PodDisruptionBudget holds its drain until --timeout; an injected fault stops `kubeadm upgrade node` with it cordoned', async () => {
    const onW2 = async () => (await ok(cp, `${KUBECTL} -n kube-verify get pods --field-selector spec.nodeName=${w2} -o name 2>/dev/null`)).trim();
    if (!(await onW2())) {
      // the drains above may have left no replica here: two more land on the least loaded node, this one
      await ok(cp, `${KUBECTL} -n kube-verify scale deployment/kube-verify --replicas=5 && ${KUBECTL} -n kube-verify rollout status deployment/kube-verify --timeout=120s`);
    }
    assert.ok(await onW2(), 'a kube-verify replica runs on the worker to drain');
    // maxUnavailable 0: no voluntary disruption at all while every replica is wanted
    await ok(cp, `${KUBECTL} -n kube-verify create pdb kube-verify --selector=app=kube-verify --max-unavailable=0`);
    const held = await sh(cp, `${KUBECTL} drain ${w2} --ignore-daemonsets --delete-emptydir-data --timeout=15s`);
    assert.equal(held.code, 1);
    assert.match(held.out, /error when evicting pods\/"kube-verify-\S+" -n "kube-verify" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./);
    assert.match(held.out, /error: unable to drain node "\S+" due to error: \[?error when evicting pods\/"kube-verify-\S+" -n "kube-verify": global timeout reached: 15s/);
    assert.match(line(await nodes(), w2), /\sReady,SchedulingDisabled\s/);
    await ok(cp, `${KUBECTL} -n kube-verify delete pdb kube-verify && ${KUBECTL} uncordon ${w2}`);

    await ok(w2, 'sudo steer-lab-fault set kubeadm-upgrade-node the SD card went read-only');
    await ok(w2, `sudo apt-mark unhold kubeadm >/dev/null && ${apt('kubeadm=1.33.6-1.1')} && sudo apt-mark hold kubeadm >/dev/null`);
    await ok(cp, `${KUBECTL} drain ${w2} --ignore-daemonsets --delete-emptydir-data --timeout=120s`);
    const failed = await sh(w2, 'sudo kubeadm upgrade node');
    assert.equal(failed.code, 1);
    assert.match(failed.out, /error execution phase kubelet-config: failed to write the kubelet configuration: the SD card went read-only/);
    assert.match(line(await nodes(), w2), /\sReady,SchedulingDisabled\s.*\sv1\.32\.10$/, 'stopped there: cordoned, still 1.32');
    await ok(w2, 'sudo steer-lab-fault clear kubeadm-upgrade-node');
    await upgradeWorker(w2);
  });

  test('kube-verify answered every fetch through the whole upgrade', async () => {
    await ok(cp, 'kill $(cat /tmp/fetches.pid)');
    const fetches = await ok(cp, 'cat /tmp/fetches');
    const lines = fetches.trim().split('\n');
    assert.ok(lines.length > 100, `${lines.length} fetches`);
    assert.deepEqual(lines.filter((l) => l !== 'ok'), [], 'no failed fetch');
    const text = await nodes();
    for (const h of [cp, w1, w2]) assert.match(line(text, h), /\sReady\s.*\sv1\.33\.6$/);
  });

  test('certificates: check-expiration, one made to expire soon (lab tool), renew all', async () => {
    const json = JSON.parse(await ok(cp, 'sudo kubeadm certs check-expiration -o json 2>/dev/null'));
    assert.equal(json.kind, 'CertificateExpirationInfo');
    assert.ok(json.certificates.every((c: { residualTime: number }) => c.residualTime > 360 * 86400));
    await ok(cp, 'sudo steer-lab-cert-expiry apiserver 5d');
    assert.match(await ok(cp, 'sudo kubeadm certs check-expiration 2>/dev/null'), /\napiserver\s+\S+ \d\d, \d{4} \d\d:\d\d UTC   4d\s+ca\s+no/);
    const renew = await ok(cp, 'sudo kubeadm certs renew all 2>/dev/null');
    assert.match(renew, /certificate for serving the Kubernetes API renewed\n/);
    assert.match(renew, /Done renewing certificates\. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd/);
    assert.match(await ok(cp, 'sudo kubeadm certs check-expiration 2>/dev/null'), /\napiserver\s+\S+ \d\d, \d{4} \d\d:\d\d UTC   36[45]d\s/);
    await ok(cp, `${KUBECTL} get nodes`);
  });

  test('backup, wipe, restore: etcdctl from the lab\'s release tarball, the pki, kubeadm reset, etcdutl restore, kubeadm init', async () => {
    const tarball = etcdTarballName();
    await ok(cp, [
      `cd /tmp && curl -fsSLO ${lab.repoUrl}/files/${tarball} && curl -fsSLO ${lab.repoUrl}/files/SHA256SUMS && sha256sum -c SHA256SUMS`,
      `tar -xzf ${tarball} && sudo install -m 0755 ${tarball.replace(/\.tar\.gz$/, '')}/etcdctl ${tarball.replace(/\.tar\.gz$/, '')}/etcdutl /usr/local/bin/`,
    ].join(' && '));
    assert.match(await ok(cp, `${ETCDCTL} endpoint health --cluster 2>/dev/null`), /is healthy: successfully committed proposal/);
    const saved = await ok(cp, `sudo mkdir -p /var/backups/etcd && ${ETCDCTL} snapshot save /var/backups/etcd/snap.db 2>/dev/null`);
    assert.match(saved, /^Snapshot saved at \/var\/backups\/etcd\/snap\.db\nServer version 3\.5\.24\n$/);
    const status = JSON.parse(await ok(cp, 'sudo etcdutl --write-out=json snapshot status /var/backups/etcd/snap.db 2>/dev/null'));
    assert.ok(status.revision > 0 && status.totalKey > 0, JSON.stringify(status));
    await ok(cp, 'sudo tar -C /etc/kubernetes -czf /var/backups/etcd/pki.tgz pki');
    await ok(cp, `${KUBECTL} create namespace after-the-backup`);
    await ok(cp, 'sudo kubeadm reset -f >/dev/null && sudo rm -rf /etc/kubernetes/pki /var/lib/etcd');
    assert.equal((await sh(cp, `${KUBECTL} get nodes`)).code, 1);
    const address = lab.hosts[0]!.address;
    await ok(cp, [
      'sudo tar -C /etc/kubernetes -xzf /var/backups/etcd/pki.tgz',
      `sudo etcdutl snapshot restore /var/backups/etcd/snap.db --data-dir /var/lib/etcd --name ${cp} --initial-cluster ${cp}=https://${address}:2380 --initial-advertise-peer-urls https://${address}:2380`,
      "sudo sed -i 's/kubernetesVersion: v1.32.10/kubernetesVersion: v1.33.6/' /etc/kubernetes/kubeadm-init.yaml",
    ].join(' && '));
    const init = await ok(cp, 'sudo kubeadm init --config /etc/kubernetes/kubeadm-init.yaml --ignore-preflight-errors=DirAvailable--var-lib-etcd');
    assert.match(init, /\[certs\] Using existing ca certificate authority/);
    await ok(cp, `${KUBECTL} wait --for=condition=Ready node --all --timeout=180s`);
    const namespaces = await ok(cp, `${KUBECTL} get namespaces -o name 2>/dev/null`);
    assert.match(namespaces, /^namespace\/kube-verify$/m);
    assert.doesNotMatch(namespaces, /after-the-backup/);
    await ok(cp, `${KUBECTL} -n kube-verify rollout status deployment/kube-verify --timeout=120s`);
    let page = '';
    for (let i = 0; i < 30 && !page.includes('Welcome to'); i++) {
      page = (await sh(cp, `curl -s --max-time 5 http://${ip}/`)).out;
      if (!page.includes('Welcome to')) await new Promise((r) => setTimeout(r, 1000));
    }
    assert.match(page, /Served by pod <strong>kube-verify-/);
  });
});
