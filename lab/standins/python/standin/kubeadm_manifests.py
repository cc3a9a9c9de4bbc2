"""What kubeadm generates for a control plane, shared by init and upgrade: the static Pod
manifests (from the ClusterConfiguration, with --patches applied), the kubelet configuration, the
ClusterConfiguration document it uploads, and the CoreDNS and kube-proxy add-ons."""
import ipaddress
import os
import re

from . import objects, versions, yamlish
from .common import host_path, hostname, version
from .kubeadm_common import K8S, MANIFESTS, PKI, Fail, etcd_client_port, out, upsert


def server_url(cfg):
    if cfg['controlPlaneEndpoint']:
        ep = cfg['controlPlaneEndpoint']
        return 'https://' + (ep if ':' in ep else '%s:%d' % (ep, cfg['bindPort']))
    return 'https://%s:%d' % (cfg['advertiseAddress'], cfg['bindPort'])


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
    """The four static Pods for cfg (init_config's shape) at cfg['kubernetesVersion']."""
    repo = cfg['imageRepository']
    v = cfg['kubernetesVersion']
    adv = cfg['advertiseAddress']
    ep = etcd_client_port()
    api_args = {
        'advertise-address': adv, 'allow-privileged': 'true', 'authorization-mode': 'Node,RBAC',
        'client-ca-file': PKI + '/ca.crt', 'enable-admission-plugins': 'NodeRestriction',
        'enable-bootstrap-token-auth': 'true', 'etcd-cafile': PKI + '/etcd/ca.crt',
        'etcd-certfile': PKI + '/apiserver-etcd-client.crt', 'etcd-keyfile': PKI + '/apiserver-etcd-client.key',
        'etcd-servers': 'https://127.0.0.1:%d' % ep,
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
        'etcd': static_pod('etcd', '%s/etcd:%s' % (repo, versions.etcd_image_tag(v)), ['etcd'] + args_with_extra({
            'advertise-client-urls': 'https://%s:%d' % (adv, ep), 'cert-file': PKI + '/etcd/server.crt',
            'client-cert-auth': 'true', 'data-dir': cfg['etcdDataDir'],
            'initial-advertise-peer-urls': 'https://%s:2380' % adv,
            'initial-cluster': '%s=https://%s:2380' % (cfg['nodeName'], adv), 'key-file': PKI + '/etcd/server.key',
            'listen-client-urls': 'https://127.0.0.1:%d,https://%s:%d' % (ep, adv, ep),
            'listen-peer-urls': 'https://%s:2380' % adv, 'name': cfg['nodeName'],
            'peer-cert-file': PKI + '/etcd/peer.crt', 'peer-client-cert-auth': 'true',
            'peer-key-file': PKI + '/etcd/peer.key', 'peer-trusted-ca-file': PKI + '/etcd/ca.crt',
            'snapshot-count': '10000', 'trusted-ca-file': PKI + '/etcd/ca.crt'}, cfg.get('etcdExtraArgs') or []),
            cfg, 2381, 'HTTP', [('etcd-certs', PKI + '/etcd', False), ('etcd-data', cfg['etcdDataDir'], False)],
            {'kubeadm.kubernetes.io/etcd.advertise-client-urls': 'https://%s:%d' % (adv, ep)}),
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


# target, then an optional suffix (for ordering), then the patch type: kube-apiserver+strategic.yaml,
# etcd0+json.json, kubeletconfiguration.yaml (patches.go's naming); the longest target wins
PATCH_FILE = re.compile(r'^(%s)([^+.]*)(\+(strategic|merge|json))?\.(json|yaml|yml)$'
                        % '|'.join(sorted(PATCH_TARGETS, key=len, reverse=True)))


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
        m = PATCH_FILE.match(name)
        if not m:
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
    dns_ip = str(ipaddress.ip_network(cfg['serviceSubnet']).network_address + 10)
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
    dns_ip = str(ipaddress.ip_network(cfg['serviceSubnet']).network_address + 10)
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
                         'containers': [{'name': 'coredns', 'image': '%s/coredns/coredns:%s' % (repo, versions.coredns_tag(version())),
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
