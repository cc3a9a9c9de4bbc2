"""The stand-in kube-apiserver: the Kubernetes REST API over HTTPS on :6443, with client-certificate
and bootstrap-token authentication, the objects the roles use, and (in controllers.py) the
controllers and scheduler a real control plane runs. The kubelet stand-in starts it from the
kube-apiserver static Pod manifest that `kubeadm init` writes.
"""
import base64
import datetime
import ipaddress
import json
import os
import random
import re
import signal
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

from . import disruption, objects, pki, yamlish
from .common import TAG, component_version, host_path, klog, label, parse_time, now, git_commit, rfc3339
from .etcd_client import EtcdUnavailable, StateBackend
from .resources import BY_KEY, RESOURCES, from_path
from .store import Store, StatusError, invalid
from .tlsserve import ReloadingTLSServer

ADMIN_GROUPS = {'system:masters', 'kubeadm:cluster-admins', 'system:nodes'}
BOOTSTRAP_RE = re.compile(r'^([a-z0-9]{6})\.([a-z0-9]{16})$')


def version_info():
    """/version: the version of the kube-apiserver image this process was started for."""
    v = component_version()
    major, minor = v.split('.')[:2]
    return {'major': major, 'minor': minor, 'emulationMajor': major, 'emulationMinor': minor,
            'minCompatibilityMajor': major, 'minCompatibilityMinor': str(int(minor) - 1),
            'gitVersion': 'v' + v, 'gitCommit': git_commit(v), 'gitTreeState': 'clean',
            'buildDate': '2026-01-01T00:00:00Z', 'goVersion': 'go1.24.9', 'compiler': 'gc',
            'platform': 'linux/amd64'}


class ApiServer:
    def __init__(self, opts, store):
        self.opts = opts
        self.store = store
        self.service_net = ipaddress.ip_network(opts.get('service-cluster-ip-range', '10.96.0.0/12'))
        self.ca_cert = pki.read_host(opts['client-ca-file'])
        self.ca_key = pki.read_host(os.path.join(os.path.dirname(opts['client-ca-file']), 'ca.key'))
        self.bootstrap_defaults()

    # ------------------------------------------------------------------ bootstrap objects

    def bootstrap_defaults(self):
        ns_res = BY_KEY['namespaces']
        for ns in ('default', 'kube-system', 'kube-public', 'kube-node-lease'):
            if self.store.get(ns_res, None, ns) is None:
                self.create(ns_res, {'metadata': {'name': ns}})
        svc = BY_KEY['services']
        first_ip = str(self.service_net.network_address + 1)
        if self.store.get(svc, 'default', 'kubernetes') is None:
            self.create(svc, {'metadata': {'name': 'kubernetes', 'namespace': 'default',
                                           'labels': {'component': 'apiserver', 'provider': 'kubernetes'}},
                              'spec': {'clusterIP': first_ip, 'ports': [
                                  {'name': 'https', 'port': 443, 'protocol': 'TCP',
                                   'targetPort': int(self.opts.get('secure-port', 6443))}]}})
        ep = BY_KEY['endpoints']
        adv = self.opts.get('advertise-address')
        if adv and self.store.get(ep, 'default', 'kubernetes') is None:
            self.store.create(ep, {'metadata': {'name': 'kubernetes', 'namespace': 'default'},
                                   'subsets': [{'addresses': [{'ip': adv}], 'ports': [
                                       {'name': 'https', 'port': int(self.opts.get('secure-port', 6443)),
                                        'protocol': 'TCP'}]}]})
        self.store.save()

    # ------------------------------------------------------------------ defaulting / admission

    def allocate_cluster_ip(self):
        used = {o['spec'].get('clusterIP') for o in self.store.list(BY_KEY['services'])}
        net = self.service_net
        for _ in range(1000):
            ip = str(net.network_address + random.randint(11, min(net.num_addresses - 2, 1 << 20)))
            if ip not in used:
                return ip
        raise StatusError(500, 'InternalError', 'failed to allocate a serviceIP: range is full')

    def default(self, res, obj):
        kind = res.kind
        meta = obj.setdefault('metadata', {})
        if kind == 'Namespace':
            meta.setdefault('labels', {})['kubernetes.io/metadata.name'] = meta.get('name')
            obj['spec'] = {'finalizers': ['kubernetes']}
            obj['status'] = {'phase': 'Active'}
        elif kind == 'Pod':
            default_pod_spec(obj.setdefault('spec', {}))
            objects.add_default_tolerations(obj['spec'])
            obj.setdefault('status', {'phase': 'Pending', 'qosClass': 'BestEffort'})
        elif kind == 'PodDisruptionBudget':
            spec = obj.setdefault('spec', {})
            if spec.get('minAvailable') is not None and spec.get('maxUnavailable') is not None:
                raise invalid(res, meta.get('name'), ['spec: Invalid value: policy.PodDisruptionBudgetSpec{...}: '
                                                      'minAvailable and maxUnavailable cannot be both set'])
            obj.setdefault('status', {'disruptionsAllowed': 0, 'currentHealthy': 0, 'desiredHealthy': 0,
                                      'expectedPods': 0})
        elif kind in ('Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet'):
            spec = obj.setdefault('spec', {})
            if kind != 'DaemonSet':
                spec.setdefault('replicas', 1)
            if kind == 'Deployment':
                spec.setdefault('strategy', {'type': 'RollingUpdate', 'rollingUpdate': {
                    'maxSurge': '25%', 'maxUnavailable': '25%'}})
                spec.setdefault('revisionHistoryLimit', 10)
                spec.setdefault('progressDeadlineSeconds', 600)
            if kind == 'DaemonSet':
                spec.setdefault('updateStrategy', {'type': 'RollingUpdate', 'rollingUpdate': {
                    'maxSurge': 0, 'maxUnavailable': 1}})
                spec.setdefault('revisionHistoryLimit', 10)
            tmpl = spec.setdefault('template', {})
            default_pod_spec(tmpl.setdefault('spec', {}))
            tmpl.setdefault('metadata', {})
            labels = (tmpl['metadata'].get('labels') or {})
            if not spec.get('selector'):
                raise invalid(res, meta.get('name'), ['spec.selector: Required value'])
            if not objects.selector_matches(spec['selector'], labels):
                raise invalid(res, meta.get('name'), [
                    'spec.template.metadata.labels: Invalid value: map[string]string{%s}: `selector` does '
                    'not match template `labels`' % ', '.join('"%s":"%s"' % kv for kv in sorted(labels.items()))])
            obj.setdefault('status', {})
        elif kind == 'Service':
            spec = obj.setdefault('spec', {})
            spec.setdefault('type', 'ClusterIP')
            spec.setdefault('sessionAffinity', 'None')
            if spec.get('clusterIP') != 'None':
                if not spec.get('clusterIP'):
                    spec['clusterIP'] = self.allocate_cluster_ip()
                elif ipaddress.ip_address(spec['clusterIP']) not in self.service_net:
                    raise invalid(res, meta.get('name'), [
                        'spec.clusterIPs: Invalid value: []string{"%s"}: failed to allocate IP %s: the provided '
                        'IP (%s) is not in the valid range. The range of valid IPs is %s'
                        % (spec['clusterIP'], spec['clusterIP'], spec['clusterIP'], self.service_net)])
            spec['clusterIPs'] = [spec['clusterIP']]
            spec.setdefault('ipFamilies', ['IPv4'])
            spec.setdefault('ipFamilyPolicy', 'SingleStack')
            spec.setdefault('internalTrafficPolicy', 'Cluster')
            for p in spec.get('ports') or []:
                p.setdefault('protocol', 'TCP')
                p.setdefault('targetPort', p.get('port'))
                if spec['type'] in ('NodePort', 'LoadBalancer') and 'nodePort' not in p:
                    p['nodePort'] = random.randint(30000, 32767)
            obj.setdefault('status', {'loadBalancer': {}})
        elif kind == 'Secret':
            obj.setdefault('type', 'Opaque')
            sd = obj.pop('stringData', None) or {}
            data = obj.setdefault('data', {})
            for k, v in sd.items():
                data[k] = base64.b64encode(str(v).encode()).decode()
        elif kind == 'ServiceAccount':
            pass
        return obj

    # ------------------------------------------------------------------ verbs

    def create(self, res, obj):
        self.default(res, obj)
        if res.kind == 'CertificateSigningRequest':
            self.sign_csr(obj)
        return self.store.create(res, obj)

    def update(self, res, obj, sub=None):
        meta = obj.get('metadata') or {}
        cur = self.store.must_get(res, meta.get('namespace'), meta.get('name'))
        if sub == 'status':
            new = dict(cur)
            new['status'] = obj.get('status') or {}
            if meta.get('resourceVersion'):
                new['metadata'] = dict(cur['metadata'], resourceVersion=meta['resourceVersion'])
            return self.store.update(res, new)
        if res.has_status:
            obj['status'] = cur.get('status')
        if res.kind == 'Service':
            old_ip = cur['spec'].get('clusterIP')
            spec = obj.setdefault('spec', {})
            if spec.get('clusterIP') and spec['clusterIP'] != old_ip:
                raise invalid(res, meta.get('name'), ['spec.clusterIPs[0]: Invalid value: []string{"%s"}: may not '
                                                      'change once set' % spec['clusterIP']])
            spec['clusterIP'] = old_ip
        if res.kind in ('Deployment', 'DaemonSet', 'ReplicaSet', 'StatefulSet'):
            sel_old = (cur.get('spec') or {}).get('selector')
            sel_new = (obj.get('spec') or {}).get('selector')
            if sel_new is not None and sel_new != sel_old:
                raise invalid(res, meta.get('name'), [
                    'spec.selector: Invalid value: %s: field is immutable' % json.dumps(sel_new)])
        self.default(res, obj)
        if res.has_status:
            obj['status'] = cur.get('status')
        return self.store.update(res, obj)

    def delete_pod(self, ns, name, grace=None, uid=None):
        """Graceful deletion: a pod bound to a node gets a deletionTimestamp (it shows Terminating)
        and is removed when its kubelet confirms it stopped, or by the pod GC when its node is
        deleted; pods not yet scheduled, finished pods, mirror pods and grace 0 go at once."""
        res = BY_KEY['pods']
        with self.store.lock:
            pod = self.store.must_get(res, ns, name)
            if uid and uid != pod['metadata'].get('uid'):
                raise StatusError(409, 'Conflict', 'Operation cannot be fulfilled on Pod "%s": Precondition failed: '
                                  'UID in precondition: %s, UID in object meta: %s' % (name, uid,
                                                                                      pod['metadata'].get('uid')))
            meta = pod['metadata']
            if grace is None:
                grace = pod['spec'].get('terminationGracePeriodSeconds', 30)
            mirror = (meta.get('annotations') or {}).get('kubernetes.io/config.mirror')
            if mirror or not pod['spec'].get('nodeName') or int(grace) <= 0 or \
                    (pod.get('status') or {}).get('phase') in ('Succeeded', 'Failed'):
                return self.store.delete(res, ns, name)
            if meta.get('deletionTimestamp'):
                return pod
            meta['deletionTimestamp'] = rfc3339(now() + datetime.timedelta(seconds=int(grace)))
            meta['deletionGracePeriodSeconds'] = int(grace)
            return self.store.update(res, pod, check_rv=False)

    def patch(self, res, ns, name, sub, ctype, body):
        cur = self.store.must_get(res, ns, name)
        try:
            if 'json-patch' in ctype:
                new = objects.json_patch(cur, body)
            elif 'strategic' in ctype:
                new = objects.strategic_merge(cur, body)
            else:
                new = objects.merge_patch(cur, body)
        except (KeyError, IndexError, ValueError, TypeError) as e:
            raise StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request: '
                                              '%s' % e)
        new['metadata']['name'] = name
        if res.namespaced:
            new['metadata']['namespace'] = ns
        explicit_rv = isinstance(body, dict) and (body.get('metadata') or {}).get('resourceVersion')
        if not explicit_rv:
            new['metadata'].pop('resourceVersion', None)
        if sub == 'status':
            return self.update(res, new, 'status')
        return self.update(res, new)

    # ------------------------------------------------------------------ certificates

    def sign_csr(self, obj):
        spec = obj.get('spec') or {}
        signer = spec.get('signerName')
        if signer not in ('kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kube-apiserver-client'):
            return
        csr_pem = base64.b64decode(spec.get('request', ''))
        cn, orgs = pki.csr_subject(csr_pem)
        if signer.endswith('-kubelet') and (not cn.startswith('system:node:') or orgs != ['system:nodes']):
            objects.set_condition(obj, 'Denied', 'True', 'AutoDenied',
                                  'subject must be CN=system:node:<name>, O=system:nodes')
            return
        cert = pki.sign(self.ca_cert, self.ca_key, csr_pem, 'client')
        objects.set_condition(obj, 'Approved', 'True', 'AutoApproved',
                              'Auto approving kubelet client certificate after SubjectAccessReview.')
        obj['status']['certificate'] = base64.b64encode(cert).decode()

    # ------------------------------------------------------------------ authentication / authorization

    def authenticate(self, peer_cert, auth_header):
        """(user, groups) or raises 401."""
        if auth_header and auth_header.startswith('Bearer '):
            token = auth_header[7:].strip()
            m = BOOTSTRAP_RE.match(token)
            if m:
                sec = self.store.get(BY_KEY['secrets'], 'kube-system', 'bootstrap-token-' + m.group(1))
                if sec and sec.get('type') == 'bootstrap.kubernetes.io/token':
                    d = {k: base64.b64decode(v).decode() for k, v in (sec.get('data') or {}).items()}
                    exp = parse_time(d.get('expiration'))
                    if d.get('token-secret') == m.group(2) and d.get('usage-bootstrap-authentication') == 'true' \
                            and (exp is None or exp > now()):
                        groups = ['system:bootstrappers'] + [g for g in d.get('auth-extra-groups', '').split(',') if g]
                        return 'system:bootstrap:' + m.group(1), groups + ['system:authenticated']
            raise StatusError(401, 'Unauthorized', 'Unauthorized')
        if peer_cert:
            cn, orgs = None, []
            for rdn in peer_cert.get('subject', ()):
                for k, v in rdn:
                    if k == 'commonName':
                        cn = v
                    elif k == 'organizationName':
                        orgs.append(v)
            return cn, orgs + ['system:authenticated']
        return 'system:anonymous', ['system:unauthenticated']

    def authorize(self, user, groups, verb, res, ns, name):
        if ADMIN_GROUPS & set(groups) or user in ('kube-apiserver-kubelet-client',):
            return
        if res is not None and res.kind == 'ConfigMap' and verb == 'get' and ns == 'kube-public' \
                and name == 'cluster-info':
            return
        if 'system:bootstrappers' in groups and res is not None:
            if res.kind == 'CertificateSigningRequest' and verb in ('create', 'get', 'list', 'watch'):
                return
            if res.kind == 'Node' and verb == 'get':
                return
            if res.kind == 'ConfigMap' and verb == 'get' and ns == 'kube-system' and name in (
                    'kubeadm-config', 'kubelet-config', 'kube-proxy'):
                return
        what = res.plural if res else 'resource'
        group = res.group if res else ''
        if name:
            msg = '%s "%s" is forbidden: User "%s" cannot %s resource "%s" in API group "%s"' % (
                res.key if res else what, name, user, verb, what, group)
        else:
            msg = '%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s"' % (
                res.key if res else what, user, verb, what, group)
        msg += ' in the namespace "%s"' % ns if ns else ' at the cluster scope'
        raise StatusError(403, 'Forbidden', msg, {'name': name or '', 'group': group, 'kind': what})


def default_pod_spec(spec):
    spec.setdefault('restartPolicy', 'Always')
    spec.setdefault('dnsPolicy', 'ClusterFirst')
    spec.setdefault('schedulerName', 'default-scheduler')
    spec.setdefault('terminationGracePeriodSeconds', 30)
    spec.setdefault('securityContext', {})
    if not spec.get('hostNetwork'):
        spec.setdefault('serviceAccountName', 'default')
    for c in (spec.get('containers') or []) + (spec.get('initContainers') or []):
        img = c.get('image', '')
        c.setdefault('imagePullPolicy', 'Always' if img.endswith(':latest') or ':' not in img.split('/')[-1]
                     else 'IfNotPresent')
        c.setdefault('terminationMessagePath', '/dev/termination-log')
        c.setdefault('terminationMessagePolicy', 'File')
        c.setdefault('resources', {})
        for p in c.get('ports') or []:
            p.setdefault('protocol', 'TCP')


# ====================================================================== HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'steer-lab-standin-kube-apiserver'
    api = None  # set on the class by serve()

    def log_message(self, fmt, *args):
        if os.environ.get('STANDIN_APISERVER_ACCESS_LOG'):
            klog('I', 'httplog.go', fmt % args)

    def send(self, code, body, ctype='application/json'):
        data = body if isinstance(body, bytes) else (
            body.encode() if isinstance(body, str) else json.dumps(body).encode())
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data)))
        self.send_header('X-Steer-Lab-Standin', 'kube-apiserver')
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    def body(self):
        n = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(n) if n else b''
        if not raw:
            return None
        text = raw.decode()
        try:
            return json.loads(text)
        except ValueError:
            try:
                return yamlish.load(text)
            except yamlish.YAMLError as e:
                raise StatusError(400, 'BadRequest', 'the body of the request was in an unknown format: %s' % e)

    def do_GET(self):
        self.dispatch('GET')

    def do_HEAD(self):
        self.dispatch('GET')

    def do_POST(self):
        self.dispatch('POST')

    def do_PUT(self):
        self.dispatch('PUT')

    def do_PATCH(self):
        self.dispatch('PATCH')

    def do_DELETE(self):
        self.dispatch('DELETE')

    def dispatch(self, method):
        api = self.api
        u = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        try:
            peer = self.connection.getpeercert() if isinstance(self.connection, ssl.SSLSocket) else None
            user, groups = api.authenticate(peer, self.headers.get('Authorization'))
            path = u.path.rstrip('/') or '/'
            if path in ('/healthz', '/livez', '/readyz'):
                if not api.store.available:
                    return self.send(500, '[-]etcd failed: reason withheld\n%s check failed' % path[1:],
                                     'text/plain; charset=utf-8')
                return self.send(200, 'ok', 'text/plain; charset=utf-8')
            if not api.store.available:
                raise StatusError(500, 'InternalError', 'Internal error occurred: rpc error: code = Unavailable desc = '
                                  'connection error: desc = "transport: Error while dialing: dial tcp %s: connect: '
                                  'connection refused"' % api.opts.get('etcd-servers', '127.0.0.1:2379').split(
                                      ',')[0].split('://')[-1])
            if path == '/version':
                return self.send(200, version_info())
            if path == '/api':
                return self.send(200, {'kind': 'APIVersions', 'versions': ['v1'], 'serverAddressByClientCIDRs': [
                    {'clientCIDR': '0.0.0.0/0', 'serverAddress': '%s:%s' % (
                        api.opts.get('advertise-address'), api.opts.get('secure-port', 6443))}]})
            if path == '/apis':
                groups_seen = sorted({(r.group, r.version) for r in RESOURCES if r.group})
                return self.send(200, {'kind': 'APIGroupList', 'apiVersion': 'v1', 'groups': [
                    {'name': g, 'versions': [{'groupVersion': '%s/%s' % (g, v), 'version': v}],
                     'preferredVersion': {'groupVersion': '%s/%s' % (g, v), 'version': v}}
                    for g, v in groups_seen]})
            parsed = from_path(path)
            if parsed is None:
                raise StatusError(404, 'NotFound', 'the server could not find the requested resource')
            if parsed[0] == 'unknown':
                raise StatusError(404, 'NotFound', 'the server could not find the requested resource')
            res, ns, name, sub = parsed
            verb = {'GET': 'get' if name else 'list', 'POST': 'create', 'PUT': 'update', 'PATCH': 'patch',
                    'DELETE': 'delete'}[method]
            api.authorize(user, groups, verb, res, ns, name)
            out = self.handle_resource(method, res, ns, name, sub, q)
            code = 201 if method == 'POST' else 200
            self.send(code, out)
        except StatusError as e:
            self.send(e.code, e.status())
        except Exception as e:  # a bug in the stand-in: say so, as a 500
            klog('E', 'apiserver.py', 'internal error on %s %s: %r' % (method, self.path, e))
            self.send(500, StatusError(500, 'InternalError', '%s internal error: %s' % (TAG, e)).status())

    def handle_resource(self, method, res, ns, name, sub, q):
        api = self.api
        store = api.store
        if method == 'GET':
            if name:
                return store.must_get(res, ns, name)
            items = store.list(res, ns)
            reqs = objects.parse_label_selector(q.get('labelSelector'))
            items = [o for o in items if objects.labels_match(o['metadata'].get('labels'), reqs)]
            if q.get('fieldSelector'):
                items = [o for o in items if objects.fields_match(o, q['fieldSelector'])]
            return {'kind': res.kind + 'List', 'apiVersion': res.api_version,
                    'metadata': {'resourceVersion': str(store.rv)}, 'items': items}
        if method == 'POST' and res.kind == 'Pod' and sub == 'eviction':
            return disruption.evict(api, ns, name, self.body())
        if method == 'POST':
            body = self.body()
            if not isinstance(body, dict):
                raise StatusError(400, 'BadRequest', 'the body of the request is empty')
            if res.namespaced:
                bns = (body.get('metadata') or {}).get('namespace')
                if bns and ns and bns != ns:
                    raise StatusError(400, 'BadRequest', 'the namespace of the provided object does not match '
                                                         'the namespace sent on the request')
                body.setdefault('metadata', {})['namespace'] = ns or bns or 'default'
            if q.get('dryRun'):
                return api.default(res, body)
            return api.create(res, body)
        if method == 'PUT':
            body = self.body()
            if not isinstance(body, dict):
                raise StatusError(400, 'BadRequest', 'the body of the request is empty')
            body.setdefault('metadata', {})['name'] = name
            if res.namespaced:
                body['metadata']['namespace'] = ns
            return api.update(res, body, sub)
        if method == 'PATCH':
            return api.patch(res, ns, name, sub, self.headers.get('Content-Type', ''), self.body())
        if method == 'DELETE':
            if res.kind == 'Pod' and name:
                opts = self.body() or {}
                grace = opts.get('gracePeriodSeconds', q.get('gracePeriodSeconds'))
                return api.delete_pod(ns, name, int(grace) if grace is not None else None,
                                      (opts.get('preconditions') or {}).get('uid'))
            return store.delete(res, ns, name)
        raise StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource')


def parse_args(argv):
    opts = {}
    for a in argv:
        if a.startswith('--') and '=' in a:
            k, v = a[2:].split('=', 1)
            opts[k] = v
        elif a.startswith('--'):
            opts[a[2:]] = 'true'
    return opts


def open_store(opts):
    """The object store, read from etcd (--etcd-servers with the apiserver-etcd-client certificate);
    waits up to 60 s for etcd, as a starting kube-apiserver does, then gives up (the kubelet restarts it)."""
    backend = StateBackend([u for u in opts.get('etcd-servers', 'https://127.0.0.1:2379').split(',') if u],
                           opts.get('etcd-cafile'), opts.get('etcd-certfile'), opts.get('etcd-keyfile'))
    store = Store(backend)
    deadline = time.time() + 60
    while True:
        try:
            store.load()
            return store
        except EtcdUnavailable as e:
            if time.time() > deadline:
                klog('F', 'instance.go', 'Error creating leases: error creating storage factory: %s' % e)
                sys.exit(1)
            klog('W', 'logging.go', 'grpc: addrConn.createTransport failed to connect to %s' % e)
            time.sleep(1)


def sync_loop(store, stopping):
    """Persists changes to etcd shortly after they happen (batched), and notices a restored etcd."""
    while not stopping.is_set():
        if store.wake.wait(1.0):
            time.sleep(0.05)
            store.wake.clear()
        was = store.available
        if store.sync():
            klog('W', 'cacher.go', 'etcd data directory changed (snapshot restored): objects reloaded from etcd')
        if was != store.available:
            klog('I' if store.available else 'E', 'healthz.go', 'etcd is %s' % (
                'reachable again' if store.available else 'unreachable: requests fail until it is back'))


def main(argv):
    label('kube-apiserver', component_version())
    opts = parse_args(argv)
    opts.setdefault('secure-port', '6443')
    opts.setdefault('client-ca-file', '/etc/kubernetes/pki/ca.crt')
    opts.setdefault('tls-cert-file', '/etc/kubernetes/pki/apiserver.crt')
    opts.setdefault('tls-private-key-file', '/etc/kubernetes/pki/apiserver.key')
    pidfile = host_path('/run/standin/kube-apiserver.pid')
    os.makedirs(os.path.dirname(pidfile), exist_ok=True)
    with open(pidfile, 'w') as f:
        f.write(str(os.getpid()))
    store = open_store(opts)
    api = ApiServer(opts, store)
    Handler.api = api
    bind = opts.get('bind-address', '0.0.0.0')
    server = ReloadingTLSServer((bind, int(opts['secure-port'])), Handler, opts['tls-cert-file'],
                                opts['tls-private-key-file'], opts['client-ca-file'])

    from .controllers import Controllers
    ctrl = Controllers(api)

    stopping = threading.Event()

    def stop(*_):
        if stopping.is_set():
            return
        stopping.set()
        klog('I', 'apiserver.py', 'shutting down: saving state to etcd')
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Thread(target=ctrl.run, args=(stopping,), daemon=True).start()
    threading.Thread(target=sync_loop, args=(store, stopping), daemon=True).start()
    klog('I', 'secure_serving.go', 'Serving securely on %s:%s' % (bind, opts['secure-port']))
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        stopping.set()
        store.sync()
        try:
            if open(pidfile).read().strip() == str(os.getpid()):
                os.unlink(pidfile)
        except OSError:
            pass
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
