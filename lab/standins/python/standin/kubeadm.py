"""The stand-in kubeadm: version, token, init, join, reset, config — shaped like the real one's
output, with its preflight checks and error texts, writing the same files."""
import base64
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from . import jws, objects, pki, preflight, yamlish
from .client import Api, ApiError, ConnectError, ConfigError as KubeconfigError, build_kubeconfig, load_kubeconfig
from .common import (TAG, default_route_ip, format_duration, git_commit, host_path, hostname, label, now,
                     parse_duration, read_text, rfc3339, systemctl, version, wait_until, write_file)
from .kubeadm_config import ConfigError, init_config, join_config
from .kubelet import stop_apiserver

TOKEN_RE = re.compile(r'^([a-z0-9]{6})\.([a-z0-9]{16})$')
K8S = '/etc/kubernetes'
PKI = '/etc/kubernetes/pki'
MANIFESTS = '/etc/kubernetes/manifests'
KUBELET_CONFIG = '/var/lib/kubelet/config.yaml'
FLAGS_ENV = '/var/lib/kubelet/kubeadm-flags.env'


class Fail(Exception):
    """An error kubeadm prints as `error execution phase X: …` or plain, then exits 1."""

    def __init__(self, message, phase=None):
        self.phase = phase
        super().__init__(message)


def out(line=''):
    sys.stdout.write(line + '\n')
    sys.stdout.flush()


# ====================================================================== flags

VALUE_FLAGS = {'config', 'token', 'token-ttl', 'kubernetes-version', 'pod-network-cidr', 'service-cidr', 'skip-phases',
               'apiserver-advertise-address', 'apiserver-bind-port', 'control-plane-endpoint', 'cri-socket',
               'node-name', 'patches', 'certificate-key', 'image-repository', 'service-dns-domain',
               'apiserver-cert-extra-sans', 'kubeconfig', 'ttl', 'description', 'usages', 'groups', 'output',
               'discovery-token', 'tls-bootstrap-token', 'discovery-file', 'cert-dir', 'feature-gates', 'v',
               'rootfs', 'ignore-preflight-errors', 'discovery-token-ca-cert-hash'}
LIST_FLAGS = {'ignore-preflight-errors', 'discovery-token-ca-cert-hash'}
ALIASES = {'o': 'output', 'f': 'force', 'v': 'v'}


def parse_flags(argv):
    flags, args = {f: [] for f in LIST_FLAGS}, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == '--':
            args += argv[i + 1:]
            break
        if a.startswith('-') and len(a) > 1:
            name, eq, val = a.lstrip('-').partition('=')
            name = ALIASES.get(name, name) if not a.startswith('--') else name
            if name in VALUE_FLAGS:
                if not eq:
                    if i + 1 >= len(argv):
                        raise Fail('flag needs an argument: --%s' % name)
                    val = argv[i + 1]
                    i += 1
                if name in LIST_FLAGS:
                    flags[name] += [v for v in val.split(',') if v]
                else:
                    flags[name] = val
            else:
                flags[name] = val if eq else 'true'
        else:
            args.append(a)
        i += 1
    return flags, args


NOT_WITH_CONFIG = ['token', 'token-ttl', 'kubernetes-version', 'pod-network-cidr', 'service-cidr',
                   'apiserver-advertise-address', 'apiserver-bind-port', 'control-plane-endpoint', 'cri-socket',
                   'node-name', 'image-repository', 'service-dns-domain', 'apiserver-cert-extra-sans',
                   'discovery-token', 'tls-bootstrap-token', 'discovery-token-ca-cert-hash', 'certificate-key']


def check_mix(flags):
    if not flags.get('config'):
        return
    mixed = sorted(f for f in NOT_WITH_CONFIG if flags.get(f))
    if mixed:
        raise Fail("can not mix '--config' with arguments %s" % ('[' + ' '.join(mixed) + ']'))


# ====================================================================== tokens

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
        data['expiration'] = rfc3339(now() + __import__('datetime').timedelta(seconds=ttl_s))
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


def admin_api(flags):
    path = flags.get('kubeconfig') or K8S + '/admin.conf'
    try:
        return Api.from_kubeconfig(load_kubeconfig(path))
    except OSError:
        raise Fail('failed to load admin kubeconfig: open %s: no such file or directory' % path)
    except KubeconfigError as e:
        raise Fail(str(e))


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
            docs = __import__('standin.kubeadm_config', fromlist=['x']).load_documents(flags['config'])
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
                left = (__import__('standin.common', fromlist=['x']).parse_time(exp) - now()).total_seconds()
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


# ====================================================================== init

def write_certs(cfg):
    """The kubeadm certs phase: a real CA and the certificates signed by it."""
    out('[certs] Using certificateDir folder "%s"' % PKI)
    alg = cfg['encryptionAlgorithm']
    leaf = cfg['leafAlgorithm']
    ca, ca_key = pki.new_ca('kubernetes', algorithm=alg)
    out('[certs] Generating "ca" certificate and key')
    write_file(PKI + '/ca.crt', ca)
    write_file(PKI + '/ca.key', ca_key, 0o600)
    svc_ip = str(__import__('ipaddress').ip_network(cfg['serviceSubnet']).network_address + 1)
    dns = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.' + cfg['dnsDomain'],
           cfg['nodeName']]
    ips = [svc_ip, cfg['advertiseAddress']]
    cpe = cfg['controlPlaneEndpoint'].rsplit(':', 1)[0] if cfg['controlPlaneEndpoint'] else ''
    for s in cfg['certSANs'] + ([cpe] if cpe else []):
        (ips if re.match(r'^\d+\.\d+\.\d+\.\d+$', s) else dns).append(s)
    sans = ['DNS:' + d for d in dict.fromkeys(dns)] + ['IP:' + i for i in dict.fromkeys(ips)]
    fp_ca, fp_ca_key = pki.new_ca('front-proxy-ca', algorithm=leaf)
    etcd_ca, etcd_ca_key = pki.new_ca('etcd-ca', algorithm=leaf)
    etcd_sans = ['DNS:' + cfg['nodeName'], 'DNS:localhost', 'IP:' + cfg['advertiseAddress'], 'IP:127.0.0.1']
    jobs = {
        'apiserver': (ca, ca_key, 'kube-apiserver', [], 'server', sans),
        'apiserver-kubelet-client': (ca, ca_key, 'kube-apiserver-kubelet-client', ['kubeadm:cluster-admins'],
                                     'client', []),
        'front-proxy-client': (fp_ca, fp_ca_key, 'front-proxy-client', [], 'client', []),
        'etcd/server': (etcd_ca, etcd_ca_key, cfg['nodeName'], [], 'both', etcd_sans),
        'etcd/peer': (etcd_ca, etcd_ca_key, cfg['nodeName'], [], 'both', etcd_sans),
        'etcd/healthcheck-client': (etcd_ca, etcd_ca_key, 'kube-etcd-healthcheck-client', [], 'client', []),
        'apiserver-etcd-client': (etcd_ca, etcd_ca_key, 'kube-apiserver-etcd-client', [], 'client', []),
    }
    with ThreadPoolExecutor(max_workers=4) as ex:
        futures = {name: ex.submit(pki.new_signed, *job[:3], orgs=job[3], usage=job[4], sans=job[5], algorithm=leaf)
                   for name, job in jobs.items()}
        sa = ex.submit(pki.new_rsa_keypair)
        results = {name: f.result() for name, f in futures.items()}
    order = ['apiserver', 'apiserver-kubelet-client', 'front-proxy-ca', 'front-proxy-client', 'etcd/ca',
             'etcd/server', 'etcd/peer', 'etcd/healthcheck-client', 'apiserver-etcd-client']
    for name in order:
        if name == 'front-proxy-ca':
            write_file(PKI + '/front-proxy-ca.crt', fp_ca)
            write_file(PKI + '/front-proxy-ca.key', fp_ca_key, 0o600)
        elif name == 'etcd/ca':
            write_file(PKI + '/etcd/ca.crt', etcd_ca)
            write_file(PKI + '/etcd/ca.key', etcd_ca_key, 0o600)
        else:
            cert, key = results[name]
            write_file('%s/%s.crt' % (PKI, name), cert)
            write_file('%s/%s.key' % (PKI, name), key, 0o600)
        out('[certs] Generating "%s" certificate and key' % name)
        if name == 'apiserver':
            out('[certs] apiserver serving cert is signed for DNS names [%s] and IPs [%s]' % (
                ' '.join(dict.fromkeys(dns)), ' '.join(dict.fromkeys(ips))))
        if name in ('etcd/server', 'etcd/peer'):
            out('[certs] %s serving cert is signed for DNS names [%s localhost] and IPs [%s 127.0.0.1 ::1]' % (
                name, cfg['nodeName'], cfg['advertiseAddress']))
    out('[certs] Generating "sa" key and public key')
    key, pub = sa.result()
    write_file(PKI + '/sa.key', key, 0o600)
    write_file(PKI + '/sa.pub', pub)
    return ca, ca_key


def server_url(cfg):
    if cfg['controlPlaneEndpoint']:
        ep = cfg['controlPlaneEndpoint']
        return 'https://' + (ep if ':' in ep else '%s:%d' % (ep, cfg['bindPort']))
    return 'https://%s:%d' % (cfg['advertiseAddress'], cfg['bindPort'])


def write_kubeconfigs(cfg, ca, ca_key):
    out('[kubeconfig] Using kubeconfig folder "%s"' % K8S)
    url = server_url(cfg)
    local = 'https://%s:%d' % (cfg['advertiseAddress'], cfg['bindPort'])
    alg = cfg['leafAlgorithm']
    specs = [('admin.conf', 'kubernetes-admin', ['kubeadm:cluster-admins'], url),
             ('super-admin.conf', 'kubernetes-super-admin', ['system:masters'], url),
             ('kubelet.conf', 'system:node:' + cfg['nodeName'], ['system:nodes'], url),
             ('controller-manager.conf', 'system:kube-controller-manager', [], local),
             ('scheduler.conf', 'system:kube-scheduler', [], local)]
    with ThreadPoolExecutor(max_workers=4) as ex:
        certs = list(ex.map(lambda s: pki.new_signed(ca, ca_key, s[1], orgs=s[2], usage='client', algorithm=alg),
                            specs))
    for (fname, user, _, server), (cert, key) in zip(specs, certs):
        out('[kubeconfig] Writing "%s" kubeconfig file' % fname)
        kc = build_kubeconfig(server, ca, user, cert, key, cluster=cfg['clusterName'])
        write_file('%s/%s' % (K8S, fname), yamlish.dump(kc), 0o600)


def static_pod(name, image, command, cfg, port, scheme, volumes, extra_annotations=None):
    pod = {
        'apiVersion': 'v1', 'kind': 'Pod',
        'metadata': {'annotations': extra_annotations or {}, 'labels': {'component': name, 'tier': 'control-plane'},
                     'name': name, 'namespace': 'kube-system'},
        'spec': {
            'containers': [{
                'command': command, 'image': image, 'imagePullPolicy': 'IfNotPresent',
                'livenessProbe': {'failureThreshold': 8, 'httpGet': {
                    'host': cfg['advertiseAddress'] if name == 'kube-apiserver' else '127.0.0.1',
                    'path': '/livez' if name != 'etcd' else '/livez', 'port': port, 'scheme': scheme},
                    'initialDelaySeconds': 10, 'periodSeconds': 10, 'timeoutSeconds': 15},
                'name': name,
                'resources': {'requests': {'cpu': '250m' if name == 'kube-apiserver' else '100m'}},
                'volumeMounts': [{'mountPath': p, 'name': n, 'readOnly': ro} for n, p, ro in volumes]}],
            'hostNetwork': True, 'priority': 2000001000, 'priorityClassName': 'system-node-critical',
            'securityContext': {'seccompProfile': {'type': 'RuntimeDefault'}},
            'volumes': [{'hostPath': {'path': p, 'type': 'DirectoryOrCreate'}, 'name': n} for n, p, _ in volumes]},
        'status': {}}
    if not pod['metadata']['annotations']:
        del pod['metadata']['annotations']
    return pod


def args_with_extra(base, extra):
    d = dict(base)
    for k, v in extra:
        d[k] = v
    return ['--%s=%s' % (k, v) for k, v in sorted(d.items())]


def manifests(cfg):
    repo = cfg['imageRepository']
    v = cfg['kubernetesVersion']
    adv = cfg['advertiseAddress']
    api_args = {
        'advertise-address': adv, 'allow-privileged': 'true', 'authorization-mode': 'Node,RBAC',
        'client-ca-file': PKI + '/ca.crt', 'enable-admission-plugins': 'NodeRestriction',
        'enable-bootstrap-token-auth': 'true', 'etcd-cafile': PKI + '/etcd/ca.crt',
        'etcd-certfile': PKI + '/apiserver-etcd-client.crt', 'etcd-keyfile': PKI + '/apiserver-etcd-client.key',
        'etcd-servers': 'https://127.0.0.1:2379',
        'kubelet-client-certificate': PKI + '/apiserver-kubelet-client.crt',
        'kubelet-client-key': PKI + '/apiserver-kubelet-client.key',
        'kubelet-preferred-address-types': 'InternalIP,ExternalIP,Hostname',
        'proxy-client-cert-file': PKI + '/front-proxy-client.crt', 'proxy-client-key-file': PKI + '/front-proxy-client.key',
        'requestheader-allowed-names': 'front-proxy-client', 'requestheader-client-ca-file': PKI + '/front-proxy-ca.crt',
        'requestheader-extra-headers-prefix': 'X-Remote-Extra-', 'requestheader-group-headers': 'X-Remote-Group',
        'requestheader-username-headers': 'X-Remote-User', 'secure-port': str(cfg['bindPort']),
        'service-account-issuer': 'https://kubernetes.default.svc.' + cfg['dnsDomain'],
        'service-account-key-file': PKI + '/sa.pub', 'service-account-signing-key-file': PKI + '/sa.key',
        'service-cluster-ip-range': cfg['serviceSubnet'], 'tls-cert-file': PKI + '/apiserver.crt',
        'tls-private-key-file': PKI + '/apiserver.key'}
    cm_args = {'authentication-kubeconfig': K8S + '/controller-manager.conf',
               'authorization-kubeconfig': K8S + '/controller-manager.conf', 'bind-address': '127.0.0.1',
               'client-ca-file': PKI + '/ca.crt', 'cluster-name': cfg['clusterName'],
               'cluster-signing-cert-file': PKI + '/ca.crt', 'cluster-signing-key-file': PKI + '/ca.key',
               'controllers': '*,bootstrapsigner,tokencleaner', 'kubeconfig': K8S + '/controller-manager.conf',
               'leader-elect': 'true', 'requestheader-client-ca-file': PKI + '/front-proxy-ca.crt',
               'root-ca-file': PKI + '/ca.crt', 'service-account-private-key-file': PKI + '/sa.key',
               'service-cluster-ip-range': cfg['serviceSubnet'], 'use-service-account-credentials': 'true'}
    if cfg['podSubnet']:
        cm_args['allocate-node-cidrs'] = 'true'
        cm_args['cluster-cidr'] = cfg['podSubnet']
    certs = [('ca-certs', '/etc/ssl/certs', True), ('k8s-certs', PKI, True)]
    pods = {
        'etcd': static_pod('etcd', '%s/etcd:3.6.4-0' % repo, ['etcd'] + args_with_extra({
            'advertise-client-urls': 'https://%s:2379' % adv, 'cert-file': PKI + '/etcd/server.crt',
            'client-cert-auth': 'true', 'data-dir': cfg['etcdDataDir'],
            'initial-advertise-peer-urls': 'https://%s:2380' % adv,
            'initial-cluster': '%s=https://%s:2380' % (cfg['nodeName'], adv), 'key-file': PKI + '/etcd/server.key',
            'listen-client-urls': 'https://127.0.0.1:2379,https://%s:2379' % adv,
            'listen-peer-urls': 'https://%s:2380' % adv, 'name': cfg['nodeName'],
            'peer-cert-file': PKI + '/etcd/peer.crt', 'peer-client-cert-auth': 'true',
            'peer-key-file': PKI + '/etcd/peer.key', 'peer-trusted-ca-file': PKI + '/etcd/ca.crt',
            'snapshot-count': '10000', 'trusted-ca-file': PKI + '/etcd/ca.crt'}, []),
            cfg, 2381, 'HTTP', [('etcd-certs', PKI + '/etcd', False), ('etcd-data', cfg['etcdDataDir'], False)],
            {'kubeadm.kubernetes.io/etcd.advertise-client-urls': 'https://%s:2379' % adv}),
        'kube-apiserver': static_pod('kube-apiserver', '%s/kube-apiserver:%s' % (repo, v),
                                     ['kube-apiserver'] + args_with_extra(api_args, cfg['apiServerExtraArgs']), cfg,
                                     cfg['bindPort'], 'HTTPS', certs,
                                     {'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint':
                                      '%s:%d' % (adv, cfg['bindPort'])}),
        'kube-controller-manager': static_pod('kube-controller-manager', '%s/kube-controller-manager:%s' % (repo, v),
                                              ['kube-controller-manager'] + args_with_extra(
                                                  cm_args, cfg['controllerManagerExtraArgs']),
                                              cfg, 10257, 'HTTPS', certs + [
                                                  ('kubeconfig', K8S + '/controller-manager.conf', True)]),
        'kube-scheduler': static_pod('kube-scheduler', '%s/kube-scheduler:%s' % (repo, v),
                                     ['kube-scheduler'] + args_with_extra({
                                         'authentication-kubeconfig': K8S + '/scheduler.conf',
                                         'authorization-kubeconfig': K8S + '/scheduler.conf',
                                         'bind-address': '127.0.0.1', 'kubeconfig': K8S + '/scheduler.conf',
                                         'leader-elect': 'true'}, []),
                                     cfg, 10259, 'HTTPS', [('kubeconfig', K8S + '/scheduler.conf', True)]),
    }
    return pods


PATCH_TARGETS = ('etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubeletconfiguration',
                 'corednsdeployment')


def load_patches(directory):
    """kubeadm's --patches directory: files named target[suffix][+patchtype].{json,yaml}."""
    found = {}
    if not directory:
        return found
    real = host_path(directory)
    if not os.path.isdir(real):
        raise Fail('could not list patch files for path "%s": open %s: no such file or directory'
                   % (directory, directory))
    for name in sorted(os.listdir(real)):
        m = re.match(r'^([a-z-]+?)([^+.]*)(\+(strategic|merge|json))?\.(json|yaml|yml)$', name)
        if not m or m.group(1) not in PATCH_TARGETS:
            continue
        text = open(os.path.join(real, name)).read()
        kind = m.group(4) or 'strategic'
        try:
            docs = yamlish.load_all(text)
        except yamlish.YAMLError as e:
            raise Fail('could not parse patch file %s: %s' % (name, e))
        found.setdefault(m.group(1), []).extend((kind, d) for d in docs)
    return found


def apply_patches(target, obj, patches):
    for kind, patch in patches.get(target, []):
        if kind == 'json':
            obj = objects.json_patch(obj, patch)
        elif kind == 'merge':
            obj = objects.merge_patch(obj, patch)
        else:
            obj = objects.strategic_merge(obj, patch)
        mime = {'json': 'application/json-patch+json', 'merge': 'application/merge-patch+json',
                'strategic': 'application/strategic-merge-patch+json'}[kind]
        out('[patches] Applied patch of type "%s" to target "%s"' % (mime, target))
    return obj


def kubelet_configuration(cfg):
    dns_ip = str(__import__('ipaddress').ip_network(cfg['serviceSubnet']).network_address + 10)
    kc = {
        'apiVersion': 'kubelet.config.k8s.io/v1beta1', 'kind': 'KubeletConfiguration',
        'authentication': {'anonymous': {'enabled': False}, 'webhook': {'cacheTTL': '0s', 'enabled': True},
                           'x509': {'clientCAFile': PKI + '/ca.crt'}},
        'authorization': {'mode': 'Webhook', 'webhook': {'cacheAuthorizedTTL': '0s', 'cacheUnauthorizedTTL': '0s'}},
        'cgroupDriver': 'systemd', 'clusterDNS': [dns_ip], 'clusterDomain': cfg['dnsDomain'],
        'containerRuntimeEndpoint': '', 'cpuManagerReconcilePeriod': '0s', 'crashLoopBackOff': {},
        'evictionPressureTransitionPeriod': '0s', 'fileCheckFrequency': '0s', 'healthzBindAddress': '127.0.0.1',
        'healthzPort': 10248, 'httpCheckFrequency': '0s', 'imageMaximumGCAge': '0s', 'imageMinimumGCAge': '0s',
        'logging': {'flushFrequency': 0, 'options': {'json': {'infoBufferSize': '0'}, 'text': {
            'infoBufferSize': '0'}}, 'verbosity': 0},
        'memorySwap': {}, 'nodeStatusReportFrequency': '0s', 'nodeStatusUpdateFrequency': '0s',
        'rotateCertificates': True, 'runtimeRequestTimeout': '0s', 'shutdownGracePeriod': '0s',
        'shutdownGracePeriodCriticalPods': '0s', 'staticPodPath': MANIFESTS, 'streamingConnectionIdleTimeout': '0s',
        'syncFrequency': '0s', 'volumeStatsAggPeriod': '0s'}
    kc.update({k: v for k, v in (cfg.get('kubeletConfiguration') or {}).items() if k not in ('apiVersion', 'kind')})
    return kc


def kubeadm_flags_env(cri_socket, extra, node_name):
    args = [('container-runtime-endpoint', cri_socket)]
    if node_name != hostname():
        args.append(('hostname-override', node_name))
    args += [(k, v) for k, v in extra]
    return 'KUBELET_KUBEADM_ARGS="%s"\n' % ' '.join('--%s=%s' % kv for kv in args)


def start_kubelet():
    out('[kubelet-start] Starting the kubelet')
    rc, _, err = systemctl('restart', 'kubelet')
    if rc != 0:
        sys.stderr.write('%s [kubelet-start] WARNING: unable to start the kubelet service: %s\n' % (TAG, err.strip()))


def kubelet_healthz_port(kc):
    return int(os.environ.get('STANDIN_KUBELET_HEALTHZ_PORT') or kc.get('healthzPort') or 10248)


def wait_kubelet(port, timeout):
    url = 'http://127.0.0.1:%d/healthz' % port
    out('[kubelet-check] Waiting for a healthy kubelet at %s. This can take up to %s' % (url, format_duration(timeout)))
    start = time.time()

    def healthy():
        try:
            import urllib.request
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.status == 200
        except OSError:
            return False
    if not wait_until(healthy, timeout, 0.5):
        out('[kubelet-check] The kubelet is not healthy after %s' % format_duration(time.time() - start))
        out('')
        out('Unfortunately, an error has occurred, likely caused by:')
        out('\t- The kubelet is not running')
        out('\t- The kubelet is unhealthy due to a misconfiguration of the node in some way (required cgroups disabled)')
        out('')
        out('If you are on a systemd-powered system, you can try to troubleshoot the error with the following commands:')
        out("\t- 'systemctl status kubelet'")
        out("\t- 'journalctl -xeu kubelet'")
        out('')
        raise Fail("failed while waiting for the kubelet to start: The HTTP call equal to 'curl -sSL %s' returned "
                   'error: Get "%s": context deadline exceeded' % (url, url))
    out('[kubelet-check] The kubelet is healthy after %s' % format_duration(round(time.time() - start, 6)))


def wait_apiserver(api, cfg):
    timeout = cfg['timeouts']['controlPlaneComponentHealthCheck']
    out('[control-plane-check] Waiting for healthy control plane components. This can take up to %s'
        % format_duration(timeout))
    url = 'https://%s:%d/livez' % (cfg['advertiseAddress'], cfg['bindPort'])
    out('[control-plane-check] Checking kube-apiserver at %s' % url)
    out('[control-plane-check] Checking kube-controller-manager at https://127.0.0.1:10257/healthz')
    out('[control-plane-check] Checking kube-scheduler at https://127.0.0.1:10259/livez')
    start = time.time()

    def healthy():
        try:
            return api.raw('GET', '/livez')[0] == 200
        except ConnectError:
            return False
    if not wait_until(healthy, timeout, 0.5):
        raise Fail('failed while waiting for the control plane to start: kube-apiserver check failed at %s: Get "%s": '
                   'dial tcp %s:%d: connect: connection refused' % (url, url, cfg['advertiseAddress'], cfg['bindPort']),
                   'wait-control-plane')
    took = format_duration(round(time.time() - start, 6))
    for comp in ('kube-controller-manager', 'kube-scheduler', 'kube-apiserver'):
        out('[control-plane-check] %s is healthy after %s' % (comp, took))


def upsert(api, path, obj):
    name = obj['metadata']['name']
    try:
        return api.create(path, obj)
    except ApiError as e:
        if e.code != 409:
            raise
        cur = api.get(path + '/' + name)
        obj['metadata']['resourceVersion'] = cur['metadata']['resourceVersion']
        return api.replace(path + '/' + name, obj)


def cluster_configuration_doc(cfg):
    cc = {'apiVersion': 'kubeadm.k8s.io/v1beta4', 'kind': 'ClusterConfiguration',
          'apiServer': {}, 'caCertificateValidityPeriod': '87600h0m0s', 'certificateValidityPeriod': '8760h0m0s',
          'certificatesDir': PKI, 'clusterName': cfg['clusterName'], 'controllerManager': {}, 'dns': {},
          'encryptionAlgorithm': cfg['encryptionAlgorithm'],
          'etcd': {'local': {'dataDir': cfg['etcdDataDir']}}, 'imageRepository': cfg['imageRepository'],
          'kubernetesVersion': cfg['kubernetesVersion'],
          'networking': {'dnsDomain': cfg['dnsDomain'], 'serviceSubnet': cfg['serviceSubnet']},
          'proxy': {}, 'scheduler': {}}
    if cfg['podSubnet']:
        cc['networking']['podSubnet'] = cfg['podSubnet']
    if cfg['controlPlaneEndpoint']:
        cc['controlPlaneEndpoint'] = cfg['controlPlaneEndpoint']
    if cfg['apiServerExtraArgs']:
        cc['apiServer']['extraArgs'] = [{'name': k, 'value': v} for k, v in cfg['apiServerExtraArgs']]
    if cfg['certSANs']:
        cc['apiServer']['certSANs'] = cfg['certSANs']
    return cc


def addons(api, cfg, skip):
    repo = cfg['imageRepository']
    dns_ip = str(__import__('ipaddress').ip_network(cfg['serviceSubnet']).network_address + 10)
    cp_tol = [{'key': 'CriticalAddonsOnly', 'operator': 'Exists'},
              {'effect': 'NoSchedule', 'key': 'node-role.kubernetes.io/control-plane'}]
    if 'addon' not in skip and 'addon/coredns' not in skip:
        upsert(api, '/api/v1/namespaces/kube-system/configmaps', {
            'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'coredns', 'namespace': 'kube-system'},
            'data': {'Corefile': '.:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    kubernetes '
                                 '%s in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa '
                                 'ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf '
                                 '{\n       max_concurrent 1000\n    }\n    cache 30\n    loop\n    reload\n    '
                                 'loadbalance\n}\n' % cfg['dnsDomain']}})
        upsert(api, '/apis/apps/v1/namespaces/kube-system/deployments', {
            'apiVersion': 'apps/v1', 'kind': 'Deployment',
            'metadata': {'name': 'coredns', 'namespace': 'kube-system', 'labels': {'k8s-app': 'kube-dns'}},
            'spec': {'replicas': 2, 'selector': {'matchLabels': {'k8s-app': 'kube-dns'}},
                     'strategy': {'type': 'RollingUpdate', 'rollingUpdate': {'maxUnavailable': 1}},
                     'template': {'metadata': {'labels': {'k8s-app': 'kube-dns'}}, 'spec': {
                         'containers': [{'name': 'coredns', 'image': '%s/coredns/coredns:v1.12.1' % repo,
                                         'args': ['-conf', '/etc/coredns/Corefile'],
                                         'ports': [{'containerPort': 53, 'name': 'dns', 'protocol': 'UDP'},
                                                   {'containerPort': 53, 'name': 'dns-tcp', 'protocol': 'TCP'},
                                                   {'containerPort': 9153, 'name': 'metrics', 'protocol': 'TCP'}]}],
                         'dnsPolicy': 'Default', 'nodeSelector': {'kubernetes.io/os': 'linux'},
                         'priorityClassName': 'system-cluster-critical', 'serviceAccountName': 'coredns',
                         'tolerations': cp_tol,
                         'volumes': [{'name': 'config-volume', 'configMap': {'name': 'coredns'}}]}}}})
        upsert(api, '/api/v1/namespaces/kube-system/services', {
            'apiVersion': 'v1', 'kind': 'Service',
            'metadata': {'name': 'kube-dns', 'namespace': 'kube-system',
                         'labels': {'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true',
                                    'kubernetes.io/name': 'CoreDNS'}},
            'spec': {'clusterIP': dns_ip, 'selector': {'k8s-app': 'kube-dns'},
                     'ports': [{'name': 'dns', 'port': 53, 'protocol': 'UDP', 'targetPort': 53},
                               {'name': 'dns-tcp', 'port': 53, 'protocol': 'TCP', 'targetPort': 53},
                               {'name': 'metrics', 'port': 9153, 'protocol': 'TCP', 'targetPort': 9153}]}})
        out('[addons] Applied essential addon: CoreDNS')
    if 'addon' not in skip and 'addon/kube-proxy' not in skip:
        upsert(api, '/api/v1/namespaces/kube-system/configmaps', {
            'apiVersion': 'v1', 'kind': 'ConfigMap',
            'metadata': {'name': 'kube-proxy', 'namespace': 'kube-system', 'labels': {'app': 'kube-proxy'}},
            'data': {'config.conf': yamlish.dump(dict({
                'apiVersion': 'kubeproxy.config.k8s.io/v1alpha1', 'kind': 'KubeProxyConfiguration',
                'bindAddress': '0.0.0.0', 'clusterCIDR': cfg['podSubnet'], 'mode': ''},
                **{k: v for k, v in cfg['kubeProxyConfiguration'].items() if k not in ('apiVersion', 'kind')}))}})
        upsert(api, '/apis/apps/v1/namespaces/kube-system/daemonsets', {
            'apiVersion': 'apps/v1', 'kind': 'DaemonSet',
            'metadata': {'name': 'kube-proxy', 'namespace': 'kube-system', 'labels': {'k8s-app': 'kube-proxy'}},
            'spec': {'selector': {'matchLabels': {'k8s-app': 'kube-proxy'}},
                     'template': {'metadata': {'labels': {'k8s-app': 'kube-proxy'}}, 'spec': {
                         'containers': [{'name': 'kube-proxy', 'image': '%s/kube-proxy:%s' % (
                             repo, cfg['kubernetesVersion']), 'command': [
                             '/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf',
                             '--hostname-override=$(NODE_NAME)'], 'securityContext': {'privileged': True}}],
                         'hostNetwork': True, 'nodeSelector': {'kubernetes.io/os': 'linux'},
                         'priorityClassName': 'system-node-critical', 'serviceAccountName': 'kube-proxy',
                         'tolerations': [{'operator': 'Exists'}]}}}})
        out('[addons] Applied essential addon: kube-proxy')


def cmd_init(flags, args):
    check_mix(flags)
    if flags.get('dry-run') == 'true':
        raise Fail('%s --dry-run is not supported by the lab stand-in' % TAG)
    try:
        cfg = init_config(flags, hostname(), None)
    except ConfigError as e:
        raise Fail(str(e))
    if not cfg['advertiseAddress']:
        cfg['advertiseAddress'] = default_route_ip()
    skip = set(cfg['skipPhases'])
    unsupported = skip - {'preflight', 'mark-control-plane', 'addon', 'addon/coredns', 'addon/kube-proxy',
                          'show-join-command', 'upload-certs', 'kubelet-finalize', 'bootstrap-token'}
    if unsupported:
        raise Fail('%s skipping the phase(s) %s is not supported by the lab stand-in' % (TAG, ', '.join(sorted(unsupported))))
    tokens = cfg['tokens']
    for t in tokens:
        if not t.get('token'):
            t['token'] = generate_token()
        validate_token(t['token'])
    out('[init] Using Kubernetes version: %s' % cfg['kubernetesVersion'])
    if 'preflight' not in skip:
        errors = preflight.run_checks([('IsPrivilegedUser', preflight.check_privileged)], cfg['ignore'])
        if errors:
            raise Fail(preflight.fatal_text(errors), 'preflight')
        out('[preflight] Running pre-flight checks')
        errors = preflight.run_checks(preflight.init_checks(cfg), cfg['ignore'])
        if errors:
            raise Fail(preflight.fatal_text(errors), 'preflight')
        out('[preflight] Pulling images required for setting up a Kubernetes cluster')
        out('[preflight] This might take a minute or two, depending on the speed of your internet connection')
        out("[preflight] You can also perform this action beforehand using 'kubeadm config images pull'")
    patches = load_patches(cfg['patches'])
    ca, ca_key = write_certs(cfg)
    write_kubeconfigs(cfg, ca, ca_key)
    out('[etcd] Creating static Pod manifest for local etcd in "%s"' % MANIFESTS)
    os.makedirs(host_path(cfg['etcdDataDir']), mode=0o700, exist_ok=True)
    pods = manifests(cfg)
    out('[control-plane] Using manifest folder "%s"' % MANIFESTS)
    for name in ('etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'):
        if name != 'etcd':
            out('[control-plane] Creating static Pod manifest for "%s"' % name)
        pod = apply_patches(name, pods[name], patches)
        write_file('%s/%s.yaml' % (MANIFESTS, name), yamlish.dump(pod), 0o600)
    kc = apply_patches('kubeletconfiguration', kubelet_configuration(cfg), patches)
    out('[kubelet-start] Writing kubelet environment file with flags to file "%s"' % FLAGS_ENV)
    write_file(FLAGS_ENV, kubeadm_flags_env(cfg['criSocket'], cfg['kubeletExtraArgs'], cfg['nodeName']))
    out('[kubelet-start] Writing kubelet configuration to file "%s"' % KUBELET_CONFIG)
    write_file(KUBELET_CONFIG, yamlish.dump(kc))
    start_kubelet()
    out('[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory '
        '"%s"' % MANIFESTS)
    try:
        wait_kubelet(kubelet_healthz_port(kc), cfg['timeouts']['kubeletHealthCheck'])
    except Fail as e:
        e.phase = 'wait-control-plane'
        raise
    api = Api.from_kubeconfig(load_kubeconfig(K8S + '/super-admin.conf'))
    wait_apiserver(api, cfg)
    out('[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace')
    upsert(api, '/api/v1/namespaces/kube-system/configmaps', {
        'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'kubeadm-config', 'namespace': 'kube-system'},
        'data': {'ClusterConfiguration': yamlish.dump(cluster_configuration_doc(cfg))}})
    out('[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system with the configuration for the '
        'kubelets in the cluster')
    upsert(api, '/api/v1/namespaces/kube-system/configmaps', {
        'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'kubelet-config', 'namespace': 'kube-system'},
        'data': {'kubelet': yamlish.dump(kc)}})
    if 'upload-certs' in skip or flags.get('upload-certs') != 'true':
        out('[upload-certs] Skipping phase. Please see --upload-certs')
    else:
        raise Fail('%s --upload-certs is not supported by the lab stand-in' % TAG, 'upload-certs')
    if 'mark-control-plane' not in skip:
        mark_control_plane(api, cfg)
    out('[bootstrap-token] Using token: %s' % tokens[0]['token'])
    if 'bootstrap-token' not in skip:
        out('[bootstrap-token] Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles')
        for t in tokens:
            create_token(api, t['token'], t.get('ttl'), t.get('usages'), t.get('groups'),
                         t.get('description') or "The default bootstrap token generated by 'kubeadm init'.")
        out('[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to get nodes')
        out('[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to post CSRs in order for nodes to '
            'get long term certificate credentials')
        out('[bootstrap-token] Configured RBAC rules to allow the csrapprover controller automatically approve CSRs '
            'from a Node Bootstrap Token')
        out('[bootstrap-token] Configured RBAC rules to allow certificate rotation for all node client certificates in '
            'the cluster')
        out('[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace')
        kubeconfig = yamlish.dump({'apiVersion': 'v1', 'clusters': [{'cluster': {
            'certificate-authority-data': base64.b64encode(ca).decode(), 'server': server_url(cfg)}, 'name': ''}],
            'contexts': None, 'current-context': '', 'kind': 'Config', 'preferences': {}, 'users': None})
        upsert(api, '/api/v1/namespaces/kube-public/configmaps', {
            'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'cluster-info', 'namespace': 'kube-public'},
            'data': {'kubeconfig': kubeconfig}})
    out('[kubelet-finalize] Updating "%s/kubelet.conf" to point to a rotatable kubelet client certificate and key'
        % K8S)
    addons(api, cfg, skip)
    out('')
    out('Your Kubernetes control-plane has initialized successfully!')
    out('')
    out('To start using your cluster, you need to run the following as a regular user:')
    out('')
    out('  mkdir -p $HOME/.kube')
    out('  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config')
    out('  sudo chown $(id -u):$(id -g) $HOME/.kube/config')
    out('')
    out('Alternatively, if you are the root user, you can run:')
    out('')
    out('  export KUBECONFIG=/etc/kubernetes/admin.conf')
    out('')
    out('You should now deploy a pod network to the cluster.')
    out('Run "kubectl apply -f [podnetwork].yaml" with one of the options listed at:')
    out('  https://kubernetes.io/docs/concepts/cluster-administration/addons/')
    out('')
    if 'show-join-command' not in skip:
        out('Then you can join any number of worker nodes by running the following on each as root:')
        out('')
        token = tokens[0]['token'] if flags.get('skip-token-print') != 'true' else '<value withheld>'
        endpoint = server_url(cfg)[len('https://'):]
        cmd = join_command(endpoint, token, ca).rstrip()
        first, _, rest = cmd.partition(' --discovery-token-ca-cert-hash ')
        out('%s \\\n\t--discovery-token-ca-cert-hash %s ' % (first, rest))
    return 0


def mark_control_plane(api, cfg):
    name = cfg['nodeName']
    labels = ['node-role.kubernetes.io/control-plane', 'node.kubernetes.io/exclude-from-external-load-balancers']
    out('[mark-control-plane] Marking the node %s as control-plane by adding the labels: [%s]' % (name, ' '.join(labels)))
    taints = cfg['taints'] or []
    if taints:
        out('[mark-control-plane] Marking the node %s as control-plane by adding the taints [%s]' % (
            name, ' '.join('%s%s:%s' % (t['key'], '=' + t['value'] if t.get('value') else '', t['effect'])
                           for t in taints)))
    node = wait_until(lambda: api.get_or_none('/api/v1/nodes/' + name), cfg['timeouts']['kubernetesAPICall'] + 60, 0.5)
    if node is None:
        raise Fail('error patching Node "%s": timed out waiting for the condition' % name, 'mark-control-plane')
    cur = node.get('spec', {}).get('taints') or []
    new_taints = cur + [t for t in taints if not any(c.get('key') == t['key'] and c.get('effect') == t['effect']
                                                      for c in cur)]
    api.merge_patch('/api/v1/nodes/' + name, {'metadata': {'labels': {l: '' for l in labels}},
                                               'spec': {'taints': new_taints}})


# ====================================================================== join

def discovery(cfg):
    """Token-based discovery, as kubeadm's discovery/token/token.go: an insecure fetch of cluster-info, its JWS
    signature checked with the token, the CA checked against the pinned hashes, then a verified fetch."""
    tid, tsec = validate_token(cfg['token'])
    endpoint = cfg['endpoint']
    insecure = Api('https://' + endpoint, insecure=True, timeout=10)
    timeout = cfg['timeouts']['discovery']

    def fetch(api):
        last = [None]

        def attempt():
            try:
                cm = api.get('/api/v1/namespaces/kube-public/configmaps/cluster-info')
            except (ApiError, ConnectError) as e:
                last[0] = 'failed to request the cluster-info ConfigMap: %s' % (
                    e if isinstance(e, ApiError) else 'Get "https://%s/api/v1/namespaces/kube-public/configmaps/'
                                                      'cluster-info?timeout=10s": %s' % (endpoint, e.cause))
                return None
            if 'jws-kubeconfig-' + tid not in (cm.get('data') or {}):
                last[0] = 'could not find a JWS signature in the cluster-info ConfigMap for token ID "%s"' % tid
                return None
            return cm
        cm = wait_until(attempt, timeout, 5.0 if timeout > 10 else 1.0)
        if cm is None:
            raise Fail("couldn't validate the identity of the API Server: %s" % last[0], 'preflight')
        return cm
    cm = fetch(insecure)
    kubeconfig = cm['data'].get('kubeconfig')
    if not kubeconfig:
        raise Fail("couldn't validate the identity of the API Server: there is no kubeconfig key in the cluster-info "
                   "ConfigMap. This API Server isn't set up for token bootstrapping, can't connect", 'preflight')
    if not jws.detached_is_valid(cm['data']['jws-kubeconfig-' + tid], kubeconfig, tid, tsec):
        raise Fail("couldn't validate the identity of the API Server: failed to verify JWS signature of received "
                   "cluster info object, can't trust this API Server", 'preflight')
    kc = yamlish.load(kubeconfig)
    cluster = kc['clusters'][0]['cluster']
    ca = base64.b64decode(cluster['certificate-authority-data'])
    if not cfg['unsafeSkipCAVerification'] or cfg['caCertHashes']:
        for h in cfg['caCertHashes']:
            if not re.match(r'^sha256:[0-9a-f]{64}$', h):
                raise Fail('invalid discovery token CA certificate hash: invalid hash "%s", expected a "sha256" hash of '
                           '64 hex characters' % h if h.startswith('sha256:') else
                           'invalid discovery token CA certificate hash: unknown hash type in "%s"' % h, 'preflight')
        pin = pki.public_key_pin(ca)
        if pin not in cfg['caCertHashes']:
            raise Fail("couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is "
                       'invalid: none of the public keys "%s" are pinned' % pin, 'preflight')
        secure = Api('https://' + endpoint, ca=ca, timeout=10)
        cm2 = fetch(secure)
        if cm2['data'].get('kubeconfig') != kubeconfig:
            raise Fail("couldn't validate the identity of the API Server: the second kubeconfig from the cluster-info "
                       'ConfigMap (using validated TLS) was different from the first', 'preflight')
    return cluster['server'], ca


def cmd_join(flags, args):
    check_mix(flags)
    if flags.get('control-plane') == 'true':
        raise Fail('%s joining additional control-plane nodes is not supported by the lab stand-in' % TAG)
    try:
        cfg = join_config(flags, args, hostname())
    except ConfigError as e:
        raise Fail(str(e))
    out('[preflight] Running pre-flight checks')
    if 'preflight' not in cfg['skipPhases']:
        errors = preflight.run_checks([('IsPrivilegedUser', preflight.check_privileged)], cfg['ignore'])
        if not errors:
            errors = preflight.run_checks(preflight.join_checks(cfg), cfg['ignore'])
        if errors:
            raise Fail(preflight.fatal_text(errors), 'preflight')
    server, ca = discovery(cfg)
    out('[preflight] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...')
    out("[preflight] Use 'kubeadm init phase upload-config kubeadm --config your-config-file' to re-upload it.")
    boot = Api(server, ca=ca, token=cfg['tlsBootstrapToken'], timeout=10)
    try:
        kcm = boot.get('/api/v1/namespaces/kube-system/configmaps/kubelet-config')
        node = boot.get_or_none('/api/v1/nodes/' + cfg['nodeName'])
    except ApiError as e:
        raise Fail('unable to fetch the kubeadm-config ConfigMap: %s' % e, 'preflight')
    if node is not None and objects.node_ready(node):
        raise Fail('a Node with name "%s" and status "Ready" already exists in the cluster. You must delete the '
                   'existing Node or change the name of this new joining Node' % cfg['nodeName'], 'kubelet-start')
    write_file(cfg['caCertPath'], ca)
    kc = yamlish.load(kcm['data']['kubelet'])
    patches = load_patches(cfg['patches'])
    kc = apply_patches('kubeletconfiguration', kc, patches)
    out('[kubelet-start] Writing kubelet configuration to file "%s"' % KUBELET_CONFIG)
    write_file(KUBELET_CONFIG, yamlish.dump(kc))
    out('[kubelet-start] Writing kubelet environment file with flags to file "%s"' % FLAGS_ENV)
    extra = list(cfg['kubeletExtraArgs'])
    if cfg['taints']:
        extra.append(('register-with-taints', ','.join('%s%s:%s' % (t['key'], '=' + t['value'] if t.get('value') else '',
                                                                     t['effect']) for t in cfg['taints'])))
    write_file(FLAGS_ENV, kubeadm_flags_env(cfg['criSocket'], extra, cfg['nodeName']))
    boot_kc = build_kubeconfig(server, ca, 'tls-bootstrap-token-user', token=cfg['tlsBootstrapToken'],
                               cluster='kubernetes')
    write_file(K8S + '/bootstrap-kubelet.conf', yamlish.dump(boot_kc), 0o600)
    start_kubelet()
    wait_kubelet(kubelet_healthz_port(kc), cfg['timeouts']['kubeletHealthCheck'])
    out('[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap')
    if not wait_until(lambda: read_text(K8S + '/kubelet.conf') is not None, cfg['timeouts']['tlsBootstrap'], 0.5):
        raise Fail('error waiting for the kubelet to perform the TLS Bootstrap: timed out waiting for the condition',
                   'kubelet-start')
    try:
        os.unlink(host_path(K8S + '/bootstrap-kubelet.conf'))
    except OSError:
        pass
    out('')
    out('This node has joined the cluster:')
    out('* Certificate signing request was sent to apiserver and a response was received.')
    out('* The Kubelet was informed of the new secure connection details.')
    out('')
    out("Run 'kubectl get nodes' on the control-plane to see this node join the cluster.")
    out('')
    return 0


# ====================================================================== reset

def cmd_reset(flags, args):
    if flags.get('force') != 'true':
        if not sys.stdin.isatty():
            sys.stderr.write('[reset] WARNING: Changes made to this host by \'kubeadm init\' or \'kubeadm join\' will be '
                             'reverted.\n[reset] Are you sure you want to proceed? [y/N]: ')
            answer = sys.stdin.readline().strip().lower()
        else:
            answer = input("[reset] WARNING: Changes made to this host by 'kubeadm init' or 'kubeadm join' will be "
                           'reverted.\n[reset] Are you sure you want to proceed? [y/N]: ').strip().lower()
        if answer not in ('y', 'yes'):
            raise Fail('aborted reset operation')
    is_cp = read_text(MANIFESTS + '/kube-apiserver.yaml') is not None
    if is_cp:
        out('[reset] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...')
    out('[preflight] Running pre-flight checks')
    if not is_cp:
        sys.stderr.write('W%s %7d removeetcdmember.go:106] [reset] No kubeadm config, using etcd pod spec to get data '
                         'directory\n' % (time.strftime('%m%d %H:%M:%S.000000'), os.getpid()))
    etcd_dir = '/var/lib/etcd'
    m = re.search(r'--data-dir=(\S+)', read_text(MANIFESTS + '/etcd.yaml', '') or '')
    if m:
        etcd_dir = m.group(1)
    out('[reset] Deleted contents of the etcd data directory: %s' % etcd_dir)
    out('[reset] Stopping the kubelet service')
    systemctl('stop', 'kubelet')
    stop_apiserver()
    clear_service_addresses()
    out('[reset] Unmounting mounted directories in "/var/lib/kubelet"')
    dirs = [MANIFESTS, '/var/lib/kubelet', PKI]
    if os.path.isdir(host_path(etcd_dir)):
        _clear_dir(etcd_dir)
    for d in dirs:
        _clear_dir(d)
    for f in ('/run/standin/kube-apiserver.hash', '/run/standin/service-proxy.json'):
        try:
            os.unlink(host_path(f))
        except OSError:
            pass
    out('[reset] Deleting contents of directories: %s' % ('[' + ' '.join([etcd_dir] + dirs if is_cp else dirs) + ']'))
    files = ['admin.conf', 'super-admin.conf', 'kubelet.conf', 'bootstrap-kubelet.conf', 'controller-manager.conf',
             'scheduler.conf']
    for f in files:
        try:
            os.unlink(host_path('%s/%s' % (K8S, f)))
        except OSError:
            pass
    out('[reset] Deleting files: [%s]' % ' '.join('%s/%s' % (K8S, f) for f in files))
    out('')
    out('The reset process does not perform cleanup of CNI plugin configuration,')
    out('network filtering rules and kubeconfig files.')
    out('')
    out('For information on how to perform this cleanup manually, please see:')
    out('    https://k8s.io/docs/reference/setup-tools/kubeadm/kubeadm-reset/')
    out('')
    return 0


def _clear_dir(d):
    real = host_path(d)
    if not os.path.isdir(real):
        return
    for name in os.listdir(real):
        p = os.path.join(real, name)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p, ignore_errors=True)
        else:
            try:
                os.unlink(p)
            except OSError:
                pass


def clear_service_addresses():
    """Removes Service addresses the stand-in added to lo (also after a crashed API server)."""
    if os.environ.get('STANDIN_SERVICE_LISTEN'):
        return
    try:
        text = subprocess.run(['ip', '-4', '-o', 'addr', 'show', 'dev', 'lo'], capture_output=True, text=True).stdout
    except OSError:
        return
    import ipaddress
    net = ipaddress.ip_network('10.96.0.0/12')
    for m in re.finditer(r'inet (\d+\.\d+\.\d+\.\d+)/32', text):
        if ipaddress.ip_address(m.group(1)) in net:
            subprocess.run(['ip', 'addr', 'del', m.group(1) + '/32', 'dev', 'lo'], capture_output=True)


# ====================================================================== version, config

def cmd_version(flags, args):
    v = version()
    major, minor = v.split('.')[:2]
    info = {'major': major, 'minor': minor, 'emulationMajor': major, 'emulationMinor': minor,
            'minCompatibilityMajor': major, 'minCompatibilityMinor': str(int(minor) - 1), 'gitVersion': 'v' + v,
            'gitCommit': git_commit(v), 'gitTreeState': 'clean', 'buildDate': '2026-01-01T00:00:00Z',
            'goVersion': 'go1.24.9', 'compiler': 'gc', 'platform': 'linux/amd64'}
    fmt = flags.get('output', '')
    if fmt == 'short':
        out('v' + v)
    elif fmt == 'json':
        out(json.dumps({'clientVersion': info}, indent=2))
    elif fmt == 'yaml':
        sys.stdout.write(yamlish.dump({'clientVersion': info}))
    elif fmt:
        raise Fail('invalid output format: %s' % fmt)
    else:
        out('kubeadm version: &version.Info{%s}' % ', '.join('%s%s:"%s"' % (k[0].upper(), k[1:], val)
                                                             for k, val in info.items()))
    return 0


def cmd_config(flags, args):
    sub = ' '.join(args[:2])
    if args[:1] == ['validate']:
        if not flags.get('config'):
            raise Fail('the --config flag is mandatory')
        try:
            docs = __import__('standin.kubeadm_config', fromlist=['x']).load_documents(flags['config'])
            if 'JoinConfiguration' in docs:
                join_config({'config': flags['config']}, [], hostname())
            if 'InitConfiguration' in docs or 'ClusterConfiguration' in docs:
                cfg = init_config({'config': flags['config']}, hostname(), '0.0.0.0')
                for t in cfg['tokens']:
                    if t.get('token'):
                        validate_token(t['token'])
        except ConfigError as e:
            raise Fail(str(e))
        out('ok')
        return 0
    if sub in ('print init-defaults', 'print join-defaults'):
        if sub.endswith('init-defaults'):
            docs = [{'apiVersion': 'kubeadm.k8s.io/v1beta4', 'kind': 'InitConfiguration',
                     'bootstrapTokens': [{'groups': ['system:bootstrappers:kubeadm:default-node-token'],
                                          'token': 'abcdef.0123456789abcdef', 'ttl': '24h0m0s',
                                          'usages': ['signing', 'authentication']}],
                     'localAPIEndpoint': {'advertiseAddress': '1.2.3.4', 'bindPort': 6443},
                     'nodeRegistration': {'criSocket': 'unix:///var/run/containerd/containerd.sock',
                                          'imagePullPolicy': 'IfNotPresent', 'imagePullSerial': True, 'name': 'node',
                                          'taints': None},
                     'timeouts': dict(__import__('standin.kubeadm_config', fromlist=['x']).DEFAULT_TIMEOUTS)},
                    {'apiVersion': 'kubeadm.k8s.io/v1beta4', 'kind': 'ClusterConfiguration',
                     'apiServer': {}, 'certificatesDir': PKI, 'clusterName': 'kubernetes', 'controllerManager': {},
                     'dns': {}, 'encryptionAlgorithm': 'RSA-2048', 'etcd': {'local': {'dataDir': '/var/lib/etcd'}},
                     'imageRepository': 'registry.k8s.io', 'kubernetesVersion': '%s.0' % '.'.join(
                         ('v' + version()).split('.')[:2]), 'networking': {
                         'dnsDomain': 'cluster.local', 'serviceSubnet': '10.96.0.0/12'}, 'proxy': {}, 'scheduler': {}}]
        else:
            docs = [{'apiVersion': 'kubeadm.k8s.io/v1beta4', 'kind': 'JoinConfiguration', 'caCertPath': PKI + '/ca.crt',
                     'discovery': {'bootstrapToken': {'apiServerEndpoint': 'kube-apiserver:6443',
                                                      'token': 'abcdef.0123456789abcdef',
                                                      'unsafeSkipCAVerification': True},
                                   'tlsBootstrapToken': 'abcdef.0123456789abcdef'},
                     'nodeRegistration': {'criSocket': 'unix:///var/run/containerd/containerd.sock',
                                          'imagePullPolicy': 'IfNotPresent', 'name': hostname(), 'taints': None},
                     'timeouts': dict(__import__('standin.kubeadm_config', fromlist=['x']).DEFAULT_TIMEOUTS)}]
        sys.stdout.write(yamlish.dump_all(docs))
        return 0
    if sub in ('images list', 'images pull'):
        v = 'v' + version()
        images = ['registry.k8s.io/kube-apiserver:' + v, 'registry.k8s.io/kube-controller-manager:' + v,
                  'registry.k8s.io/kube-scheduler:' + v, 'registry.k8s.io/kube-proxy:' + v,
                  'registry.k8s.io/coredns/coredns:v1.12.1', 'registry.k8s.io/pause:3.10.1',
                  'registry.k8s.io/etcd:3.6.4-0']
        for i in images:
            out(i if sub == 'images list' else '[config/images] Pulled %s' % i)
        return 0
    raise Fail('unknown command "%s" for "kubeadm config"' % ' '.join(args))


COMMANDS = {'init': cmd_init, 'join': cmd_join, 'reset': cmd_reset, 'token': cmd_token, 'version': cmd_version,
            'config': cmd_config}


def main(argv):
    label('kubeadm')
    try:
        flags, args = parse_flags(argv)
        if not args or flags.get('help') == 'true':
            out('kubeadm (steer lab stand-in): init, join, reset, token, config, version')
            return 0 if flags.get('help') == 'true' else 1
        cmd = COMMANDS.get(args[0])
        if cmd is None:
            raise Fail('unknown command "%s" for "kubeadm"\nRun \'kubeadm --help\' for usage.' % args[0])
        return cmd(flags, args[1:])
    except Fail as e:
        msg = str(e)
        if e.phase:
            msg = 'error execution phase %s: %s' % (e.phase, msg)
        sys.stderr.write(msg + '\nTo see the stack trace of this error execute with --v=5 or higher\n')
        return 1
    except (ApiError, ConnectError) as e:
        sys.stderr.write('%s\nTo see the stack trace of this error execute with --v=5 or higher\n' % e)
        return 1
    except pki.PKIError as e:
        sys.stderr.write('%s %s\n' % (TAG, e))
        return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
