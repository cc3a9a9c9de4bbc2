"""kubeadm certs check-expiration [-o json|yaml] and kubeadm certs renew all|NAME, with the real
command's output (cmd/kubeadm/app/cmd/certs.go): both tables, RESIDUAL TIME as ShortHumanDuration,
`MISSING!` lines, the CertificateExpirationInfo object of output.kubeadm.k8s.io/v1alpha3."""
import os

from . import yamlish
from .client import ApiError, ConnectError
from .common import host_path, now, parse_time, rfc3339
from .kubeadm_common import PKI, Fail, admin_api, out, output_format, print_object
from .kubeadm_pki import CAS, HANDLERS, BY_NAME, expires, read_ca, read_cert, reissue


def short_human_duration(seconds):
    """k8s.io/apimachinery duration.ShortHumanDuration."""
    s = int(seconds)
    if s < -1:
        return '<invalid>'
    if s < 0:
        return '0s'
    if s < 60:
        return '%ds' % s
    if s < 3600:
        return '%dm' % (s // 60)
    hours = s // 3600
    if hours < 24:
        return '%dh' % hours
    if hours < 24 * 365:
        return '%dd' % (hours // 24)
    return '%dy' % int(hours / 24 / 365)


def cluster_cert_dir(flags, log_prefix, printing):
    """getInternalCfg: the certificates dir of the kubeadm-config ConfigMap when the cluster answers,
    else the default one (with kubeadm's fallback message)."""
    if flags.get('cert-dir'):
        return flags['cert-dir']
    path = flags.get('kubeconfig') or '/etc/kubernetes/admin.conf'
    if not os.path.exists(host_path(path)):
        return PKI
    try:
        api = admin_api(flags)
        api.timeout = 5
        cm = api.get('/api/v1/namespaces/kube-system/configmaps/kubeadm-config')
    except (Fail, ApiError, ConnectError):
        if printing:
            out('[%s] Error reading configuration from the Cluster. Falling back to default configuration' % log_prefix)
            out('')
        return PKI
    if printing:
        out('[%s] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...' % log_prefix)
        out("[%s] Use 'kubeadm init phase upload-config --config your-config-file' to re-upload it." % log_prefix)
        out('')
    cc = yamlish.load((cm.get('data') or {}).get('ClusterConfiguration') or '') or {}
    return cc.get('certificatesDir') or PKI


def expiry_entry(name, pem, ca_name, external, t):
    """One Certificate of the output API; pem None: missing."""
    if pem is None:
        return {'name': name, 'expirationDate': None, 'residualTime': 0, 'externallyManaged': False, 'missing': True}
    end = expires(pem)
    entry = {'name': name, 'expirationDate': rfc3339(end), 'residualTime': int((end - t).total_seconds()),
             'externallyManaged': external}
    if ca_name:
        entry['caName'] = ca_name
    entry['missing'] = False
    return entry


def expiration_info(cert_dir):
    """The CertificateExpirationInfo object."""
    t = now()
    certs = []
    for name, _, _, ca_name, _ in HANDLERS:
        pair, ca = read_cert(name, cert_dir), read_ca(ca_name, cert_dir)
        certs.append(expiry_entry(name, pair and pair[0], ca_name, bool(ca is not None and ca[1] is None), t))
    cas = []
    for name in sorted(CAS):
        ca = read_ca(name, cert_dir)
        cas.append(expiry_entry(name, ca and ca[0], '', bool(ca is not None and ca[1] is None), t))
    return {'kind': 'CertificateExpirationInfo', 'apiVersion': 'output.kubeadm.k8s.io/v1alpha3',
            'certificates': certs, 'certificateAuthorities': cas}


def tabwriter(rows):
    """Go's tabwriter with minwidth 10, padding 3, as kubeadm prints tables: every cell but the last
    padded to its column's width + 3 (a cell ending a row takes no part in widths)."""
    ncols = max(len(r) for r in rows)
    widths = [max([10] + [len(r[i]) + 3 for r in rows if i < len(r) - 1]) for i in range(ncols)]
    return '\n'.join(''.join(c.ljust(widths[i]) if i < len(r) - 1 else c for i, c in enumerate(r)) for r in rows)


def print_expiration(info):
    yes = {True: 'yes', False: 'no'}
    rows = [['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'EXTERNALLY MANAGED']]
    for c in info['certificates']:
        rows.append(['!MISSING! ' + c['name'], '', '', '', ''] if c['missing'] else [
            c['name'], human_date(c['expirationDate']), short_human_duration(c['residualTime']), c['caName'],
            '%-8s' % yes[c['externallyManaged']]])
    out(tabwriter(rows))
    out('')
    rows = [['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'EXTERNALLY MANAGED']]
    for c in info['certificateAuthorities']:
        rows.append(['!MISSING! ' + c['name'], '', '', ''] if c['missing'] else [
            c['name'], human_date(c['expirationDate']), short_human_duration(c['residualTime']),
            '%-8s' % yes[c['externallyManaged']]])
    out(tabwriter(rows))


def human_date(text):
    """Go's "Jan 02, 2006 15:04 MST" of an RFC 3339 time."""
    return parse_time(text).strftime('%b %d, %Y %H:%M UTC')


def cmd_check_expiration(flags):
    fmt = output_format(flags)
    cert_dir = cluster_cert_dir(flags, 'check-expiration', fmt == 'text')
    print_object(expiration_info(cert_dir), fmt, print_expiration)
    return 0


def renew_one(name, cert_dir):
    _, _, _, ca_name, long_name = BY_NAME[name]
    if read_cert(name, cert_dir) is None:
        out('MISSING! %s' % long_name)
        return
    if not reissue(name, cert_dir=cert_dir):
        out("Detected external %s, %s can't be renewed" % (ca_name, long_name))
        return
    out('%s renewed' % long_name)


def cmd_renew(flags, args):
    names = [h[0] for h in HANDLERS]
    if not args:
        raise Fail('missing subcommand; "renew" is not meant to be run on its own\nSee \'kubeadm certs renew -h\' for '
                   'help and examples')
    which = args[0]
    if which != 'all' and which not in names:
        raise Fail('unknown command "%s" for "kubeadm certs renew"' % which)
    cert_dir = cluster_cert_dir(flags, 'renew', True)
    for name in names if which == 'all' else [which]:
        renew_one(name, cert_dir)
    if which == 'all':
        out('')
        out('Done renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler '
            'and etcd, so that they can use the new certificates.')
    return 0


def cmd_certs(flags, args):
    sub = args[0] if args else ''
    if sub == 'check-expiration':
        return cmd_check_expiration(flags)
    if sub == 'renew':
        return cmd_renew(flags, args[1:])
    if sub == 'certificate-key':
        out(os.urandom(32).hex())
        return 0
    if sub in ('generate-csr',):
        raise Fail('[steer lab stand-in] "kubeadm certs %s" is not supported by the lab stand-in' % sub)
    raise Fail('unknown command "%s" for "kubeadm certs"' % sub)
