"""The stand-in etcdutl (etcd 3.6): `snapshot status FILE [-w simple|table|json]` and
`snapshot restore FILE --data-dir DIR [--name] [--initial-cluster] [--initial-cluster-token]
[--initial-advertise-peer-urls] [--skip-hash-check]`, offline, on snapshots the stand-in etcdctl
saved. A restore makes a new member directory (a new member and cluster ID from the given name and
peer URLs, as etcd computes them) holding the snapshot's objects; the stand-in API server notices a
restored etcd and reloads. Shipped in the lab's etcd release tarball, standard library only."""
import json
import sys

from . import etcd_data
from .common import TAG, host_path, label
from .etcd_print import console, table
from .etcdctl import RELEASE, Usage, parse_args

VALUE = {'write-out', 'data-dir', 'name', 'initial-cluster', 'initial-cluster-token', 'initial-advertise-peer-urls',
         'wal-dir'}


def read_snapshot(path, skip_hash=False):
    try:
        with open(host_path(path), 'rb') as f:
            data = f.read()
    except OSError as e:
        raise Usage('Error: open %s: %s' % (path, (e.strerror or str(e)).lower()))
    try:
        return etcd_data.decode_snapshot(data, skip_hash)
    except etcd_data.DataError as e:
        raise Usage('Error: %s' % e)


def status(flags, args):
    if len(args) != 1:
        raise Usage('Error: snapshot status requires exactly one argument', 3)
    try:
        st = etcd_data.status(read_snapshot(args[0], skip_hash=True))
    except etcd_data.DataError as e:
        raise Usage('Error: %s' % e)
    fmt = flags.get('write-out', 'simple')
    size = etcd_data.human_bytes(st['totalSize'])
    if fmt == 'json':
        print(json.dumps(st, separators=(',', ':')))
    elif fmt == 'table':
        print(table(['hash', 'revision', 'total keys', 'total size', 'version'],
                    [['%x' % st['hash'], st['revision'], st['totalKey'], size, st['version']]]))
    else:
        print('%x, %d, %d, %s, %s' % (st['hash'], st['revision'], st['totalKey'], size, st['version']))
    return 0


def peer_urls(flags, name):
    if flags.get('initial-advertise-peer-urls'):
        return [u for u in flags['initial-advertise-peer-urls'].split(',') if u]
    for item in (flags.get('initial-cluster') or '').split(','):
        n, _, url = item.partition('=')
        if n == name and url:
            return [url]
    return ['http://localhost:2380']


def restore(flags, args):
    if len(args) != 1:
        raise Usage('Error: snapshot restore requires exactly one argument', 3)
    name = flags.get('name', 'default')
    data_dir = flags.get('data-dir') or '%s.etcd' % name
    fields = {'path': args[0], 'wal-dir': data_dir + '/member/wal', 'data-dir': data_dir,
              'snap-dir': data_dir + '/member/snap', 'initial-memory-map-size': 10737418240}
    if not etcd_data.dir_empty(data_dir):
        raise Usage('Error: data-dir "%s" not empty or could not be read' % data_dir)
    db_bytes = read_snapshot(args[0], flags.get('skip-hash-check') == 'true')
    try:
        db = etcd_data.parse_db(db_bytes)
    except etcd_data.DataError as e:
        raise Usage('Error: %s' % e)
    console('info', 'snapshot/v3_snapshot.go:265', 'restoring snapshot', **fields)
    db['dataID'] = etcd_data.empty_db(RELEASE)['dataID']
    peers = peer_urls(flags, name)
    member = etcd_data.create(data_dir, name, peers, ['http://localhost:2379'], db,
                              flags.get('initial-cluster-token') or etcd_data.DEFAULT_TOKEN)
    console('info', 'membership/store.go:141', 'Trimming membership information from the backend...')
    console('info', 'membership/cluster.go:421', 'added member', **{
        'cluster-id': '%x' % member['clusterID'], 'local-member-id': '0', 'added-peer-id': '%x' % member['ID'],
        'added-peer-peer-urls': peers})
    console('info', 'snapshot/v3_snapshot.go:293', 'restored snapshot', **fields)
    return 0


def main(argv):
    label('etcdutl', RELEASE, project='')
    try:
        flags, args = parse_args(argv, VALUE, {'w': 'write-out'})
        if args[:1] == ['version']:
            print('etcdutl version: %s\nAPI version: %s' % (RELEASE, etcd_data.storage_minor(RELEASE)))
            return 0
        if args[:2] == ['snapshot', 'status']:
            return status(flags, args[2:])
        if args[:2] == ['snapshot', 'restore']:
            return restore(flags, args[2:])
        raise Usage('Error: unknown command "%s" for "etcdutl"\n%s supported: version, snapshot status, snapshot '
                    'restore' % (' '.join(args), TAG))
    except Usage as e:
        sys.stderr.write(str(e) + '\n')
        return e.code


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
