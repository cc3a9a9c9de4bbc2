"""kubectl drain, as k8s.io/kubectl/pkg/cmd/drain and pkg/drain do it: cordon, the pod filters
(DaemonSet, mirror, local storage, unreplicated) with their exact messages, evictions through the
policy/v1 Eviction subresource retried every 5 s while a PodDisruptionBudget refuses them (429),
--disable-eviction deleting instead, each Pod waited for until gone, --timeout as the global
timeout, and the real error lines when a node cannot be drained."""
import sys
import time

from .client import ApiError
from .common import format_duration, parse_duration

DAEMONSET_FATAL = 'DaemonSet-managed Pods (use --ignore-daemonsets to ignore)'
DAEMONSET_WARNING = 'ignoring DaemonSet-managed Pods'
LOCAL_STORAGE_FATAL = 'Pods with local storage (use --delete-emptydir-data to override)'
LOCAL_STORAGE_WARNING = 'deleting Pods with local storage'
UNMANAGED_FATAL = 'cannot delete Pods that declare no controller (use --force to override)'
UNMANAGED_WARNING = 'deleting Pods that declare no controller'
RETRY_SECONDS = 5


def out(s):
    sys.stdout.write(s + '\n')
    sys.stdout.flush()


def err(s):
    sys.stderr.write(s + '\n')
    sys.stderr.flush()


def aggregate(errors):
    """utilerrors.NewAggregate(...).Error(): one message alone, several in brackets."""
    return errors[0] if len(errors) == 1 else '[' + ', '.join(errors) + ']'


class Drainer:
    def __init__(self, api, flags):
        self.api = api
        self.force = flags.get('force') == 'true'
        self.ignore_ds = flags.get('ignore-daemonsets') == 'true'
        self.emptydir = flags.get('delete-emptydir-data') == 'true'
        self.disable_eviction = flags.get('disable-eviction') == 'true'
        self.grace = int(flags.get('grace-period', '-1'))
        self.timeout_text = flags.get('timeout', '0s')
        self.timeout = parse_duration(self.timeout_text) or 0
        self.pod_selector = flags.get('pod-selector')

    def status(self, pod):
        """(delete, 'warning'|'error'|None, message): the filters in kubectl's order."""
        meta, phase = pod['metadata'], (pod.get('status') or {}).get('phase')
        finished = phase in ('Succeeded', 'Failed')
        ref = next((r for r in meta.get('ownerReferences') or [] if r.get('controller')), None)
        if ref and ref.get('kind') == 'DaemonSet' and not finished:
            if self.api.get_or_none('/apis/apps/v1/namespaces/%s/daemonsets/%s' % (meta['namespace'], ref['name'])) \
                    is None:
                msg = 'daemonsets.apps "%s" not found' % ref['name']
                return (True, 'warning', msg) if self.force else (False, 'error', msg)
            return (False, 'warning', DAEMONSET_WARNING) if self.ignore_ds else (False, 'error', DAEMONSET_FATAL)
        if (meta.get('annotations') or {}).get('kubernetes.io/config.mirror'):
            return False, None, None
        result = (True, None, None)
        if any(v.get('emptyDir') is not None for v in pod['spec'].get('volumes') or []) and not finished:
            if not self.emptydir:
                return False, 'error', LOCAL_STORAGE_FATAL
            result = (True, 'warning', LOCAL_STORAGE_WARNING)
        if ref is None and not finished:
            return (True, 'warning', UNMANAGED_WARNING) if self.force else (False, 'error', UNMANAGED_FATAL)
        return result

    def pods_for_deletion(self, node):
        """(pods to delete, warnings text, errors) as GetPodsForDeletion."""
        q = {'fieldSelector': 'spec.nodeName=' + node}
        if self.pod_selector:
            q['labelSelector'] = self.pod_selector
        pods = self.api.get('/api/v1/pods', q)['items']
        todo, warnings, errors = [], {}, {}
        for p in pods:
            delete, kind, msg = self.status(p)
            ref = '%s/%s' % (p['metadata']['namespace'], p['metadata']['name'])
            if kind == 'warning':
                warnings.setdefault(msg, []).append(ref)
            elif kind == 'error':
                errors.setdefault(msg, []).append(ref)
            if delete:
                todo.append(p)
        warn = '; '.join('%s: %s' % (m, ', '.join(r)) for m, r in warnings.items())
        errs = ['%s: %s' % (m if m.lower().startswith('cannot delete') else 'cannot delete ' + m, ', '.join(r))
                for m, r in errors.items()]
        return todo, warn, errs

    def gone(self, pod):
        meta = pod['metadata']
        cur = self.api.get_or_none('/api/v1/namespaces/%s/pods/%s' % (meta['namespace'], meta['name']))
        return cur is None or cur['metadata'].get('uid') != meta.get('uid')

    def options(self):
        return {'kind': 'DeleteOptions', 'apiVersion': 'v1', 'gracePeriodSeconds': self.grace} if self.grace >= 0 \
            else None

    def evict_or_delete(self, pods):
        """None, or the error text (several pods: an aggregate)."""
        deadline = time.time() + self.timeout if self.timeout > 0 else None
        state = {p['metadata']['uid']: {'pod': p, 'asked': False, 'retry': 0.0} for p in pods}
        if not self.disable_eviction:
            for p in pods:
                out('evicting pod %s/%s' % (p['metadata']['namespace'], p['metadata']['name']))
        errors = []
        while state:
            for uid, s in list(state.items()):
                if not s['asked'] and time.time() >= s['retry']:
                    problem = self.ask(s)
                    if problem:
                        errors.append(problem)
                        del state[uid]
                        continue
                if s['asked'] and self.gone(s['pod']):
                    out('pod/%s %s' % (s['pod']['metadata']['name'], 'deleted' if self.disable_eviction else 'evicted'))
                    del state[uid]
            if state and deadline and time.time() >= deadline:
                for s in state.values():
                    meta = s['pod']['metadata']
                    errors.append(('error when waiting for pod "%s" in namespace "%s" to terminate: global timeout '
                                   'reached: %s' if s['asked'] else 'error when evicting pods/"%s" -n "%s": global '
                                   'timeout reached: %s') % (meta['name'], meta['namespace'],
                                                             format_duration(self.timeout)))
                break
            if state:
                time.sleep(1)
        return aggregate(errors) if errors else None

    def ask(self, s):
        """Sends the eviction (or deletion); None, or a final error. A 429 schedules a retry in 5 s."""
        meta = s['pod']['metadata']
        path = '/api/v1/namespaces/%s/pods/%s' % (meta['namespace'], meta['name'])
        try:
            if self.disable_eviction:
                self.api.delete(path, self.options())
            else:
                body = {'apiVersion': 'policy/v1', 'kind': 'Eviction',
                        'metadata': {'name': meta['name'], 'namespace': meta['namespace']}}
                if self.options():
                    body['deleteOptions'] = self.options()
                self.api.create(path + '/eviction', body)
        except ApiError as e:
            if e.code == 404:
                s['asked'] = True
                return None
            if e.code == 429 and not self.disable_eviction:
                err('error when evicting pods/"%s" -n "%s" (will retry after %ds): %s'
                    % (meta['name'], meta['namespace'], RETRY_SECONDS, e))
                s['retry'] = time.time() + RETRY_SECONDS
                return None
            return 'error when %s pods/"%s" -n "%s": %s' % ('deleting' if self.disable_eviction else 'evicting',
                                                             meta['name'], meta['namespace'], e)
        s['asked'] = True
        return None

    def drain_node(self, node):
        todo, warn, errs = self.pods_for_deletion(node)
        if errs:
            return aggregate(errs)
        if warn:
            err('Warning: %s' % warn)
        problem = self.evict_or_delete(todo) if todo else None
        if problem:
            pending, _, _ = self.pods_for_deletion(node)
            if pending:
                err('There are pending pods in node "%s" when an error occurred: %s' % (node, problem))
                for p in pending:
                    err('pod/%s' % p['metadata']['name'])
        return problem


def run(k, nodes):
    """kubectl drain NODE...: returns the exit code."""
    if not nodes:
        err('error: USAGE: drain NODE [flags]\nSee \'kubectl drain -h\' for help and examples')
        return 1
    for name in nodes:
        k.api.get('/api/v1/nodes/' + name)  # NotFound before anything is cordoned, as kubectl's builder does
    k.cmd_cordon(nodes)
    d = Drainer(k.api, k.flags)
    failed, remaining = [], []
    for name in nodes:
        problem = d.drain_node(name)
        if problem is None:
            out('node/%s drained' % name)
            continue
        err('error: unable to drain node "%s" due to error: %s, continuing command...' % (name, problem))
        failed.append(problem)
        remaining.append(name)
    if remaining:
        err('There are pending nodes to be drained:')
        for name in remaining:
            err(' %s' % name)
        err('\n'.join(failed))
        return 1
    return 0
