"""Certificates with the openssl command line: a real CA, so the discovery hash is the real one."""
import base64
import hashlib
import os
import re
import subprocess
import tempfile

from .common import host_path


class PKIError(Exception):
    pass


def _openssl(*args, input_data=None):
    r = subprocess.run(['openssl'] + list(args), input=input_data, capture_output=True)
    if r.returncode != 0:
        raise PKIError('openssl %s failed: %s' % (args[0], r.stderr.decode(errors='replace').strip()))
    return r.stdout


def _write_private(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def new_key(algorithm='RSA-2048'):
    """A PEM private key. kubeadm's default is RSA-2048; ECDSA-P256 is its faster option."""
    if algorithm.upper().startswith('ECDSA'):
        return _openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256')
    bits = re.search(r'(\d+)', algorithm)
    return _openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt',
                    'rsa_keygen_bits:%s' % (bits.group(1) if bits else '2048'))


def new_ca(cn, days=3650, algorithm='RSA-2048'):
    """(cert_pem, key_pem) for a self-signed CA."""
    key = new_key(algorithm)
    with tempfile.TemporaryDirectory() as d:
        kp = os.path.join(d, 'ca.key')
        _write_private(kp, key)
        cert = _openssl('req', '-x509', '-new', '-key', kp, '-days', str(days), '-subj', '/CN=' + cn,
                        '-addext', 'basicConstraints=critical,CA:TRUE',
                        '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign',
                        '-addext', 'subjectAltName=DNS:' + cn)
    return cert, key


def _subject(cn, orgs):
    return ''.join('/O=' + o for o in orgs) + '/CN=' + cn


def sign(ca_cert, ca_key, csr_pem, usage, sans=(), days=365):
    """Signs a CSR with the CA. usage: 'client' or 'server' (or 'both')."""
    eku = {'client': 'clientAuth', 'server': 'serverAuth', 'both': 'serverAuth,clientAuth'}[usage]
    ext = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment',
           'extendedKeyUsage=' + eku]
    if sans:
        ext.append('subjectAltName=' + ','.join(sans))
    with tempfile.TemporaryDirectory() as d:
        paths = {n: os.path.join(d, n) for n in ('ca.crt', 'ca.key', 'req.csr', 'ext.cnf')}
        with open(paths['ca.crt'], 'wb') as f:
            f.write(ca_cert)
        _write_private(paths['ca.key'], ca_key)
        with open(paths['req.csr'], 'wb') as f:
            f.write(csr_pem)
        with open(paths['ext.cnf'], 'w') as f:
            f.write('\n'.join(ext) + '\n')
        return _openssl('x509', '-req', '-in', paths['req.csr'], '-CA', paths['ca.crt'], '-CAkey',
                        paths['ca.key'], '-set_serial', '0x' + os.urandom(8).hex(), '-days', str(days),
                        '-extfile', paths['ext.cnf'])


def new_csr(cn, orgs=(), algorithm='RSA-2048'):
    """(csr_pem, key_pem)."""
    key = new_key(algorithm)
    with tempfile.TemporaryDirectory() as d:
        kp = os.path.join(d, 'k.key')
        _write_private(kp, key)
        csr = _openssl('req', '-new', '-key', kp, '-subj', _subject(cn, orgs))
    return csr, key


def new_signed(ca_cert, ca_key, cn, orgs=(), usage='client', sans=(), algorithm='RSA-2048'):
    """(cert_pem, key_pem) signed by the CA."""
    csr, key = new_csr(cn, orgs, algorithm)
    return sign(ca_cert, ca_key, csr, usage, sans), key


def csr_subject(csr_pem):
    """(cn, [orgs]) of a PEM CSR."""
    out = _openssl('req', '-noout', '-subject', '-nameopt', 'RFC2253', input_data=csr_pem).decode()
    subj = out.strip().split('=', 1)[1] if out.startswith('subject=') else out.strip()
    cn, orgs = '', []
    for part in re.split(r'(?<!\\),', subj):
        k, _, v = part.strip().partition('=')
        if k == 'CN':
            cn = v
        elif k == 'O':
            orgs.append(v)
    return cn, orgs


def public_key_pin(cert_pem):
    """'sha256:<hex>' of the certificate's SubjectPublicKeyInfo, as kubeadm's discovery hash."""
    pub = _openssl('x509', '-pubkey', '-noout', input_data=cert_pem).decode()
    body = ''.join(l for l in pub.splitlines() if l and not l.startswith('-----'))
    return 'sha256:' + hashlib.sha256(base64.b64decode(body)).hexdigest()


def new_rsa_keypair():
    """(private_pem, public_pem) for the service-account signing key (sa.key / sa.pub)."""
    key = new_key('RSA-2048')
    pub = _openssl('pkey', '-pubout', input_data=key)
    return key, pub


def read_host(path):
    with open(host_path(path), 'rb') as f:
        return f.read()


def b64(data):
    return base64.b64encode(data if isinstance(data, bytes) else data.encode()).decode()
