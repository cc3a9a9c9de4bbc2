"""What kube-controller-manager and kube-scheduler do, for the objects the roles use: bootstrap token
signing and cleaning, node lifecycle and pod CIDRs, garbage collection, Deployments, ReplicaSets,
DaemonSets, Endpoints, and scheduling onto Ready nodes whose taints are tolerated and whose
architecture the images support."""
import base64
import copy
import ipaddress
import re
import time

from . import disruption, jws, objects
from .common import klog, now, parse_time, read_text, rfc3339
from .resources import BY_KEY
from .store import StatusError, random_suffix

NODE_GRACE = 40  # --node-monitor-grace-period
R = BY_KEY

DS_TOLERATIONS = [
    {'key': 'node.kubernetes.io/not-ready', 'operator': 'Exists', 'effect': 'NoExecute'},
    {'key': 'node.kubernetes.io/unreachable', 'operator': 'Exists', 'effect': 'NoExecute'},
    {'key': 'node.kubernetes.io/disk-pressure', 'operator': 'Exists', 'effect': 'NoSchedule'},
    {'key': 'node.kubernetes.io/memory-pressure', 'operator': 'Exists', 'effect': 'NoSchedule'},
    {'key': 'node.kubernetes.io/pid-pressure', 'operator': 'Exists', 'effect': 'NoSchedule'},
    {'key': 'node.kubernetes.io/unschedulable', 'operator': 'Exists', 'effect': 'NoSchedule'},
]


def fnv32a(data):
    h = 0x811c9dc5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xffffffff
    return h


def template_hash(template):
    import json
    digits = str(fnv32a(json.dumps(template, sort_keys=True).encode()))
    alphabet = 'bcdfghjklmnpqrstvwxz2456789'
    return ''.join(alphabet[ord(c) % len(alphabet)] for c in digits)


def b64d(v):
    return base64.b64decode(v).decode()


class Controllers:
    def __init__(self, api):
        self.api = api
        self.store = api.store
        self._cidr_cache = (0, None)
        self.started = now()
        self.ready_seen = {}  # node name -> last Ready status this controller saw

    def run(self, stopping):
        while not stopping.is_set():
            if self.store.available:  # controllers cannot work while etcd is unreachable
                try:
                    self.tick()
                except Exception as e:  # keep the control loop alive, as the real managers do
                    klog('E', 'controllers.py', 'control loop error: %r' % e)
            stopping.wait(1.0)

    def tick(self):
        with self.store.lock:
            self.tokens()
            self.nodes()
            self.taint_eviction()
            self.garbage()
            self.deployments()
            self.replicasets()
            self.daemonsets()
            self.schedule()
            self.endpoints()
            self.disruption_budgets()

    def delete_pod(self, pod, why):
        """Graceful deletion, as the controllers' API calls are."""
        meta = pod['metadata']
        if meta.get('deletionTimestamp'):
            return
        klog('I', 'controllers.py', '%s: deleting pod %s/%s' % (why, meta['namespace'], meta['name']))
        try:
            self.api.delete_pod(meta['namespace'], meta['name'])
        except StatusError:
            pass

    def _update(self, res, obj):
        try:
            self.store.update(res, obj, check_rv=False)
        except StatusError:
            pass

    # ------------------------------------------------------------------ bootstrap tokens

    def tokens(self):
        tokens = {}
        for sec in self.store.list(R['secrets'], 'kube-system'):
            if sec.get('type') != 'bootstrap.kubernetes.io/token':
                continue
            d = {k: b64d(v) for k, v in (sec.get('data') or {}).items()}
            exp = parse_time(d.get('expiration'))
            if exp is not None and exp <= now():
                klog('I', 'tokencleaner.go', 'Deleting expired secret kube-system/%s' % sec['metadata']['name'])
                self.store.delete(R['secrets'], 'kube-system', sec['metadata']['name'])
                continue
            if d.get('usage-bootstrap-signing') == 'true' and d.get('token-id'):
                tokens[d['token-id']] = d.get('token-secret', '')
        cm = self.store.get(R['configmaps'], 'kube-public', 'cluster-info')
        if cm is None:
            return
        data = cm.setdefault('data', {})
        content = data.get('kubeconfig', '')
        want = {'jws-kubeconfig-' + tid: jws.detached_signature(content, tid, sec) for tid, sec in tokens.items()}
        have = {k: v for k, v in data.items() if k.startswith('jws-kubeconfig-')}
        if want != have:
            for k in have:
                data.pop(k)
            data.update(want)
            self._update(R['configmaps'], cm)

    # ------------------------------------------------------------------ nodes

    def cluster_cidr(self):
        t, cached = self._cidr_cache
        if time.time() - t < 5:
            return cached
        text = read_text('/etc/kubernetes/manifests/kube-controller-manager.yaml', '')
        cidr = None
        if '--allocate-node-cidrs=true' in text:
            m = re.search(r'--cluster-cidr=([0-9./,:a-f]+)', text)
            if m:
                cidr = m.group(1).split(',')[0]
        self._cidr_cache = (time.time(), cidr)
        return cidr

    def nodes(self):
        """The node lifecycle controller: Unknown after NODE_GRACE without heartbeat (counted from
        when this controller started, as the real one grants a startup grace period), the
        not-ready / unreachable taints (NoSchedule and NoExecute), pods marked not ready when their
        node stops being Ready, pod CIDRs, and the pod GC for pods of deleted nodes."""
        nodes = self.store.list(R['nodes'])
        leases = {l['metadata']['name']: l for l in self.store.list(R['leases.coordination.k8s.io'], 'kube-node-lease')}
        cidr = self.cluster_cidr()
        used = {n['spec'].get('podCIDR') for n in nodes if n.get('spec')}
        for node in nodes:
            orig = copy.deepcopy(node)
            name = node['metadata']['name']
            self.node_health(node, leases.get(name))
            status = (objects.get_condition(node, 'Ready') or {}).get('status', 'Unknown')
            self.node_taints(node, status)
            if cidr and not node['spec'].get('podCIDR'):
                self.allocate_cidr(node, cidr, used)
            if node != orig:
                self._update(R['nodes'], node)
            if status != 'True' and self.ready_seen.get(name, 'True') == 'True':
                self.mark_pods_not_ready(name)
            self.ready_seen[name] = status
        names = {n['metadata']['name'] for n in nodes}
        for pod in self.store.list(R['pods']):
            nn = pod['spec'].get('nodeName')
            if nn and nn not in names and not pod['metadata'].get('annotations', {}).get(
                    'kubernetes.io/config.mirror'):
                klog('I', 'gc_controller.go', 'Found orphaned Pod %s/%s assigned to the Node %s. Deleting.'
                     % (pod['metadata']['namespace'], pod['metadata']['name'], nn))
                self.store.delete(R['pods'], pod['metadata']['namespace'], pod['metadata']['name'])

    def node_health(self, node, lease):
        last = parse_time(((lease or {}).get('spec') or {}).get('renewTime'))
        ready = objects.get_condition(node, 'Ready')
        if last is None and ready:
            last = parse_time(ready.get('lastHeartbeatTime'))
        if last is not None:
            last = max(last, self.started)
        if last is not None and (now() - last).total_seconds() > NODE_GRACE and ready and \
                ready.get('status') != 'Unknown':
            for c in node['status'].get('conditions') or []:
                objects.set_condition(node, c['type'], 'Unknown', 'NodeStatusUnknown',
                                      'Kubelet stopped posting node status.')

    @staticmethod
    def node_taints(node, status):
        spec = node.setdefault('spec', {})
        keys = (objects.NOT_READY_TAINT, objects.UNREACHABLE_TAINT)
        old = spec.get('taints') or []
        taints = [x for x in old if x.get('key') not in keys]
        key = objects.NOT_READY_TAINT if status == 'False' else objects.UNREACHABLE_TAINT if status != 'True' else None
        if key:
            for effect in ('NoSchedule', 'NoExecute'):
                prev = next((x for x in old if x.get('key') == key and x.get('effect') == effect), None)
                t = {'key': key, 'effect': effect}
                if effect == 'NoExecute':
                    t['timeAdded'] = (prev or {}).get('timeAdded') or rfc3339()
                taints.append(t)
        if taints != old:
            if taints:
                spec['taints'] = taints
            else:
                spec.pop('taints', None)

    @staticmethod
    def allocate_cidr(node, cidr, used):
        net = ipaddress.ip_network(cidr)
        for sub in net.subnets(new_prefix=24 if net.prefixlen <= 24 else net.prefixlen):
            if str(sub) not in used:
                node['spec']['podCIDR'] = str(sub)
                node['spec']['podCIDRs'] = [str(sub)]
                used.add(str(sub))
                klog('I', 'range_allocator.go', 'Set node %s PodCIDR to [%s]' % (node['metadata']['name'], sub))
                return

    def mark_pods_not_ready(self, node_name):
        """MarkPodsNotReady: the node's pods leave the Services' endpoints until its kubelet is back."""
        for pod in self.store.list(R['pods']):
            if pod['spec'].get('nodeName') != node_name or not objects.pod_ready(pod):
                continue
            objects.set_condition(pod, 'Ready', 'False')
            objects.set_condition(pod, 'ContainersReady', 'False')
            self._update(R['pods'], pod)
            klog('I', 'node_lifecycle_controller.go', 'Marking pod %s/%s not ready: node %s is not Ready'
                 % (pod['metadata']['namespace'], pod['metadata']['name'], node_name))

    def taint_eviction(self):
        """The taint manager: pods on a node with a NoExecute taint they do not tolerate are deleted,
        those tolerating it for tolerationSeconds (300 s by default) once that time has passed."""
        nodes = {n['metadata']['name']: n for n in self.store.list(R['nodes'])}
        t = now()
        for pod in self.store.list(R['pods']):
            node = nodes.get(pod['spec'].get('nodeName'))
            if node is None or not objects.pod_active(pod):
                continue
            for taint in (node.get('spec') or {}).get('taints') or []:
                if taint.get('effect') != 'NoExecute':
                    continue
                tols = [x for x in pod['spec'].get('tolerations') or [] if objects.toleration_matches(x, taint)]
                if tols and all(x.get('tolerationSeconds') is None for x in tols):
                    continue
                secs = min([x['tolerationSeconds'] for x in tols if x.get('tolerationSeconds') is not None] or [0])
                added = parse_time(taint.get('timeAdded')) or t
                if (t - added).total_seconds() >= secs:
                    self.delete_pod(pod, 'taint-eviction-controller: NoExecute taint %s' % taint['key'])
                    break

    # ------------------------------------------------------------------ garbage collector

    def garbage(self):
        uids = self.store.all_uids()
        for key, res in R.items():
            for obj in self.store.list(res):
                refs = obj['metadata'].get('ownerReferences') or []
                if refs and not any(r.get('uid') in uids for r in refs):
                    if res.kind == 'Pod':
                        self.delete_pod(obj, 'garbage collector: owner gone')
                        continue
                    try:
                        self.store.delete(res, obj['metadata'].get('namespace'), obj['metadata']['name'])
                    except StatusError:
                        pass

    # ------------------------------------------------------------------ workloads

    def deployments(self):
        for d in self.store.list(R['deployments.apps']):
            ns = d['metadata']['namespace']
            tmpl = d['spec']['template']
            h = template_hash(tmpl)
            rs_name = '%s-%s' % (d['metadata']['name'], h)
            owned = [rs for rs in self.store.list(R['replicasets.apps'], ns) if objects.is_owned_by(rs, d)]
            new_rs = next((rs for rs in owned if rs['metadata']['name'] == rs_name), None)
            revision = max([int((rs['metadata'].get('annotations') or {}).get(
                'deployment.kubernetes.io/revision', '0')) for rs in owned] + [0])
            replicas = d['spec'].get('replicas', 1)
            if new_rs is None:
                labels = dict(tmpl.get('metadata', {}).get('labels') or {}, **{'pod-template-hash': h})
                t = copy.deepcopy(tmpl)
                t.setdefault('metadata', {})['labels'] = labels
                sel = copy.deepcopy(d['spec']['selector'])
                sel.setdefault('matchLabels', {})['pod-template-hash'] = h
                new_rs = self.store.create(R['replicasets.apps'], {
                    'apiVersion': 'apps/v1', 'kind': 'ReplicaSet',
                    'metadata': {'name': rs_name, 'namespace': ns, 'labels': labels,
                                 'annotations': {'deployment.kubernetes.io/desired-replicas': str(replicas),
                                                 'deployment.kubernetes.io/max-replicas': str(replicas + 1),
                                                 'deployment.kubernetes.io/revision': str(revision + 1)},
                                 'ownerReferences': [objects.owner_ref(d)]},
                    'spec': {'replicas': replicas, 'selector': sel, 'template': t}, 'status': {'replicas': 0}})
                klog('I', 'deployment_controller.go', 'Created ReplicaSet %s/%s' % (ns, rs_name))
            elif new_rs['spec'].get('replicas') != replicas:
                new_rs['spec']['replicas'] = replicas
                new_rs['metadata'].setdefault('annotations', {})[
                    'deployment.kubernetes.io/desired-replicas'] = str(replicas)
                self._update(R['replicasets.apps'], new_rs)
            for rs in owned:
                if rs['metadata']['name'] != rs_name and rs['spec'].get('replicas', 0) != 0:
                    rs['spec']['replicas'] = 0
                    self._update(R['replicasets.apps'], rs)
            owned = [rs for rs in self.store.list(R['replicasets.apps'], ns) if objects.is_owned_by(rs, d)]
            pods = [p for p in self.store.list(R['pods'], ns)
                    if objects.pod_active(p) and any(objects.is_owned_by(p, rs) for rs in owned)]
            new_pods = [p for p in pods if objects.is_owned_by(p, new_rs)]
            ready = [p for p in pods if objects.pod_ready(p)]
            status = {'observedGeneration': d['metadata'].get('generation', 1), 'replicas': len(pods),
                      'updatedReplicas': len(new_pods), 'readyReplicas': len(ready),
                      'availableReplicas': len(ready)}
            if len(pods) - len(ready) > 0:
                status['unavailableReplicas'] = len(pods) - len(ready)
            for k in ('readyReplicas', 'availableReplicas'):
                if not status[k]:
                    del status[k]
            new = copy.deepcopy(d)
            new['status'] = dict(d.get('status') or {}, **status)
            for k in ('readyReplicas', 'availableReplicas', 'unavailableReplicas'):
                if k not in status:
                    new['status'].pop(k, None)
            complete = len(new_pods) == replicas and len(ready) >= replicas and len(pods) == replicas
            available = len(ready) >= replicas - self._max_unavailable(d, replicas)
            objects.set_condition(new, 'Available', 'True' if available else 'False',
                                  'MinimumReplicasAvailable' if available else 'MinimumReplicasUnavailable',
                                  'Deployment has minimum availability.' if available else
                                  'Deployment does not have minimum availability.')
            objects.set_condition(new, 'Progressing', 'True',
                                  'NewReplicaSetAvailable' if complete else 'ReplicaSetUpdated',
                                  ('ReplicaSet "%s" has successfully progressed.' if complete else
                                   'ReplicaSet "%s" is progressing.') % rs_name)
            if new != d:
                self._update(R['deployments.apps'], new)

    @staticmethod
    def _max_unavailable(d, replicas):
        mu = ((d['spec'].get('strategy') or {}).get('rollingUpdate') or {}).get('maxUnavailable', '25%')
        if isinstance(mu, str) and mu.endswith('%'):
            return int(replicas * int(mu[:-1]) / 100)
        return int(mu)

    def replicasets(self):
        for rs in self.store.list(R['replicasets.apps']):
            ns = rs['metadata']['namespace']
            pods = [p for p in self.store.list(R['pods'], ns) if objects.is_owned_by(p, rs) and objects.pod_active(p)]
            want = rs['spec'].get('replicas', 1)
            if len(pods) < want:
                for _ in range(want - len(pods)):
                    tmpl = copy.deepcopy(rs['spec']['template'])
                    meta = tmpl.get('metadata') or {}
                    self.api.create(R['pods'], {
                        'apiVersion': 'v1', 'kind': 'Pod',
                        'metadata': {'name': '%s-%s' % (rs['metadata']['name'], random_suffix()),
                                     'namespace': ns, 'labels': meta.get('labels') or {},
                                     'annotations': meta.get('annotations') or {},
                                     'ownerReferences': [objects.owner_ref(rs)]},
                        'spec': tmpl.get('spec') or {}})
            elif len(pods) > want:
                pods.sort(key=lambda p: (objects.pod_ready(p), bool(p['spec'].get('nodeName')),
                                         p['metadata']['creationTimestamp']))
                for p in pods[:len(pods) - want]:
                    self.delete_pod(p, 'replicaset controller: scaling down')
            pods = [p for p in self.store.list(R['pods'], ns) if objects.is_owned_by(p, rs) and objects.pod_active(p)]
            ready = len([p for p in pods if objects.pod_ready(p)])
            status = {'replicas': len(pods), 'fullyLabeledReplicas': len(pods),
                      'observedGeneration': rs['metadata'].get('generation', 1)}
            if ready:
                status['readyReplicas'] = ready
                status['availableReplicas'] = ready
            if rs.get('status') != status:
                rs['status'] = status
                self._update(R['replicasets.apps'], rs)

    def ds_eligible(self, ds, node):
        spec = ds['spec']['template'].get('spec') or {}
        if not objects.node_affinity_matches(spec, node):
            return False
        extra = list(DS_TOLERATIONS)
        if spec.get('hostNetwork'):
            extra.append({'key': 'node.kubernetes.io/network-unavailable', 'operator': 'Exists',
                          'effect': 'NoSchedule'})
        return not objects.untolerated_taints(spec, node, extra)

    def daemonsets(self):
        nodes = self.store.list(R['nodes'])
        for ds in self.store.list(R['daemonsets.apps']):
            ns = ds['metadata']['namespace']
            pods = [p for p in self.store.list(R['pods'], ns) if objects.is_owned_by(p, ds) and objects.pod_active(p)]
            by_node = {}
            for p in pods:
                by_node.setdefault(p['spec'].get('nodeName'), []).append(p)
            eligible = [n for n in nodes if self.ds_eligible(ds, n)]
            names = {n['metadata']['name'] for n in eligible}
            gen = ds['metadata'].get('generation', 1)
            h = template_hash(ds['spec']['template'])
            for node in eligible:
                nn = node['metadata']['name']
                current = by_node.get(nn, [])
                if any(p['metadata'].get('labels', {}).get('controller-revision-hash') != h for p in current):
                    for p in current:
                        self.delete_pod(p, 'daemonset controller: template changed')
                    current = []
                if not current:
                    tmpl = copy.deepcopy(ds['spec']['template'])
                    meta = tmpl.get('metadata') or {}
                    spec = tmpl.get('spec') or {}
                    spec['nodeName'] = nn
                    tols = spec.setdefault('tolerations', [])
                    for t in DS_TOLERATIONS:
                        if t not in tols:
                            tols.append(dict(t))
                    labels = dict(meta.get('labels') or {}, **{'controller-revision-hash': h,
                                                               'pod-template-generation': str(gen)})
                    self.api.create(R['pods'], {
                        'apiVersion': 'v1', 'kind': 'Pod',
                        'metadata': {'name': '%s-%s' % (ds['metadata']['name'], random_suffix()),
                                     'namespace': ns, 'labels': labels,
                                     'annotations': meta.get('annotations') or {},
                                     'ownerReferences': [objects.owner_ref(ds)]},
                        'spec': spec,
                        'status': {'phase': 'Pending', 'conditions': [
                            {'type': 'PodScheduled', 'status': 'True', 'lastTransitionTime': rfc3339()}]}})
            for nn, ps in by_node.items():
                if nn not in names:
                    for p in ps:
                        self.delete_pod(p, 'daemonset controller: node no longer eligible')
            pods = [p for p in self.store.list(R['pods'], ns) if objects.is_owned_by(p, ds) and objects.pod_active(p)]
            ready = len([p for p in pods if objects.pod_ready(p)])
            status = {'currentNumberScheduled': len(pods), 'desiredNumberScheduled': len(eligible),
                      'numberMisscheduled': 0, 'numberReady': ready, 'observedGeneration': gen,
                      'updatedNumberScheduled': len(pods)}
            if ready:
                status['numberAvailable'] = ready
            if len(eligible) - ready:
                status['numberUnavailable'] = len(eligible) - ready
            if ds.get('status') != status:
                ds['status'] = status
                self._update(R['daemonsets.apps'], ds)

    # ------------------------------------------------------------------ scheduler

    def schedule(self):
        nodes = self.store.list(R['nodes'])
        pending = [p for p in self.store.list(R['pods']) if not p['spec'].get('nodeName')
                   and not p['metadata'].get('deletionTimestamp')]
        if not pending:
            return
        counts = {}
        for p in self.store.list(R['pods']):
            counts[p['spec'].get('nodeName')] = counts.get(p['spec'].get('nodeName'), 0) + 1
        for pod in pending:
            spec = pod['spec']
            reasons = {}
            fits = []
            for node in nodes:
                why = None
                if (node.get('spec') or {}).get('unschedulable'):
                    why = "node(s) were unschedulable"
                else:
                    bad = objects.untolerated_taints(spec, node)
                    if bad:
                        t = bad[0]
                        why = 'node(s) had untolerated taint {%s: %s}' % (t.get('key'), t.get('value', ''))
                    elif not objects.node_affinity_matches(spec, node):
                        why = "node(s) didn't match Pod's node affinity/selector"
                    elif not objects.arch_supported(spec, (node['metadata'].get('labels') or {}).get(
                            'kubernetes.io/arch', 'amd64')):
                        why = "node(s) didn't match the architecture of the Pod's images (lab stand-in rule)"
                if why:
                    reasons[why] = reasons.get(why, 0) + 1
                else:
                    fits.append(node)
            if fits:
                fits.sort(key=lambda n: (counts.get(n['metadata']['name'], 0), n['metadata']['name']))
                chosen = fits[0]['metadata']['name']
                counts[chosen] = counts.get(chosen, 0) + 1
                pod['spec']['nodeName'] = chosen
                objects.set_condition(pod, 'PodScheduled', 'True')
                c = objects.get_condition(pod, 'PodScheduled')
                c.pop('reason', None)
                c.pop('message', None)
                self.store.update(R['pods'], pod, check_rv=False)
                klog('I', 'schedule_one.go', 'Successfully bound pod to node pod="%s/%s" node="%s"'
                     % (pod['metadata']['namespace'], pod['metadata']['name'], chosen))
            else:
                msg = '0/%d nodes are available: %s. preemption: 0/%d nodes are available: %d Preemption is not ' \
                      'helpful for scheduling.' % (len(nodes), ', '.join(
                          '%d %s' % (n, r) for r, n in sorted(reasons.items())) or 'no nodes available to '
                                                                                   'schedule pods',
                                                   len(nodes), len(nodes))
                cur = objects.get_condition(pod, 'PodScheduled')
                if not cur or cur.get('message') != msg:
                    objects.set_condition(pod, 'PodScheduled', 'False', 'Unschedulable', msg)
                    self.store.update(R['pods'], pod, check_rv=False)

    # ------------------------------------------------------------------ endpoints

    def endpoints(self):
        for svc in self.store.list(R['services']):
            sel = svc['spec'].get('selector')
            if not sel:
                continue
            ns = svc['metadata']['namespace']
            pods = [p for p in self.store.list(R['pods'], ns)
                    if objects.labels_match(p['metadata'].get('labels'), [(k, '=', [v]) for k, v in sel.items()])
                    and (p.get('status') or {}).get('podIP') and objects.pod_active(p)]
            ready = [p for p in pods if objects.pod_ready(p)]
            not_ready = [p for p in pods if not objects.pod_ready(p)]

            def addr(p):
                return {'ip': p['status']['podIP'], 'nodeName': p['spec'].get('nodeName'),
                        'targetRef': {'kind': 'Pod', 'name': p['metadata']['name'], 'namespace': ns,
                                      'uid': p['metadata']['uid']}}
            subsets = []
            if pods:
                ports = []
                for sp in svc['spec'].get('ports') or []:
                    tp = sp.get('targetPort', sp.get('port'))
                    if isinstance(tp, str):
                        tp = next((cp.get('containerPort') for c in pods[0]['spec'].get('containers') or []
                                   for cp in c.get('ports') or [] if cp.get('name') == tp), sp.get('port'))
                    e = {'port': tp, 'protocol': sp.get('protocol', 'TCP')}
                    if sp.get('name'):
                        e['name'] = sp['name']
                    ports.append(e)
                s = {'ports': ports}
                if ready:
                    s['addresses'] = [addr(p) for p in ready]
                if not_ready:
                    s['notReadyAddresses'] = [addr(p) for p in not_ready]
                subsets.append(s)
            ep = self.store.get(R['endpoints'], ns, svc['metadata']['name'])
            body = {'apiVersion': 'v1', 'kind': 'Endpoints',
                    'metadata': {'name': svc['metadata']['name'], 'namespace': ns,
                                 'labels': svc['metadata'].get('labels') or {},
                                 'ownerReferences': [objects.owner_ref(svc, controller=False)]}}
            if subsets:
                body['subsets'] = subsets
            if ep is None:
                self.store.create(R['endpoints'], body)
            elif ep.get('subsets') != body.get('subsets'):
                ep['subsets'] = subsets
                if not subsets:
                    ep.pop('subsets')
                self._update(R['endpoints'], ep)

    # ------------------------------------------------------------------ disruption

    def disruption_budgets(self):
        """The disruption controller: each PodDisruptionBudget's status from its pods."""
        for pdb in self.store.list(R['poddisruptionbudgets.policy']):
            status = disruption.compute_status(self.store, pdb)
            if status != pdb.get('status'):
                pdb['status'] = status
                self._update(R['poddisruptionbudgets.policy'], pdb)
