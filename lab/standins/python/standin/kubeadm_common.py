"""What the stand-in kubeadm's commands share: paths, the error type, output, flags, the API
client from admin.conf, and the kubelet and API server waits."""
import json
import os
import sys
import time

from . import yamlish
from .client import Api, ApiError, ConnectError, ConfigError as KubeconfigError, load_kubeconfig
from .common import TAG, format_duration, systemctl, wait_until

K8S = '/etc/kubernetes'


def etcd_client_port():
    """2379; the local test harness moves it (STANDIN_ETCD_CLIENT_PORT) so that clusters can share a machine."""
    return int(os.environ.get('STANDIN_ETCD_CLIENT_PORT') or 2379)


PKI = '/etc/kubernetes/pki'
MANIFESTS = '/etc/kubernetes/manifests'
KUBELET_CONFIG = '/var/lib/kubelet/config.yaml'
FLAGS_ENV = '/var/lib/kubelet/kubeadm-flags.env'
TMP = '/etc/kubernetes/tmp'


class Fail(Exception):
    """An error kubeadm prints as `error execution phase X: …` or plain, then exits 1."""

    def __init__(self, message, phase=None):
        self.phase = phase
        super().__init__(message)


def out(line=''):
    sys.stdout.write(line + '\n')
    sys.stdout.flush()


VALUE_FLAGS = {'config', 'token', 'token-ttl', 'kubernetes-version', 'pod-network-cidr', 'service-cidr', 'skip-phases',
               'apiserver-advertise-address', 'apiserver-bind-port', 'control-plane-endpoint', 'cri-socket',
               'node-name', 'patches', 'certificate-key', 'image-repository', 'service-dns-domain',
               'apiserver-cert-extra-sans', 'kubeconfig', 'ttl', 'description', 'usages', 'groups', 'output',
               'discovery-token', 'tls-bootstrap-token', 'discovery-file', 'cert-dir', 'feature-gates', 'v',
               'rootfs', 'ignore-preflight-errors', 'discovery-token-ca-cert-hash'}
LIST_FLAGS = {'ignore-preflight-errors', 'discovery-token-ca-cert-hash'}
ALIASES = {'o': 'output', 'f': 'force', 'v': 'v', 'y': 'yes'}


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


def output_format(flags):
    """-o text|json|yaml of kubeadm's structured commands, refused as the real printer flags do."""
    fmt = flags.get('output', '') or 'text'
    if fmt not in ('text', 'json', 'yaml'):
        raise Fail('could not construct output printer: unable to match a printer suitable for the output format '
                   '"%s", allowed formats are: json,text,yaml' % fmt)
    return fmt


def print_object(obj, fmt, text_printer):
    """kubeadm's printers: JSON indented by 4, YAML with sorted keys, or the command's text form."""
    if fmt == 'json':
        out(json.dumps(obj, indent=4))
    elif fmt == 'yaml':
        sys.stdout.write(yamlish.dump(obj, sort_keys=True))
    else:
        text_printer(obj)


def admin_api(flags):
    path = flags.get('kubeconfig') or K8S + '/admin.conf'
    try:
        return Api.from_kubeconfig(load_kubeconfig(path))
    except OSError:
        raise Fail('failed to load admin kubeconfig: open %s: no such file or directory' % path)
    except KubeconfigError as e:
        raise Fail(str(e))


def upsert(api, path, obj):
    """CreateOrUpdate, retried on conflicts as kubeadm's apiclient does (a controller may update the
    object between the read and the write: the bootstrap signer does with cluster-info)."""
    name = obj['metadata']['name']
    try:
        return api.create(path, obj)
    except ApiError as e:
        if e.code != 409 or e.reason != 'AlreadyExists':
            raise
    for attempt in range(10):
        cur = api.get(path + '/' + name)
        obj['metadata']['resourceVersion'] = cur['metadata']['resourceVersion']
        try:
            return api.replace(path + '/' + name, obj)
        except ApiError as e:
            if e.code != 409 or attempt == 9:
                raise
            time.sleep(0.2)


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
