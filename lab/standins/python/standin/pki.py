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


def sign(ca_cert, ca_key, csr_pem, usage, sans=(), days=365, not_before=None, not_after=None):
    """Signs a CSR with the CA. usage: 'client' or 'server' (or 'both'). Valid from now for `days`,
    or from `not_before` to `not_after` (datetimes, UTC) when given."""
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
        if not_after is not None:
            return _sign_dated(d, paths, not_before, not_after)
        return _openssl('x509', '-req', '-in', paths['req.csr'], '-CA', paths['ca.crt'], '-CAkey',
                        paths['ca.key'], '-set_serial', '0x' + os.urandom(8).hex(), '-days', str(days),
                        '-extfile', paths['ext.cnf'])


CA_CONFIG = """[ ca ]
default_ca = CA_default
[ CA_default ]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[ policy_any ]
commonName = optional
organizationName = optional
"""


def _sign_dated(d, paths, not_before, not_after, selfsign=False):
    """`openssl ca`, the openssl command that takes explicit validity dates."""
    with open(os.path.join(d, 'ca.cnf'), 'w') as f:
        f.write(CA_CONFIG)
    open(os.path.join(d, 'index.txt'), 'w').close()
    with open(os.path.join(d, 'serial'), 'w') as f:
        f.write(os.urandom(8).hex() + '\n')
    fmt = '%Y%m%d%H%M%SZ'
    out = os.path.join(d, 'out.crt')
    issuer = ['-selfsign'] if selfsign else ['-cert', paths['ca.crt']]
    r = subprocess.run(['openssl', 'ca', '-batch', '-config', 'ca.cnf', '-in', paths['req.csr']] + issuer + [
                        '-keyfile', paths['ca.key'], '-startdate', not_before.strftime(fmt),
                        '-enddate', not_after.strftime(fmt), '-extfile', paths['ext.cnf'], '-notext', '-preserveDN',
                        '-out', out], cwd=d, capture_output=True)
    if r.returncode != 0:
        raise PKIError('openssl ca failed: %s' % r.stderr.decode(errors='replace').strip())
    with open(out, 'rb') as f:
        return f.read()


def self_sign(key_pem, cn, not_before, not_after):
    """A CA certificate for an existing key, valid from not_before to not_after (`openssl ca -selfsign`)."""
    with tempfile.TemporaryDirectory() as d:
        kp = os.path.join(d, 'ca.key')
        _write_private(kp, key_pem)
        csr = _openssl('req', '-new', '-key', kp, '-subj', '/CN=' + cn)
        paths = {'req.csr': os.path.join(d, 'req.csr'), 'ext.cnf': os.path.join(d, 'ext.cnf'), 'ca.key': kp}
        with open(paths['req.csr'], 'wb') as f:
            f.write(csr)
        with open(paths['ext.cnf'], 'w') as f:
            f.write('basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature,keyEncipherment,keyCertSign\n'
                    'subjectAltName=DNS:%s\n' % cn)
        return _sign_dated(d, paths, not_before, not_after, selfsign=True)


def cert_info(cert_pem):
    """What renewal keeps of a certificate: CN, organizations, SANs ('DNS:x', 'IP:y'), usage
    ('client', 'server' or 'both'), and its validity (datetimes, UTC)."""
    text = _openssl('x509', '-noout', '-subject', '-nameopt', 'RFC2253', '-startdate', '-enddate', '-ext',
                    'subjectAltName,extendedKeyUsage', input_data=cert_pem).decode()
    info = {'cn': '', 'orgs': [], 'sans': [], 'usage': 'client'}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith('subject='):
            for part in re.split(r'(?<!\\),', line[len('subject='):]):
                k, _, v = part.strip().partition('=')
                if k == 'CN':
                    info['cn'] = v
                elif k == 'O':
                    info['orgs'].insert(0, v)
        elif line.startswith('notBefore='):
            info['not_before'] = _openssl_time(line.split('=', 1)[1])
        elif line.startswith('notAfter='):
            info['not_after'] = _openssl_time(line.split('=', 1)[1])
        elif 'Subject Alternative Name' in line and i + 1 < len(lines):
            info['sans'] = [x.strip().replace('IP Address:', 'IP:') for x in lines[i + 1].split(',') if x.strip()]
        elif 'Extended Key Usage' in line and i + 1 < len(lines):
            eku = lines[i + 1]
            server, client = 'Server Authentication' in eku, 'Client Authentication' in eku
            info['usage'] = 'both' if server and client else 'server' if server else 'client'
    return info


def _openssl_time(text):
    import datetime
    return datetime.datetime.strptime(' '.join(text.split()), '%b %d %H:%M:%S %Y GMT').replace(
        tzinfo=datetime.timezone.utc)


def key_algorithm(key_pem):
    """'ECDSA-P256' or 'RSA-<bits>' of a private key, so that renewal keeps the key type."""
    text = _openssl('pkey', '-noout', '-text', input_data=key_pem).decode()
    m = re.search(r'Private-Key: \((\d+) bit', text)
    if 'prime256v1' in text or 'P-256' in text or (m and m.group(1) == '256'):
        return 'ECDSA-P256'
    return 'RSA-%s' % (m.group(1) if m else '2048')


def verify(ca_pem, cert_pem):
    """None when cert_pem is signed by ca_pem, else openssl's reason."""
    with tempfile.TemporaryDirectory() as d:
        ca, cert = os.path.join(d, 'ca.crt'), os.path.join(d, 'c.crt')
        for path, data in ((ca, ca_pem), (cert, cert_pem)):
            with open(path, 'wb') as f:
                f.write(data)
        r = subprocess.run(['openssl', 'verify', '-no_check_time', '-CAfile', ca, cert], capture_output=True)
        if r.returncode == 0:
            return None
        m = re.search(r'error \d+ at \d+ depth lookup: (.*)', r.stdout.decode() + r.stderr.decode())
        return m.group(1) if m else 'certificate signed by unknown authority'


def new_csr(cn, orgs=(), algorithm='RSA-2048'):
    """(csr_pem, key_pem)."""
    key = new_key(algorithm)
    with tempfile.TemporaryDirectory() as d:
        kp = os.path.join(d, 'k.key')
        _write_private(kp, key)
        csr = _openssl('req', '-new', '-key', kp, '-subj', _subject(cn, orgs))
    return csr, key


def new_signed(ca_cert, ca_key, cn, orgs=(), usage='client', sans=(), algorithm='RSA-2048', not_before=None,
               not_after=None):
    """(cert_pem, key_pem) signed by the CA."""
    csr, key = new_csr(cn, orgs, algorithm)
    return sign(ca_cert, ca_key, csr, usage, sans, not_before=not_before, not_after=not_after), key


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
