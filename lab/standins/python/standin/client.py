"""A small Kubernetes API client: kubeconfig loading, TLS with client certificates or tokens."""
import base64
import http.client
import json
import os
import shutil
import socket
import ssl
import tempfile
import urllib.parse

from . import yamlish
from .common import host_path


class ApiError(Exception):
    """An error answer from the API server (a Status object)."""

    def __init__(self, code, status):
        self.code = code
        self.status = status if isinstance(status, dict) else {'message': str(status)}
        super().__init__(self.status.get('message', 'HTTP %d' % code))

    @property
    def reason(self):
        return self.status.get('reason') or {401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound',
                                             409: 'Conflict'}.get(self.code, 'InternalError')


class ConnectError(Exception):
    """The API server could not be reached (kubectl's 'The connection to the server ... was refused')."""

    def __init__(self, hostport, cause):
        self.hostport = hostport
        self.cause = cause
        super().__init__('%s: %s' % (hostport, cause))


class ConfigError(Exception):
    pass


def load_kubeconfig(path):
    text = open(host_path(path)).read()
    try:
        cfg = yamlish.load(text) or {}
    except yamlish.YAMLError as e:
        raise ConfigError('error loading config file "%s": %s' % (path, e))
    if not isinstance(cfg, dict):
        raise ConfigError('error loading config file "%s": not a kubeconfig' % path)
    return cfg


def _named(items, name):
    for it in items or []:
        if it.get('name') == name:
            return it
    return None


def _data(d, key_data, key_file):
    if d.get(key_data):
        return base64.b64decode(d[key_data])
    if d.get(key_file):
        with open(host_path(d[key_file]), 'rb') as f:
            return f.read()
    return None


class Api:
    def __init__(self, server, ca=None, insecure=False, cert=None, key=None, token=None, timeout=15):
        u = urllib.parse.urlparse(server)
        self.server = server.rstrip('/')
        self.scheme = u.scheme or 'https'
        self.host = u.hostname or 'localhost'
        self.port = u.port or (443 if self.scheme == 'https' else 80)
        self.ca = ca
        self.insecure = insecure
        self.cert = cert
        self.key = key
        self.token = token
        self.timeout = timeout
        self._ctx = None
        self._tmpdir = None

    @classmethod
    def from_kubeconfig(cls, cfg, context=None, timeout=15):
        ctx_name = context or cfg.get('current-context')
        ctx = _named(cfg.get('contexts'), ctx_name)
        if ctx is None:
            if cfg.get('contexts'):
                raise ConfigError('context was not found for specified context: %s' % ctx_name)
            raise ConfigError('no context is set')
        ctx = ctx.get('context') or {}
        cluster = (_named(cfg.get('clusters'), ctx.get('cluster')) or {}).get('cluster') or {}
        user = (_named(cfg.get('users'), ctx.get('user')) or {}).get('user') or {}
        if not cluster.get('server'):
            raise ConfigError('no server found for cluster "%s"' % ctx.get('cluster'))
        api = cls(cluster['server'],
                  ca=_data(cluster, 'certificate-authority-data', 'certificate-authority'),
                  insecure=bool(cluster.get('insecure-skip-tls-verify')),
                  cert=_data(user, 'client-certificate-data', 'client-certificate'),
                  key=_data(user, 'client-key-data', 'client-key'),
                  token=user.get('token') or (open(host_path(user['tokenFile'])).read().strip()
                                              if user.get('tokenFile') else None),
                  timeout=timeout)
        api.namespace = ctx.get('namespace')
        return api

    namespace = None

    @property
    def hostport(self):
        return '%s:%d' % (self.host, self.port)

    def _context(self):
        if self._ctx is not None:
            return self._ctx
        if self.insecure:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        else:
            ctx = ssl.create_default_context(cadata=self.ca.decode() if self.ca else None)
        if self.cert and self.key:
            # the ssl module loads client certificates from files only: a private, short-lived copy
            self._tmpdir = tempfile.mkdtemp(prefix='standin-client-')
            pem = os.path.join(self._tmpdir, 'client.pem')
            fd = os.open(pem, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, self.cert + b'\n' + self.key)
            os.close(fd)
            try:
                ctx.load_cert_chain(pem)
            finally:
                shutil.rmtree(self._tmpdir, ignore_errors=True)
        self._ctx = ctx
        return ctx

    def raw(self, method, path, body=None, content_type='application/json', query=None):
        """(status, parsed body or text)."""
        if query:
            path += '?' + urllib.parse.urlencode(query)
        headers = {'Accept': 'application/json', 'User-Agent': 'steer-lab-standin'}
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            data = data.encode() if isinstance(data, str) else data
            headers['Content-Type'] = content_type
        if self.token:
            headers['Authorization'] = 'Bearer ' + self.token
        try:
            if self.scheme == 'https':
                conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                                   context=self._context())
            else:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode()
            conn.close()
        except ssl.SSLCertVerificationError as e:
            raise ConnectError(self.hostport, 'tls: failed to verify certificate: x509: %s' % e.verify_message)
        except (ConnectionRefusedError, socket.timeout, OSError, http.client.HTTPException) as e:
            raise ConnectError(self.hostport, e)
        try:
            parsed = json.loads(text) if text else {}
        except ValueError:
            parsed = text
        return resp.status, parsed

    def request(self, method, path, body=None, content_type='application/json', query=None):
        status, parsed = self.raw(method, path, body, content_type, query)
        if status >= 400:
            raise ApiError(status, parsed)
        return parsed

    def get(self, path, query=None):
        return self.request('GET', path, query=query)

    def get_or_none(self, path):
        try:
            return self.get(path)
        except ApiError as e:
            if e.code == 404:
                return None
            raise

    def create(self, path, obj):
        return self.request('POST', path, obj)

    def replace(self, path, obj):
        return self.request('PUT', path, obj)

    def merge_patch(self, path, patch):
        return self.request('PATCH', path, patch, content_type='application/merge-patch+json')

    def delete(self, path, options=None):
        """DELETE, with DeleteOptions (gracePeriodSeconds, preconditions) when given."""
        return self.request('DELETE', path, options)


def build_kubeconfig(server, ca_pem, user, cert_pem=None, key_pem=None, token=None, cluster='kubernetes',
                     cert_file=None, key_file=None):
    """A kubeconfig in the shape kubeadm writes."""
    u = {}
    if cert_pem:
        u['client-certificate-data'] = base64.b64encode(cert_pem).decode()
    if key_pem:
        u['client-key-data'] = base64.b64encode(key_pem).decode()
    if cert_file:
        u['client-certificate'] = cert_file
    if key_file:
        u['client-key'] = key_file
    if token:
        u['token'] = token
    ctx = '%s@%s' % (user, cluster)
    return {
        'apiVersion': 'v1',
        'clusters': [{'cluster': {'certificate-authority-data': base64.b64encode(ca_pem).decode(),
                                  'server': server}, 'name': cluster}],
        'contexts': [{'context': {'cluster': cluster, 'user': user}, 'name': ctx}],
        'current-context': ctx,
        'kind': 'Config',
        'preferences': {},
        'users': [{'name': user, 'user': u}],
    }
