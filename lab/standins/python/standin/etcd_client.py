"""A small client for the stand-in etcd (HTTPS with client certificates), used by the stand-in API
server, kubeadm's waits and etcdctl. Standard library only: etcdctl ships it in the lab's etcd
release tarball."""
import http.client
import json
import socket
import ssl
import urllib.parse

from .common import host_path


class EtcdUnavailable(Exception):
    """The member could not be reached or refused the TLS handshake; `why` reads like gRPC's errors."""

    def __init__(self, endpoint, why):
        self.endpoint = endpoint
        self.why = why
        super().__init__('%s: %s' % (endpoint, why))


class EtcdClient:
    def __init__(self, endpoint, cacert=None, cert=None, key=None, insecure=False, timeout=5.0):
        self.endpoint = endpoint
        u = urllib.parse.urlparse(endpoint if '://' in endpoint else 'http://' + endpoint)
        self.scheme, self.host, self.port = u.scheme, u.hostname or '127.0.0.1', u.port or 2379
        self.timeout = timeout
        self._ctx = None
        if self.scheme == 'https':
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            if insecure:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            elif cacert:
                ctx.load_verify_locations(host_path(cacert))
            else:
                ctx.load_default_certs()
            if cert and key:
                ctx.load_cert_chain(host_path(cert), host_path(key))
            self._ctx = ctx

    def request(self, method, path, body=None, raw=False):
        """(status, parsed JSON or bytes); raises EtcdUnavailable when the member cannot be reached."""
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode() if body is not None else None
        try:
            if self._ctx is not None:
                conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self._ctx)
            else:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            conn.request(method, path, body=data, headers={'Content-Type': 'application/json'})
            resp = conn.getresponse()
            payload = resp.read()
            conn.close()
        except ssl.SSLCertVerificationError as e:
            raise EtcdUnavailable(self.endpoint, 'tls: failed to verify certificate: x509: %s' % e.verify_message)
        except ssl.SSLError as e:
            raise EtcdUnavailable(self.endpoint, 'remote error: tls: %s' % (e.reason or e).__str__().lower()
                                  .replace('_', ' '))
        except ConnectionRefusedError:
            raise EtcdUnavailable(self.endpoint, 'dial tcp %s:%d: connect: connection refused' % (self.host, self.port))
        except (socket.timeout, TimeoutError):
            raise EtcdUnavailable(self.endpoint, 'context deadline exceeded')
        except (OSError, http.client.HTTPException) as e:
            raise EtcdUnavailable(self.endpoint, str(e) or e.__class__.__name__)
        if raw:
            return resp.status, payload
        try:
            return resp.status, json.loads(payload.decode()) if payload else {}
        except ValueError:
            return resp.status, {'error': payload.decode(errors='replace')}

    def health(self):
        status, body = self.request('GET', '/health')
        return status == 200 and body.get('health') == 'true'


class StateBackend:
    """The API server's view of etcd: the whole object store as one document (etcd.py's
    /v3/standin/state), tried on each of --etcd-servers in turn."""

    def __init__(self, endpoints, cacert, cert, key):
        self.clients = [EtcdClient(e, cacert, cert, key, timeout=10.0) for e in endpoints]

    def _call(self, method, path, body=None):
        last = None
        for c in self.clients:
            try:
                status, out = c.request(method, path, body)
            except EtcdUnavailable as e:
                last = e
                continue
            if status in (200, 409):
                return status, out
            last = EtcdUnavailable(c.endpoint, 'etcdserver: unexpected answer %d: %s' % (status, out))
        raise last or EtcdUnavailable('', 'no etcd servers')

    def load(self):
        _, out = self._call('GET', '/v3/standin/state')
        return out['dataID'], out.get('state') or {}

    def data_id(self):
        return self._call('GET', '/v3/standin/state?meta=1')[1].get('dataID')

    def save(self, body):
        """True when stored; False when etcd's data directory is not the one the store was read from."""
        return self._call('PUT', '/v3/standin/state', body)[0] == 200
