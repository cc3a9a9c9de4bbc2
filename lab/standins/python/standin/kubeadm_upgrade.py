"""kubeadm upgrade plan|apply|node, shaped like kubeadm 1.32-1.34 (cmd/kubeadm/app/cmd/upgrade,
phases/upgrade: compute.go, policy.go, health.go): the versions read from the cluster's own
components, the skew policy with its fatal and --force-able errors, the health checks, the offline
version lookup (the lab has no internet, so "stable" falls back to the kubeadm binary's version,
as kubeadm does when dl.k8s.io cannot be reached), and the UpgradePlan object of -o json|yaml."""
import base64
import os
import re
import sys

from . import pki, versions, yamlish
from .client import Api, ApiError, ConfigError as KubeconfigError, load_kubeconfig
from .common import TAG, fault, host_path, hostname, image_tag, klog, read_text, version
from .kubeadm_common import K8S, MANIFESTS, Fail, admin_api, out, output_format, print_object, upsert
from .kubeadm_config import ConfigError, init_config
from .kubeadm_manifests import addons, load_patches
from .kubeadm_staticpods import upgrade_control_plane, write_kubelet_config

OUTPUT_API = 'output.kubeadm.k8s.io/v1alpha3'
KUBELET_SKEW = 3  # MaximumAllowedMinorVersionKubeletSkew


def semver(v):
    m = re.match(r'^v?(\d+)\.(\d+)\.(\d+)', v or '')
    if not m:
        raise Fail('the version argument is invalid: "%s" is not a valid semantic version' % v)
    return tuple(int(x) for x in m.groups())


def vstr(t):
    return '%d.%d.%d' % t


class Printer:
    """kubeadm's output printer: text lines go to stdout only in text mode (-o json|yaml prints the object)."""

    def __init__(self, fmt):
        self.text = fmt in ('', 'text')

    def __call__(self, line=''):
        if self.text:
            out(line)


# ------------------------------------------------------------------ reading the cluster

def component_versions(api, component):
    """version -> [node names] from the images of the component's mirror Pods (ComponentVersions)."""
    pods = api.get('/api/v1/namespaces/kube-system/pods', {'labelSelector': 'component=' + component})['items']
    found = {}
    for p in pods:
        tag = image_tag(((p['spec'].get('containers') or [{}])[0]).get('image', ''))
        if tag:
            found.setdefault(tag, []).append(p['spec'].get('nodeName', ''))
    return found


def kubelet_versions(api):
    found = {}
    for n in api.get('/api/v1/nodes')['items']:
        v = ((n.get('status') or {}).get('nodeInfo') or {}).get('kubeletVersion')
        if v:
            found.setdefault(v, []).append(n['metadata']['name'])
    return found


def cluster_configuration(api, log, prefix='[upgrade]'):
    log('%s Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...' % prefix)
    log("%s Use 'kubeadm init phase upload-config --config your-config-file' to re-upload it." % prefix)
    try:
        cm = api.get('/api/v1/namespaces/kube-system/configmaps/kubeadm-config')
    except ApiError as e:
        raise Fail('unable to fetch the kubeadm-config ConfigMap: %s' % e)
    return yamlish.load(cm['data']['ClusterConfiguration']) or {}


def this_node():
    """The node name of this host, from the kubelet's client certificate (as kubeadm's GetNodeRegistration)."""
    try:
        kc = load_kubeconfig(K8S + '/kubelet.conf')
        user = kc['users'][0]['user']
        pem = base64.b64decode(user['client-certificate-data']) if user.get('client-certificate-data') else \
            open(host_path(user['client-certificate']), 'rb').read()
        cn = pki.cert_info(pem)['cn']
        if cn.startswith('system:node:'):
            return cn[len('system:node:'):]
    except (OSError, KeyError, IndexError, KubeconfigError, pki.PKIError):
        pass
    return hostname()


def local_endpoint():
    """(advertise address, bind port) of this control plane, from its kube-apiserver manifest."""
    pod = yamlish.load(read_text(MANIFESTS + '/kube-apiserver.yaml', '') or '') or {}
    ep = ((pod.get('metadata') or {}).get('annotations') or {}).get(
        'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint', '')
    host, _, port = ep.rpartition(':')
    return host or None, int(port or 6443)


def target_cfg(cc, node, target):
    """init_config's shape for this control plane at the target version, from the cluster's ClusterConfiguration."""
    adv, port = local_endpoint()
    cc = dict(cc, kubernetesVersion=target)
    docs = {'ClusterConfiguration': cc, 'InitConfiguration': {
        'localAPIEndpoint': {'advertiseAddress': adv, 'bindPort': port}, 'nodeRegistration': {'name': node}}}
    try:
        return init_config({}, node, adv, docs=docs)
    except ConfigError as e:
        raise Fail(str(e))


# ------------------------------------------------------------------ health and policy

def health_checks(api, ignore, log):
    """CheckClusterHealth: the control-plane nodes Ready, this node's static Pod manifests present."""
    log('[upgrade] Running cluster health checks')
    errors = []
    ignore = {i.lower() for i in ignore}
    nodes = api.get('/api/v1/nodes')['items']
    cps = [n for n in nodes if 'node-role.kubernetes.io/control-plane' in (n['metadata'].get('labels') or {})]
    not_ready = [n['metadata']['name'] for n in cps if not any(
        c.get('type') == 'Ready' and c.get('status') == 'True' for c in (n.get('status') or {}).get('conditions') or [])]
    if not_ready:
        errors.append(('ControlPlaneNodesReady', 'there are NotReady control-planes in the cluster: [%s]'
                       % ' '.join(not_ready)))
    missing = ['%s/%s.yaml' % (MANIFESTS, c) for c in ('kube-apiserver', 'kube-controller-manager', 'kube-scheduler',
                                                       'etcd') if read_text('%s/%s.yaml' % (MANIFESTS, c)) is None]
    if missing:
        errors.append(('StaticPodManifest', "The control plane seems to be Static Pod-hosted, but some of the manifests "
                       "don't seem to exist on disk. This probably means you're running 'kubeadm upgrade' on a remote "
                       "machine, which is not supported for a Static Pod-hosted cluster. Manifest files not found: "
                       "[%s]" % ' '.join(missing)))
    fatal = []
    for name, msg in errors:
        if 'all' in ignore or name.lower() in ignore:
            sys.stderr.write('\t[WARNING %s]: %s\n' % (name, msg))
        else:
            fatal.append('\t[ERROR %s]: %s\n' % (name, msg))
    if fatal:
        raise Fail('[upgrade/health] FATAL: [preflight] Some fatal errors occurred:\n%s[preflight] If you know what you '
                   'are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`' % ''.join(fatal),
                   'preflight')


def policy_errors(target, cluster, kubeadm_v, kubelets):
    """EnforceVersionPolicies: (mandatory, skippable) error texts."""
    t, c, k = semver(target), semver(cluster), semver(kubeadm_v)
    mandatory, skippable = [], []
    minimum = (k[0], k[1] - 1, 0)
    if t[:2] < minimum[:2]:
        mandatory.append('Specified version to upgrade to "%s" is equal to or lower than the minimum supported version '
                         '"%s". Please specify a higher version to upgrade to' % (target, cluster))
    if t[1] > c[1] + 1:
        mandatory.append('Specified version to upgrade to "%s" is too high; kubeadm can upgrade only 1 minor version at '
                         'a time' % target)
    if t[1] < c[1] - 1:
        mandatory.append('Specified version to downgrade to "%s" is too low; kubeadm can downgrade only 1 minor version '
                         'at a time' % target)
    if k < t:
        if t[1] > k[1]:
            mandatory.append('Specified version to upgrade to "%s" is at least one minor release higher than the '
                             'kubeadm minor release (%d > %d). Such an upgrade is not supported' % (target, t[1], k[1]))
        else:
            skippable.append('Specified version to upgrade to "%s" is higher than the kubeadm version "%s". Upgrade '
                             'kubeadm first using the tool you used to install kubeadm' % (target, kubeadm_v))
    if k[1] > t[1]:
        skippable.append('Kubeadm version %s can only be used to upgrade to Kubernetes version %d.%d'
                         % (kubeadm_v, k[0], k[1]))
    old = sorted(v for v in kubelets if t[1] > semver(v)[1] + KUBELET_SKEW)
    if old:
        skippable.append('There are kubelets in this cluster that are too old that have these versions [%s]'
                         % ' '.join(old))
    return mandatory, skippable


def enforce_policy(target, cluster, kubelets, force, log):
    log('[upgrade/preflight] You have chosen to upgrade the cluster version to "%s"' % target)
    log('[upgrade/versions] Cluster version: %s' % cluster)
    log('[upgrade/versions] kubeadm version: v%s' % version())
    mandatory, skippable = policy_errors(target, cluster, 'v' + version(), kubelets)
    fmt = lambda errs: ''.join('\t- %s\n' % e for e in errs)  # noqa: E731 (kubeadmutil.FormatErrMsg)
    if mandatory:
        raise Fail('the version argument is invalid due to these fatal errors:\n\n%s\nPlease fix the misalignments '
                   'highlighted above and try upgrading again' % fmt(mandatory), 'preflight')
    if skippable and not force:
        raise Fail('the version argument is invalid due to these errors:\n\n%s\nCan be bypassed if you pass the --force '
                   'flag' % fmt(skippable), 'preflight')
    if skippable:
        log('[upgrade/version] Found %d potential version compatibility errors but skipping since the --force flag is '
            'set: \n\n%s' % (len(skippable), fmt(skippable)))


# ------------------------------------------------------------------ plan

def offline_lookup(label, pinned):
    """VersionFromCILabel without internet: the [version] argument when given, else kubeadm's own
    version after the real warnings (kubeadm's air-gapped fallback)."""
    if pinned:
        return pinned
    url = 'https://dl.k8s.io/release/%s.txt' % label
    klog('W', 'version.go:109', 'could not fetch a Kubernetes version from the internet: unable to get URL "%s": Get '
         '"%s": dial tcp: lookup dl.k8s.io on 127.0.0.53:53: server misbehaving (steer lab: no internet)' % (url, url))
    klog('W', 'version.go:110', 'falling back to the local client version: v%s' % version())
    return 'v' + version()


def available_upgrades(api, pinned, log):
    """GetAvailableUpgrades (compute.go): a list of (description, components)."""
    log('[upgrade] Fetching available versions to upgrade to')
    apiservers = component_versions(api, 'kube-apiserver')
    cluster = max((semver(v) for v in apiservers), default=semver(api.get('/version')['gitVersion']))
    log('[upgrade/versions] Cluster version: %s' % vstr(cluster))
    log('[upgrade/versions] kubeadm version: v%s' % version())
    stable = offline_lookup('stable', pinned)
    log('[upgrade/versions] Target version: %s' % stable)
    st = semver(stable)
    upgrades = []
    minor_possible = cluster < st
    if st >= cluster:
        series = '%d.%d' % cluster[:2]
        patch = offline_lookup('stable-' + series, pinned)
        log('[upgrade/versions] Latest version in the v%s series: %s' % (series, patch))
        minor_possible = semver(patch) < st
        if cluster < semver(patch):
            upgrades.append(('version in the v%s series' % series, patch))
    if minor_possible:
        upgrades.append(('stable version', stable))
    log()
    state = {'kubelet': kubelet_versions(api), 'kube-apiserver': apiservers,
             'kube-controller-manager': component_versions(api, 'kube-controller-manager'),
             'kube-scheduler': component_versions(api, 'kube-scheduler'), 'etcd': component_versions(api, 'etcd'),
             'cluster': 'v' + vstr(cluster), 'dns': dns_version(api)}
    return [(desc, plan_components(state, target)) for desc, target in upgrades]


def dns_version(api):
    d = api.get_or_none('/apis/apps/v1/namespaces/kube-system/deployments/coredns')
    return image_tag(((d or {}).get('spec', {}).get('template', {}).get('spec', {}).get('containers') or [{}])[0]
                     .get('image', '')) if d else ''


def plan_components(state, target):
    comps = []
    kubelets = state['kubelet']
    if len(kubelets) > 1 or (kubelets and target not in kubelets):
        for v in sorted(kubelets):
            comps += [comp('kubelet', v, target, n) for n in kubelets[v]]
    for name in ('kube-apiserver', 'kube-controller-manager', 'kube-scheduler'):
        for v in sorted(state[name]):
            comps += [comp(name, v, target, n) for n in state[name][v]]
    comps.append(comp('kube-proxy', state['cluster'].lstrip('v'), target))
    comps.append(comp('CoreDNS', state['dns'], versions.coredns_tag(version())))
    comps.append(comp('kubeadm', 'v' + version(), target))
    for v in sorted(state['etcd']):
        comps += [comp('etcd', v, versions.etcd_image_tag(target), n) for n in state['etcd'][v]]
    return comps


def comp(name, current, new, node=''):
    c = {'name': name, 'currentVersion': current, 'newVersion': new}
    if node:
        c['nodeName'] = node
    return c


def print_plan(plan):
    from .kubeadm_certs import tabwriter
    for au in plan['availableUpgrades']:
        comps = au['components']
        target = next(c['newVersion'] for c in comps if c['name'] == 'kube-apiserver')
        kubeadm = next(c for c in comps if c['name'] == 'kubeadm')
        out("Components that must be upgraded manually after you have upgraded the control plane with 'kubeadm "
            "upgrade apply':")
        out(tabwriter([['COMPONENT', 'NODE', 'CURRENT', 'TARGET']] + [
            [c['name'], c.get('nodeName', ''), c['currentVersion'], c['newVersion']] for c in comps
            if c['name'] == 'kubelet']))
        out('')
        out('Upgrade to the latest %s:' % au['description'])
        out('')
        out(tabwriter([['COMPONENT', 'NODE', 'CURRENT', 'TARGET']] + [
            [c['name'], c.get('nodeName', ''), c['currentVersion'], c['newVersion']] for c in comps
            if c['name'] not in ('kubelet', 'kubeadm')]))
        out('')
        out('You can now apply the upgrade by executing the following command:')
        out('')
        out('\tkubeadm upgrade apply %s' % target)
        out('')
        if kubeadm['currentVersion'] != kubeadm['newVersion']:
            out('Note: Before you can perform this upgrade, you have to update kubeadm to %s.' % kubeadm['newVersion'])
            out('')
        out('_____________________________________________________________________')
        out('')
    out('')
    out('The table below shows the current state of component configs as understood by this version of kubeadm.')
    out('Configs that have a "yes" mark in the "MANUAL UPGRADE REQUIRED" column require manual config upgrade or')
    out('resetting to kubeadm defaults before a successful upgrade can be performed. The version to manually')
    out('upgrade to is denoted in the "PREFERRED VERSION" column.')
    out('')
    out(tabwriter([['API GROUP', 'CURRENT VERSION', 'PREFERRED VERSION', 'MANUAL UPGRADE REQUIRED']] + [
        [c['group'], c['currentVersion'], c['preferredVersion'], 'yes' if c['manualUpgradeRequired'] else 'no']
        for c in plan['configVersions']]))
    out('_____________________________________________________________________')
    out('')


CONFIG_VERSIONS = [{'group': 'kubeproxy.config.k8s.io', 'currentVersion': 'v1alpha1', 'preferredVersion': 'v1alpha1',
                    'manualUpgradeRequired': False},
                   {'group': 'kubelet.config.k8s.io', 'currentVersion': 'v1beta1', 'preferredVersion': 'v1beta1',
                    'manualUpgradeRequired': False}]


def cmd_plan(flags, args):
    fmt = output_format(flags)
    log = Printer(fmt)
    api = admin_api(flags)
    log('[preflight] Running pre-flight checks.')
    cluster_configuration(api, log, '[upgrade/config]')
    health_checks(api, flags.get('ignore-preflight-errors', []), log)
    pinned = 'v' + args[0].lstrip('v') if args else None
    upgrades = available_upgrades(api, pinned, log)
    if not upgrades:
        return 0
    plan = {'kind': 'UpgradePlan', 'apiVersion': OUTPUT_API,
            'availableUpgrades': [{'description': d, 'components': c} for d, c in upgrades],
            'configVersions': CONFIG_VERSIONS}
    print_object(plan, fmt, print_plan)
    return 0


# ------------------------------------------------------------------ apply and node

def confirm(flags):
    if flags.get('yes') == 'true' or flags.get('force') == 'true':
        return
    sys.stdout.write('[upgrade] Are you sure you want to proceed? [y/N]: ')
    sys.stdout.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ('y', 'yes'):
        raise Fail("won't proceed; the user didn't answer (Y|y) in order to continue", 'preflight')


def pull_images():
    out('[upgrade/preflight] Pulling images required for setting up a Kubernetes cluster')
    out('[upgrade/preflight] This might take a minute or two, depending on the speed of your internet connection')
    out("[upgrade/preflight] You can also perform this action beforehand using 'kubeadm config images pull'")


def flag_true(flags, name, default=True):
    v = flags.get(name)
    return default if v is None else v == 'true'


def post_upgrade(api, cfg, cc, patches):
    """upload-config, kubelet-config, bootstrap-token rules, add-ons: what apply does after the control plane."""
    out('[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace')
    upsert(api, '/api/v1/namespaces/kube-system/configmaps', {
        'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'kubeadm-config', 'namespace': 'kube-system'},
        'data': {'ClusterConfiguration': yamlish.dump(dict(cc, kubernetesVersion=cfg['kubernetesVersion']))}})
    kcm = api.get('/api/v1/namespaces/kube-system/configmaps/kubelet-config')
    out('[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system with the configuration for the '
        'kubelets in the cluster')
    out('[upgrade/kubeconfig] The kubeconfig files for this node were successfully upgraded!')
    write_kubelet_config(kcm['data']['kubelet'], patches)
    out('[upgrade/bootstrap-token] Configuring bootstrap token and cluster-info RBAC rules')
    for line in ('to get nodes', 'to post CSRs in order for nodes to get long term certificate credentials'):
        out('[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens %s' % line)
    out('[bootstrap-token] Configured RBAC rules to allow the csrapprover controller automatically approve CSRs from a '
        'Node Bootstrap Token')
    out('[bootstrap-token] Configured RBAC rules to allow certificate rotation for all node client certificates in the '
        'cluster')
    apply_addons(api, cfg)


def apply_addons(api, cfg):
    """Re-applies CoreDNS and kube-proxy for the new version, keeping the cluster's kube-proxy configuration."""
    cm = api.get_or_none('/api/v1/namespaces/kube-system/configmaps/kube-proxy')
    if cm:
        cfg['kubeProxyConfiguration'] = yamlish.load((cm.get('data') or {}).get('config.conf') or '') or {}
    addons(api, cfg, set())


def cmd_apply(flags, args):
    if not args:
        raise Fail('missing one or more required arguments. Required arguments: [version]')
    target = 'v' + args[0].lstrip('v')
    semver(target)
    if flags.get('dry-run') == 'true':
        raise Fail('%s kubeadm upgrade apply --dry-run is not supported by the lab stand-in' % TAG)
    api = admin_api(flags)
    cc = cluster_configuration(api, out)
    out('[upgrade/preflight] Running preflight checks')
    health_checks(api, flags.get('ignore-preflight-errors', []), out)
    cluster = max((semver(v) for v in component_versions(api, 'kube-apiserver')),
                  default=semver(api.get('/version')['gitVersion']))
    enforce_policy(target, 'v' + vstr(cluster), kubelet_versions(api), flags.get('force') == 'true', out)
    confirm(flags)
    pull_images()
    node = this_node()
    cfg = target_cfg(cc, node, target)
    patches = load_patches(flags.get('patches'))
    upgrade_control_plane(api, cfg, node, patches, flag_true(flags, 'certificate-renewal'),
                          flag_true(flags, 'etcd-upgrade'))
    post_upgrade(api, cfg, cc, patches)
    out('')
    out('[upgrade] SUCCESS! A control plane node of your cluster was upgraded to "%s".' % target)
    out('')
    out('[upgrade] Now please proceed with upgrading the rest of the nodes by following the right order.')
    return 0


def node_api(flags):
    """admin.conf on a control plane, else the kubelet's kubeconfig (a worker has no admin.conf)."""
    if flags.get('kubeconfig') or os.path.exists(host_path(K8S + '/admin.conf')):
        return admin_api(flags)
    try:
        return Api.from_kubeconfig(load_kubeconfig(K8S + '/kubelet.conf'))
    except (OSError, KubeconfigError) as e:
        raise Fail('failed to load kubeconfig: open %s/kubelet.conf: %s' % (K8S, getattr(e, 'strerror', e)))


def cmd_node(flags, args):
    api = node_api(flags)
    cc = cluster_configuration(api, out)
    out('[upgrade/preflight] Running pre-flight checks')
    control_plane = read_text(MANIFESTS + '/kube-apiserver.yaml') is not None
    patches = load_patches(flags.get('patches'))
    if control_plane:
        pull_images()
        node = this_node()
        cfg = target_cfg(cc, node, cc.get('kubernetesVersion') or 'v' + version())
        upgrade_control_plane(api, cfg, node, patches, flag_true(flags, 'certificate-renewal'),
                              flag_true(flags, 'etcd-upgrade'))
        out('[upgrade/kubeconfig] The kubeconfig files for this node were successfully upgraded!')
    else:
        out('[upgrade/preflight] Skipping prepull. Not a control plane node.')
        out('[upgrade/control-plane] Skipping phase. Not a control plane node.')
        out('[upgrade/kubeconfig] Skipping phase. Not a control plane node.')
    problem = fault('kubeadm-upgrade-node')
    if problem:
        raise Fail('failed to write the kubelet configuration: %s' % problem, 'kubelet-config')
    kcm = api.get('/api/v1/namespaces/kube-system/configmaps/kubelet-config')
    write_kubelet_config(kcm['data']['kubelet'], patches)
    if control_plane:
        apply_addons(api, cfg)
    else:
        out('[upgrade/addon] Skipping the addon/coredns phase. Not a control plane node.')
        out('[upgrade/addon] Skipping the addon/kube-proxy phase. Not a control plane node.')
    return 0


def cmd_upgrade(flags, args):
    sub = args[0] if args else ''
    if sub == 'plan':
        return cmd_plan(flags, args[1:])
    if sub == 'apply':
        return cmd_apply(flags, args[1:])
    if sub == 'node':
        return cmd_node(flags, args[1:])
    if sub == 'diff':
        raise Fail('%s "kubeadm upgrade diff" is not supported by the lab stand-in' % TAG)
    raise Fail('missing subcommand; "upgrade" is not meant to be run on its own\nTo see the stack trace of this error '
               "execute with --v=5 or higher" if not sub else 'unknown command "%s" for "kubeadm upgrade"' % sub)
