"""The stand-in etcdctl (etcd 3.6, the release kubeadm 1.34 pairs with), for what the backup and
upgrade playbooks use against the stand-in etcd: `snapshot save`, `endpoint health [--cluster]`,
`endpoint status`, `member list`, `version`; the kubeadm certificate flags (--cacert, --cert, --key)
and their ETCDCTL_* variables. As in etcd 3.6, `snapshot status` and `snapshot restore` are gone
from etcdctl (use etcdutl). Shipped in the lab's etcd release tarball, standard library only."""
import json
import os
import sys
import time

from . import etcd_data
from .common import TAG, host_path, label
from .etcd_client import EtcdClient, EtcdUnavailable
from .etcd_print import go_duration, table, zap

RELEASE = '3.6.5'
VALUE = {'endpoints', 'cacert', 'cert', 'key', 'write-out', 'dial-timeout', 'command-timeout', 'user', 'password'}
SHORT = {'w': 'write-out'}


class Usage(Exception):
    def __init__(self, message, code=1):
        self.code = code
        super().__init__(message)


def parse_args(argv, value_flags, short):
    """cobra-style flags anywhere among the arguments: (flags, positional arguments)."""
    flags, args = {}, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith('-') and len(a) > 1:
            name, eq, val = a.lstrip('-').partition('=')
            name = short.get(name, name)
            if name in value_flags and not eq:
                if i + 1 >= len(argv):
                    raise Usage('Error: flag needs an argument: --%s' % name)
                val = argv[i + 1]
                i += 1
            flags[name] = val if (eq or name in value_flags) else 'true'
        else:
            args.append(a)
        i += 1
    return flags, args


def parse(argv):
    flags, args = parse_args(argv, VALUE, SHORT)
    for name in ('endpoints', 'cacert', 'cert', 'key', 'write-out'):
        env = os.environ.get('ETCDCTL_' + name.upper().replace('-', '_'))
        if env and name not in flags:
            flags[name] = env
    if os.environ.get('ETCDCTL_INSECURE_SKIP_TLS_VERIFY') == 'true':
        flags.setdefault('insecure-skip-tls-verify', 'true')
    return flags, args


def endpoints(flags):
    eps = [e for e in flags.get('endpoints', '127.0.0.1:2379').split(',') if e]
    tls = any(flags.get(k) for k in ('cacert', 'cert', 'key'))
    return [e if '://' in e else ('https://' if tls else 'http://') + e for e in eps]


def client(flags, ep):
    return EtcdClient(ep, flags.get('cacert'), flags.get('cert'), flags.get('key'),
                      insecure=flags.get('insecure-skip-tls-verify') == 'true', timeout=5.0)


def call(flags, ep, path):
    status, body = client(flags, ep).request('POST', path, {})
    if status != 200:
        raise EtcdUnavailable(ep, 'etcdserver: %s' % body.get('error', status))
    return body


def snapshot_save(flags, args):
    if len(args) != 1:
        raise Usage('Error: snapshot save expects one argument', 3)
    eps = endpoints(flags)
    if len(eps) != 1:
        raise Usage('Error: snapshot must be requested to one selected node, not multiple %s' % eps, 3)
    path = args[0]
    part = path + '.part'
    zap('info', 'snapshot/v3_snapshot.go:83', 'created temporary db file', path=part)
    try:
        c = client(flags, eps[0])
        zap('info', 'v3@v%s/maintenance.go:236' % RELEASE, 'opened snapshot stream; downloading', logger='client')
        zap('info', 'snapshot/v3_snapshot.go:96', 'fetching snapshot', endpoint=eps[0])
        start = time.time()
        status, db = c.request('POST', '/v3/maintenance/snapshot', {}, raw=True)
        if status != 200:
            raise EtcdUnavailable(eps[0], db.decode(errors='replace'))
        server = c.request('GET', '/version')[1].get('etcdserver', '')
    except EtcdUnavailable as e:
        zap('warn', 'v3@v%s/retry_interceptor.go:63' % RELEASE, 'retrying of unary invoker failed', logger='etcd-client',
            target='etcd-endpoints://%s' % eps[0], error='rpc error: code = Unavailable desc = %s' % e.why)
        raise Usage('Error: context deadline exceeded', 5)
    zap('info', 'v3@v%s/maintenance.go:302' % RELEASE, 'completed snapshot read; closing', logger='client')
    data = etcd_data.encode_snapshot(db)
    real = host_path(part)
    fd = os.open(real, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'wb') as f:
        f.write(data)
    os.replace(real, host_path(path))
    zap('info', 'snapshot/v3_snapshot.go:111', 'fetched snapshot', endpoint=eps[0], size=etcd_data.human_bytes(len(data)),
        took=go_duration(time.time() - start))
    zap('info', 'snapshot/v3_snapshot.go:120', 'saved', path=path)
    print('Snapshot saved at %s' % path)
    if server:
        print('Server version %s' % server)
    return 0


def cluster_endpoints(flags):
    """--cluster: the client URLs of every member, as etcdctl resolves them through member list."""
    if flags.get('cluster') != 'true':
        return endpoints(flags)
    members = call(flags, endpoints(flags)[0], '/v3/cluster/member/list')['members']
    return [u for m in members for u in m.get('clientURLs') or []]


def endpoint_health(flags):
    results = []
    for ep in cluster_endpoints(flags):
        start = time.time()
        try:
            ok = client(flags, ep).health()
            error = '' if ok else 'unhealthy'
        except EtcdUnavailable as e:
            ok, error = False, 'failed to commit proposal: context deadline exceeded'
            zap('warn', 'v3@v%s/retry_interceptor.go:63' % RELEASE, 'retrying of unary invoker failed',
                logger='etcd-client', target='etcd-endpoints://%s' % ep,
                error='rpc error: code = Unavailable desc = %s' % e.why)
        results.append({'endpoint': ep, 'health': ok, 'took': go_duration(time.time() - start), 'error': error})
    fmt = flags.get('write-out', 'simple')
    if fmt == 'json':
        print(json.dumps([{k: v for k, v in r.items() if k != 'error' or v} for r in results]))
    elif fmt == 'table':
        print(table(['endpoint', 'health', 'took', 'error'], [[r['endpoint'], str(r['health']).lower(), r['took'],
                                                               r['error']] for r in results]))
    else:
        for r in results:
            if r['health']:
                print('%s is healthy: successfully committed proposal: took = %s' % (r['endpoint'], r['took']))
            else:
                sys.stderr.write('%s is unhealthy: %s\n' % (r['endpoint'], r['error']))
    if not all(r['health'] for r in results):
        raise Usage('Error: unhealthy cluster', 1)
    return 0


def member_list(flags):
    try:
        body = call(flags, endpoints(flags)[0], '/v3/cluster/member/list')
    except EtcdUnavailable as e:
        raise Usage('Error: context deadline exceeded (%s)' % e.why, 2)
    members = body['members']
    fmt = flags.get('write-out', 'simple')
    rows = [['%x' % int(m['ID']), 'started', m['name'], ','.join(m['peerURLs']), ','.join(m['clientURLs']), 'false']
            for m in members]
    if fmt == 'json':
        h = body['header']
        print(json.dumps({'header': {'cluster_id': int(h['cluster_id']), 'member_id': int(h['member_id']),
                                     'raft_term': int(h['raft_term'])},
                          'members': [{'ID': int(m['ID']), 'name': m['name'], 'peerURLs': m['peerURLs'],
                                       'clientURLs': m['clientURLs']} for m in members]}))
    elif fmt == 'table':
        print(table(['ID', 'status', 'name', 'peer addrs', 'client addrs', 'is learner'], rows))
    else:
        for r in rows:
            print(', '.join(r))
    return 0


def endpoint_status(flags):
    rows, out = [], []
    for ep in cluster_endpoints(flags):
        try:
            s = call(flags, ep, '/v3/maintenance/status')
        except EtcdUnavailable as e:
            raise Usage('Error: context deadline exceeded (%s)' % e.why, 2)
        out.append({'Endpoint': ep, 'Status': s})
        rows.append([ep, '%x' % int(s['header']['member_id']), s['version'], s.get('storageVersion', ''),
                     etcd_data.human_bytes(int(s['dbSize'])), 'true' if s['leader'] == s['header']['member_id'] else
                     'false', 'false', s['raftTerm'], s['raftIndex'], s['raftAppliedIndex'], ''])
    fmt = flags.get('write-out', 'simple')
    if fmt == 'json':
        print(json.dumps(out))
    elif fmt == 'table':
        print(table(['endpoint', 'ID', 'version', 'storage version', 'db size', 'is leader', 'is learner',
                     'raft term', 'raft index', 'raft applied index', 'errors'], rows))
    else:
        for r in rows:
            print(', '.join(r))
    return 0


def run(flags, args):
    cmd = ' '.join(args[:2])
    if args[:1] == ['version']:
        print('etcdctl version: %s\nAPI version: %s' % (RELEASE, etcd_data.storage_minor(RELEASE)))
        return 0
    if cmd == 'snapshot save':
        return snapshot_save(flags, args[2:])
    if cmd in ('snapshot status', 'snapshot restore'):
        raise Usage('Error: unknown command "%s" for "etcdctl snapshot"\n%s etcd 3.6 moved "snapshot %s" to etcdutl'
                    % (args[1], TAG, args[1]))
    if cmd == 'endpoint health':
        return endpoint_health(flags)
    if cmd == 'endpoint status':
        return endpoint_status(flags)
    if cmd == 'member list':
        return member_list(flags)
    raise Usage('Error: unknown command "%s" for "etcdctl"\n%s supported: version, snapshot save, endpoint '
                'health|status, member list' % (' '.join(args), TAG))


def main(argv):
    label('etcdctl', RELEASE, project='')
    try:
        flags, args = parse(argv)
        if os.environ.get('ETCDCTL_API', '3') != '3':
            raise Usage('Error: ETCDCTL_API=%s is not supported: etcdctl speaks only the v3 API'
                        % os.environ['ETCDCTL_API'])
        return run(flags, args)
    except Usage as e:
        sys.stderr.write(str(e) + '\n')
        return e.code


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
