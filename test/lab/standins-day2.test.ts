// The stand-ins' day-2 commands on the local harness (issue 16): kubeadm upgrade plan/apply/node
// with the skew policy's errors, a kubelet newer than the API server, kubectl drain against
// PodDisruptionBudgets, kubeadm certs, etcdctl / etcdutl snapshots and a control plane restored
// from one, node names, the lab-only fault hooks and Pi-health stand-ins.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { Harness, freePort, initConfig, joinConfig, runProcess, waitFor, type FakeHost } from '../../lab/standins/harness/local.js';

const TAG = '[steer lab stand-in]';
const skip = process.platform !== 'linux' ? 'the stand-ins need Linux' : undefined;
const HOST_FILES = new URL('../../lab/host-files/', import.meta.url).pathname;
const fixture = (name: string) => readFileSync(new URL(`../fixtures/standins/kube-verify-${name}.yaml`, import.meta.url), 'utf8');
const flannel = readFileSync(new URL('../../lab/standins/manifests/kube-flannel.yml', import.meta.url), 'utf8');
const V134 = { STANDIN_VERSION: '1.34.2' };

describe('day-2 commands without a cluster', { skip }, () => {
  const h = new Harness();
  let host: FakeHost;
  before(async () => {
    await h.init();
    host = await h.host('lonely', { version: '1.33.6' });
  });
  after(() => h.cleanup());

  test('node names: lowercased as GetHostname does, refused when not a DNS-1123 subdomain', async () => {
    let r = await host.run('kubeadm', ['init', '--node-name', 'Pi_1', '--kubernetes-version', 'v1.33.6']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nodeRegistration\.name: Invalid value: "pi_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '\.'/);
    await host.write('join.yaml', joinConfig('127.0.0.1:6443', 'abcdef.0123456789abcdef', 'unsafe').replace('discovery:', 'nodeRegistration:\n  name: PiNode2\ndiscovery:'));
    r = await host.run('kubeadm', ['config', 'validate', '--config', '/join.yaml']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('kubeadm upgrade and certs need a control plane; their usage errors are the real ones', async () => {
    let r = await host.run('kubeadm', ['upgrade', 'apply']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /missing one or more required arguments\. Required arguments: \[version\]/);
    r = await host.run('kubeadm', ['upgrade', 'apply', 'v1.34.2']);
    assert.match(r.stderr, /failed to load admin kubeconfig: open \/etc\/kubernetes\/admin\.conf: no such file or directory/);
    r = await host.run('kubeadm', ['certs', 'check-expiration', '-o', 'wide']);
    assert.match(r.stderr, /unable to match a printer suitable for the output format "wide", allowed formats are: json,text,yaml/);
    r = await host.run('kubeadm', ['certs', 'check-expiration']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^CERTIFICATE\s+EXPIRES\s+RESIDUAL TIME\s+CERTIFICATE AUTHORITY\s+EXTERNALLY MANAGED\n!MISSING! admin\.conf\s*\n/);
    assert.match(r.stdout, /\nCERTIFICATE AUTHORITY\s+EXPIRES\s+RESIDUAL TIME\s+EXTERNALLY MANAGED\n!MISSING! ca\s*\n/);
    r = await host.run('kubeadm', ['certs', 'renew', 'all']);
    assert.match(r.stdout, /^MISSING! certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself\nMISSING! certificate for serving the Kubernetes API\n/);
    assert.match(r.stdout, /\nDone renewing certificates\. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates\.\n$/);
  });

  test('etcdctl 3.6: snapshot status is etcdutl\'s; an unreachable member is unhealthy', async () => {
    let r = await host.run('etcdctl', ['snapshot', 'status', 'x.db']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^\[steer lab stand-in\] etcdctl v3\.6\.5: /);
    assert.match(r.stderr, /Error: unknown command "status" for "etcdctl snapshot"/);
    const closed = await freePort();
    r = await host.run('etcdctl', ['--endpoints', `127.0.0.1:${closed}`, 'endpoint', 'health']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`http://127\\.0\\.0\\.1:${closed} is unhealthy: failed to commit proposal: context deadline exceeded\\nError: unhealthy cluster`));
    r = await host.run('etcdutl', ['version']);
    assert.equal(r.stdout, 'etcdutl version: 3.6.5\nAPI version: 3.6\n');
  });

  test('vcgencmd and steer-lab-fault (lab host files) read and write the fault files', async () => {
    const env = { ...process.env, STEER_LAB_ROOT: host.root };
    const sh = (script: string, args: string[]) => runProcess('sh', [HOST_FILES + script, ...args], env);
    let r = await sh('usr/bin/vcgencmd', ['get_throttled']);
    assert.equal(r.stdout, 'throttled=0x0\n');
    assert.match(r.stderr, /^\[steer lab stand-in\] vcgencmd: /);
    r = await sh('usr/sbin/steer-lab-fault', ['set', 'throttled', '0x50005']);
    assert.equal(r.code, 0, r.stderr);
    r = await sh('usr/bin/vcgencmd', ['get_throttled']);
    assert.equal(r.stdout, 'throttled=0x50005\n');
    await sh('usr/sbin/steer-lab-fault', ['set', 'temperature', '81.3']);
    assert.equal((await sh('usr/bin/vcgencmd', ['measure_temp'])).stdout, "temp=81.3'C\n");
    r = await sh('usr/sbin/steer-lab-fault', ['set', 'no-such-fault']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown fault 'no-such-fault'/);
    await sh('usr/sbin/steer-lab-fault', ['clear', '--all']);
    assert.equal((await sh('usr/bin/vcgencmd', ['get_throttled'])).stdout, 'throttled=0x0\n');
  });
});

describe('a 1.33 cluster lives on: skew, upgrade, drain, certificates, backup and restore', { skip }, () => {
  const h = new Harness();
  let cp: FakeHost;
  let w: FakeHost;
  let port = 0;
  const kubectl = (args: string[], o: { input?: string; env?: NodeJS.ProcessEnv } = {}) =>
    cp.run('kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', ...args], o);
  const etcdFlags = () => ['--endpoints', `https://127.0.0.1:${cp.env.STANDIN_ETCD_CLIENT_PORT}`, '--cacert', '/etc/kubernetes/pki/etcd/ca.crt',
    '--cert', '/etc/kubernetes/pki/etcd/server.crt', '--key', '/etc/kubernetes/pki/etcd/server.key'];
  const nodeLine = async (name: string) => (await kubectl(['get', 'nodes', '--no-headers'])).stdout.split('\n').find((l) => l.startsWith(name + ' ')) ?? '';

  before(async () => {
    await h.init();
    cp = await h.host('juniper', { version: '1.33.6' });
    w = await h.host('larch', { version: '1.33.6' });
    port = await freePort();
    await cp.write('root/kubeadm.yaml', initConfig(port, { version: '1.33.6', skipPhases: ['mark-control-plane'] }));
    // the roles' patch (a longer liveness delay for slow boards), by the name they give it
    await cp.write('root/patches/kube-apiserver+strategic.yaml', 'spec:\n  containers:\n  - name: kube-apiserver\n    livenessProbe:\n      initialDelaySeconds: 33\n');
    const init = await cp.run('kubeadm', ['init', '--config', '/root/kubeadm.yaml', '--patches', '/root/patches']);
    assert.match(init.stdout, /\[patches\] Applied patch of type "application\/strategic-merge-patch\+json" to target "kube-apiserver"/);
    assert.equal(init.code, 0, init.stderr + init.stdout);
    const m = /kubeadm join (\S+) --token (\S+) \\\n\t--discovery-token-ca-cert-hash (\S+)/.exec(init.stdout)!;
    await w.write('root/join.yaml', joinConfig(m[1]!, m[2]!, [m[3]!]));
    const join = await w.run('kubeadm', ['join', '--config', '/root/join.yaml']);
    assert.equal(join.code, 0, join.stderr + join.stdout);
    await kubectl(['apply', '-f', '-'], { input: flannel });
    const ready = await kubectl(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=120s']);
    assert.equal(ready.code, 0, ready.stderr);
    await kubectl(['create', 'namespace', 'kube-verify']);
    await kubectl(['create', '-f', '-'], { input: fixture('deployment') });
    await kubectl(['apply', '-f', '-'], { input: fixture('service') });
    const rolled = await kubectl(['-n', 'kube-verify', 'rollout', 'status', 'deployment/kube-verify', '--timeout=90s']);
    assert.equal(rolled.code, 0, rolled.stderr);
  });
  after(() => h.cleanup());

  test('versions: the control plane\'s own (manifests, kubeadm-config, /version), each kubelet\'s, kubectl\'s with its skew warning', async () => {
    assert.match(await cp.read('etc/kubernetes/manifests/kube-apiserver.yaml'), /image: registry\.k8s\.io\/kube-apiserver:v1\.33\.6\n/);
    assert.match(await cp.read('etc/kubernetes/manifests/etcd.yaml'), /image: registry\.k8s\.io\/etcd:3\.5\.24-0\n/);
    const json = JSON.parse((await kubectl(['version', '-o', 'json'])).stdout);
    assert.equal(json.clientVersion.gitVersion, 'v1.33.6');
    assert.equal(json.serverVersion.gitVersion, 'v1.33.6');
    const cc = await kubectl(['-n', 'kube-system', 'get', 'cm', 'kubeadm-config', '-o', 'jsonpath={.data.ClusterConfiguration}']);
    assert.match(cc.stdout, /kubernetesVersion: v1\.33\.6/);
    const old = await kubectl(['version'], { env: { STANDIN_VERSION: '1.31.4' } });
    assert.equal(old.stdout, 'Client Version: v1.31.4\nKustomize Version: v5.7.1\nServer Version: v1.33.6\n');
    assert.match(old.stderr, /WARNING: version difference between client \(1\.31\) and server \(1\.33\) exceeds the supported minor version skew of \+\/-1/);
  });

  test('a kubelet newer than the API server goes NotReady and says why; downgraded, it is Ready again', async () => {
    await w.restartKubelet('1.34.2');
    await waitFor('larch NotReady at v1.34.2', async () => /^larch\s+NotReady\s+\S+\s+\S+\s+v1\.34\.2$/.test(await nodeLine('larch')), 60_000);
    const msg = await kubectl(['get', 'node', 'larch', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].message}']);
    assert.equal(msg.stdout, `${TAG} unsupported version skew: kubelet v1.34.2 is newer than kube-apiserver v1.33.6 (see https://kubernetes.io/releases/version-skew-policy/)`);
    assert.match(await w.read('run/fake-systemd/kubelet.log'), /Unsupported version skew: the kubelet must not be newer than kube-apiserver.*kubeletVersion="v1\.34\.2" apiServerVersion="v1\.33\.6"/);
    await w.restartKubelet('1.33.6');
    await waitFor('larch Ready again', async () => /^larch\s+Ready\s/.test(await nodeLine('larch')), 60_000);
  });

  test('etcdctl endpoint health and member list; snapshot save; etcdutl status and restore (and their errors)', async () => {
    let r = await cp.run('etcdctl', [...etcdFlags(), 'endpoint', 'health', '--cluster']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^https:\/\/127\.0\.0\.1:\d+ is healthy: successfully committed proposal: took = [\d.]+m?s\n$/);
    r = await cp.run('etcdctl', [...etcdFlags(), 'member', 'list', '-w', 'json']);
    const members = JSON.parse(r.stdout).members;
    assert.equal(members.length, 1);
    assert.equal(members[0].name, 'juniper');
    assert.deepEqual(members[0].peerURLs, ['https://127.0.0.1:2380']);
    r = await cp.run('etcdctl', ['--endpoints', `https://127.0.0.1:${cp.env.STANDIN_ETCD_CLIENT_PORT}`, '--cacert', '/etc/kubernetes/pki/etcd/ca.crt', 'member', 'list']);
    assert.equal(r.code, 2, 'no client certificate: etcd refuses the connection');
    r = await cp.run('etcdctl', [...etcdFlags(), 'snapshot', 'save', '/root/snap.db'], { env: { ETCDCTL_API: '3' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Snapshot saved at /root/snap.db\nServer version 3.5.24\n');
    assert.match(r.stderr, /"msg":"fetched snapshot"/);
    assert.equal((await stat(`${cp.root}/root/snap.db`)).mode & 0o777, 0o600);
    r = await cp.run('etcdutl', ['snapshot', 'status', '/root/snap.db', '-w', 'json']);
    const st = JSON.parse(r.stdout);
    assert.ok(st.revision > 0 && st.totalKey > 10 && st.version === '3.5.0', r.stdout);
    r = await cp.run('etcdutl', ['snapshot', 'status', '/root/snap.db', '-w', 'table']);
    assert.match(r.stdout, /^\+-+\+-+\+-+\+-+\+-+\+\n\|\s+HASH\s+\|\s+REVISION\s+\|\s+TOTAL KEYS\s+\|\s+TOTAL SIZE\s+\|\s+VERSION\s+\|\n/);
    r = await cp.run('etcdutl', ['snapshot', 'restore', '/root/snap.db', '--data-dir', '/var/lib/etcd']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error: data-dir "\/var\/lib\/etcd" not empty or could not be read/);
    const data = readFileSync(`${cp.root}/root/snap.db`);
    await cp.write('root/bad.db', Buffer.concat([data.subarray(0, 100), Buffer.from('X'), data.subarray(101)]).toString('latin1'));
    r = await cp.run('etcdutl', ['snapshot', 'restore', '/root/bad.db', '--data-dir', '/root/restored']);
    assert.match(r.stderr, /Error: expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}/);
    r = await cp.run('etcdutl', ['snapshot', 'restore', '/root/snap.db', '--data-dir', '/root/restored']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /restored snapshot\t\{"path": "\/root\/snap\.db"/);
    const member = await cp.read('root/restored/member/standin-member.json');
    assert.match(member, /"name": "default"/);
    // 0x8e9e05c52164694d: etcd's ID for http://localhost:2380, as a real restore without --name gives
    assert.match(member, /"ID": 10276657743932975437\b/);
  });

  test('kubeadm upgrade: the skew policy\'s fatal and --force-able errors, plan, then apply to 1.34', async () => {
    let r = await cp.run('kubeadm', ['upgrade', 'plan']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /You can now apply the upgrade/, 'nothing newer than kubeadm 1.33.6 itself');
    r = await cp.run('kubeadm', ['upgrade', 'apply', 'v1.34.2', '-y']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error execution phase preflight: the version argument is invalid due to these fatal errors:\n\n\t- Specified version to upgrade to "v1\.34\.2" is at least one minor release higher than the kubeadm minor release \(34 > 33\)\. Such an upgrade is not supported\n\nPlease fix the misalignments highlighted above and try upgrading again/);
    r = await cp.run('kubeadm', ['upgrade', 'apply', 'v1.35.0', '-y'], { env: { STANDIN_VERSION: '1.35.0' } });
    assert.match(r.stderr, /- Specified version to upgrade to "v1\.35\.0" is too high; kubeadm can upgrade only 1 minor version at a time/);
    r = await cp.run('kubeadm', ['upgrade', 'apply', 'v1.33.5', '-y'], { env: V134 });
    assert.match(r.stderr, /the version argument is invalid due to these errors:\n\n\t- Kubeadm version v1\.34\.2 can only be used to upgrade to Kubernetes version 1\.34\n\nCan be bypassed if you pass the --force flag/);
    r = await cp.run('kubeadm', ['upgrade', 'apply', 'v1.34.2'], { env: V134, input: 'n\n' });
    assert.match(r.stdout, /\[upgrade\] Are you sure you want to proceed\? \[y\/N\]: $/);
    assert.match(r.stderr, /won't proceed; the user didn't answer \(Y\|y\) in order to continue/);

    r = await cp.run('kubeadm', ['upgrade', 'plan', '-o', 'json'], { env: V134 });
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.equal(plan.kind, 'UpgradePlan');
    assert.equal(plan.apiVersion, 'output.kubeadm.k8s.io/v1alpha3');
    const comps = plan.availableUpgrades[0].components as { name: string; currentVersion: string; newVersion: string; nodeName?: string }[];
    assert.deepEqual(comps.find((c) => c.name === 'kube-apiserver'), { name: 'kube-apiserver', currentVersion: 'v1.33.6', newVersion: 'v1.34.2', nodeName: 'juniper' });
    assert.deepEqual(comps.find((c) => c.name === 'etcd'), { name: 'etcd', currentVersion: '3.5.24-0', newVersion: '3.6.5-0', nodeName: 'juniper' });
    assert.equal(comps.filter((c) => c.name === 'kubelet').length, 2);

    const before = await cp.read('etc/kubernetes/pki/apiserver.crt');
    r = await cp.run('kubeadm', ['upgrade', 'apply', 'v1.34.2', '--yes', '--patches', '/root/patches'], { env: V134, timeoutMs: 600_000 });
    assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr.slice(-3000));
    assert.match(await cp.read('etc/kubernetes/manifests/kube-apiserver.yaml'), /initialDelaySeconds: 33\n/, 'the patch applied again');
    assert.match(r.stdout, /\[upgrade\/staticpods\] Renewing apiserver-etcd-client certificate\n/);
    assert.match(r.stdout, /\[upgrade\/staticpods\] Moving new manifest to "\/etc\/kubernetes\/manifests\/kube-apiserver\.yaml" and backing up old manifest to "\/etc\/kubernetes\/tmp\/kubeadm-backup-manifests-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\/kube-apiserver\.yaml"\n/);
    assert.match(r.stdout, /\n\[upgrade\] SUCCESS! A control plane node of your cluster was upgraded to "v1\.34\.2"\.\n\n\[upgrade\] Now please proceed with upgrading the rest of the nodes by following the right order\.\n$/);
    assert.notEqual(await cp.read('etc/kubernetes/pki/apiserver.crt'), before, 'apply renews the certificates');
    assert.match(await cp.read('etc/kubernetes/manifests/etcd.yaml'), /image: registry\.k8s\.io\/etcd:3\.6\.5-0\n/);
    const tmp = execFileSync('ls', [`${cp.root}/etc/kubernetes/tmp`]).toString();
    assert.match(tmp, /^kubeadm-backup-etcd-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/m);
    assert.match(tmp, /^kubeadm-kubelet-config\w+$/m);
    r = await kubectl(['version']);
    assert.equal(r.stdout, 'Client Version: v1.33.6\nKustomize Version: v5.7.1\nServer Version: v1.34.2\n');
    assert.match(await nodeLine('larch'), /\sv1\.33\.6$/, 'kubelets keep their version until their package is upgraded');
    const proxy = await kubectl(['-n', 'kube-system', 'get', 'ds', 'kube-proxy', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
    assert.equal(proxy.stdout, 'registry.k8s.io/kube-proxy:v1.34.2');
  });

  test('kubeadm upgrade node on a worker; the lab fault hooks stop it, or the kubelet', async () => {
    await w.write('etc/steer-lab/faults/kubeadm-upgrade-node', 'read-only file system (steer lab fault)\n');
    let r = await w.run('kubeadm', ['upgrade', 'node'], { env: V134 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error execution phase kubelet-config: failed to write the kubelet configuration: read-only file system \(steer lab fault\)/);
    execFileSync('rm', [`${w.root}/etc/steer-lab/faults/kubeadm-upgrade-node`]);
    r = await w.run('kubeadm', ['upgrade', 'node'], { env: V134 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\[upgrade\/preflight\] Skipping prepull\. Not a control plane node\.\n\[upgrade\/control-plane\] Skipping phase\. Not a control plane node\.\n\[upgrade\/kubeconfig\] Skipping phase\. Not a control plane node\.\n\[upgrade\] Backing up kubelet config file to \/etc\/kubernetes\/tmp\/kubeadm-kubelet-config\w+\/config\.yaml\n\[kubelet-start\] Writing kubelet configuration to file "\/var\/lib\/kubelet\/config\.yaml"\n\[upgrade\/kubelet-config\] The kubelet configuration for this node was successfully upgraded!\n/);
    await w.write('etc/steer-lab/faults/kubelet-start', '');
    await w.restartKubelet('1.34.2');
    await waitFor('the kubelet to fail', async () => /failed to run Kubelet: injected fault \/etc\/steer-lab\/faults\/kubelet-start/.test(await w.read('run/fake-systemd/kubelet.log')), 30_000);
    execFileSync('rm', [`${w.root}/etc/steer-lab/faults/kubelet-start`]);
    await w.restartKubelet('1.34.2');
    await waitFor('larch Ready at v1.34.2', async () => /^larch\s+Ready\s+\S+\s+\S+\s+v1\.34\.2$/.test(await nodeLine('larch')), 90_000);
  });

  test('kubectl drain: filters, a PodDisruptionBudget that blocks eviction until --timeout, --disable-eviction', async () => {
    await kubectl(['-n', 'kube-verify', 'scale', 'deployment/kube-verify', '--replicas=2']);
    let r = await kubectl(['create', 'pdb', 'kv', '-n', 'kube-verify', '--selector=app=kube-verify']);
    assert.match(r.stderr, /error: one of min-available or max-unavailable must be specified/);
    r = await kubectl(['create', 'pdb', 'kv', '-n', 'kube-verify', '--selector=app=kube-verify', '--min-available=100%']);
    assert.equal(r.stdout, 'poddisruptionbudget.policy/kv created\n');
    await waitFor('the budget', async () => /^kv\s+100%\s+N\/A\s+0\s/m.test((await kubectl(['get', 'pdb', '-n', 'kube-verify'])).stdout));
    r = await kubectl(['drain', 'larch']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: unable to drain node "larch" due to error: cannot delete DaemonSet-managed Pods \(use --ignore-daemonsets to ignore\): kube-flannel\/kube-flannel-ds-\w+, kube-system\/kube-proxy-\w+, continuing command\.\.\.\nThere are pending nodes to be drained:\n larch\n/);
    r = await kubectl(['drain', 'larch', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=7s']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^node\/larch already cordoned\n/);
    assert.match(r.stderr, /error when evicting pods\/"kube-verify-\w+-\w+" -n "kube-verify" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\.\n/);
    // one error per pending Pod, aggregated ([a, b]) when there are several, as kubectl's
    assert.match(r.stderr, /There are pending pods in node "larch" when an error occurred: \[?error when evicting pods\/"kube-verify-\w+-\w+" -n "kube-verify": global timeout reached: 7s(\]|, |\n)/);
    assert.match(r.stderr, /\npod\/kube-verify-\w+-\w+\n/);
    assert.match(r.stderr, /\nThere are pending nodes to be drained:\n larch\n\[?error when evicting pods\/"kube-verify-\w+-\w+" -n "kube-verify": global timeout reached: 7s.*\n$/);
    assert.match(await nodeLine('larch'), /Ready,SchedulingDisabled/);
    r = await kubectl(['drain', 'larch', '--ignore-daemonsets', '--disable-eviction', '--timeout=60s']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /evicting pod/);
    assert.match(r.stdout, /^pod\/kube-verify-\w+-\w+ deleted$/m);
    assert.match(r.stdout, /node\/larch drained\n$/);
    await kubectl(['delete', 'pdb', 'kv', '-n', 'kube-verify']);
    await cp.write('root/bare.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: bare\n  namespace: default\nspec:\n  nodeName: juniper\n  volumes:\n  - name: scratch\n    emptyDir: {}\n  containers:\n  - name: c\n    image: nginx:1.27\n');
    await kubectl(['apply', '-f', '/root/bare.yaml']);
    r = await kubectl(['drain', 'juniper', '--ignore-daemonsets']);
    assert.match(r.stderr, /cannot delete Pods with local storage \(use --delete-emptydir-data to override\): default\/bare/);
    r = await kubectl(['drain', 'juniper', '--ignore-daemonsets', '--delete-emptydir-data']);
    assert.match(r.stderr, /cannot delete Pods that declare no controller \(use --force to override\): default\/bare/);
    r = await kubectl(['drain', 'juniper', '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=60s']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: deleting Pods that declare no controller: default\/bare/);
    assert.match(r.stdout, /^pod\/bare evicted$/m);
    for (const n of ['larch', 'juniper']) assert.equal((await kubectl(['uncordon', n])).stdout, `node/${n} uncordoned\n`);
  });

  test('kubeadm certs: check-expiration (text, json), a certificate near expiry (lab tool), renew one and all', async () => {
    const tool = (args: string[]) => runProcess('python3', [HOST_FILES + 'usr/sbin/steer-lab-cert-expiry', ...args],
      { ...cp.env, STEER_STANDIN_LIB: new URL('../../lab/standins/python', import.meta.url).pathname });
    let r = await tool(['apiserver', '10d']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\[steer lab stand-in\] apiserver now expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(lab-only/);
    await tool(['front-proxy-ca', '200d']);
    r = await cp.run('kubeadm', ['certs', 'check-expiration'], { env: V134 });
    assert.match(r.stdout, /^\[check-expiration\] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"\.\.\.\n/);
    assert.match(r.stdout, /\napiserver\s+[A-Z][a-z]{2} \d\d, \d{4} \d\d:\d\d UTC   9d              ca                      no      \n/);
    assert.match(r.stdout, /\nfront-proxy-ca\s+[A-Z][a-z]{2} \d\d, \d{4} \d\d:\d\d UTC   199d            no      \n/);
    r = await cp.run('kubeadm', ['certs', 'check-expiration', '-o', 'json'], { env: V134 });
    const info = JSON.parse(r.stdout);
    const apiserver = info.certificates.find((c: { name: string }) => c.name === 'apiserver');
    assert.ok(apiserver.residualTime > 9 * 86400 && apiserver.residualTime <= 10 * 86400, JSON.stringify(apiserver));
    assert.equal(apiserver.caName, 'ca');
    r = await tool(['admin.conf', '-1d']);
    assert.equal(r.code, 0, r.stderr);
    r = await cp.run('kubeadm', ['certs', 'check-expiration'], { env: V134 });
    assert.match(r.stdout, /\nadmin\.conf\s+\S+ \d\d, \d{4} \d\d:\d\d UTC   <invalid>       ca/);
    r = await cp.run('kubeadm', ['certs', 'renew', 'apiserver'], { env: V134 });
    assert.match(r.stdout, /\ncertificate for serving the Kubernetes API renewed\n$/);
    execFileSync('rm', [`${cp.root}/etc/kubernetes/super-admin.conf`]);
    const adminBefore = await cp.read('etc/kubernetes/admin.conf');
    r = await cp.run('kubeadm', ['certs', 'renew', 'all'], { env: V134 });
    // admin.conf's certificate expired: the cluster refuses it, kubeadm falls back to the defaults
    assert.match(r.stdout, /^\[renew\] Error reading configuration from the Cluster\. Falling back to default configuration\n\ncertificate embedded in the kubeconfig file for the admin to use and for kubeadm itself renewed\n/);
    assert.match(r.stdout, /\nMISSING! certificate embedded in the kubeconfig file for the super-admin\n\nDone renewing certificates\./);
    assert.notEqual(await cp.read('etc/kubernetes/admin.conf'), adminBefore, 'the embedded client certificate is rewritten');
    r = await cp.run('kubeadm', ['certs', 'check-expiration', '-o', 'yaml'], { env: V134 });
    assert.match(r.stdout, /- expirationDate: null\n  externallyManaged: false\n  missing: true\n  name: super-admin\.conf\n  residualTime: 0\n/);
    assert.doesNotMatch(r.stdout, /<invalid>/);
    assert.equal((await kubectl(['get', 'nodes', '-o', 'name'])).code, 0, 'the renewed admin.conf works');
  });

  test('backup, wipe, restore: etcd snapshot plus pki, kubeadm reset, etcdutl restore, kubeadm init on the restored data', async () => {
    let r = await cp.run('etcdctl', [...etcdFlags(), 'snapshot', 'save', '/root/backup.db']);
    assert.equal(r.code, 0, r.stderr);
    execFileSync('tar', ['-C', `${cp.root}/etc/kubernetes`, '-czf', `${cp.root}/root/pki.tgz`, 'pki']);
    await kubectl(['create', 'namespace', 'after-the-backup']);
    r = await cp.run('kubeadm', ['reset', '-f'], { env: V134 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(await cp.read('etc/cni/net.d/10-flannel.conflist'), /flannel/, 'reset leaves the CNI configuration');
    await assert.rejects(stat(`${cp.root}/var/lib/etcd/member`));
    execFileSync('tar', ['-C', `${cp.root}/etc/kubernetes`, '-xzf', `${cp.root}/root/pki.tgz`]);
    r = await cp.run('etcdutl', ['snapshot', 'restore', '/root/backup.db', '--data-dir', '/var/lib/etcd', '--name', 'juniper',
      '--initial-cluster', 'juniper=https://127.0.0.1:2380', '--initial-advertise-peer-urls', 'https://127.0.0.1:2380']);
    assert.equal(r.code, 0, r.stderr);
    await cp.write('root/kubeadm.yaml', initConfig(port, { version: '1.34.2', skipPhases: ['mark-control-plane'] }));
    r = await cp.run('kubeadm', ['init', '--config', '/root/kubeadm.yaml'], { env: V134 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[ERROR DirAvailable--var-lib-etcd\]: \/var\/lib\/etcd is not empty/);
    r = await cp.run('kubeadm', ['init', '--config', '/root/kubeadm.yaml', '--ignore-preflight-errors=DirAvailable--var-lib-etcd'], { env: V134 });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /\[certs\] Using existing ca certificate authority\n/);
    assert.match(r.stdout, /\[certs\] Using the existing "sa" key\n/);
    const ns = await kubectl(['get', 'namespaces', '-o', 'name']);
    assert.match(ns.stdout, /^namespace\/kube-verify$/m);
    assert.doesNotMatch(ns.stdout, /after-the-backup/, 'the cluster is the one of the snapshot');
    r = await kubectl(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=120s']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'node/juniper condition met\nnode/larch condition met\n', 'the worker is back, with its old credentials');
    r = await kubectl(['-n', 'kube-verify', 'rollout', 'status', 'deployment/kube-verify', '--timeout=90s']);
    assert.equal(r.code, 0, r.stderr);
  });
});
