"""kubeadm's configuration: flags or a --config file (v1beta4, v1beta3 with a warning), defaulted."""
import copy
import re

from . import yamlish
from .common import dns1123_subdomain_error, klog, minor_of, parse_duration, read_text, version

KUBEADM_GROUP = 'kubeadm.k8s.io'
KNOWN_FIELDS = {
    'InitConfiguration': {'apiVersion', 'kind', 'bootstrapTokens', 'dryRun', 'nodeRegistration', 'localAPIEndpoint',
                          'certificateKey', 'skipPhases', 'patches', 'timeouts'},
    'ClusterConfiguration': {'apiVersion', 'kind', 'etcd', 'networking', 'kubernetesVersion', 'controlPlaneEndpoint',
                             'apiServer', 'controllerManager', 'scheduler', 'dns', 'proxy', 'certificatesDir',
                             'imageRepository', 'featureGates', 'clusterName', 'encryptionAlgorithm',
                             'certificateValidityPeriod', 'caCertificateValidityPeriod'},
    'JoinConfiguration': {'apiVersion', 'kind', 'dryRun', 'nodeRegistration', 'caCertPath', 'discovery',
                          'controlPlane', 'skipPhases', 'patches', 'timeouts'},
    'ResetConfiguration': {'apiVersion', 'kind', 'cleanupTmpDir', 'certificatesDir', 'criSocket', 'dryRun', 'force',
                           'ignorePreflightErrors', 'skipPhases', 'unmountFlags'},
}
DEFAULT_TIMEOUTS = {'controlPlaneComponentHealthCheck': '4m0s', 'kubeletHealthCheck': '4m0s',
                    'kubernetesAPICall': '1m0s', 'etcdAPICall': '2m0s', 'tlsBootstrap': '5m0s', 'discovery': '5m0s',
                    'upgradeManifests': '5m0s'}
CRI_SOCKET = 'unix:///var/run/containerd/containerd.sock'


class ConfigError(Exception):
    pass


def load_documents(path):
    text = read_text(path)
    if text is None:
        raise ConfigError('unable to read config from "%s" : open %s: no such file or directory' % (path, path))
    try:
        docs = yamlish.load_all(text)
    except yamlish.YAMLError as e:
        raise ConfigError('error converting YAML to JSON: yaml: %s' % e)
    out = {}
    for d in docs:
        if not isinstance(d, dict):
            raise ConfigError("couldn't get version/kind; json parse error: not an object")
        api, kind = d.get('apiVersion', ''), d.get('kind', '')
        if not api or not kind:
            raise ConfigError("Object 'Kind' is missing in '%s'" % yamlish.dump(d).strip().replace('\n', ' '))
        group, _, ver = api.rpartition('/')
        if group == KUBEADM_GROUP:
            if ver in ('v1beta1', 'v1beta2'):
                raise ConfigError('your configuration file uses an old API spec: "%s" (kind: "%s"). Please use kubeadm '
                                  'v1.22 instead and run \'kubeadm config migrate --old-config old.yaml --new-config '
                                  'new.yaml\', which will write the new, similar spec using a newer API version.'
                                  % (api, kind))
            if ver not in ('v1beta3', 'v1beta4') or kind not in KNOWN_FIELDS:
                raise ConfigError('no kind "%s" is registered for version "%s" in scheme '
                                  '"k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31"' % (kind, api))
            if ver == 'v1beta3':
                klog('W', 'common.go:101', 'your configuration file uses a deprecated API spec: "%s" (kind: "%s"). '
                     'Please use \'kubeadm config migrate --old-config old-config-file --new-config new-config-file\', '
                     'which will write the new, similar spec using a newer non-deprecated API version.' % (api, kind))
            for f in d:
                if f not in KNOWN_FIELDS[kind]:
                    klog('W', 'strict.go:54', 'error unmarshaling configuration schema.GroupVersionKind{Group:"%s", '
                         'Version:"%s", Kind:"%s"}: strict decoding error: unknown field "%s"' % (group, ver, kind, f))
            if kind in out:
                raise ConfigError('found multiple %s' % kind)
            out[kind] = d
        elif api == 'kubelet.config.k8s.io/v1beta1' and kind == 'KubeletConfiguration':
            out[kind] = d
        elif api == 'kubeproxy.config.k8s.io/v1alpha1' and kind == 'KubeProxyConfiguration':
            out[kind] = d
        else:
            klog('W', 'utils.go:69', '[config] WARNING: Ignored configuration document with GroupVersionKind %s, '
                 'Kind=%s' % (api, kind))
    return out


def extra_args(v):
    """v1beta4 lists of {name, value}, or v1beta3 maps, to an ordered list of (name, value)."""
    if isinstance(v, dict):
        return sorted((k, str(val)) for k, val in v.items())
    return [(a.get('name'), str(a.get('value', ''))) for a in v or []]


def normalize_version(v):
    """'v1.34.2' / '1.34.2' / 'stable' / 'stable-1.34' to a concrete version, as offline kubeadm does."""
    if not v or not re.match(r'^v?\d+\.\d+\.\d+', v):
        label = v or 'stable-1'
        klog('W', 'version.go:109', 'could not fetch a Kubernetes version from the internet: unable to get URL '
             '"https://dl.k8s.io/release/%s.txt": Get "https://dl.k8s.io/release/%s.txt": dial tcp: lookup dl.k8s.io '
             'on 127.0.0.53:53: server misbehaving (steer lab: no internet)' % (label, label))
        klog('W', 'version.go:110', 'falling back to the local client version: v%s' % version())
        return 'v' + version()
    return 'v' + v.lstrip('v')


def check_version_supported(v):
    own = minor_of(version())
    want = minor_of(v)
    minimum = '%d.%d.0' % (own[0], own[1] - 1)
    if want < (own[0], own[1] - 1):
        raise ConfigError('this version of kubeadm only supports deploying clusters with the control plane version >= '
                          '%s. Current version: %s' % (minimum, v))


def timeouts(doc):
    t = dict(DEFAULT_TIMEOUTS)
    t.update({k: v for k, v in ((doc or {}).get('timeouts') or {}).items() if v is not None})
    return {k: parse_duration(v) for k, v in t.items()}


def node_name_of(flag, nr, default):
    """The node name as kubeadm settles it: trimmed and lowercased (GetHostname, applied even to an
    explicit --node-name or nodeRegistration.name), then validated as a DNS-1123 subdomain."""
    name = (flag or nr.get('name') or default or '').strip().lower()
    if not name:
        raise ConfigError('nodeRegistration: Required value: --node-name or .nodeRegistration.name in the config file '
                          "is a required value. It seems like this value couldn't be automatically detected in your "
                          'environment, please specify the desired value using the CLI or config file.')
    why = dns1123_subdomain_error(name)
    if why:
        raise ConfigError('nodeRegistration.name: Invalid value: "%s": %s' % (name, why))
    return name


def init_config(flags, node_name, default_ip, docs=None):
    """Everything `kubeadm init` needs, from flags or --config (never both, as the real kubeadm);
    `docs` instead of --config when upgrade rebuilds the configuration from the cluster's."""
    if docs is None:
        docs = load_documents(flags['config']) if flags.get('config') else {}
    ic = copy.deepcopy(docs.get('InitConfiguration') or {})
    cc = copy.deepcopy(docs.get('ClusterConfiguration') or {})
    kc = copy.deepcopy(docs.get('KubeletConfiguration') or {})
    if flags.get('config') and not ic and not cc:
        raise ConfigError('no InitConfiguration or ClusterConfiguration kind was found in the YAML file')
    nr = ic.get('nodeRegistration') or {}
    lep = ic.get('localAPIEndpoint') or {}
    net = cc.get('networking') or {}
    tokens = ic.get('bootstrapTokens')
    if tokens is None:
        tokens = [{}]
    if flags.get('token'):
        tokens = [{'token': flags['token']}]
    if flags.get('token-ttl'):
        for t in tokens:
            t['ttl'] = flags['token-ttl']
    for t in tokens:
        t.setdefault('ttl', '24h0m0s')
        t.setdefault('usages', ['signing', 'authentication'])
        t.setdefault('groups', ['system:bootstrappers:kubeadm:default-node-token'])
    skip = list(ic.get('skipPhases') or [])
    if flags.get('skip-phases'):
        skip += [p for p in flags['skip-phases'].split(',') if p]
    ignore = list(nr.get('ignorePreflightErrors') or []) + flags.get('ignore-preflight-errors', [])
    patches = flags.get('patches') or (ic.get('patches') or {}).get('directory')
    kversion = normalize_version(flags.get('kubernetes-version') or cc.get('kubernetesVersion'))
    check_version_supported(kversion)
    taints = nr.get('taints')
    if taints is None:
        taints = [{'key': 'node-role.kubernetes.io/control-plane', 'effect': 'NoSchedule'}]
    cfg = {
        'kubernetesVersion': kversion,
        'advertiseAddress': flags.get('apiserver-advertise-address') or lep.get('advertiseAddress') or default_ip,
        'bindPort': int(flags.get('apiserver-bind-port') or lep.get('bindPort') or 6443),
        'controlPlaneEndpoint': flags.get('control-plane-endpoint') or cc.get('controlPlaneEndpoint') or '',
        'podSubnet': flags.get('pod-network-cidr') or net.get('podSubnet') or '',
        'serviceSubnet': flags.get('service-cidr') or net.get('serviceSubnet') or '10.96.0.0/12',
        'dnsDomain': flags.get('service-dns-domain') or net.get('dnsDomain') or 'cluster.local',
        'nodeName': node_name_of(flags.get('node-name'), nr, node_name),
        'criSocket': flags.get('cri-socket') or nr.get('criSocket') or CRI_SOCKET,
        'taints': taints,
        'kubeletExtraArgs': extra_args(nr.get('kubeletExtraArgs')),
        'ignore': ignore,
        'skipPhases': skip,
        'patches': patches,
        'tokens': tokens,
        'timeouts': timeouts(ic),
        'imageRepository': flags.get('image-repository') or cc.get('imageRepository') or 'registry.k8s.io',
        'clusterName': cc.get('clusterName') or 'kubernetes',
        'certSANs': [s for s in (flags.get('apiserver-cert-extra-sans') or '').split(',') if s] + list(
            (cc.get('apiServer') or {}).get('certSANs') or []),
        'apiServerExtraArgs': extra_args((cc.get('apiServer') or {}).get('extraArgs')),
        'controllerManagerExtraArgs': extra_args((cc.get('controllerManager') or {}).get('extraArgs')),
        'etcdDataDir': ((cc.get('etcd') or {}).get('local') or {}).get('dataDir') or '/var/lib/etcd',
        'etcdExtraArgs': extra_args(((cc.get('etcd') or {}).get('local') or {}).get('extraArgs')),
        'encryptionAlgorithm': cc.get('encryptionAlgorithm') or 'RSA-2048',
        # leaf keys: ECDSA unless configured, because openssl RSA key generation makes init slow in CI
        'leafAlgorithm': cc.get('encryptionAlgorithm') or 'ECDSA-P256',
        'kubeletConfiguration': kc,
        'kubeProxyConfiguration': docs.get('KubeProxyConfiguration') or {},
        'clusterConfiguration': cc,
    }
    return cfg


def join_config(flags, args, node_name):
    docs = load_documents(flags['config']) if flags.get('config') else {}
    jc = copy.deepcopy(docs.get('JoinConfiguration') or {})
    if flags.get('config') and not jc:
        raise ConfigError('no JoinConfiguration kind was found in the YAML file')
    nr = jc.get('nodeRegistration') or {}
    disc = jc.get('discovery') or {}
    bt = disc.get('bootstrapToken') or {}
    endpoint = args[0] if args else bt.get('apiServerEndpoint')
    token = flags.get('discovery-token') or flags.get('token') or bt.get('token')
    tls_token = flags.get('tls-bootstrap-token') or flags.get('token') or disc.get('tlsBootstrapToken') or token
    hashes = flags.get('discovery-token-ca-cert-hash', []) or list(bt.get('caCertHashes') or [])
    unsafe = flags.get('discovery-token-unsafe-skip-ca-verification') == 'true' or bool(
        bt.get('unsafeSkipCAVerification'))
    if not endpoint:
        raise ConfigError('discovery.bootstrapToken.apiServerEndpoint: Invalid value: "": must be specified')
    if not token:
        raise ConfigError('discovery: Invalid value: "": bootstrapToken or file must be set')
    if not hashes and not unsafe:
        raise ConfigError('discovery.bootstrapToken: Invalid value: "": using token-based discovery without '
                          'caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config '
                          'file or pass --discovery-token-unsafe-skip-ca-verification flag to continue')
    ignore = list(nr.get('ignorePreflightErrors') or []) + flags.get('ignore-preflight-errors', [])
    return {
        'endpoint': endpoint,
        'token': token,
        'tlsBootstrapToken': tls_token,
        'caCertHashes': hashes,
        'unsafeSkipCAVerification': unsafe,
        'nodeName': node_name_of(flags.get('node-name'), nr, node_name),
        'criSocket': flags.get('cri-socket') or nr.get('criSocket') or CRI_SOCKET,
        'taints': nr.get('taints'),
        'kubeletExtraArgs': extra_args(nr.get('kubeletExtraArgs')),
        'ignore': ignore,
        'skipPhases': list(jc.get('skipPhases') or []) + [p for p in (flags.get('skip-phases') or '').split(',') if p],
        'patches': flags.get('patches') or (jc.get('patches') or {}).get('directory'),
        'caCertPath': jc.get('caCertPath') or '/etc/kubernetes/pki/ca.crt',
        'timeouts': timeouts(jc),
    }
