"""An HTTPS server for the stand-in API server and etcd that reloads its certificate files when
they change on disk, as kube-apiserver (dynamic serving certificates, since 1.19) and etcd (which
reads its certificate files for each new connection) do: `kubeadm certs renew` takes effect for
new connections without a restart. Client certificates are verified against the CA file."""
import os
import ssl
import threading
from http.server import ThreadingHTTPServer

from .common import host_path


class ReloadingTLSServer(ThreadingHTTPServer):
    """ThreadingHTTPServer over TLS. `require_client_cert`: CERT_REQUIRED (etcd's client-cert-auth)
    rather than CERT_OPTIONAL (kube-apiserver also accepts tokens and anonymous requests)."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler, cert, key, ca, require_client_cert=False):
        self.files = [host_path(cert), host_path(key), host_path(ca)]
        self.require = require_client_cert
        self._stamp = None
        self._ctx = None
        self._lock = threading.Lock()
        self.context()
        super().__init__(addr, handler)

    def _mtimes(self):
        out = []
        for f in self.files:
            try:
                st = os.stat(f)
                out.append((st.st_mtime_ns, st.st_ino, st.st_size))
            except OSError:
                out.append(None)
        return out

    def context(self):
        """The SSL context, rebuilt when a certificate file changed (kept when the new files do not load)."""
        with self._lock:
            stamp = self._mtimes()
            if stamp == self._stamp and self._ctx is not None:
                return self._ctx
            try:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(self.files[0], self.files[1])
                ctx.load_verify_locations(self.files[2])
                ctx.verify_mode = ssl.CERT_REQUIRED if self.require else ssl.CERT_OPTIONAL
            except (OSError, ssl.SSLError):
                if self._ctx is None:
                    raise
                return self._ctx
            self._ctx, self._stamp = ctx, stamp
            return ctx

    def get_request(self):
        sock, addr = self.socket.accept()
        return self.context().wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def finish_request(self, request, client_address):
        request.settimeout(10)
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        request.settimeout(None)
        super().finish_request(request, client_address)
