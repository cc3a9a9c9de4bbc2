"""kubeadm's certificates: what init writes (reusing a CA, certificates and kubeconfigs already on
disk, as a restore needs), and what `kubeadm certs` and `kubeadm upgrade` read and renew — the
certificate list of cmd/kubeadm/app/phases/certs/renewal (names, files, CAs, long names)."""
import base64
import datetime
import ipaddress
import re
from concurrent.futures import ThreadPoolExecutor

from . import pki, yamlish
from .client import build_kubeconfig
from .common import now, read_text, write_file
from .kubeadm_common import K8S, PKI, Fail, out

# name -> (file base under the certificates dir, CN); self-signed, 10 years
CAS = {'ca': ('ca', 'kubernetes'), 'etcd-ca': ('etcd/ca', 'etcd-ca'), 'front-proxy-ca': ('front-proxy-ca',
                                                                                        'front-proxy-ca')}
# (name, kind, file, CA, long name), sorted by name as `kubeadm certs` lists them
HANDLERS = [
    ('admin.conf', 'kubeconfig', 'admin.conf', 'ca',
     'certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself'),
    ('apiserver', 'cert', 'apiserver', 'ca', 'certificate for serving the Kubernetes API'),
    ('apiserver-etcd-client', 'cert', 'apiserver-etcd-client', 'etcd-ca',
     'certificate the apiserver uses to access etcd'),
    ('apiserver-kubelet-client', 'cert', 'apiserver-kubelet-client', 'ca',
     'certificate for the API server to connect to kubelet'),
    ('controller-manager.conf', 'kubeconfig', 'controller-manager.conf', 'ca',
     'certificate embedded in the kubeconfig file for the controller manager to use'),
    ('etcd-healthcheck-client', 'cert', 'etcd/healthcheck-client', 'etcd-ca',
     'certificate for liveness probes to healthcheck etcd'),
    ('etcd-peer', 'cert', 'etcd/peer', 'etcd-ca', 'certificate for etcd nodes to communicate with each other'),
    ('etcd-server', 'cert', 'etcd/server', 'etcd-ca', 'certificate for serving etcd'),
    ('front-proxy-client', 'cert', 'front-proxy-client', 'front-proxy-ca', 'certificate for the front proxy client'),
    ('scheduler.conf', 'kubeconfig', 'scheduler.conf', 'ca',
     'certificate embedded in the kubeconfig file for the scheduler manager to use'),
    ('super-admin.conf', 'kubeconfig', 'super-admin.conf', 'ca',
     'certificate embedded in the kubeconfig file for the super-admin'),
]
BY_NAME = {h[0]: h for h in HANDLERS}
VALIDITY = datetime.timedelta(days=365)
CA_VALIDITY = datetime.timedelta(days=3650)


def handler(name):
    return BY_NAME[name]


# ------------------------------------------------------------------ reading and writing

def read_ca(name, cert_dir=PKI):
    """(cert_pem, key_pem or None) of a CA, or None when its certificate is missing."""
    base = '%s/%s' % (cert_dir, CAS[name][0])
    cert = read_text(base + '.crt')
    if cert is None:
        return None
    key = read_text(base + '.key')
    return cert.encode(), key.encode() if key is not None else None


def read_cert(name, cert_dir=PKI):
    """(cert_pem, key_pem) of a certificate or a kubeconfig's embedded client certificate; None if missing."""
    _, kind, path, _, _ = handler(name)
    if kind == 'cert':
        cert, key = read_text('%s/%s.crt' % (cert_dir, path)), read_text('%s/%s.key' % (cert_dir, path))
        return (cert.encode(), (key or '').encode()) if cert is not None else None
    text = read_text('%s/%s' % (K8S, path))
    if text is None:
        return None
    user = ((yamlish.load(text) or {}).get('users') or [{}])[0].get('user') or {}
    if not user.get('client-certificate-data'):
        return None
    return (base64.b64decode(user['client-certificate-data']), base64.b64decode(user.get('client-key-data') or ''))


def write_cert(name, cert, key, cert_dir=PKI):
    _, kind, path, _, _ = handler(name)
    if kind == 'cert':
        write_file('%s/%s.key' % (cert_dir, path), key, 0o600)
        write_file('%s/%s.crt' % (cert_dir, path), cert)
        return
    kc = yamlish.load(read_text('%s/%s' % (K8S, path)))
    kc['users'][0]['user']['client-certificate-data'] = base64.b64encode(cert).decode()
    kc['users'][0]['user']['client-key-data'] = base64.b64encode(key).decode()
    write_file('%s/%s' % (K8S, path), yamlish.dump(kc), 0o600)


def reissue(name, not_before=None, not_after=None, cert_dir=PKI):
    """Renews a certificate from the one on disk (same subject, SANs, usages and key type, a new
    key) with the local CA: True, or False when the CA key is missing (an external CA). Raises
    KeyError for a missing certificate."""
    current = read_cert(name, cert_dir)
    if current is None:
        raise KeyError(name)
    ca = read_ca(handler(name)[3], cert_dir)
    if ca is None or ca[1] is None:
        return False
    info = pki.cert_info(current[0])
    alg = pki.key_algorithm(current[1]) if current[1] else 'ECDSA-P256'
    start = not_before or now() - datetime.timedelta(minutes=5)  # kubeadm backdates NotBefore (CertificateBackdate)
    cert, key = pki.new_signed(ca[0], ca[1], info['cn'], orgs=info['orgs'], usage=info['usage'], sans=info['sans'],
                               algorithm=alg, not_before=start, not_after=not_after or now() + VALIDITY)
    write_cert(name, cert, key, cert_dir)
    return True


def reissue_ca(name, not_before, not_after, cert_dir=PKI):
    """The lab's way to make a CA near expiry: self-signed again with its own key and new dates."""
    ca = read_ca(name, cert_dir)
    if ca is None or ca[1] is None:
        raise KeyError(name)
    cert = pki.self_sign(ca[1], CAS[name][1], not_before, not_after)
    write_file('%s/%s.crt' % (cert_dir, CAS[name][0]), cert)


# ------------------------------------------------------------------ init's certs and kubeconfig phases

def ensure_ca(name, algorithm):
    """An existing CA is used as it is (keyless: an external CA); otherwise a new one is generated."""
    existing = read_ca(name)
    label = {'ca': 'ca', 'etcd-ca': 'etcd/ca', 'front-proxy-ca': 'front-proxy-ca'}[name]
    if existing is not None:
        out('[certs] Using existing %s %scertificate authority' % (label, '' if existing[1] else 'keyless '))
        return existing
    cert, key = pki.new_ca(CAS[name][1], algorithm=algorithm)
    base = '%s/%s' % (PKI, CAS[name][0])
    write_file(base + '.crt', cert)
    write_file(base + '.key', key, 0o600)
    out('[certs] Generating "%s" certificate and key' % label)
    return cert, key


def apiserver_sans(cfg):
    svc_ip = str(ipaddress.ip_network(cfg['serviceSubnet']).network_address + 1)
    dns = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.' + cfg['dnsDomain'],
           cfg['nodeName']]
    ips = [svc_ip, cfg['advertiseAddress']]
    cpe = cfg['controlPlaneEndpoint'].rsplit(':', 1)[0] if cfg['controlPlaneEndpoint'] else ''
    for s in cfg['certSANs'] + ([cpe] if cpe else []):
        (ips if re.match(r'^\d+\.\d+\.\d+\.\d+$', s) else dns).append(s)
    return list(dict.fromkeys(dns)), list(dict.fromkeys(ips))


def leaf_specs(cfg):
    """name -> (file, CA, CN, orgs, usage, SANs) of the certificates init makes."""
    dns, ips = apiserver_sans(cfg)
    sans = ['DNS:' + d for d in dns] + ['IP:' + i for i in ips]
    etcd_sans = ['DNS:' + cfg['nodeName'], 'DNS:localhost', 'IP:' + cfg['advertiseAddress'], 'IP:127.0.0.1']
    return {
        'apiserver': ('apiserver', 'ca', 'kube-apiserver', [], 'server', sans),
        'apiserver-kubelet-client': ('apiserver-kubelet-client', 'ca', 'kube-apiserver-kubelet-client',
                                     ['kubeadm:cluster-admins'], 'client', []),
        'front-proxy-client': ('front-proxy-client', 'front-proxy-ca', 'front-proxy-client', [], 'client', []),
        'etcd/server': ('etcd/server', 'etcd-ca', cfg['nodeName'], [], 'both', etcd_sans),
        'etcd/peer': ('etcd/peer', 'etcd-ca', cfg['nodeName'], [], 'both', etcd_sans),
        'etcd/healthcheck-client': ('etcd/healthcheck-client', 'etcd-ca', 'kube-etcd-healthcheck-client', [],
                                    'client', []),
        'apiserver-etcd-client': ('apiserver-etcd-client', 'etcd-ca', 'kube-apiserver-etcd-client', [], 'client', []),
    }


def write_certs(cfg):
    """The kubeadm certs phase: CAs, then the certificates signed by them; files already on disk and
    signed by their CA are kept ("Using existing ... on disk"), as after restoring /etc/kubernetes/pki."""
    out('[certs] Using certificateDir folder "%s"' % PKI)
    leaf = cfg['leafAlgorithm']
    cas = {'ca': ensure_ca('ca', cfg['encryptionAlgorithm'])}
    specs = leaf_specs(cfg)
    missing = {}
    for name, (path, ca_name, cn, orgs, usage, sans) in specs.items():
        if ca_name not in cas:
            cas[ca_name] = ensure_ca(ca_name, leaf)
        existing = read_text('%s/%s.crt' % (PKI, path))
        if existing is not None:
            why = pki.verify(cas[ca_name][0], existing.encode())
            if why:
                raise Fail('[certs] certificate %s not signed by CA certificate %s: x509: %s' % (name, ca_name, why),
                           'certs')
            out('[certs] Using existing %s certificate and key on disk' % name)
            continue
        if cas[ca_name][1] is None:
            raise Fail('[certs] the CA key for "%s" is missing: cannot generate %s (external CA mode)' % (ca_name, name),
                       'certs')
        missing[name] = (cas[ca_name][0], cas[ca_name][1], cn, orgs, usage, sans)
    generate_leaves(cfg, missing, specs)
    if read_text(PKI + '/sa.key') is not None:
        out('[certs] Using the existing "sa" key')
    else:
        out('[certs] Generating "sa" key and public key')
        key, pub = pki.new_rsa_keypair()
        write_file(PKI + '/sa.key', key, 0o600)
        write_file(PKI + '/sa.pub', pub)
    return cas['ca']


def generate_leaves(cfg, missing, specs):
    with ThreadPoolExecutor(max_workers=4) as ex:
        futures = {n: ex.submit(pki.new_signed, *j[:3], orgs=j[3], usage=j[4], sans=j[5],
                                algorithm=cfg['leafAlgorithm']) for n, j in missing.items()}
        results = {n: f.result() for n, f in futures.items()}
    dns, ips = apiserver_sans(cfg)
    for name in [n for n in specs if n in results]:
        cert, key = results[name]
        write_file('%s/%s.crt' % (PKI, specs[name][0]), cert)
        write_file('%s/%s.key' % (PKI, specs[name][0]), key, 0o600)
        out('[certs] Generating "%s" certificate and key' % name)
        if name == 'apiserver':
            out('[certs] apiserver serving cert is signed for DNS names [%s] and IPs [%s]' % (' '.join(dns),
                                                                                           ' '.join(ips)))
        if name in ('etcd/server', 'etcd/peer'):
            out('[certs] %s serving cert is signed for DNS names [%s localhost] and IPs [%s 127.0.0.1 ::1]' % (
                name, cfg['nodeName'], cfg['advertiseAddress']))


def write_kubeconfigs(cfg, ca, ca_key, server):
    """The kubeconfig phase; an existing file is kept when it has this CA and this server, and
    refused with kubeadm's errors otherwise."""
    out('[kubeconfig] Using kubeconfig folder "%s"' % K8S)
    local = 'https://%s:%d' % (cfg['advertiseAddress'], cfg['bindPort'])
    specs = [('admin.conf', 'kubernetes-admin', ['kubeadm:cluster-admins'], server),
             ('super-admin.conf', 'kubernetes-super-admin', ['system:masters'], server),
             ('kubelet.conf', 'system:node:' + cfg['nodeName'], ['system:nodes'], server),
             ('controller-manager.conf', 'system:kube-controller-manager', [], local),
             ('scheduler.conf', 'system:kube-scheduler', [], local)]
    todo = [s for s in specs if not existing_kubeconfig_ok(s[0], ca, s[3])]
    with ThreadPoolExecutor(max_workers=4) as ex:
        certs = list(ex.map(lambda s: pki.new_signed(ca, ca_key, s[1], orgs=s[2], usage='client',
                                                     algorithm=cfg['leafAlgorithm']), todo))
    made = {s[0]: (s, c) for s, c in zip(todo, certs)}
    for fname, _, _, _ in specs:
        if fname not in made:
            out('[kubeconfig] Using existing kubeconfig file: "%s/%s"' % (K8S, fname))
            continue
        (_, user, _, url), (cert, key) = made[fname]
        out('[kubeconfig] Writing "%s" kubeconfig file' % fname)
        kc = build_kubeconfig(url, ca, user, cert, key, cluster=cfg['clusterName'])
        write_file('%s/%s' % (K8S, fname), yamlish.dump(kc), 0o600)


def existing_kubeconfig_ok(fname, ca, server):
    path = '%s/%s' % (K8S, fname)
    text = read_text(path)
    if text is None:
        return False
    cluster = (((yamlish.load(text) or {}).get('clusters') or [{}])[0].get('cluster')) or {}
    have_ca = base64.b64decode(cluster.get('certificate-authority-data') or '')
    if have_ca.strip() != ca.strip():
        raise Fail('a kubeconfig file "%s" exists already but has got the wrong CA cert' % path, 'kubeconfig')
    if cluster.get('server') != server:
        raise Fail('a kubeconfig file "%s" exists already but has an unexpected API Server URL: expected: %s, got: %s'
                   % (path, server, cluster.get('server')), 'kubeconfig')
    return True


def exists(name, cert_dir=PKI):
    return read_cert(name, cert_dir) is not None
def expires(cert_pem):
    return pki.cert_info(cert_pem)['not_after']
