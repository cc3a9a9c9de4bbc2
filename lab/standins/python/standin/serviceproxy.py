"""The stand-in for kube-proxy's rules plus the Pods behind a Service, on every node (kubeproxy.py
runs it from the kube-proxy DaemonSet Pod).

No container really runs in the lab, so the answer a Service gives comes from here: while a
Service has Ready endpoints, its ClusterIP is added to this host's `lo` and each TCP port answers
HTTP with a welcome page naming the Pod that "served" it (round-robin over the endpoints). With no
Ready endpoint the address is withdrawn, so clients get "connection refused" as with real
kube-proxy rules. Services in kube-system and kube-flannel (DNS, metrics) are not answered.
The rules come from the last Services and Endpoints read from the API: like iptables rules, they
stay in force while the API server is down (during `kubeadm upgrade apply`, or a restore).

STANDIN_SERVICE_LISTEN=127.0.0.1 (tests) binds each Service port on that address with a free port
instead, and records where in /run/standin/service-proxy.json.
"""
import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .common import TAG, host_path, klog, write_file

SKIPPED_NAMESPACES = ('kube-system', 'kube-flannel')

PAGE = '''<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"
    "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">

<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
<head>
    <title>Test Page for the Nginx HTTP Server</title>
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
</head>
<body>
<!-- %(tag)s: no container runs in the steer lab; this page stands in for the Pod's answer -->
<h1>Welcome to <strong>nginx</strong>!</h1>
<p>This page is used to test the proper operation of the <strong>nginx</strong> HTTP server.</p>
<p>Served by pod <strong>%(pod)s</strong> on node <strong>%(node)s</strong>,
for service %(namespace)s/%(service)s. %(tag)s</p>
</body>
</html>
'''


class _PageHandler(BaseHTTPRequestHandler):
    server_version = 'nginx/1.16.1'
    sys_version = ''

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        pod = self.server.pick()
        if pod is None:
            self.send_response(503)
            self.end_headers()
            return
        body = (PAGE % {'tag': TAG, 'pod': (pod.get('targetRef') or {}).get('name', pod.get('ip')),
                        'node': pod.get('nodeName'), 'namespace': self.server.key[0],
                        'service': self.server.service}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/html')
        self.send_header('Content-Length', str(len(body)))
        self.send_header('X-Steer-Lab-Standin', 'service %s/%s' % (self.server.key[0], self.server.service))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    do_HEAD = do_GET


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, service, proxy):
        self.service = service
        self.proxy = proxy
        self.key = None
        self.turn = 0
        super().__init__(addr, _PageHandler)

    def pick(self):
        pods = self.proxy.ready_pods(self.key)
        if not pods:
            return None
        self.turn += 1
        return pods[self.turn % len(pods)]


class ServiceProxy:
    """`services` and `endpoints` are the last Service and Endpoints lists read from the API."""

    def __init__(self):
        self.services = []
        self.endpoints = {}  # (ns, name) -> Endpoints object
        self.listen = os.environ.get('STANDIN_SERVICE_LISTEN')
        self.listeners = {}  # (ns, name, ip, port) -> _Listener
        self.addresses = set()
        self.lock = threading.RLock()

    def ready_pods(self, key):
        """The Ready endpoint addresses of a Service ({ip, nodeName, targetRef})."""
        ep = self.endpoints.get((key[0], key[1])) or {}
        return [a for s in ep.get('subsets') or [] for a in s.get('addresses') or []]

    def update(self, services, endpoints):
        with self.lock:
            self.services = services
            self.endpoints = {(e['metadata']['namespace'], e['metadata']['name']): e for e in endpoints}
        self.reconcile()

    def desired(self):
        out = {}
        for svc in self.services:
            ns, name = svc['metadata']['namespace'], svc['metadata']['name']
            ip = svc['spec'].get('clusterIP')
            if ns in SKIPPED_NAMESPACES or not ip or ip == 'None' or not svc['spec'].get('selector'):
                continue
            if not self.ready_pods((ns, name)):
                continue
            for p in svc['spec'].get('ports') or []:
                if p.get('protocol', 'TCP') == 'TCP':
                    out[(ns, name, ip, int(p['port']))] = True
        return out

    def _ip(self, *args):
        r = subprocess.run(['ip'] + list(args), capture_output=True, text=True)
        return r.returncode, r.stderr.strip()

    def reconcile(self):
        with self.lock:
            want = self.desired()
            for key in list(self.listeners):
                if key not in want:
                    self._close(key)
            for key in want:
                if key not in self.listeners:
                    self._open(key)
            ips_wanted = {k[2] for k in self.listeners} if not self.listen else set()
            for ip in list(self.addresses - ips_wanted):
                self._ip('addr', 'del', ip + '/32', 'dev', 'lo')
                self.addresses.discard(ip)
                klog('I', 'proxier.go', 'removed service address %s from lo' % ip)
            self._record()

    def _open(self, key):
        ns, name, ip, port = key
        if self.listen:
            addr = (self.listen, 0)
        else:
            if ip not in self.addresses:
                rc, err = self._ip('addr', 'add', ip + '/32', 'dev', 'lo')
                if rc != 0 and 'File exists' not in err:
                    klog('E', 'proxier.go', 'cannot add service address %s to lo: %s' % (ip, err))
                    return
                self.addresses.add(ip)
                klog('I', 'proxier.go', 'added service address %s to lo for %s/%s' % (ip, ns, name))
            addr = (ip, port)
        try:
            srv = _Listener(addr, name, self)
        except OSError as e:
            klog('E', 'proxier.go', 'cannot listen on %s:%d for %s/%s: %s' % (addr[0], addr[1], ns, name, e))
            return
        srv.key = key
        threading.Thread(target=srv.serve_forever, kwargs={'poll_interval': 0.2}, daemon=True).start()
        self.listeners[key] = srv

    def _close(self, key):
        srv = self.listeners.pop(key)
        srv.shutdown()
        srv.server_close()

    def _record(self):
        if not self.listen:
            return
        data = {'%s/%s:%d' % (k[0], k[1], k[3]): '%s:%d' % srv.server_address[:2]
                for k, srv in self.listeners.items()}
        path = '/run/standin/service-proxy.json'
        text = json.dumps(data, sort_keys=True)
        try:
            with open(host_path(path)) as f:
                if f.read() == text:
                    return
        except OSError:
            pass
        write_file(path, text)

    def close_all(self):
        with self.lock:
            for key in list(self.listeners):
                self._close(key)
            for ip in list(self.addresses):
                self._ip('addr', 'del', ip + '/32', 'dev', 'lo')
            self.addresses.clear()
            self._record()
