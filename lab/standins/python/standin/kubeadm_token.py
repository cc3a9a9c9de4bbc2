"""kubeadm token generate|create|list|delete, and the bootstrap token Secrets init creates."""
import base64
import datetime
import random
import re

from . import pki, yamlish
from .client import ApiError
from .common import now, parse_duration, parse_time, rfc3339
from .kubeadm_common import PKI, Fail, admin_api, out
from .kubeadm_config import load_documents

TOKEN_RE = re.compile(r'^([a-z0-9]{6})\.([a-z0-9]{16})$')


def generate_token():
    alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
    rnd = random.SystemRandom()
    return '%s.%s' % (''.join(rnd.choice(alphabet) for _ in range(6)), ''.join(rnd.choice(alphabet) for _ in range(16)))


def validate_token(t):
    if not TOKEN_RE.match(t or ''):
        raise Fail('the bootstrap token "%s" was not of the form "[a-z0-9]{6}.[a-z0-9]{16}"' % t)
    return TOKEN_RE.match(t).groups()


def token_secret(token, ttl, usages, groups, description):
    tid, tsec = validate_token(token)
    data = {'token-id': tid, 'token-secret': tsec}
    if description:
        data['description'] = description
    ttl_s = parse_duration(ttl) if ttl is not None else 86400
    if ttl_s:
        data['expiration'] = rfc3339(now() + datetime.timedelta(seconds=ttl_s))
    for u in usages:
        data['usage-bootstrap-' + u] = 'true'
    if groups:
        data['auth-extra-groups'] = ','.join(groups)
    return {'apiVersion': 'v1', 'kind': 'Secret', 'type': 'bootstrap.kubernetes.io/token',
            'metadata': {'name': 'bootstrap-token-' + tid, 'namespace': 'kube-system'},
            'data': {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


def create_token(api, token, ttl, usages=('signing', 'authentication'),
                 groups=('system:bootstrappers:kubeadm:default-node-token',), description=''):
    body = token_secret(token, ttl, list(usages), list(groups), description)
    path = '/api/v1/namespaces/kube-system/secrets'
    try:
        api.create(path, body)
    except ApiError as e:
        if e.code != 409:
            raise
        api.replace(path + '/' + body['metadata']['name'], body)


def join_command(api_endpoint, token, ca_pem, control_plane=False, cert_key=None):
    cmd = 'kubeadm join %s --token %s --discovery-token-ca-cert-hash %s ' % (
        api_endpoint, token, pki.public_key_pin(ca_pem))
    if control_plane:
        cmd += '--control-plane '
        if cert_key:
            cmd += '--certificate-key %s ' % cert_key
    return cmd


def cluster_endpoint(api):
    cm = api.get_or_none('/api/v1/namespaces/kube-public/configmaps/cluster-info')
    if cm:
        kc = yamlish.load(cm['data']['kubeconfig'])
        server = kc['clusters'][0]['cluster']['server']
        return re.sub(r'^https?://', '', server)
    return api.hostport


def cmd_token(flags, args):
    sub = args[0] if args else ''
    if sub == 'generate':
        out(generate_token())
        return 0
    api = admin_api(flags)
    if sub == 'create':
        token = args[1] if len(args) > 1 else generate_token()
        if flags.get('config'):
            docs = load_documents(flags['config'])
            bts = (docs.get('InitConfiguration') or {}).get('bootstrapTokens') or []
            if bts and bts[0].get('token') and len(args) <= 1:
                token = bts[0]['token']
                flags.setdefault('ttl', bts[0].get('ttl'))
        validate_token(token)
        usages = (flags.get('usages') or 'signing,authentication').split(',')
        groups = (flags.get('groups') or 'system:bootstrappers:kubeadm:default-node-token').split(',')
        create_token(api, token, flags.get('ttl') or '24h0m0s', usages, groups, flags.get('description', ''))
        if flags.get('print-join-command') == 'true':
            ca = pki.read_host(PKI + '/ca.crt')
            out(join_command(cluster_endpoint(api), token, ca))
        else:
            out(token)
        return 0
    if sub == 'list':
        secrets = api.get('/api/v1/namespaces/kube-system/secrets')['items']
        rows = []
        for s in secrets:
            if s.get('type') != 'bootstrap.kubernetes.io/token':
                continue
            d = {k: base64.b64decode(v).decode() for k, v in (s.get('data') or {}).items()}
            exp = d.get('expiration')
            ttl = '<forever>'
            if exp:
                left = (parse_time(exp) - now()).total_seconds()
                ttl = '<invalid>' if left <= 0 else ('%dh' % round(left / 3600) if left >= 3600 else
                                                      '%dm' % round(left / 60))
            usages = ','.join(sorted(k[len('usage-bootstrap-'):] for k, v in d.items()
                                     if k.startswith('usage-bootstrap-') and v == 'true'))
            rows.append(['%s.%s' % (d.get('token-id'), d.get('token-secret')), ttl, exp or '<never>', usages,
                         d.get('description', '<none>'), d.get('auth-extra-groups', '')])
        header = ['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS']
        widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
        if rows:
            for r in [header] + rows:
                out(''.join(c.ljust(widths[i] + 3) if i < len(r) - 1 else c for i, c in enumerate(r)).rstrip())
        return 0
    if sub == 'delete':
        for t in args[1:]:
            tid = t.split('.')[0]
            try:
                api.delete('/api/v1/namespaces/kube-system/secrets/bootstrap-token-' + tid)
            except ApiError as e:
                raise Fail('failed to delete bootstrap token with ID "%s": %s' % (tid, e))
            out('bootstrap token "%s" deleted' % tid)
        return 0
    raise Fail('unknown command "%s" for "kubeadm token"' % sub)
