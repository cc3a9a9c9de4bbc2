// The Kubernetes stand-ins, run from the source tree against temporary host roots (STANDIN_ROOT)
// with an API server on a loopback port: kubeadm's preflight failures, init, join (good and bad
// tokens and CA hashes), kubectl, scheduling and the Service answer, reset.
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { stat } from 'node:fs/promises';
import { Harness, freePort, initConfig, joinConfig, waitFor, type FakeHost } from '../../lab/standins/harness/local.js';

// The first article's Deployment and Service, as it pipes them into kubectl.
const articleManifest = (name: string) => readFileSync(new URL(`../fixtures/standins/kube-verify-${name}.yaml`, import.meta.url), 'utf8');

const TAG = '[steer lab stand-in]';
const skip = process.platform !== 'linux' ? 'the stand-ins need Linux' : undefined;

function caPin(caPem: string): string {
  const pub = execFileSync('openssl', ['x509', '-pubkey', '-noout'], { input: caPem });
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: pub });
  return 'sha256:' + execFileSync('sha256sum', [], { input: der }).toString().split(' ')[0];
}

describe('kubeadm preflight (each failure with the real check name and text)', { skip }, () => {
  const h = new Harness();
  before(() => h.init());
  after(() => h.cleanup());

  async function init(host: FakeHost, extra: string[] = []) {
    return host.run('kubeadm', ['init', '--apiserver-advertise-address=127.0.0.1', `--apiserver-bind-port=${await freePort()}`,
      '--kubernetes-version=v1.34.2', ...extra]);
  }

  test('token generate prints a bootstrap token and labels itself on stderr', async () => {
    const host = await h.host('tokens');
    const r = await host.run('kubeadm', ['token', 'generate']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^[a-z0-9]{6}\.[a-z0-9]{16}\n$/);
    assert.ok(r.stderr.startsWith(TAG));
  });

  test('net.ipv4.ip_forward=0', async () => {
    const host = await h.host('ipfwd');
    await host.write('proc/sys/net/ipv4/ip_forward', '0\n');
    const r = await init(host);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error execution phase preflight: \[preflight\] Some fatal errors occurred:\n\t\[ERROR FileContent--proc-sys-net-ipv4-ip_forward\]: \/proc\/sys\/net\/ipv4\/ip_forward contents are not set to 1\n/);
    assert.match(r.stderr, /you can make a check non-fatal with `--ignore-preflight-errors=...`/);
  });

  test('the container runtime socket not answering', async () => {
    const host = await h.host('nocri');
    await host.stopRuntime();
    const r = await init(host);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[ERROR CRI\]: container runtime is not running: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix \/var\/run\/containerd\/containerd.sock: connect: (no such file or directory|connection refused)"/);
  });

  test('the memory cgroup disabled (as on a Pi without cgroup_enable=memory)', async () => {
    const host = await h.host('nomem');
    await host.write('sys/fs/cgroup/cgroup.controllers', 'cpuset cpu io hugetlb pids rdma misc\n');
    const r = await init(host);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[ERROR SystemVerification\]: missing required cgroups: memory\n/);
    assert.match(r.stdout, /The system verification failed. Printing the output from the verification:\n/);
    assert.match(r.stdout, /CGROUPS_MEMORY: missing/);
    assert.match(r.stdout, /CGROUPS_CPU: enabled/);
  });

  test('bridge netfilter: checked before kubeadm 1.30 only', async () => {
    const old = await h.host('bridge129', { version: '1.29.10' });
    await old.write('proc/sys/net/bridge/bridge-nf-call-iptables', '0\n');
    const r = await old.run('kubeadm', ['init', '--apiserver-advertise-address=127.0.0.1', `--apiserver-bind-port=${await freePort()}`,
      '--kubernetes-version=v1.29.10', '--ignore-preflight-errors=Port-10250']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[ERROR FileContent--proc-sys-net-bridge-bridge-nf-call-iptables\]: \/proc\/sys\/net\/bridge\/bridge-nf-call-iptables contents are not set to 1/);
    const now = await h.host('bridge134');
    await now.write('proc/sys/net/bridge/bridge-nf-call-iptables', '0\n');
    await now.write('proc/sys/net/ipv4/ip_forward', '0\n');
    const r2 = await init(now);
    assert.equal(r2.code, 1);
    assert.doesNotMatch(r2.stderr, /bridge-nf-call-iptables/);
    assert.match(r2.stderr, /ip_forward contents are not set to 1/);
  });

  test('--ignore-preflight-errors turns an error into a warning', async () => {
    const host = await h.host('ignore');
    await host.write('proc/sys/net/ipv4/ip_forward', '0\n');
    await host.stopRuntime();
    const r = await init(host, ['--ignore-preflight-errors=FileContent--proc-sys-net-ipv4-ip_forward']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[WARNING FileContent--proc-sys-net-ipv4-ip_forward\]: \/proc\/sys\/net\/ipv4\/ip_forward contents are not set to 1/);
    assert.match(r.stderr, /\[ERROR CRI\]/);
  });

  test('the article\'s --kubernetes-version=v1.18.2 is refused', async () => {
    const host = await h.host('oldversion');
    const r = await host.run('kubeadm', ['init', '--kubernetes-version=v1.18.2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /this version of kubeadm only supports deploying clusters with the control plane version >= 1\.33\.0\. Current version: v1\.18\.2/);
  });

  test('--config cannot be mixed with --token', async () => {
    const host = await h.host('mixed');
    await host.write('kubeadm.yaml', initConfig(1));
    const r = await host.run('kubeadm', ['init', '--config', '/kubeadm.yaml', '--token', 'abcdef.0123456789abcdef']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /can not mix '--config' with arguments \[token\]/);
  });

  test('swap on: a warning in preflight, then the kubelet refuses to start and init fails', async () => {
    const host = await h.host('swap');
    await host.write('proc/swaps', 'Filename\tType\tSize\tUsed\tPriority\n/swapfile file 102396 0 -2\n');
    const port = await freePort();
    await host.write('kubeadm.yaml', initConfig(port, { kubeletHealthCheck: '4s' }));
    const r = await host.run('kubeadm', ['init', '--config', '/kubeadm.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[WARNING Swap\]: swap is supported for cgroup v2 only\. The kubelet must be properly configured to use swap/);
    assert.match(r.stdout, /\[kubelet-check\] The kubelet is not healthy after/);
    assert.match(r.stderr, /error execution phase wait-control-plane: failed while waiting for the kubelet to start/);
    const log = await host.read('run/fake-systemd/kubelet.log');
    assert.match(log, /running with swap on is not supported, please disable swap or set --fail-swap-on flag to false/);
  });
});

describe('a stand-in cluster: init, join, kubectl, the Service answer, reset', { skip }, () => {
  const h = new Harness();
  let cp: FakeHost;
  let w1: FakeHost;
  let w2: FakeHost;
  let port = 0;
  let initOut = '';
  const kubectl = (args: string[], input?: string) => cp.run('kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', ...args], { input });

  before(async () => {
    await h.init();
    cp = await h.host('elderberry');
    w1 = await h.host('gooseberry');
    w2 = await h.host('huckleberry');
    port = await freePort();
    await cp.write('root/kubeadm.yaml', initConfig(port));
    const r = await cp.run('kubeadm', ['init', '--config', '/root/kubeadm.yaml']);
    initOut = r.stdout;
    assert.equal(r.code, 0, r.stderr + r.stdout);
  });
  after(() => h.cleanup());

  test('init writes admin.conf (0600) for the advertise address, a real CA, and prints the join command', async () => {
    const st = await stat(`${cp.root}/etc/kubernetes/admin.conf`);
    assert.equal(st.mode & 0o777, 0o600);
    const admin = await cp.read('etc/kubernetes/admin.conf');
    assert.match(admin, new RegExp(`server: https://127\\.0\\.0\\.1:${port}\\n`));
    assert.match(admin, /client-certificate-data: /);
    const pin = caPin(await cp.read('etc/kubernetes/pki/ca.crt'));
    assert.match(initOut, /Your Kubernetes control-plane has initialized successfully!/);
    assert.ok(initOut.includes(`kubeadm join 127.0.0.1:${port} --token abcdef.0123456789abcdef \\\n\t--discovery-token-ca-cert-hash ${pin} `), initOut);
    for (const f of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd']) {
      assert.match(await cp.read(`etc/kubernetes/manifests/${f}.yaml`), /kind: Pod/);
    }
    assert.match(await cp.read('var/lib/kubelet/config.yaml'), /kind: KubeletConfiguration/);
    const again = await cp.run('kubeadm', ['init', '--config', '/root/kubeadm.yaml']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`\\[ERROR Port-${port}\\]: Port ${port} is in use`));
    assert.match(again.stderr, /\[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml\]: \/etc\/kubernetes\/manifests\/kube-apiserver.yaml already exists/);
    assert.match(again.stderr, /\[ERROR DirAvailable--var-lib-etcd\]: \/var\/lib\/etcd is not empty/);
  });

  test('the control plane is NotReady and tainted until a CNI is applied', async () => {
    await waitFor('the node', async () => (await kubectl(['get', 'nodes'])).stdout.includes('elderberry'));
    const r = await kubectl(['get', 'nodes']);
    assert.match(r.stdout, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\nelderberry\s+NotReady\s+control-plane\s+\S+\s+v1\.34\.2\n$/);
    const taints = await kubectl(['get', 'node', 'elderberry', '-o', 'jsonpath={.spec.taints[*].key}']);
    assert.match(taints.stdout, /node-role\.kubernetes\.io\/control-plane/);
  });

  test('join: wrong token id, wrong secret, wrong CA hash, expired token', async () => {
    const pin = caPin(await cp.read('etc/kubernetes/pki/ca.crt'));
    const ep = `127.0.0.1:${port}`;
    await w1.write('root/join.yaml', joinConfig(ep, 'zzzzzz.0123456789abcdef', [pin]));
    let r = await w1.run('kubeadm', ['join', '--config', '/root/join.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error execution phase preflight: couldn't validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID "zzzzzz"/);

    await w1.write('root/join.yaml', joinConfig(ep, 'abcdef.ffffffffffffffff', [pin]));
    r = await w1.run('kubeadm', ['join', '--config', '/root/join.yaml']);
    assert.match(r.stderr, /failed to verify JWS signature of received cluster info object, can't trust this API Server/);

    const wrong = 'sha256:' + '0'.repeat(64);
    await w1.write('root/join.yaml', joinConfig(ep, 'abcdef.0123456789abcdef', [wrong]));
    r = await w1.run('kubeadm', ['join', '--config', '/root/join.yaml']);
    assert.match(r.stderr, new RegExp(`cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${pin}" are pinned`));

    const created = await cp.run('kubeadm', ['token', 'create', 'shortl.0123456789abcdef', '--ttl', '2s']);
    assert.equal(created.code, 0, created.stderr);
    await new Promise((res) => setTimeout(res, 4000));
    await w1.write('root/join.yaml', joinConfig(ep, 'shortl.0123456789abcdef', [pin]));
    r = await w1.run('kubeadm', ['join', '--config', '/root/join.yaml']);
    assert.match(r.stderr, /could not find a JWS signature in the cluster-info ConfigMap for token ID "shortl"/);
    const list = await cp.run('kubeadm', ['token', 'list']);
    assert.doesNotMatch(list.stdout, /shortl/);
    assert.match(list.stdout, /^TOKEN\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS\nabcdef\.0123456789abcdef\s+2[34]h/);
  });

  test('join with the printed join command and with a config file', async () => {
    const printed = await cp.run('kubeadm', ['token', 'create', '--print-join-command']);
    assert.equal(printed.code, 0, printed.stderr);
    const m = /^kubeadm join (\S+) --token (\S+) --discovery-token-ca-cert-hash (sha256:[0-9a-f]{64}) \n$/.exec(printed.stdout);
    assert.ok(m, printed.stdout);
    const r = await w1.run('kubeadm', ['join', m[1]!, '--token', m[2]!, '--discovery-token-ca-cert-hash', m[3]!]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /This node has joined the cluster:/);
    assert.match(await w1.read('etc/kubernetes/kubelet.conf'), /kubelet-client-current\.pem/);

    await w2.write('root/join.yaml', joinConfig(m[1]!, m[2]!, [m[3]!]));
    const r2 = await w2.run('kubeadm', ['join', '--config', '/root/join.yaml']);
    assert.equal(r2.code, 0, r2.stderr + r2.stdout);
    const again = await w2.run('kubeadm', ['join', '--config', '/root/join.yaml']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /\[ERROR FileAvailable--etc-kubernetes-kubelet.conf\]: \/etc\/kubernetes\/kubelet.conf already exists/);
    await waitFor('three nodes', async () => (await kubectl(['get', 'nodes', '-o', 'name'])).stdout.split('\n').filter(Boolean).length === 3);
  });

  test('Flannel makes every node Ready; apply is idempotent', async () => {
    const manifest = await import('node:fs/promises').then((fs) => fs.readFile(new URL('../../lab/standins/manifests/kube-flannel.yml', import.meta.url), 'utf8'));
    await cp.write('root/kube-flannel.yml', manifest);
    let r = await kubectl(['apply', '-f', '/root/kube-flannel.yml']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^namespace\/kube-flannel created\nclusterrole\.rbac\.authorization\.k8s\.io\/flannel created\n/);
    assert.match(r.stdout, /daemonset\.apps\/kube-flannel-ds created\n$/);
    r = await kubectl(['apply', '-f', '-'], manifest);
    assert.match(r.stdout, /daemonset\.apps\/kube-flannel-ds unchanged\n$/);
    r = await kubectl(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=90s']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'node/elderberry condition met\nnode/gooseberry condition met\nnode/huckleberry condition met\n');
    assert.match(await w1.read('etc/cni/net.d/10-flannel.conflist'), /"type": "flannel"/);
    r = await kubectl(['-n', 'kube-flannel', 'rollout', 'status', 'daemonset/kube-flannel-ds', '--timeout=60s']);
    assert.match(r.stdout, /daemon set "kube-flannel-ds" successfully rolled out/);
  });

  test('label, taint and their messages', async () => {
    let r = await kubectl(['label', 'nodes', 'gooseberry', 'raid=true']);
    assert.equal(r.stdout, 'node/gooseberry labeled\n');
    r = await kubectl(['label', 'nodes', 'gooseberry', 'raid=false']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: 'raid' already has a value \(true\), and --overwrite is false/);
    r = await kubectl(['label', '--overwrite', 'node/gooseberry', 'raid=false', 'network=gigabit']);
    assert.equal(r.stdout, 'node/gooseberry labeled\n');
    r = await kubectl(['get', 'node', 'gooseberry', '-o', 'jsonpath={.metadata.labels.network}']);
    assert.equal(r.stdout, 'gigabit');
    r = await kubectl(['get', 'nodes', '-l', 'network=gigabit', '-o', 'name']);
    assert.equal(r.stdout, 'node/gooseberry\n');
    r = await kubectl(['taint', 'nodes', 'elderberry', 'node-role.kubernetes.io/control-plane:NoSchedule-']);
    assert.equal(r.stdout, 'node/elderberry untainted\n');
    r = await kubectl(['taint', 'nodes', 'elderberry', 'node-role.kubernetes.io/control-plane:NoSchedule-']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: taint "node-role.kubernetes.io\/control-plane:NoSchedule" not found/);
    r = await kubectl(['taint', 'nodes', 'huckleberry', 'dedicated=storage:NoSchedule']);
    assert.equal(r.stdout, 'node/huckleberry tainted\n');
  });

  test('the kube-verify Deployment runs on untainted nodes and its Service answers', async () => {
    let r = await kubectl(['create', 'namespace', 'kube-verify']);
    assert.equal(r.stdout, 'namespace/kube-verify created\n');
    r = await kubectl(['create', 'namespace', 'kube-verify']);
    assert.match(r.stderr, /Error from server \(AlreadyExists\): namespaces "kube-verify" already exists/);
    r = await kubectl(['create', '-f', '-'], articleManifest('deployment'));
    assert.equal(r.stdout, 'deployment.apps/kube-verify created\n');
    r = await kubectl(['apply', '-f', '-'], articleManifest('service'));
    assert.equal(r.stdout, 'service/kube-verify created\n');
    r = await kubectl(['-n', 'kube-verify', 'rollout', 'status', 'deployment/kube-verify', '--timeout=60s']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment "kube-verify" successfully rolled out\n$/);
    r = await kubectl(['get', 'pods', '-n', 'kube-verify', '-o', 'jsonpath={range .items[*]}{.spec.nodeName}{"\\n"}{end}']);
    const nodes = r.stdout.trim().split('\n');
    assert.equal(nodes.length, 3);
    assert.ok(!nodes.includes('huckleberry'), 'no pod on the tainted node');
    r = await kubectl(['get', 'all', '-n', 'kube-verify']);
    assert.match(r.stdout, /deployment\.apps\/kube-verify\s+3\/3\s+3\s+3\s/);
    assert.match(r.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\npod\/kube-verify-[a-z0-9]+-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s/);
    const ip = (await kubectl(['get', '-n', 'kube-verify', 'service/kube-verify', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    assert.ok(ip.startsWith('10.'), ip);
    const proxy = await waitFor('the service listener', async () => {
      try {
        return (JSON.parse(await cp.read('run/standin/service-proxy.json')) as Record<string, string>)['kube-verify/kube-verify:80'];
      } catch {
        return undefined;
      }
    });
    const page = await (await fetch(`http://${proxy}/`)).text();
    assert.match(page, /Welcome to <strong>nginx<\/strong>/);
    assert.match(page, /Served by pod <strong>kube-verify-/);
    assert.ok(page.includes(TAG));
  });

  test('an arm64-only image stays Pending on amd64 nodes', async () => {
    let r = await kubectl(['create', 'deployment', 'armonly', '--image=docker.io/library/nginx:1.27-arm64', '-n', 'kube-verify']);
    assert.equal(r.stdout, 'deployment.apps/armonly created\n');
    const msg = await waitFor('the scheduling failure', async () => {
      const p = await kubectl(['get', 'pods', '-n', 'kube-verify', '-l', 'app=armonly', '-o', 'jsonpath={.items[0].status.conditions[?(@.type=="PodScheduled")].message}']);
      return p.stdout || undefined;
    });
    assert.match(msg, /^0\/3 nodes are available: /);
    r = await kubectl(['delete', 'deployment', 'armonly', '-n', 'kube-verify']);
    assert.equal(r.stdout, 'deployment.apps "armonly" deleted\n');
    r = await kubectl(['get', 'deployment', 'armonly', '-n', 'kube-verify']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.split('\n')[1], 'Error from server (NotFound): deployments.apps "armonly" not found');
  });

  test('kubectl version, cluster-info and a refused connection', async () => {
    let r = await kubectl(['version']);
    assert.equal(r.stdout, 'Client Version: v1.34.2\nKustomize Version: v5.7.1\nServer Version: v1.34.2\n');
    r = await kubectl(['cluster-info']);
    assert.match(r.stdout, new RegExp(`^Kubernetes control plane is running at https://127\\.0\\.0\\.1:${port}\\n`));
    const closed = await freePort();
    r = await cp.run('kubectl', ['--kubeconfig', '/etc/kubernetes/admin.conf', '--server', `https://127.0.0.1:${closed}`, 'get', 'nodes']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`The connection to the server 127\\.0\\.0\\.1:${closed} was refused - did you specify the right host or port\\?`));
  });

  test('reset removes what init wrote and stops the API server; state is gone', async () => {
    const r = await cp.run('kubeadm', ['reset', '-f']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\[reset\] Deleted contents of the etcd data directory: \/var\/lib\/etcd/);
    await assert.rejects(stat(`${cp.root}/etc/kubernetes/admin.conf`));
    await assert.rejects(stat(`${cp.root}/var/lib/etcd/member`));
    await waitFor('the API port to close', async () => new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, () => s.close(() => resolve(true)));
    }), 20_000);
  });
});
