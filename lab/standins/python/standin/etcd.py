"""The stand-in etcd member, run by the kubelet from the etcd static Pod manifest kubeadm writes.

It owns the data directory (etcd_data.py) and serves, over TLS with client certificates checked
against the etcd CA (--client-cert-auth), what operators and the stand-in API server use:
  GET  /health, /version, /livez, /readyz           like etcd's HTTP endpoints
  POST /v3/maintenance/status, /v3/maintenance/snapshot, /v3/cluster/member/list
                                                     what etcdctl endpoint status / snapshot save /
                                                     member list need (JSON, the grpc-gateway's shapes)
  GET/PUT /v3/standin/state                          the stand-in API server's storage: the whole key
                                                     space as one JSON document, versioned by the
                                                     data directory's ID so that a restored data
                                                     directory is noticed
The storage version is enforced as etcd does: a 3.5 member refuses data a 3.6 member wrote.
"""
import json
import os
import signal
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

from . import etcd_data
from .common import component_version, host_path, klog, label, write_file
from .tlsserve import ReloadingTLSServer


def parse_args(argv):
    opts = {}
    for a in argv:
        if a.startswith('--'):
            k, _, v = a[2:].partition('=')
            opts[k] = v if _ else 'true'
    return opts


def urls(value):
    return [u for u in (value or '').split(',') if u]


class Member:
    """The member's state: data directory, member record and db, guarded by one lock."""

    def __init__(self, opts, version):
        self.version = version
        self.data_dir = opts.get('data-dir') or '%s.etcd' % opts.get('name', 'default')
        self.lock = threading.Lock()
        name = opts.get('name', 'default')
        client_urls = urls(opts.get('advertise-client-urls')) or ['http://localhost:2379']
        if not etcd_data.exists(self.data_dir):
            peers = urls(opts.get('initial-advertise-peer-urls')) or ['http://localhost:2380']
            token = opts.get('initial-cluster-token') or etcd_data.DEFAULT_TOKEN
            self.member = etcd_data.create(self.data_dir, name, peers, client_urls, etcd_data.empty_db(version),
                                           token)
            self.db = etcd_data.load(self.data_dir)[1]
            klog('I', 'etcd.go', 'started a new member name=%s data-dir=%s' % (name, self.data_dir))
            return
        self.member, self.db = etcd_data.load(self.data_dir)
        have = self.db.get('storageVersion', '3.5')
        own = etcd_data.storage_minor(version)
        if tuple(int(x) for x in own.split('.')) < tuple(int(x) for x in have.split('.')):
            klog('F', 'etcd.go', 'cluster cannot be downgraded (current version: %s is lower than determined cluster '
                 'version: %s).' % (version, have))
            sys.exit(1)
        if own != have:
            self.db['storageVersion'] = own
            etcd_data.save_db(self.data_dir, self.db)
            klog('I', 'cluster.go', 'updated cluster version from=%s to=%s' % (have, own))
        # a starting member publishes its name and client URLs; its peer URLs stay those of its data
        self.member.update({'name': name, 'clientURLs': client_urls})
        etcd_data.save_member(self.data_dir, self.member)
        klog('I', 'etcd.go', 'restarted member name=%s data-dir=%s revision=%s' % (
            name, self.data_dir, self.db.get('revision')))

    def header(self):
        return {'cluster_id': str(self.member['clusterID']), 'member_id': str(self.member['ID']),
                'revision': str(self.db.get('revision', 1)), 'raft_term': '2'}

    def put_state(self, data_id, state):
        with self.lock:
            if data_id != self.db['dataID']:
                return None
            self.db['state'] = state
            self.db['revision'] = int(state.get('resourceVersion') or self.db.get('revision', 1))
            etcd_data.save_db(self.data_dir, self.db)
            return self.db['revision']

    def snapshot(self):
        with self.lock:
            return etcd_data.dump_db(self.db)


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'steer-lab-standin-etcd'
    member = None

    def log_message(self, fmt, *args):
        pass

    def send(self, code, body, ctype='application/json'):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data)))
        self.send_header('X-Steer-Lab-Standin', 'etcd')
        self.send_header('X-Etcd-Server-Version', self.member.version)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(n) if n else b''
        return json.loads(raw.decode()) if raw else {}

    def do_GET(self):
        m = self.member
        u = urllib.parse.urlparse(self.path)
        if u.path == '/health':
            return self.send(200, {'health': 'true', 'reason': ''})
        if u.path in ('/livez', '/readyz'):
            return self.send(200, b'ok', 'text/plain')
        if u.path == '/version':
            return self.send(200, {'etcdserver': m.version, 'etcdcluster': m.db.get('storageVersion', '3.5') + '.0'})
        if u.path == '/v3/standin/state':
            with m.lock:
                out = {'dataID': m.db['dataID'], 'revision': m.db.get('revision', 1)}
                if 'meta' not in urllib.parse.parse_qs(u.query):
                    out['state'] = m.db.get('state') or {}
                return self.send(200, out)
        self.send(404, {'error': 'Not Found', 'code': 5})

    def do_PUT(self):
        if self.path != '/v3/standin/state':
            return self.send(404, {'error': 'Not Found', 'code': 5})
        body = self.body()
        rev = self.member.put_state(body.get('dataID'), body.get('state') or {})
        if rev is None:
            return self.send(409, {'error': 'the data directory changed (a snapshot was restored): reload',
                                   'code': 9})
        self.send(200, {'revision': rev})

    def do_POST(self):
        m = self.member
        self.body()
        if self.path == '/v3/maintenance/snapshot':
            return self.send(200, m.snapshot(), 'application/octet-stream')
        if self.path == '/v3/maintenance/status':
            size = len(m.snapshot())
            return self.send(200, {'header': m.header(), 'version': m.version, 'dbSize': str(size),
                                   'dbSizeInUse': str(size), 'leader': str(m.member['ID']),
                                   'raftIndex': str(m.db.get('revision', 1)), 'raftTerm': '2',
                                   'raftAppliedIndex': str(m.db.get('revision', 1)), 'isLearner': False,
                                   'storageVersion': m.db.get('storageVersion', '3.5') + '.0'})
        if self.path == '/v3/cluster/member/list':
            mem = m.member
            return self.send(200, {'header': m.header(), 'members': [{
                'ID': str(mem['ID']), 'name': mem['name'], 'peerURLs': mem['peerURLs'],
                'clientURLs': mem['clientURLs']}]})
        self.send(404, {'error': 'Not Found', 'code': 5})


def main(argv):
    version = component_version()
    label('etcd', version, project='')
    opts = parse_args(argv)
    member = Member(opts, version)
    Handler.member = member
    cert, key = opts.get('cert-file'), opts.get('key-file')
    ca = opts.get('trusted-ca-file')
    servers = []
    for addr in dict.fromkeys(urls(opts.get('listen-client-urls')) or ['https://127.0.0.1:2379']):
        u = urllib.parse.urlparse(addr)
        try:
            srv = ReloadingTLSServer((u.hostname, u.port or 2379), Handler, cert, key, ca,
                                     require_client_cert=opts.get('client-cert-auth') == 'true')
        except OSError as e:
            klog('E', 'etcd.go', 'cannot listen on %s: %s' % (addr, e))
            continue
        threading.Thread(target=srv.serve_forever, kwargs={'poll_interval': 0.2}, daemon=True).start()
        servers.append(srv)
        klog('I', 'serve.go', 'serving client traffic securely address=%s' % addr)
    if not servers:
        klog('F', 'etcd.go', 'no client URL to listen on')
        return 1
    pidfile = host_path('/run/standin/etcd.pid')
    write_file('/run/standin/etcd.pid', str(os.getpid()))
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    while not stopping.wait(1.0):
        pass
    for s in servers:
        s.shutdown()
    try:
        if open(pidfile).read().strip() == str(os.getpid()):
            os.unlink(pidfile)
    except OSError:
        pass
    klog('I', 'etcd.go', 'stopped')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
