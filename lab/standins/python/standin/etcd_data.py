"""The stand-in etcd's data directory and snapshot files, shared by the etcd server, etcdctl and
etcdutl (the last two are also shipped alone in the lab's etcd release tarball, so this module uses
nothing but the standard library and common.py).

Layout, mirroring a real member directory where it matters to operators:
  <data-dir>/member/snap/db               the key space: the API server's objects (JSON, stand-in format)
  <data-dir>/member/wal/                   present, empty (a real member keeps its write-ahead log here)
  <data-dir>/member/standin-member.json    the member: name, ID, cluster ID, peer and client URLs

A snapshot file is the db followed by the SHA-256 of it, as etcd appends one to the snapshots it
streams (etcdutl checks it on restore unless --skip-hash-check).
"""
import hashlib
import json
import os
import struct
import uuid
import zlib

from .common import host_path, write_file

DB = 'member/snap/db'
MEMBER = 'member/standin-member.json'
WAL_DIR = 'member/wal'
FORMAT = 'steer-lab-standin-etcd-db/1'
DEFAULT_TOKEN = 'etcd-cluster'


class DataError(Exception):
    pass


def member_id(peer_urls, token=DEFAULT_TOKEN):
    """etcd's member ID for an initial member: the first 8 bytes of SHA-1(sorted peer URLs + cluster
    token) (server/etcdserver/api/membership/member.go computeMemberID), e.g. 8e9e05c52164694d for
    http://localhost:2380 and the default token."""
    raw = (''.join(sorted(peer_urls)) + token).encode()
    return int.from_bytes(hashlib.sha1(raw).digest()[:8], 'big')


def cluster_id(member_ids):
    """etcd's cluster ID: the first 8 bytes of SHA-1 over the sorted member IDs (cluster.go genID)."""
    raw = b''.join(struct.pack('>Q', m) for m in sorted(member_ids))
    return int.from_bytes(hashlib.sha1(raw).digest()[:8], 'big')


def storage_minor(version):
    """'3.6.5' -> '3.6': the storage version etcd records in its data (etcdutl status VERSION is x.y.0)."""
    return '.'.join(version.split('.')[:2])


def empty_db(version):
    return {'format': FORMAT, 'dataID': str(uuid.uuid4()), 'revision': 1, 'storageVersion': storage_minor(version),
            'state': {'resourceVersion': 1, 'objects': {}}}


def _path(data_dir, rel):
    return host_path(os.path.join(data_dir, rel))


def exists(data_dir):
    return os.path.exists(_path(data_dir, DB))


def dir_empty(data_dir):
    real = host_path(data_dir)
    return not os.path.exists(real) or (os.path.isdir(real) and not os.listdir(real))


def read_db_bytes(data_dir):
    with open(_path(data_dir, DB), 'rb') as f:
        return f.read()


def parse_db(data):
    try:
        db = json.loads(data.decode())
    except (UnicodeDecodeError, ValueError):
        raise DataError('not a steer lab stand-in etcd database (a real etcd bbolt file cannot be read by the '
                        'stand-in)')
    if not isinstance(db, dict) or db.get('format') != FORMAT:
        raise DataError('not a steer lab stand-in etcd database')
    return db


def load(data_dir):
    """(member, db) of an existing data directory."""
    db = parse_db(read_db_bytes(data_dir))
    with open(_path(data_dir, MEMBER)) as f:
        member = json.load(f)
    return member, db


def dump_db(db):
    return json.dumps(db, sort_keys=True, separators=(',', ':')).encode()


def save_db(data_dir, db):
    """Writes the db atomically (temp + rename), mode 0600 like etcd's files."""
    write_file(os.path.join(data_dir, DB), dump_db(db), 0o600)


def create(data_dir, name, peer_urls, client_urls, db, token=DEFAULT_TOKEN):
    """A new member directory holding `db` (init, or a snapshot restore). Returns the member."""
    mid = member_id(peer_urls, token)
    member = {'name': name, 'ID': mid, 'clusterID': cluster_id([mid]), 'peerURLs': list(peer_urls),
              'clientURLs': list(client_urls)}
    os.makedirs(host_path(data_dir), mode=0o700, exist_ok=True)
    os.chmod(host_path(data_dir), 0o700)
    for rel in ('member', 'member/snap', WAL_DIR):
        os.makedirs(_path(data_dir, rel), mode=0o700, exist_ok=True)
    save_member(data_dir, member)
    save_db(data_dir, db)
    return member


def save_member(data_dir, member):
    write_file(os.path.join(data_dir, MEMBER), json.dumps(member, sort_keys=True) + '\n', 0o600)


# ------------------------------------------------------------------ snapshots

def encode_snapshot(db_bytes):
    return db_bytes + hashlib.sha256(db_bytes).digest()


def decode_snapshot(data, skip_hash_check=False):
    """The db bytes of a snapshot file; raises DataError when its hash does not match."""
    if len(data) < 32:
        raise DataError('snapshot file is too short')
    body, digest = data[:-32], data[-32:]
    if not skip_hash_check and hashlib.sha256(body).digest() != digest:
        raise DataError('expected sha256 %s, got %s' % (digest.hex(), hashlib.sha256(body).hexdigest()))
    if skip_hash_check and hashlib.sha256(body).digest() != digest:
        body = data
    return body


def status(db_bytes):
    """etcdutl snapshot status: hash (crc32 of the db), revision, total keys, total size, version."""
    db = parse_db(db_bytes)
    objects = (db.get('state') or {}).get('objects') or {}
    keys = sum(len(v) for v in objects.values())
    return {'hash': zlib.crc32(db_bytes) & 0xffffffff, 'revision': int(db.get('revision', 1)),
            'totalKey': keys, 'totalSize': len(db_bytes), 'version': db.get('storageVersion', '3.5') + '.0'}


def human_bytes(n):
    """go-humanize Bytes (SI units), as etcdutl prints TOTAL SIZE: 2125824 -> '2.1 MB', 20480 -> '20 kB'."""
    if n < 10:
        return '%d B' % n
    units = ['B', 'kB', 'MB', 'GB', 'TB']
    e = 0
    while n >= 1000 ** (e + 1) and e < len(units) - 1:
        e += 1
    val = int(n / 1000 ** e * 10 + 0.5) / 10
    return ('%.1f %s' if val < 10 else '%.0f %s') % (val, units[e])
