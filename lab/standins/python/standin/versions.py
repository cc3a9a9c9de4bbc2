"""The versions kubeadm pins, per Kubernetes minor (cmd/kubeadm/app/constants/constants.go of the
release each stand-in build stands in for: SupportedEtcdVersion, CoreDNSVersion, PauseVersion)."""
from .common import minor_of

# minor -> (etcd image tag, CoreDNS image tag, pause image tag)
PINNED = {
    (1, 31): ('3.5.24-0', 'v1.11.3', '3.10'),
    (1, 32): ('3.5.24-0', 'v1.11.3', '3.10'),
    (1, 33): ('3.5.24-0', 'v1.12.0', '3.10'),
    (1, 34): ('3.6.5-0', 'v1.12.1', '3.10.1'),
    (1, 35): ('3.6.6-0', 'v1.13.1', '3.10.1'),
}


def _nearest(version):
    m = minor_of(version)
    keys = sorted(PINNED)
    if m in PINNED:
        return PINNED[m]
    return PINNED[keys[0]] if m < keys[0] else PINNED[keys[-1]]


def etcd_image_tag(kubernetes_version):
    """The etcd kubeadm deploys for a Kubernetes version (EtcdSupportedVersion: nearest minor)."""
    return _nearest(kubernetes_version)[0]


def coredns_tag(kubeadm_version):
    """CoreDNS is kubeadm's own constant: the kubeadm binary's version decides it."""
    return _nearest(kubeadm_version)[1]


def pause_tag(kubeadm_version):
    return _nearest(kubeadm_version)[2]
