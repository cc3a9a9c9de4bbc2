"""kubeadm join: token discovery as the real one does it, the kubelet's TLS bootstrap, preflight."""
import base64
import os
import re

from . import jws, objects, pki, preflight, yamlish
from .client import Api, ApiError, ConnectError, build_kubeconfig
from .common import TAG, host_path, hostname, read_text, wait_until, write_file
from .kubeadm_common import FLAGS_ENV, K8S, KUBELET_CONFIG, Fail, check_mix, kubelet_healthz_port, out, start_kubelet, wait_kubelet
from .kubeadm_config import ConfigError, join_config
from .kubeadm_manifests import apply_patches, kubeadm_flags_env, load_patches
from .kubeadm_token import validate_token

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
