"""PodDisruptionBudgets: the disruption controller's status computation and the API server's
eviction subresource (pkg/controller/disruption and pkg/registry/core/pod/storage/eviction.go),
for what `kubectl drain` meets: evictions refused with 429 while a budget allows no disruption."""
import math

from . import objects
from .resources import BY_KEY
from .store import StatusError

R = BY_KEY
VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."


def scaled(value, expected):
    """intstr.GetScaledValueFromIntOrPercent(value, expected, roundUp=true)."""
    if isinstance(value, str) and value.endswith('%'):
        return int(math.ceil(int(value[:-1]) * expected / 100.0))
    return int(value)


def matching_pods(store, pdb):
    sel = (pdb.get('spec') or {}).get('selector')
    if sel is None:
        return []
    return [p for p in store.list(R['pods'], pdb['metadata']['namespace'])
            if objects.selector_matches(sel, p['metadata'].get('labels') or {})]


def expected_count(store, pods):
    """The replicas of the pods' controllers (a ReplicaSet of a Deployment counts the Deployment's),
    as the disruption controller's getExpectedScale."""
    total, seen = 0, set()
    for p in pods:
        ref = next((r for r in p['metadata'].get('ownerReferences') or [] if r.get('controller')), None)
        if ref is None:
            continue
        ns = p['metadata']['namespace']
        owner = None
        if ref.get('kind') == 'ReplicaSet':
            rs = store.get(R['replicasets.apps'], ns, ref['name'])
            dref = next((r for r in (rs or {}).get('metadata', {}).get('ownerReferences') or []
                         if r.get('kind') == 'Deployment'), None)
            owner = store.get(R['deployments.apps'], ns, dref['name']) if dref else rs
        elif ref.get('kind') == 'StatefulSet':
            owner = store.get(R['statefulsets.apps'], ns, ref['name'])
        if owner is None or owner['metadata']['uid'] in seen:
            continue
        seen.add(owner['metadata']['uid'])
        total += (owner.get('spec') or {}).get('replicas', 1)
    return total


def compute_status(store, pdb):
    """The status the disruption controller writes: expectedPods, currentHealthy, desiredHealthy,
    disruptionsAllowed and the DisruptionAllowed condition."""
    spec = pdb.get('spec') or {}
    pods = [p for p in matching_pods(store, pdb) if objects.pod_active(p)]
    healthy = len([p for p in pods if objects.pod_ready(p)])
    if spec.get('maxUnavailable') is not None:
        expected = expected_count(store, pods)
        desired = max(0, expected - scaled(spec['maxUnavailable'], expected))
    elif spec.get('minAvailable') is not None:
        ma = spec['minAvailable']
        expected = expected_count(store, pods) if isinstance(ma, str) else len(pods)
        desired = scaled(ma, expected)
    else:
        expected, desired = len(pods), 0
    allowed = max(0, healthy - desired)
    status = dict(pdb.get('status') or {})
    status.update({'observedGeneration': pdb['metadata'].get('generation', 1), 'expectedPods': expected,
                   'currentHealthy': healthy, 'desiredHealthy': desired, 'disruptionsAllowed': allowed})
    tmp = {'status': {'conditions': list(status.get('conditions') or [])}}
    objects.set_condition(tmp, 'DisruptionAllowed', 'True' if allowed > 0 else 'False',
                          'SufficientPods' if allowed > 0 else 'InsufficientPods', '')
    status['conditions'] = tmp['status']['conditions']
    return status


def too_many_requests(message, cause):
    return StatusError(429, 'TooManyRequests', message, {'causes': [{'reason': 'DisruptionBudget',
                                                                      'message': cause}]})


def evict(api, ns, name, body):
    """The eviction subresource: deletes the pod (gracefully) unless a budget forbids it."""
    store = api.store
    pod = store.must_get(R['pods'], ns, name)
    options = (body or {}).get('deleteOptions') or {}
    spec_phase = (pod.get('status') or {}).get('phase')
    if pod['metadata'].get('deletionTimestamp') or spec_phase in ('Succeeded', 'Failed', 'Pending'):
        api.delete_pod(ns, name, options.get('gracePeriodSeconds'))
        return success()
    pdbs = [b for b in store.list(R['poddisruptionbudgets.policy'], ns)
            if (b.get('spec') or {}).get('selector') is not None
            and objects.selector_matches(b['spec']['selector'], pod['metadata'].get('labels') or {})]
    if len(pdbs) > 1:
        raise StatusError(500, 'InternalError',
                          'This pod has more than one PodDisruptionBudget, which the eviction subresource does not '
                          'support.')
    if pdbs:
        pdb = pdbs[0]
        st = compute_status(store, pdb)
        policy = (pdb.get('spec') or {}).get('unhealthyPodEvictionPolicy') or 'IfHealthyBudget'
        unhealthy_ok = not objects.pod_ready(pod) and (
            policy == 'AlwaysAllow' or (st['currentHealthy'] >= st['desiredHealthy'] and st['desiredHealthy'] > 0))
        if not unhealthy_ok and st['disruptionsAllowed'] == 0:
            raise too_many_requests(VIOLATION, 'The disruption budget %s needs %d healthy pods and has %d currently'
                                    % (pdb['metadata']['name'], st['desiredHealthy'], st['currentHealthy']))
    api.delete_pod(ns, name, options.get('gracePeriodSeconds'))
    return success()


def success():
    return {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Success', 'code': 201}
