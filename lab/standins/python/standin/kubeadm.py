"""The stand-in kubeadm: init, reset, version, config here; join, token, upgrade and certs in their
own modules — shaped like the real one's output, with its preflight checks and error texts,
writing the same files."""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time

from . import containers, pki, preflight, versions, yamlish
from .client import Api, ApiError, ConnectError, load_kubeconfig
from .common import (TAG, default_route_ip, git_commit, host_path, hostname, label, read_text, systemctl, version,
                     wait_until, write_file)
from .kubeadm_certs import cmd_certs
from .kubeadm_pki import write_certs, write_kubeconfigs
from .kubeadm_common import (FLAGS_ENV, K8S, KUBELET_CONFIG, MANIFESTS, PKI, TMP, Fail, check_mix, kubelet_healthz_port,
                             out, parse_flags, start_kubelet, upsert, wait_apiserver, wait_kubelet)
from .kubeadm_config import DEFAULT_TIMEOUTS, ConfigError, init_config, join_config, load_documents
from .kubeadm_join import cmd_join
from .kubeadm_manifests import (addons, apply_patches, cluster_configuration_doc, kubeadm_flags_env,
                                kubelet_configuration, load_patches, manifests, server_url)
from .kubeadm_token import cmd_token, create_token, generate_token, join_command, validate_token
from .kubeadm_upgrade import cmd_upgrade


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
    write_kubeconfigs(cfg, ca, ca_key, server_url(cfg))
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
    containers.stop_all()
    clear_service_addresses()
    out('[reset] Unmounting mounted directories in "/var/lib/kubelet"')
    dirs = [MANIFESTS, '/var/lib/kubelet', PKI] + ([TMP] if flags.get('cleanup-tmp-dir') == 'true' else [])
    if os.path.isdir(host_path(etcd_dir)):
        _clear_dir(etcd_dir)
    for d in dirs:
        _clear_dir(d)
    for f in ['/run/standin/%s.hash' % n for n in containers.MODULES] + ['/run/standin/service-proxy.json']:
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
            docs = load_documents(flags['config'])
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
                     'timeouts': dict(DEFAULT_TIMEOUTS)},
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
                     'timeouts': dict(DEFAULT_TIMEOUTS)}]
        sys.stdout.write(yamlish.dump_all(docs))
        return 0
    if sub in ('images list', 'images pull'):
        v = 'v' + (flags.get('kubernetes-version') or version()).lstrip('v')
        images = ['registry.k8s.io/kube-apiserver:' + v, 'registry.k8s.io/kube-controller-manager:' + v,
                  'registry.k8s.io/kube-scheduler:' + v, 'registry.k8s.io/kube-proxy:' + v,
                  'registry.k8s.io/coredns/coredns:' + versions.coredns_tag(version()),
                  'registry.k8s.io/pause:' + versions.pause_tag(version()),
                  'registry.k8s.io/etcd:' + versions.etcd_image_tag(v)]
        for i in images:
            out(i if sub == 'images list' else '[config/images] Pulled %s' % i)
        return 0
    raise Fail('unknown command "%s" for "kubeadm config"' % ' '.join(args))


COMMANDS = {'init': cmd_init, 'join': cmd_join, 'reset': cmd_reset, 'token': cmd_token, 'version': cmd_version,
            'config': cmd_config, 'upgrade': cmd_upgrade, 'certs': cmd_certs}


def main(argv):
    label('kubeadm')
    try:
        flags, args = parse_flags(argv)
        if not args or flags.get('help') == 'true':
            out('kubeadm (steer lab stand-in): init, join, reset, token, config, version, upgrade, certs')
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
