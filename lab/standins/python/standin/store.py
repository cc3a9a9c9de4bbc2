"""The API server's object store, persisted in the stand-in etcd (etcd.py), whose data directory
(/var/lib/etcd) `kubeadm reset` empties: a rebuilt control-plane host loses the cluster exactly as a
real one would, and an etcd snapshot restore brings it back.
"""
import copy
import json
import random
import threading
import uuid

from .common import dns1123_subdomain_error, rfc3339
from .etcd_client import EtcdUnavailable
from .resources import BY_KEY


class StatusError(Exception):
    """Becomes a Kubernetes Status answer."""

    def __init__(self, code, reason, message, details=None):
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details or {}
        super().__init__(message)

    def status(self):
        return {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Failure',
                'message': self.message, 'reason': self.reason, 'details': self.details, 'code': self.code}


def not_found(res, name):
    return StatusError(404, 'NotFound', '%s "%s" not found' % (res.key, name),
                       {'name': name, 'group': res.group, 'kind': res.plural})


def already_exists(res, name):
    return StatusError(409, 'AlreadyExists', '%s "%s" already exists' % (res.key, name),
                       {'name': name, 'group': res.group, 'kind': res.plural})


def invalid(res, name, causes):
    kind = res.kind + ('.' + res.group if res.group else '')
    return StatusError(422, 'Invalid', '%s "%s" is invalid: %s' % (kind, name, ', '.join(causes)),
                       {'name': name, 'group': res.group, 'kind': res.kind})


SAFE = 'bcdfghjklmnpqrstvwxz2456789'


def random_suffix(n=5):
    return ''.join(random.choice(SAFE) for _ in range(n))


def validate_name(res, name):
    if res.kind in ('ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'):
        return
    why = dns1123_subdomain_error(name or '')
    if why:
        raise invalid(res, name, ['metadata.name: Invalid value: "%s": %s' % (name, why)])


class Store:
    """The API server's objects, kept in memory and persisted to etcd (etcd_client) as one JSON
    document, as a real API server keeps nothing of its own: while etcd cannot be reached requests
    fail (`available` is False), and when etcd's data directory changed under it (a snapshot was
    restored) the objects are reloaded from etcd, as a restarted API server would read them."""

    def __init__(self, backend):
        self.backend = backend
        self.lock = threading.RLock()
        self.objects = {}  # resource key -> {"ns/name": obj}
        self.rv = 1
        self.dirty = False
        self.data_id = None
        self.available = False
        self.wake = threading.Event()  # set on every change: the sync loop persists it soon

    def load(self):
        """Reads the objects from etcd; raises EtcdUnavailable."""
        data_id, state = self.backend.load()
        with self.lock:
            self.objects = state.get('objects') or {}
            self.rv = int(state.get('resourceVersion') or 1)
            self.data_id = data_id
            self.dirty = False
            self.available = True

    def sync(self):
        """Writes pending changes to etcd, or notices a restored data directory; never raises.
        Returns True when the objects were reloaded."""
        try:
            with self.lock:
                pending = self.dirty
                if pending:
                    state = {'resourceVersion': self.rv, 'objects': self.objects}
                    body = json.dumps({'dataID': self.data_id, 'state': state}, sort_keys=True)
                    self.dirty = False
            if pending:
                if self.backend.save(body):
                    self.available = True
                    return False
            elif self.backend.data_id() == self.data_id:
                self.available = True
                return False
            self.load()
            return True
        except EtcdUnavailable:
            with self.lock:
                self.dirty = self.dirty or pending
                self.available = False
            return False

    def save(self):
        self.sync()

    def _bump(self, obj):
        self.rv += 1
        obj.setdefault('metadata', {})['resourceVersion'] = str(self.rv)
        self.dirty = True
        self.wake.set()

    @staticmethod
    def _id(ns, name):
        return '%s/%s' % (ns or '', name)

    def get(self, res, ns, name):
        with self.lock:
            o = self.objects.get(res.key, {}).get(self._id(ns if res.namespaced else None, name))
            return copy.deepcopy(o) if o is not None else None

    def must_get(self, res, ns, name):
        o = self.get(res, ns, name)
        if o is None:
            raise not_found(res, name)
        return o

    def list(self, res, ns=None):
        with self.lock:
            items = self.objects.get(res.key, {}).values()
            out = [copy.deepcopy(o) for o in items
                   if ns is None or not res.namespaced or o['metadata'].get('namespace') == ns]
        return sorted(out, key=lambda o: (o['metadata'].get('namespace', ''), o['metadata']['name']))

    def all_uids(self):
        with self.lock:
            return {o['metadata'].get('uid') for objs in self.objects.values() for o in objs.values()}

    def create(self, res, obj):
        with self.lock:
            meta = obj.setdefault('metadata', {})
            if not meta.get('name') and meta.get('generateName'):
                meta['name'] = meta['generateName'] + random_suffix()
            name = meta.get('name')
            if not name:
                raise StatusError(422, 'Invalid', '%s "" is invalid: metadata.name: Required value: name or '
                                  'generateName is required' % res.kind)
            validate_name(res, name)
            ns = meta.get('namespace') if res.namespaced else None
            if res.namespaced:
                if not ns:
                    ns = meta['namespace'] = 'default'
                if self.get(BY_KEY['namespaces'], None, ns) is None:
                    raise not_found(BY_KEY['namespaces'], ns)
            else:
                meta.pop('namespace', None)
            bucket = self.objects.setdefault(res.key, {})
            if self._id(ns, name) in bucket:
                raise already_exists(res, name)
            obj['apiVersion'] = res.api_version
            obj['kind'] = res.kind
            meta['uid'] = str(uuid.uuid4())
            meta['creationTimestamp'] = rfc3339()
            if 'spec' in obj or res.kind in ('Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet'):
                meta['generation'] = 1
            self._bump(obj)
            bucket[self._id(ns, name)] = obj
            return copy.deepcopy(obj)

    def update(self, res, obj, check_rv=True):
        """Replaces an object; keeps identity fields. Bumps generation when the spec changed."""
        with self.lock:
            meta = obj.setdefault('metadata', {})
            ns = meta.get('namespace') if res.namespaced else None
            bucket = self.objects.setdefault(res.key, {})
            cur = bucket.get(self._id(ns, meta.get('name')))
            if cur is None:
                raise not_found(res, meta.get('name'))
            if check_rv and meta.get('resourceVersion') and meta['resourceVersion'] != cur['metadata'][
                    'resourceVersion']:
                raise StatusError(409, 'Conflict',
                                  'Operation cannot be fulfilled on %s "%s": the object has been modified; '
                                  'please apply your changes to the latest version and try again'
                                  % (res.key, meta['name']))
            for k in ('uid', 'creationTimestamp'):
                meta[k] = cur['metadata'][k]
            if 'deletionTimestamp' in cur['metadata']:
                meta['deletionTimestamp'] = cur['metadata']['deletionTimestamp']
            gen = cur['metadata'].get('generation')
            if gen is not None:
                meta['generation'] = gen + 1 if obj.get('spec') != cur.get('spec') else gen
            obj['apiVersion'] = res.api_version
            obj['kind'] = res.kind
            if obj == cur or (_strip_rv(obj) == _strip_rv(cur)):
                return copy.deepcopy(cur)
            self._bump(obj)
            bucket[self._id(ns, meta['name'])] = obj
            return copy.deepcopy(obj)

    def delete(self, res, ns, name):
        with self.lock:
            bucket = self.objects.get(res.key, {})
            key = self._id(ns if res.namespaced else None, name)
            if key not in bucket:
                raise not_found(res, name)
            obj = bucket.pop(key)
            self.dirty = True
            self.wake.set()
            self.rv += 1
            if res.kind == 'Namespace':
                for k, objs in self.objects.items():
                    r = BY_KEY.get(k)
                    if r is not None and r.namespaced:
                        for oid in [i for i, o in objs.items() if o['metadata'].get('namespace') == name]:
                            del objs[oid]
            return obj


def _strip_rv(o):
    c = dict(o)
    c['metadata'] = {k: v for k, v in o.get('metadata', {}).items() if k != 'resourceVersion'}
    return c
