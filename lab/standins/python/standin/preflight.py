"""kubeadm's preflight checks, with the real check names and message texts
(cmd/kubeadm/app/preflight/checks.go and k8s.io/system-validators), read from the host's files.

Versions matter: kubeadm >= 1.30 no longer checks net.bridge.bridge-nf-call-iptables (PR #123464),
and since 1.28 swap is a warning, the kubelet being the one that refuses to run with swap on."""
import os
import re
import shutil
import socket
import subprocess
import sys

from .common import host_path, minor_of, read_text, systemctl, version

RUNTIME_SOCKET = 'unix:///var/run/containerd/containerd.sock'


def swap_on():
    text = read_text('/proc/swaps')
    if text is None:
        return False
    return len([l for l in text.splitlines() if l.strip()]) > 1


def cgroup_controllers():
    """(is_cgroup_v2, set of enabled controllers), as the kubelet and kubeadm's validator see them."""
    v2 = read_text('/sys/fs/cgroup/cgroup.controllers')
    if v2 is not None:
        return True, set(v2.split()) | {'devices', 'freezer'}
    out = set()
    for line in (read_text('/proc/cgroups', '') or '').splitlines():
        if line.startswith('#'):
            continue
        parts = line.split()
        if len(parts) >= 4 and parts[3] != '0':
            out.add(parts[0])
    return False, out


def socket_path(endpoint):
    return endpoint[len('unix://'):] if endpoint.startswith('unix://') else endpoint


def runtime_error(endpoint):
    """None if the container runtime's socket answers, else the gRPC-style error text."""
    path = socket_path(endpoint)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect(host_path(path))
        return None
    except FileNotFoundError:
        why = 'no such file or directory'
    except ConnectionRefusedError:
        why = 'connection refused'
    except PermissionError:
        why = 'permission denied'
    except OSError as e:
        why = e.strerror or str(e)
    finally:
        s.close()
    return ('rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: '
            'dial unix %s: connect: %s"' % (path, why))


# ------------------------------------------------------------------ individual checks
# Each returns (warnings, errors): lists of strings.

def check_privileged():
    return [], ([] if os.geteuid() == 0 else ['user is not running as root'])


def check_num_cpu(required=2):
    n = os.cpu_count() or 1
    return [], ([] if n >= required else ['the number of available CPUs %d is less than the required %d'
                                          % (n, required)])


def check_mem(required_mb=1700):
    kb = 0
    for line in (read_text('/proc/meminfo', '') or '').splitlines():
        if line.startswith('MemTotal:'):
            kb = int(line.split()[1])
    mb = kb // 1024
    if kb and mb < required_mb:
        return [], ['the system RAM (%d MB) is less than the minimum %d MB' % (mb, required_mb)]
    return [], []


def check_port(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(('', port))
        return [], []
    except OSError:
        return [], ['Port %d is in use' % port]
    finally:
        s.close()


def check_file_available(path):
    return [], (['%s already exists' % path] if os.path.exists(host_path(path)) else [])


def check_dir_available(path):
    real = host_path(path)
    if not os.path.exists(real):
        return [], []
    try:
        if os.listdir(real):
            return [], ['%s is not empty' % path]
    except OSError as e:
        return [], ['unable to check if %s is empty: %s' % (path, e)]
    return [], []


def check_file_content(path, content):
    text = read_text(path)
    if text is None:
        return [], ['%s does not exist' % path]
    if text[:len(content)] != content:
        return [], ['%s contents are not set to %s' % (path, content)]
    return [], []


def check_cri(endpoint):
    err = runtime_error(endpoint)
    return [], (['container runtime is not running: ' + err] if err else [])


def check_swap():
    if swap_on():
        return ['swap is supported for cgroup v2 only. The kubelet must be properly configured to use swap. '
                'Please refer to https://kubernetes.io/docs/concepts/architecture/nodes/#swap-memory, or disable '
                'swap on the node'], []
    return [], []


def check_system_verification(report):
    """The cgroups part of system-validators; `report` collects the validator's output lines."""
    warns, errs = [], []
    report.append('KERNEL_VERSION: %s' % os.uname().release)
    report.append('OS: Linux')
    v2, have = cgroup_controllers()
    if v2:
        required, optional = ['cpu', 'cpuset', 'devices', 'freezer', 'memory', 'pids'], ['hugetlb']
    else:
        warns.append('cgroups v1 support is in maintenance mode, please migrate to cgroups v2')
        required, optional = ['cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids'], ['hugetlb',
                                                                                                    'blkio']
    missing = []
    for c in required:
        report.append('CGROUPS_%s: %s' % (c.upper(), 'enabled' if c in have else 'missing'))
        if c not in have:
            missing.append(c)
    missing_opt = []
    for c in optional:
        report.append('CGROUPS_%s: %s' % (c.upper(), 'enabled' if c in have else 'missing'))
        if c not in have:
            missing_opt.append(c)
    if missing:
        errs.append('missing required cgroups: %s' % ' '.join(missing))
    if missing_opt:
        warns.append('missing optional cgroups: %s' % ' '.join(missing_opt))
    return warns, errs


def check_hostname(name):
    try:
        socket.gethostbyname(name)
        return [], []
    except OSError:
        return ['hostname "%s" could not be reached' % name,
                'hostname "%s": lookup %s: no such host' % (name, name)], []


def kubelet_version():
    exe = shutil.which('kubelet')
    if not exe:
        raise RuntimeError('cannot execute \'kubelet --version\': exec: "kubelet": executable file not found in $PATH')
    out = subprocess.run([exe, '--version'], capture_output=True, text=True).stdout
    m = re.search(r'v(\d+\.\d+\.\d+)', out)
    if not m:
        raise RuntimeError('couldn\'t parse kubelet version from %r' % out.strip())
    return m.group(1)


def check_kubelet_version(k8s_version):
    try:
        kv = kubelet_version()
    except RuntimeError as e:
        return [], ["couldn't get kubelet version: %s" % e]
    kmaj, kmin = minor_of(kv)
    own = minor_of(version())
    if (kmaj, kmin) < (own[0], own[1] - 3):
        return [], ['Kubelet version "v%s" is lower than kubeadm can support. Please upgrade kubelet' % kv]
    if k8s_version:
        cmaj, cmin = minor_of(k8s_version)
        if kmaj > cmaj or kmin > cmin:
            return [], ['the kubelet version is higher than the control plane version. This is not a supported '
                        'version skew and may lead to a malfunctional cluster. Kubelet version: "v%s" Control plane '
                        'version: "%s"' % (kv, k8s_version)]
    return [], []


def check_kubernetes_version(k8s_version):
    own = minor_of(version())
    want = minor_of(k8s_version)
    if want > own:
        return ['Kubernetes version is greater than kubeadm version. Please consider to upgrade kubeadm. Kubernetes '
                'version: %s. Kubeadm version: %d.%d.x' % (k8s_version.lstrip('v'), own[0], own[1])], []
    return [], []


def check_kubelet_service():
    rc, out, err = systemctl('is-enabled', 'kubelet.service')
    if rc == 127:
        return ['no supported init system detected, skipping checking for services'], []
    if out.strip() != 'enabled':
        return ["kubelet service is not enabled, please run 'systemctl enable kubelet.service'"], []
    return [], []


# ------------------------------------------------------------------ the runner

def label_for(path, prefix):
    return '%s-%s' % (prefix, path.replace('/', '-'))


def common_checks(node_name, k8s_version, cri_socket):
    return [
        ('CRI', lambda: check_cri(cri_socket)),
        ('Swap', check_swap),
        ('SystemVerification', None),
        ('Hostname', lambda: check_hostname(node_name)),
        ('KubeletVersion', lambda: check_kubelet_version(k8s_version)),
        ('Service-Kubelet', check_kubelet_service),
        ('Port-10250', lambda: check_port(10250)),
    ]


def ipv4_checks(k8s_version):
    checks = []
    if minor_of(version()) < (1, 30):
        # dropped from kubeadm 1.30 (kubernetes PR #123464); kept for the versions that had it
        p = '/proc/sys/net/bridge/bridge-nf-call-iptables'
        checks.append((label_for(p, 'FileContent'), lambda p=p: check_file_content(p, '1')))
    p = '/proc/sys/net/ipv4/ip_forward'
    checks.append((label_for(p, 'FileContent'), lambda p=p: check_file_content(p, '1')))
    return checks


def init_checks(cfg):
    manifests = '/etc/kubernetes/manifests'
    checks = [
        ('NumCPU', check_num_cpu),
        ('Mem', check_mem),
        ('KubernetesVersion', lambda: check_kubernetes_version(cfg['kubernetesVersion'])),
        ('Port-%d' % cfg['bindPort'], lambda: check_port(cfg['bindPort'])),
        ('Port-10259', lambda: check_port(10259)),
        ('Port-10257', lambda: check_port(10257)),
    ]
    for comp in ('kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'):
        p = '%s/%s.yaml' % (manifests, comp)
        checks.append((label_for(p, 'FileAvailable'), lambda p=p: check_file_available(p)))
    checks += common_checks(cfg['nodeName'], cfg['kubernetesVersion'], cfg['criSocket'])
    checks += ipv4_checks(cfg['kubernetesVersion'])
    etcd_port = int(os.environ.get('STANDIN_ETCD_CLIENT_PORT') or 2379)
    checks += [('Port-%d' % etcd_port, lambda: check_port(etcd_port)), ('Port-2380', lambda: check_port(2380)),
               (label_for(cfg['etcdDataDir'], 'DirAvailable'), lambda: check_dir_available(cfg['etcdDataDir']))]
    return checks


def join_checks(cfg):
    checks = [
        (label_for('/etc/kubernetes/kubelet.conf', 'FileAvailable'),
         lambda: check_file_available('/etc/kubernetes/kubelet.conf')),
        (label_for('/etc/kubernetes/bootstrap-kubelet.conf', 'FileAvailable'),
         lambda: check_file_available('/etc/kubernetes/bootstrap-kubelet.conf')),
    ]
    checks += common_checks(cfg['nodeName'], '', cfg['criSocket'])
    checks.append((label_for(cfg['caCertPath'], 'FileAvailable'), lambda: check_file_available(cfg['caCertPath'])))
    checks += ipv4_checks('')
    return checks


def run_checks(checks, ignore):
    """Runs checks, prints warnings to stderr; returns the '[ERROR …]' lines (empty when all passed)."""
    ignore = {i.lower() for i in ignore}
    errors = []
    report = []
    for name, fn in checks:
        if name == 'SystemVerification':
            warns, errs = check_system_verification(report)
            if errs:
                print('[preflight] The system verification failed. Printing the output from the verification:')
                for line in report:
                    print(line)
                sys.stdout.flush()
        else:
            warns, errs = fn()
        if 'all' in ignore or name.lower() in ignore:
            warns, errs = warns + errs, []
        for w in warns:
            sys.stderr.write('\t[WARNING %s]: %s\n' % (name, w))
        for e in errs:
            errors.append('\t[ERROR %s]: %s\n' % (name, e))
    sys.stderr.flush()
    return errors


def fatal_text(errors):
    return ('[preflight] Some fatal errors occurred:\n%s[preflight] If you know what you are doing, you can make a '
            'check non-fatal with `--ignore-preflight-errors=...`' % ''.join(errors))
