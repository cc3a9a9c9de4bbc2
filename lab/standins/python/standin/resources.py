"""The resource kinds the stand-in API knows, with the names kubectl accepts for them."""


class Resource:
    def __init__(self, kind, plural, group, version, namespaced, short=(), status=False):
        self.kind = kind
        self.plural = plural
        self.singular = kind.lower()
        self.group = group
        self.version = version
        self.namespaced = namespaced
        self.short = tuple(short)
        self.has_status = status

    @property
    def api_version(self):
        return '%s/%s' % (self.group, self.version) if self.group else self.version

    @property
    def key(self):
        """Storage key and error-message name: 'deployments.apps', 'pods'."""
        return '%s.%s' % (self.plural, self.group) if self.group else self.plural

    @property
    def display(self):
        """Name used in `deployment.apps/x created`."""
        return '%s.%s' % (self.singular, self.group) if self.group else self.singular

    def base(self):
        return '/apis/%s/%s' % (self.group, self.version) if self.group else '/api/%s' % self.version

    def path(self, namespace=None, name=None, sub=None):
        p = self.base()
        if self.namespaced and namespace:
            p += '/namespaces/' + namespace
        p += '/' + self.plural
        if name:
            p += '/' + name
        if sub:
            p += '/' + sub
        return p


RESOURCES = [
    Resource('Namespace', 'namespaces', '', 'v1', False, ['ns'], status=True),
    Resource('Node', 'nodes', '', 'v1', False, ['no'], status=True),
    Resource('Pod', 'pods', '', 'v1', True, ['po'], status=True),
    Resource('Service', 'services', '', 'v1', True, ['svc'], status=True),
    Resource('Endpoints', 'endpoints', '', 'v1', True, ['ep']),
    Resource('ConfigMap', 'configmaps', '', 'v1', True, ['cm']),
    Resource('Secret', 'secrets', '', 'v1', True),
    Resource('ServiceAccount', 'serviceaccounts', '', 'v1', True, ['sa']),
    Resource('Event', 'events', '', 'v1', True, ['ev']),
    Resource('PersistentVolume', 'persistentvolumes', '', 'v1', False, ['pv'], status=True),
    Resource('PersistentVolumeClaim', 'persistentvolumeclaims', '', 'v1', True, ['pvc'], status=True),
    Resource('LimitRange', 'limitranges', '', 'v1', True, ['limits']),
    Resource('ResourceQuota', 'resourcequotas', '', 'v1', True, ['quota'], status=True),
    Resource('Deployment', 'deployments', 'apps', 'v1', True, ['deploy'], status=True),
    Resource('ReplicaSet', 'replicasets', 'apps', 'v1', True, ['rs'], status=True),
    Resource('DaemonSet', 'daemonsets', 'apps', 'v1', True, ['ds'], status=True),
    Resource('StatefulSet', 'statefulsets', 'apps', 'v1', True, ['sts'], status=True),
    Resource('Job', 'jobs', 'batch', 'v1', True, status=True),
    Resource('CronJob', 'cronjobs', 'batch', 'v1', True, ['cj'], status=True),
    Resource('ClusterRole', 'clusterroles', 'rbac.authorization.k8s.io', 'v1', False),
    Resource('ClusterRoleBinding', 'clusterrolebindings', 'rbac.authorization.k8s.io', 'v1', False),
    Resource('Role', 'roles', 'rbac.authorization.k8s.io', 'v1', True),
    Resource('RoleBinding', 'rolebindings', 'rbac.authorization.k8s.io', 'v1', True),
    Resource('Lease', 'leases', 'coordination.k8s.io', 'v1', True),
    Resource('CertificateSigningRequest', 'certificatesigningrequests', 'certificates.k8s.io', 'v1', False,
             ['csr'], status=True),
    Resource('Ingress', 'ingresses', 'networking.k8s.io', 'v1', True, ['ing'], status=True),
    Resource('IngressClass', 'ingressclasses', 'networking.k8s.io', 'v1', False),
    Resource('NetworkPolicy', 'networkpolicies', 'networking.k8s.io', 'v1', True, ['netpol']),
    Resource('StorageClass', 'storageclasses', 'storage.k8s.io', 'v1', False, ['sc']),
    Resource('PriorityClass', 'priorityclasses', 'scheduling.k8s.io', 'v1', False, ['pc']),
    Resource('PodDisruptionBudget', 'poddisruptionbudgets', 'policy', 'v1', True, ['pdb'], status=True),
    Resource('CustomResourceDefinition', 'customresourcedefinitions', 'apiextensions.k8s.io', 'v1', False,
             ['crd', 'crds'], status=True),
    Resource('EndpointSlice', 'endpointslices', 'discovery.k8s.io', 'v1', True),
]

BY_KEY = {r.key: r for r in RESOURCES}


def by_kind(api_version, kind):
    group = api_version.rsplit('/', 1)[0] if '/' in (api_version or '') else ''
    for r in RESOURCES:
        if r.kind == kind and r.group == group:
            return r
    return None


def lookup(name):
    """A kubectl resource argument ('po', 'deployments.apps', 'Deployment', 'svc') to a Resource."""
    n = name.lower()
    group = None
    if '.' in n:
        n, _, group = n.partition('.')
    for r in RESOURCES:
        if group is not None and r.group != group and not r.group.startswith(group):
            continue
        if n in (r.plural, r.singular, r.kind.lower()) or n in r.short:
            return r
    return None


def from_path(path):
    """Parses an API path into (resource, namespace, name, subresource); None if not a resource path."""
    parts = [p for p in path.split('/') if p]
    if not parts:
        return None
    if parts[0] == 'api' and len(parts) >= 2:
        group, rest = '', parts[2:]
    elif parts[0] == 'apis' and len(parts) >= 3:
        group, rest = parts[1], parts[3:]
    else:
        return None
    ns = None
    if len(rest) >= 2 and rest[0] == 'namespaces' and not (len(rest) <= 3 and group == '' and
                                                            (len(rest) == 2 or rest[2] in ('status', 'finalize'))):
        ns, rest = rest[1], rest[2:]
    if not rest:
        return None
    res = next((r for r in RESOURCES if r.plural == rest[0] and r.group == group), None)
    if res is None:
        return ('unknown', group, rest[0])
    name = rest[1] if len(rest) >= 2 else None
    sub = rest[2] if len(rest) >= 3 else None
    return res, ns, name, sub
