"""The stand-in kubelet: fails until configured (as the real one crash-loops before kubeadm runs),
then runs the control plane's static Pods (the kube-apiserver manifest starts the stand-in API
server), registers its Node, keeps it alive with status updates and a Lease, performs the TLS
bootstrap after `kubeadm join`, and "runs" the Pods bound to it: they become Running once the
node's Pod network exists (a CNI config in /etc/cni/net.d, written when the Flannel Pod starts)."""
import base64
import hashlib
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import containers, objects, pki, yamlish
from .client import Api, ApiError, ConnectError, ConfigError, build_kubeconfig, load_kubeconfig
from .common import (fault, host_path, hostname, image_tag, klog, label, minor_of, node_arch, read_text, rfc3339,
                     source_ip_towards, version,
                     write_file)
from .preflight import cgroup_controllers, runtime_error, swap_on

DEFAULT_CONFIG = {
    'staticPodPath': '/etc/kubernetes/manifests',
    'healthzPort': 10248,
    'healthzBindAddress': '127.0.0.1',
    'failSwapOn': True,
    'containerRuntimeEndpoint': 'unix:///var/run/containerd/containerd.sock',
    'nodeStatusUpdateFrequency': '10s',
}
CNI_DIR = '/etc/cni/net.d'
FLANNEL_DEFAULT_CNI = {
    'name': 'cbr0', 'cniVersion': '0.3.1',
    'plugins': [{'type': 'flannel', 'delegate': {'hairpinMode': True, 'isDefaultGateway': True}},
                {'type': 'portmap', 'capabilities': {'portMappings': True}}],
}
PROCESS_STATIC = ('etcd', 'kube-apiserver')  # the others (controller-manager, scheduler) run inside the API server
KUBE_PROXY_GRACE = 30  # seconds the kube-proxy process outlives its Pod (a DaemonSet update replaces the Pod)
SKEW_CHECK_SECONDS = 30


def image_version(image):
    """'registry.k8s.io/etcd:3.5.24-0' -> '3.5.24', '.../kube-apiserver:v1.33.6' -> '1.33.6'."""
    return image_tag(image).lstrip('v').split('-')[0] or version()


def skew_problem(kubelet, server):
    """The version-skew policy for a kubelet: not newer than the API server, at most three minors older.
    None when allowed, else the reason the stand-in kubelet reports (docs/standins.md, "Version skew")."""
    k, a = minor_of(kubelet), minor_of(server)
    if k > a:
        return 'kubelet v%s is newer than kube-apiserver %s' % (kubelet, server)
    if k[0] == a[0] and k[1] < a[1] - 3:
        return 'kubelet v%s is more than three minor versions older than kube-apiserver %s' % (kubelet, server)
    return None


def fail(msg):
    klog('E', 'run.go:72', '"command failed" err="%s"' % msg.replace('"', '\\"'))
    sys.exit(1)


def parse_flags(argv):
    flags = {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith('--'):
            if '=' in a:
                k, v = a[2:].split('=', 1)
            elif i + 1 < len(argv) and not argv[i + 1].startswith('--'):
                k, v = a[2:], argv[i + 1]
                i += 1
            else:
                k, v = a[2:], 'true'
            flags[k] = v
        i += 1
    return flags


class Kubelet:
    def __init__(self, flags):
        self.flags = flags
        self.config_path = flags.get('config', '/var/lib/kubelet/config.yaml')
        self.kubeconfig = flags.get('kubeconfig', '/etc/kubernetes/kubelet.conf')
        self.bootstrap = flags.get('bootstrap-kubeconfig', '/etc/kubernetes/bootstrap-kubelet.conf')
        self.name = (flags.get('hostname-override') or hostname()).lower()
        self.api = None
        self.registered = False
        self.pod_seen = {}
        self.stopping = threading.Event()
        self.cfg = dict(DEFAULT_CONFIG)
        self.started_at = {}  # component -> when the kubelet last started its process
        self.skew = None  # why this kubelet cannot work with the API server (version skew), or None
        self.skew_checked = 0.0
        self.proxy_pod_seen = 0.0

    # ------------------------------------------------------------------ start-up checks

    def load_config(self):
        path = self.config_path
        text = read_text(path)
        if text is None:
            fail('failed to load kubelet config file, path: %s, error: failed to load Kubelet config file %s, '
                 'error failed to read kubelet config file "%s", error: open %s: no such file or directory'
                 % (path, path, path, path))
        try:
            cfg = yamlish.load(text) or {}
        except yamlish.YAMLError as e:
            fail('failed to load kubelet config file, path: %s, error: %s' % (path, e))
        self.cfg.update({k: v for k, v in cfg.items() if v is not None})
        if self.flags.get('container-runtime-endpoint'):
            self.cfg['containerRuntimeEndpoint'] = self.flags['container-runtime-endpoint']
        if os.environ.get('STANDIN_KUBELET_HEALTHZ_PORT'):
            self.cfg['healthzPort'] = int(os.environ['STANDIN_KUBELET_HEALTHZ_PORT'])

    def check_host(self):
        endpoint = self.cfg['containerRuntimeEndpoint']
        err = runtime_error(endpoint)
        if err:
            fail('failed to run Kubelet: validate service connection: validate CRI v1 runtime API for endpoint '
                 '"%s": %s' % (endpoint, err))
        fail_swap = self.cfg.get('failSwapOn', True)
        if self.flags.get('fail-swap-on') == 'false':
            fail_swap = False
        if fail_swap and swap_on():
            fail('failed to run Kubelet: running with swap on is not supported, please disable swap or set '
                 '--fail-swap-on flag to false')
        version2, controllers = cgroup_controllers()
        missing = [c for c in (['cpu', 'memory'] if version2 else ['cpu', 'cpuacct', 'cpuset', 'memory'])
                   if c not in controllers]
        if missing:
            fail('failed to run Kubelet: failed to create kubelet: system validation failed - Following Cgroup '
                 'subsystem not mounted: [%s]' % ' '.join(missing))

    # ------------------------------------------------------------------ health endpoint

    def serve_healthz(self):
        kubelet = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                body = b'ok'
                self.send_response(200 if not kubelet.stopping.is_set() else 500)
                self.send_header('Content-Type', 'text/plain')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        ThreadingHTTPServer.allow_reuse_address = True
        srv = ThreadingHTTPServer((self.cfg.get('healthzBindAddress') or '127.0.0.1', int(self.cfg['healthzPort'])),
                                  H)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        return srv

    # ------------------------------------------------------------------ static pods

    def manifests(self):
        d = host_path(self.cfg.get('staticPodPath') or '/etc/kubernetes/manifests')
        out = {}
        try:
            names = sorted(os.listdir(d))
        except OSError:
            return out
        for n in names:
            if not n.endswith(('.yaml', '.yml', '.json')):
                continue
            try:
                text = open(os.path.join(d, n)).read()
                pod = yamlish.load(text)
            except (OSError, yamlish.YAMLError) as e:
                klog('E', 'file.go', 'Could not process manifest file path="%s" err="%s"' % (n, e))
                continue
            if isinstance(pod, dict) and pod.get('kind') == 'Pod':
                out[pod['metadata']['name']] = (pod, hashlib.sha256(text.encode()).hexdigest()[:16])
        return out

    def sync_static(self):
        """Runs the static Pods that are processes (etcd first, then kube-apiserver): started when
        their manifest appears, restarted when it changes or the process died (after a back-off, as
        CrashLoopBackOff), stopped when the manifest is removed."""
        pods = self.manifests()
        for name in PROCESS_STATIC:
            if name in pods:
                pod, h = pods[name]
                old = read_text('/run/standin/%s.hash' % name, '').strip()
                up = containers.alive(name)
                if up and old != h:
                    klog('I', 'kubelet.go', 'static pod %s changed: restarting it' % name)
                    containers.stop(name)
                    up = False
                if not up and time.time() - self.started_at.get(name, 0) >= self.backoff(name, old == h):
                    container = ((pod.get('spec') or {}).get('containers') or [{}])[0]
                    containers.start(name, (container.get('command') or [name])[1:],
                                     image_version(container.get('image', '')))
                    self.started_at[name] = time.time()
                    write_file('/run/standin/%s.hash' % name, h)
        for name in reversed(PROCESS_STATIC):
            if name not in pods and containers.alive(name):
                klog('I', 'kubelet.go', 'static pod %s removed: stopping it' % name)
                containers.stop(name)
        return pods

    def backoff(self, name, same_manifest):
        """Seconds to wait before starting a component again: none for a new manifest, 10 s after a crash."""
        return 10.0 if same_manifest and name in self.started_at else 0.0

    # ------------------------------------------------------------------ API connection

    def connect(self):
        if self.api is not None:
            return self.api
        if read_text(self.kubeconfig) is None:
            if read_text(self.bootstrap) is None:
                return None  # standalone: static pods only, as the real kubelet without a kubeconfig
            try:
                self.tls_bootstrap()
            except (ApiError, ConnectError, ConfigError, pki.PKIError) as e:
                klog('E', 'bootstrap.go', 'Failed while requesting a signed certificate from the control plane: %s'
                     % e)
                return None
        try:
            self.api = Api.from_kubeconfig(load_kubeconfig(self.kubeconfig), timeout=10)
        except (ConfigError, OSError) as e:
            klog('E', 'kubelet.go', 'invalid kubeconfig %s: %s' % (self.kubeconfig, e))
            return None
        return self.api

    def tls_bootstrap(self):
        klog('I', 'bootstrap.go', 'Using bootstrap kubeconfig to generate TLS client cert, key and kubeconfig file')
        boot_cfg = load_kubeconfig(self.bootstrap)
        boot = Api.from_kubeconfig(boot_cfg, timeout=10)
        csr, key = pki.new_csr('system:node:' + self.name, ['system:nodes'], 'ECDSA-P256')
        name = 'csr-' + base64.b32encode(os.urandom(5)).decode().lower()
        obj = boot.create('/apis/certificates.k8s.io/v1/certificatesigningrequests', {
            'apiVersion': 'certificates.k8s.io/v1', 'kind': 'CertificateSigningRequest',
            'metadata': {'name': name},
            'spec': {'request': base64.b64encode(csr).decode(),
                     'signerName': 'kubernetes.io/kube-apiserver-client-kubelet',
                     'usages': ['digital signature', 'client auth']}})
        deadline = time.time() + 60
        while not (obj.get('status') or {}).get('certificate'):
            if time.time() > deadline:
                raise ConfigError('timed out waiting for the CSR %s to be signed' % name)
            time.sleep(1)
            obj = boot.get('/apis/certificates.k8s.io/v1/certificatesigningrequests/' + name)
        cert = base64.b64decode(obj['status']['certificate'])
        stamp = time.strftime('%Y-%m-%d-%H-%M-%S')
        pem_name = '/var/lib/kubelet/pki/kubelet-client-%s.pem' % stamp
        write_file(pem_name, cert + key, 0o600)
        current = host_path('/var/lib/kubelet/pki/kubelet-client-current.pem')
        if os.path.lexists(current):
            os.unlink(current)
        os.symlink(host_path(pem_name), current)
        cluster = boot_cfg['clusters'][0]['cluster']
        kc = build_kubeconfig(cluster['server'], base64.b64decode(cluster['certificate-authority-data']),
                              'default-auth', cert_file='/var/lib/kubelet/pki/kubelet-client-current.pem',
                              key_file='/var/lib/kubelet/pki/kubelet-client-current.pem',
                              cluster='default-cluster')
        kc['contexts'][0]['name'] = kc['current-context'] = 'default-context'
        write_file(self.kubeconfig, yamlish.dump(kc), 0o600)
        klog('I', 'certificate_manager.go', 'Certificate rotation is enabled')

    # ------------------------------------------------------------------ node

    def node_ip(self):
        if self.flags.get('node-ip'):
            return self.flags['node-ip']
        return source_ip_towards(self.api.host, self.api.port)

    def node_status(self, network_ready, runtime_err):
        mem_kb = 0
        for line in (read_text('/proc/meminfo', '') or '').splitlines():
            if line.startswith('MemTotal:'):
                mem_kb = int(line.split()[1])
        os_image = 'Linux'
        for line in (read_text('/etc/os-release', '') or '').splitlines():
            if line.startswith('PRETTY_NAME='):
                os_image = line.split('=', 1)[1].strip('"')
        cap = {'cpu': str(os.cpu_count() or 1), 'memory': '%dKi' % mem_kb, 'pods': '110',
               'ephemeral-storage': '10218772Ki', 'hugepages-2Mi': '0'}
        st = {
            'addresses': [{'type': 'InternalIP', 'address': self.node_ip()}, {'type': 'Hostname', 'address': self.name}],
            'allocatable': dict(cap), 'capacity': cap,
            'daemonEndpoints': {'kubeletEndpoint': {'Port': 10250}},
            'nodeInfo': {'architecture': node_arch(),
                         'bootID': (read_text('/proc/sys/kernel/random/boot_id', '') or '').strip(),
                         'containerRuntimeVersion': 'containerd://' + containerd_version(),
                         'kernelVersion': os.uname().release, 'kubeProxyVersion': '',
                         'kubeletVersion': 'v' + version(),
                         'machineID': (read_text('/etc/machine-id', '') or '').strip(),
                         'operatingSystem': 'linux', 'osImage': os_image,
                         'systemUUID': (read_text('/etc/machine-id', '') or '').strip()},
        }
        node = {'status': st}
        objects.set_condition(node, 'MemoryPressure', 'False', 'KubeletHasSufficientMemory',
                              'kubelet has sufficient memory available', heartbeat=True)
        objects.set_condition(node, 'DiskPressure', 'False', 'KubeletHasNoDiskPressure',
                              'kubelet has no disk pressure', heartbeat=True)
        objects.set_condition(node, 'PIDPressure', 'False', 'KubeletHasSufficientPID',
                              'kubelet has sufficient PID available', heartbeat=True)
        if runtime_err:
            objects.set_condition(node, 'Ready', 'False', 'KubeletNotReady',
                                  'container runtime is down: %s' % runtime_err, heartbeat=True)
        elif self.skew:
            objects.set_condition(node, 'Ready', 'False', 'KubeletNotReady',
                                  '[steer lab stand-in] unsupported version skew: %s (see '
                                  'https://kubernetes.io/releases/version-skew-policy/)' % self.skew, heartbeat=True)
        elif not network_ready:
            objects.set_condition(node, 'Ready', 'False', 'KubeletNotReady',
                                  'container runtime network not ready: NetworkReady=false '
                                  'reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin '
                                  'not initialized', heartbeat=True)
        else:
            objects.set_condition(node, 'Ready', 'True', 'KubeletReady', 'kubelet is posting ready status',
                                  heartbeat=True)
        return st

    def register(self):
        labels = {'beta.kubernetes.io/arch': node_arch(), 'beta.kubernetes.io/os': 'linux',
                  'kubernetes.io/arch': node_arch(), 'kubernetes.io/hostname': self.name, 'kubernetes.io/os': 'linux'}
        for kv in filter(None, (self.flags.get('node-labels') or '').split(',')):
            k, _, v = kv.partition('=')
            labels[k] = v
        taints = []
        for t in filter(None, (self.flags.get('register-with-taints') or '').split(',')):
            kv, _, effect = t.partition(':')
            k, _, v = kv.partition('=')
            taint = {'key': k, 'effect': effect}
            if v:
                taint['value'] = v
            taints.append(taint)
        body = {'apiVersion': 'v1', 'kind': 'Node',
                'metadata': {'name': self.name, 'labels': labels, 'annotations': {
                    'node.alpha.kubernetes.io/ttl': '0',
                    'volumes.kubernetes.io/controller-managed-attach-detach': 'true'}},
                'spec': {'taints': taints} if taints else {},
                'status': self.node_status(network_ready(), None)}
        klog('I', 'kubelet_node_status.go', 'Attempting to register node node="%s"' % self.name)
        try:
            self.api.create('/api/v1/nodes', body)
        except ApiError as e:
            if e.code != 409:
                raise
        klog('I', 'kubelet_node_status.go', 'Successfully registered node node="%s"' % self.name)
        self.registered = True

    def check_skew(self):
        """Compares this kubelet's version with the API server's (every 30 s). A kubelet newer than the
        API server breaks the version-skew policy: the stand-in reports its node NotReady and runs no
        Pods until the kubelet is downgraded or the control plane upgraded."""
        if time.time() - self.skew_checked < SKEW_CHECK_SECONDS:
            return
        server = self.api.get('/version').get('gitVersion', '')
        self.skew_checked = time.time()
        problem = skew_problem(version(), server)
        if problem and problem != self.skew:
            klog('E', 'kubelet_node_status.go', '"Unsupported version skew: the kubelet must not be newer than '
                 'kube-apiserver nor more than three minor versions older" kubeletVersion="v%s" '
                 'apiServerVersion="%s" err="%s"' % (version(), server, problem))
        elif self.skew and not problem:
            klog('I', 'kubelet_node_status.go', 'version skew resolved: kube-apiserver is %s' % server)
        self.skew = problem

    def heartbeat(self):
        self.check_skew()
        rt_err = runtime_error(self.cfg['containerRuntimeEndpoint'])
        st = self.node_status(network_ready(), rt_err)
        node = self.api.get_or_none('/api/v1/nodes/' + self.name)
        if node is None:
            klog('E', 'kubelet_node_status.go', '"Error updating node status, will retry" err="error getting node '
                 '\\"%s\\": nodes \\"%s\\" not found"' % (self.name, self.name))
            return None
        old = {c['type']: c for c in node.get('status', {}).get('conditions') or []}
        for c in st['conditions']:
            o = old.get(c['type'])
            if o and o.get('status') == c['status']:
                c['lastTransitionTime'] = o.get('lastTransitionTime', c['lastTransitionTime'])
        self.api.merge_patch('/api/v1/nodes/%s/status' % self.name, {'status': st})
        lease_path = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/' + self.name
        renew = time.strftime('%Y-%m-%dT%H:%M:%S.000000Z', time.gmtime())
        if self.api.get_or_none(lease_path) is None:
            self.api.create('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
                'apiVersion': 'coordination.k8s.io/v1', 'kind': 'Lease',
                'metadata': {'name': self.name, 'namespace': 'kube-node-lease',
                             'ownerReferences': [objects.owner_ref(node, controller=False)]},
                'spec': {'holderIdentity': self.name, 'leaseDurationSeconds': 40, 'renewTime': renew}})
        else:
            self.api.merge_patch(lease_path, {'spec': {'renewTime': renew}})
        return node

    # ------------------------------------------------------------------ pods

    def sync_mirror_pods(self, static, node):
        have = {p['metadata']['name']: p for p in self.api.get('/api/v1/namespaces/kube-system/pods', {
            'fieldSelector': 'spec.nodeName=' + self.name})['items']
                if (p['metadata'].get('annotations') or {}).get('kubernetes.io/config.mirror')}
        want = {}
        for name, (pod, h) in static.items():
            mname = '%s-%s' % (name, self.name)
            want[mname] = True
            cur = have.get(mname)
            if cur and cur['metadata']['annotations'].get('kubernetes.io/config.hash') == h:
                continue
            if cur:
                self.api.delete('/api/v1/namespaces/kube-system/pods/' + mname)
            meta = pod.get('metadata') or {}
            spec = dict(pod.get('spec') or {}, nodeName=self.name)
            # the kubelet lets static pods tolerate every NoExecute taint (they cannot be evicted)
            spec['tolerations'] = list(spec.get('tolerations') or []) + [{'operator': 'Exists', 'effect': 'NoExecute'}]
            body = {'apiVersion': 'v1', 'kind': 'Pod',
                    'metadata': {'name': mname, 'namespace': 'kube-system', 'labels': meta.get('labels') or {},
                                 'annotations': dict(meta.get('annotations') or {}, **{
                                     'kubernetes.io/config.hash': h, 'kubernetes.io/config.mirror': h,
                                     'kubernetes.io/config.source': 'file', 'kubernetes.io/config.seen': rfc3339()}),
                                 'ownerReferences': [objects.owner_ref(node, controller=True)]},
                    'spec': spec}
            created = self.api.create('/api/v1/namespaces/kube-system/pods', body)
            self.set_running(created, node, host_network=True)
            have[mname] = self.api.get('/api/v1/namespaces/kube-system/pods/' + mname)
        for name in static:
            cur = have.get('%s-%s' % (name, self.name))
            up = containers.alive(name) if name in PROCESS_STATIC else True
            if cur is not None and objects.pod_ready(cur) != up:
                if objects.pod_ready(cur):
                    self.set_waiting(cur, 'CrashLoopBackOff', 'back-off 10s restarting failed container=%s pod=%s_%s'
                                     % (name, cur['metadata']['name'], 'kube-system'), crash='Error')
                else:
                    self.set_running(cur, node, host_network=True)
        for mname in have:
            if mname not in want:
                self.api.delete('/api/v1/namespaces/kube-system/pods/' + mname)

    def set_running(self, pod, node, host_network=False):
        spec = pod['spec']
        ns, name = pod['metadata']['namespace'], pod['metadata']['name']
        node_ip = next((a['address'] for a in node['status'].get('addresses') or [] if a['type'] == 'InternalIP'),
                       self.node_ip())
        ip = node_ip if (host_network or spec.get('hostNetwork')) else self.pod_ip(node, pod)
        t = rfc3339()
        statuses = []
        for c in spec.get('containers') or []:
            img = c.get('image', '')
            statuses.append({'name': c['name'], 'image': img,
                             'imageID': '%s@sha256:%s' % (img.rsplit(':', 1)[0] if ':' in img.split('/')[-1] else img,
                                                          hashlib.sha256(img.encode()).hexdigest()),
                             'containerID': 'containerd://' + hashlib.sha256((ns + name + c['name']).encode()).hexdigest(),
                             'ready': True, 'started': True, 'restartCount': 0,
                             'state': {'running': {'startedAt': t}}, 'lastState': {}})
        status = {'phase': 'Running', 'hostIP': node_ip, 'hostIPs': [{'ip': node_ip}], 'podIP': ip,
                  'podIPs': [{'ip': ip}], 'startTime': t, 'qosClass': 'BestEffort', 'containerStatuses': statuses}
        tmp = {'status': {'conditions': list((pod.get('status') or {}).get('conditions') or [])}}
        for ctype in ('PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'):
            objects.set_condition(tmp, ctype, 'True')
        for c in tmp['status']['conditions']:
            c.pop('reason', None)
            c.pop('message', None)
        status['conditions'] = tmp['status']['conditions']
        self.api.merge_patch('/api/v1/namespaces/%s/pods/%s/status' % (ns, name), {'status': status})
        klog('I', 'kubelet.go', 'pod %s/%s is running (stand-in: no container is started)' % (ns, name))

    def pod_ip(self, node, pod):
        cidr = (node.get('spec') or {}).get('podCIDR') or '10.88.0.0/16'
        net = ipaddress.ip_network(cidr)
        used = {(p.get('status') or {}).get('podIP') for p in self.my_pods} | self.assigned_ips
        for ip in list(net.hosts())[1:256]:
            if str(ip) not in used:
                self.assigned_ips.add(str(ip))
                return str(ip)
        return str(list(net.hosts())[1])

    def set_waiting(self, pod, reason, message=None, crash=None):
        ns, name = pod['metadata']['namespace'], pod['metadata']['name']
        prev = {c['name']: c for c in (pod.get('status') or {}).get('containerStatuses') or []}
        statuses = []
        for c in pod['spec'].get('containers') or []:
            p = prev.get(c['name']) or {}
            st = {'name': c['name'], 'image': c.get('image', ''), 'imageID': '', 'ready': False, 'started': False,
                  'restartCount': p.get('restartCount', 0), 'state': {'waiting': {'reason': reason}},
                  'lastState': p.get('lastState') or {}}
            if message:
                st['state']['waiting']['message'] = message
            if crash:
                st['restartCount'] = p.get('restartCount', 0) + 1
                st['lastState'] = {'terminated': {'exitCode': 1, 'reason': 'Error', 'message': crash,
                                                  'startedAt': rfc3339(), 'finishedAt': rfc3339()}}
            statuses.append(st)
        tmp = {'status': {'conditions': list((pod.get('status') or {}).get('conditions') or [])}}
        objects.set_condition(tmp, 'PodScheduled', 'True')
        objects.set_condition(tmp, 'Ready', 'False', 'ContainersNotReady',
                              'containers with unready status: [%s]' % ' '.join(s['name'] for s in statuses))
        status = {'phase': 'Running' if crash or (pod.get('status') or {}).get('phase') == 'Running' else 'Pending',
                  'containerStatuses': statuses, 'conditions': tmp['status']['conditions'],
                  'hostIP': self.node_ip()}
        self.api.merge_patch('/api/v1/namespaces/%s/pods/%s/status' % (ns, name), {'status': status})

    def flannel_problem(self, node):
        if not (node.get('spec') or {}).get('podCIDR'):
            return 'Error registering network: failed to acquire lease: node "%s" pod cidr not assigned' % self.name
        if read_text('/proc/sys/net/bridge/bridge-nf-call-iptables') is None:
            return ('Failed to check br_netfilter: stat /proc/sys/net/bridge/bridge-nf-call-iptables: '
                    'no such file or directory')
        return None

    def start_flannel(self, pod, node):
        cni = net_conf = None
        for v in pod['spec'].get('volumes') or []:
            cm_name = (v.get('configMap') or {}).get('name')
            if cm_name:
                cm = self.api.get_or_none('/api/v1/namespaces/%s/configmaps/%s' % (pod['metadata']['namespace'],
                                                                                   cm_name))
                if cm and (cm.get('data') or {}).get('cni-conf.json'):
                    cni = cm['data']['cni-conf.json']
                    net_conf = cm['data'].get('net-conf.json')
        network = '10.244.0.0/16'
        if cni is not None and net_conf:
            try:
                network = json.loads(net_conf).get('Network', network)
            except ValueError:
                pass
        cidr = node['spec']['podCIDR']
        write_file('/run/flannel/subnet.env', 'FLANNEL_NETWORK=%s\nFLANNEL_SUBNET=%s\nFLANNEL_MTU=1450\n'
                                             'FLANNEL_IPMASQ=true\n' % (network, str(
                                                 list(ipaddress.ip_network(cidr).hosts())[0]) + '/' + cidr.split('/')[1]))
        write_file(CNI_DIR + '/10-flannel.conflist', cni or json.dumps(FLANNEL_DEFAULT_CNI, indent=2) + '\n')
        klog('I', 'kubelet.go', 'flannel pod %s wrote %s/10-flannel.conflist' % (pod['metadata']['name'], CNI_DIR))

    def terminate(self, pod):
        """A pod being deleted: its containers "stop" and the kubelet confirms the deletion."""
        meta = pod['metadata']
        path = '/api/v1/namespaces/%s/pods/%s' % (meta['namespace'], meta['name'])
        try:
            self.api.delete(path, {'kind': 'DeleteOptions', 'apiVersion': 'v1', 'gracePeriodSeconds': 0,
                                   'preconditions': {'uid': meta['uid']}})
            klog('I', 'kubelet.go', 'pod %s/%s terminated' % (meta['namespace'], meta['name']))
        except ApiError as e:
            if e.code not in (404, 409):
                raise

    def sync_kube_proxy(self, pods):
        """Runs the kube-proxy process while a kube-proxy Pod is bound to this node."""
        proxies = [p for p in pods if is_kube_proxy(p) and objects.pod_active(p)]
        if proxies:
            self.proxy_pod_seen = time.time()
            if not containers.alive('kube-proxy'):
                image = proxies[0]['spec']['containers'][0].get('image', '')
                containers.start('kube-proxy', ['--kubeconfig=' + self.kubeconfig,
                                                '--hostname-override=' + self.name], image_version(image))
        elif containers.alive('kube-proxy') and time.time() - self.proxy_pod_seen > KUBE_PROXY_GRACE:
            containers.stop('kube-proxy')

    def sync_pods(self, node):
        self.my_pods = self.api.get('/api/v1/pods', {'fieldSelector': 'spec.nodeName=' + self.name})['items']
        self.assigned_ips = set()
        if self.skew:
            return
        self.sync_kube_proxy(self.my_pods)
        net_ready = network_ready()
        delay = float(os.environ.get('STANDIN_POD_START_SECONDS', '2'))
        for pod in self.my_pods:
            meta = pod['metadata']
            if (meta.get('annotations') or {}).get('kubernetes.io/config.mirror'):
                continue
            key = meta['uid']
            first = self.pod_seen.setdefault(key, time.time())
            if meta.get('deletionTimestamp'):
                if time.time() - self.pod_seen.setdefault(key + '/deleting', time.time()) >= 1:
                    self.terminate(pod)
                continue
            if objects.pod_ready(pod):
                continue
            if is_flannel(pod):
                problem = self.flannel_problem(node)
                if problem:
                    last = self.pod_seen.get(key + '/crash', 0)
                    if time.time() - last >= 10:
                        self.pod_seen[key + '/crash'] = time.time()
                        klog('E', 'pod_workers.go', 'kube-flannel container of pod %s/%s exited: %s'
                             % (meta['namespace'], meta['name'], problem))
                        self.set_waiting(pod, 'CrashLoopBackOff', 'back-off 10s restarting failed container=%s pod=%s_%s'
                                         % (pod['spec']['containers'][0]['name'], meta['name'], meta['namespace']),
                                         crash=problem)
                    continue
                if time.time() - first >= delay:
                    self.start_flannel(pod, node)
                    self.set_running(pod, node)
                continue
            if not (pod['spec'].get('hostNetwork') or net_ready):
                cs = ((pod.get('status') or {}).get('containerStatuses') or [{}])[0]
                if (cs.get('state') or {}).get('waiting', {}).get('reason') != 'ContainerCreating':
                    self.set_waiting(pod, 'ContainerCreating')
                continue
            if time.time() - first >= delay:
                self.set_running(pod, node)
            elif not (pod.get('status') or {}).get('containerStatuses'):
                self.set_waiting(pod, 'ContainerCreating')

    # ------------------------------------------------------------------ main loop

    def run(self):
        self.load_config()
        broken = fault('kubelet-start')
        if broken:
            fail('failed to run Kubelet: %s' % broken)
        self.check_host()
        healthz = self.serve_healthz()
        klog('I', 'server.go', 'Started kubelet (steer lab stand-in) node="%s"' % self.name)
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        interval = 5.0
        last_beat = 0.0
        node = None
        self.my_pods = []
        self.assigned_ips = set()
        while not self.stopping.is_set():
            static = self.sync_static()
            api = self.connect()
            if api is not None:
                try:
                    if not self.registered:
                        self.register()
                    if time.time() - last_beat >= interval or node is None:
                        node = self.heartbeat()
                        last_beat = time.time()
                    if node is not None:
                        self.sync_mirror_pods(static, node)
                        self.sync_pods(node)
                except ConnectError as e:
                    klog('E', 'kubelet_node_status.go', 'Unable to register node with API server: %s' % e)
                except ApiError as e:
                    klog('E', 'kubelet.go', 'API request failed: %s' % e)
            self.stopping.wait(1.0)
        healthz.shutdown()
        klog('I', 'kubelet.go', 'kubelet stopped (static pods keep running, as with a real container runtime)')
        return 0


def network_ready():
    d = host_path(CNI_DIR)
    try:
        return any(n.endswith(('.conf', '.conflist', '.json')) for n in os.listdir(d))
    except OSError:
        return False


def is_kube_proxy(pod):
    return any(c.get('image', '').rsplit('/', 1)[-1].split(':')[0] == 'kube-proxy'
               for c in pod['spec'].get('containers') or [])


def is_flannel(pod):
    for c in pod['spec'].get('containers') or []:
        repo = c.get('image', '').rsplit(':', 1)[0] if ':' in c.get('image', '').split('/')[-1] else c.get('image', '')
        if repo.split('/')[-1] == 'flannel' or repo.split('/')[-1].startswith('flannel-'):
            return True
    return False


def containerd_version():
    try:
        out = subprocess.run(['containerd', '--version'], capture_output=True, text=True, timeout=5).stdout
        parts = out.split()
        if len(parts) >= 3:
            return parts[2].lstrip('v')
    except (OSError, subprocess.SubprocessError):
        pass
    return 'unknown'


def main(argv):
    label('kubelet')
    flags = parse_flags(argv)
    if 'version' in flags or argv[:1] == ['version']:
        print('Kubernetes v' + version())
        return 0
    if 'help' in flags or argv[:1] in (['-h'], ['help']):
        print('kubelet (steer lab stand-in): runs static Pods, registers the Node, reports Pods as running.')
        return 0
    return Kubelet(flags).run()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
