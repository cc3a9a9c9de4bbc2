"""What `kubeadm upgrade apply` and `kubeadm upgrade node` do on a control-plane node
(cmd/kubeadm/app/phases/upgrade/staticpods.go): new manifests written to a temporary directory,
certificates renewed per component, each manifest moved into place with the old one backed up under
/etc/kubernetes/tmp/kubeadm-backup-manifests-<date>, the etcd data directory copied to
kubeadm-backup-etcd-<date> first, and a wait for the kubelet to restart each component (the old
manifest is put back if it does not come up). Plus the kubelet-config phase both commands share."""
import datetime
import hashlib
import os
import shutil
import tempfile
import time

from . import containers, yamlish
from .client import ApiError, ConnectError
from .common import fault, format_duration, host_path, klog, read_text, write_file
from .etcd_client import EtcdClient, EtcdUnavailable
from .kubeadm_common import KUBELET_CONFIG, MANIFESTS, PKI, TMP, Fail, etcd_client_port, out
from .kubeadm_manifests import apply_patches, manifests
from .kubeadm_pki import reissue, read_cert

COMPONENTS = ('etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler')
RENEW = {'etcd': ['etcd-server', 'etcd-peer', 'etcd-healthcheck-client'],
         'kube-apiserver': ['apiserver', 'apiserver-kubelet-client', 'front-proxy-client', 'apiserver-etcd-client'],
         'kube-controller-manager': ['controller-manager.conf'], 'kube-scheduler': ['scheduler.conf']}
TIMEOUT = 300  # UpgradeManifests: 5m0s


def manifest_hash(text):
    """The hash the stand-in kubelet gives a static Pod (its mirror Pod's kubernetes.io/config.hash)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def stamp():
    return datetime.datetime.now().strftime('%Y-%m-%d-%H-%M-%S')


def temp_dir(prefix):
    os.makedirs(host_path(TMP), mode=0o700, exist_ok=True)
    real = tempfile.mkdtemp(prefix=prefix, dir=host_path(TMP))
    return TMP + '/' + os.path.basename(real)


def upgrade_control_plane(api, cfg, node, patches, renew_certs, etcd_upgrade):
    """Upgrades this node's static Pods to cfg['kubernetesVersion']; raises Fail."""
    version = cfg['kubernetesVersion']
    out('[upgrade/control-plane] Upgrading your static Pod-hosted control plane to version "%s" (timeout: %s)...'
        % (version, format_duration(TIMEOUT)))
    pods = manifests(cfg)
    new_dir = temp_dir('kubeadm-upgraded-manifests')
    out('[upgrade/staticpods] Writing new Static Pod manifests to "%s"' % new_dir)
    texts = {}
    for name in COMPONENTS:
        texts[name] = yamlish.dump(apply_patches(name, pods[name], patches))
        write_file('%s/%s.yaml' % (new_dir, name), texts[name], 0o600)
    backup = '%s/kubeadm-backup-manifests-%s' % (TMP, stamp())
    os.makedirs(host_path(backup), mode=0o700, exist_ok=True)
    for name in COMPONENTS:
        if name == 'etcd' and not etcd_upgrade:
            continue
        if name == 'etcd':
            backup_etcd(cfg)
        upgrade_component(api, name, texts[name], backup, node, renew_certs, cfg)
        if name == 'etcd':
            out('[upgrade/etcd] Waiting for etcd to become available')
    if renew_certs:
        for kubeconfig in ('admin.conf', 'super-admin.conf'):
            if read_cert(kubeconfig) is not None:
                reissue(kubeconfig)
    shutil.rmtree(host_path(new_dir), ignore_errors=True)
    out('[upgrade/control-plane] The control plane instance for this node was successfully upgraded!')


def backup_etcd(cfg):
    data = cfg['etcdDataDir']
    target = '%s/kubeadm-backup-etcd-%s/etcd' % (TMP, stamp())
    if os.path.isdir(host_path(data)):
        shutil.copytree(host_path(data), host_path(target))


def upgrade_component(api, name, text, backup, node, renew_certs, cfg):
    current_path = '%s/%s.yaml' % (MANIFESTS, name)
    current = read_text(current_path)
    out('[upgrade/staticpods] Preparing for "%s" upgrade' % name)
    if renew_certs:
        for cert in RENEW[name]:
            if read_cert(cert) is not None:
                out('[upgrade/staticpods] Renewing %s certificate' % cert)
                reissue(cert)
    if current == text and not renew_certs:
        out('[upgrade/staticpods] Current and new manifests of %s are equal, skipping upgrade' % name)
        return
    write_file('%s/%s.yaml' % (backup, name), current or '', 0o600)
    if current == text:
        out('[upgrade/staticpods] Restarting the %s static pod and backing up its manifest to "%s/%s.yaml"'
            % (name, backup, name))
        if name in containers.MODULES:
            containers.stop(name)
    else:
        out('[upgrade/staticpods] Moving new manifest to "%s" and backing up old manifest to "%s/%s.yaml"'
            % (current_path, backup, name))
        write_file(current_path, text, 0o600)
    out('[upgrade/staticpods] Waiting for the kubelet to restart the component')
    out('[upgrade/staticpods] This can take up to %s' % format_duration(TIMEOUT))
    problem = fault('kubeadm-upgrade-apply') if name == 'kube-apiserver' else None
    if problem is None:
        problem = wait_component(api, name, manifest_hash(text), node, cfg)
    if problem:
        write_file(current_path, current or '', 0o600)
        raise Fail("couldn't upgrade control plane. kubeadm has tried to recover everything into the earlier state. "
                   'Errors faced: static Pod hash for component %s on Node %s did not change after %s: %s'
                   % (name, node, format_duration(TIMEOUT), problem), 'control-plane')
    out('[apiclient] Found 1 Pods for label selector component=%s' % name)
    out('[upgrade/staticpods] Component "%s" upgraded successfully!' % name)


def wait_component(api, name, want_hash, node, cfg):
    """None once the kubelet runs the new manifest (its mirror Pod carries the new hash and, for
    etcd and the API server, the process answers); else why not, after the timeout."""
    deadline = time.time() + TIMEOUT
    last = 'timed out waiting for the condition'
    while time.time() < deadline:
        try:
            if name == 'etcd' and not etcd_healthy():
                raise EtcdUnavailable('', 'etcd is not healthy yet')
            pod = api.get_or_none('/api/v1/namespaces/kube-system/pods/%s-%s' % (name, node))
            have = ((pod or {}).get('metadata', {}).get('annotations') or {}).get('kubernetes.io/config.hash')
            if have == want_hash and (name not in containers.MODULES or containers.pid_of(name)):
                return None
        except (ApiError, ConnectError, EtcdUnavailable) as e:
            last = str(e)
        time.sleep(1)
    return last


def etcd_healthy():
    try:
        return EtcdClient('https://127.0.0.1:%d' % etcd_client_port(), PKI + '/etcd/ca.crt',
                          PKI + '/etcd/healthcheck-client.crt', PKI + '/etcd/healthcheck-client.key').health()
    except (EtcdUnavailable, OSError):
        return False


def write_kubelet_config(kubelet_cm_text, patches):
    """The kubelet-config phase of upgrade: the cluster's KubeletConfiguration to config.yaml, the old one backed up."""
    from .kubeadm_manifests import apply_patches as patch
    tmp = temp_dir('kubeadm-kubelet-config')
    klog('W', 'postupgrade.go:117', 'Using temporary directory %s for kubelet config. To override it set the '
         'environment variable KUBEADM_UPGRADE_DRYRUN_DIR' % tmp)
    old = read_text(KUBELET_CONFIG)
    if old is not None:
        out('[upgrade] Backing up kubelet config file to %s/config.yaml' % tmp)
        write_file(tmp + '/config.yaml', old, 0o644)
    kc = patch('kubeletconfiguration', yamlish.load(kubelet_cm_text) or {}, patches)
    out('[kubelet-start] Writing kubelet configuration to file "%s"' % KUBELET_CONFIG)
    write_file(KUBELET_CONFIG, yamlish.dump(kc))
    out('[upgrade/kubelet-config] The kubelet configuration for this node was successfully upgraded!')
