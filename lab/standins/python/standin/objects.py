"""Object helpers shared by the API server, the controllers and kubectl: selectors, tolerations,
patches, conditions."""
import copy
import re

from .common import rfc3339


# ------------------------------------------------------------ label and field selectors

def parse_label_selector(text):
    """'a=b,c!=d,e,!f,g in (x,y),h notin (z)' -> list of (key, op, values)."""
    reqs = []
    if not text:
        return reqs
    parts, depth, cur = [], 0, ''
    for c in text:
        if c == '(':
            depth += 1
        elif c == ')':
            depth -= 1
        if c == ',' and depth == 0:
            parts.append(cur)
            cur = ''
        else:
            cur += c
    parts.append(cur)
    for p in parts:
        p = p.strip()
        if not p:
            continue
        m = re.match(r'^([^\s!=]+)\s+(in|notin)\s+\((.*)\)$', p)
        if m:
            reqs.append((m.group(1), m.group(2), [v.strip() for v in m.group(3).split(',') if v.strip()]))
        elif '!=' in p:
            k, v = p.split('!=', 1)
            reqs.append((k.strip(), '!=', [v.strip()]))
        elif '==' in p:
            k, v = p.split('==', 1)
            reqs.append((k.strip(), '=', [v.strip()]))
        elif '=' in p:
            k, v = p.split('=', 1)
            reqs.append((k.strip(), '=', [v.strip()]))
        elif p.startswith('!'):
            reqs.append((p[1:].strip(), '!', []))
        else:
            reqs.append((p, 'exists', []))
    return reqs


def labels_match(labels, reqs):
    labels = labels or {}
    for k, op, vals in reqs:
        has = k in labels
        v = labels.get(k)
        if op == '=' and not (has and v == vals[0]):
            return False
        if op == '!=' and has and v == vals[0]:
            return False
        if op == 'exists' and not has:
            return False
        if op == '!' and has:
            return False
        if op == 'in' and not (has and v in vals):
            return False
        if op == 'notin' and has and v in vals:
            return False
    return True


def selector_matches(selector, labels):
    """A LabelSelector object (matchLabels / matchExpressions)."""
    if not selector:
        return False
    labels = labels or {}
    for k, v in (selector.get('matchLabels') or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get('matchExpressions') or []:
        if not expression_matches(e, labels):
            return False
    return True


def expression_matches(e, labels):
    k, op, vals = e.get('key'), e.get('operator'), e.get('values') or []
    if op == 'In':
        return labels.get(k) in vals
    if op == 'NotIn':
        return labels.get(k) not in vals
    if op == 'Exists':
        return k in labels
    if op == 'DoesNotExist':
        return k not in labels
    return False


def field_value(obj, path):
    cur = obj
    for part in path.split('.'):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def fields_match(obj, text):
    for p in (text or '').split(','):
        p = p.strip()
        if not p:
            continue
        neg = '!=' in p
        k, v = re.split(r'!=|==|=', p, 1)
        actual = field_value(obj, k.strip())
        actual = '' if actual is None else str(actual)
        if (actual == v.strip()) == neg:
            return False
    return True


def selector_string(selector):
    """kubectl's rendering of a LabelSelector (for -o wide SELECTOR columns)."""
    if not selector:
        return '<none>'
    parts = ['%s=%s' % kv for kv in sorted((selector.get('matchLabels') or {}).items())]
    for e in selector.get('matchExpressions') or []:
        op = e.get('operator')
        if op in ('In', 'NotIn'):
            parts.append('%s %s (%s)' % (e['key'], op.lower(), ','.join(e.get('values') or [])))
        elif op == 'Exists':
            parts.append(e['key'])
        else:
            parts.append('!' + e['key'])
    return ','.join(parts) or '<none>'


# ------------------------------------------------------------ scheduling predicates

def toleration_matches(tol, taint):
    if tol.get('effect') and tol['effect'] != taint.get('effect'):
        return False
    if tol.get('operator') == 'Exists':
        return not tol.get('key') or tol['key'] == taint.get('key')
    return tol.get('key') == taint.get('key') and (tol.get('value') or '') == (taint.get('value') or '')


def untolerated_taints(pod_spec, node, extra_tolerations=()):
    tols = list(pod_spec.get('tolerations') or []) + list(extra_tolerations)
    out = []
    for t in (node.get('spec') or {}).get('taints') or []:
        if t.get('effect') not in ('NoSchedule', 'NoExecute'):
            continue
        if not any(toleration_matches(tol, t) for tol in tols):
            out.append(t)
    return out


def node_affinity_matches(pod_spec, node):
    labels = node['metadata'].get('labels') or {}
    for k, v in (pod_spec.get('nodeSelector') or {}).items():
        if labels.get(k) != v:
            return False
    aff = (((pod_spec.get('affinity') or {}).get('nodeAffinity') or {})
           .get('requiredDuringSchedulingIgnoredDuringExecution') or {})
    terms = aff.get('nodeSelectorTerms') or []
    if terms:
        ok = False
        for term in terms:
            exprs = term.get('matchExpressions') or []
            fields = term.get('matchFields') or []
            if all(expression_matches(e, labels) for e in exprs) and all(
                    expression_matches(dict(f), {'metadata.name': node['metadata']['name']}) for f in fields):
                ok = True
                break
        if not ok:
            return False
    return True


ARCH_TOKENS = [
    (re.compile(r'(^|[-_/:.])(arm64|aarch64|arm64v8)([-_/:.]|$)'), 'arm64'),
    (re.compile(r'(^|[-_/:.])(arm|armhf|armv6|armv7|arm32v6|arm32v7|arm32)([-_/:.]|$)'), 'arm'),
    (re.compile(r'(^|[-_/:.])(amd64|x86_64|x86-64|x64)([-_/:.]|$)'), 'amd64'),
    (re.compile(r'(^|[-_/:.])(ppc64le)([-_/:.]|$)'), 'ppc64le'),
    (re.compile(r'(^|[-_/:.])(s390x)([-_/:.]|$)'), 's390x'),
]

def image_architectures(image):
    """The architectures an image runs on, by the lab's rule: an architecture named in the image
    reference (e.g. 'pause-arm64:3.1', 'app:v1-amd64') means that one only; otherwise multi-arch."""
    ref = image.lower()
    for rx, arch in ARCH_TOKENS:
        if rx.search(ref):
            return {arch}
    return None


def pod_images(spec):
    return [c.get('image', '') for c in (spec.get('initContainers') or []) + (spec.get('containers') or [])]


def arch_supported(spec, arch):
    for img in pod_images(spec):
        archs = image_architectures(img)
        if archs is not None and arch not in archs:
            return False
    return True


# ------------------------------------------------------------ patches

def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def strategic_merge(target, patch):
    """Strategic merge patch, for the list shapes Kubernetes merges by key: lists of objects with
    a 'name' (containers, env, volumes, ports...) merge item by item; other lists are replaced."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if k.startswith('$'):
            continue
        if v is None:
            out.pop(k, None)
        elif isinstance(v, list) and isinstance(out.get(k), list) and v and all(
                isinstance(i, dict) and 'name' in i for i in v) and all(
                isinstance(i, dict) and 'name' in i for i in out[k]):
            merged = [copy.deepcopy(i) for i in out[k]]
            for item in v:
                idx = next((n for n, cur in enumerate(merged) if cur.get('name') == item['name']), None)
                if item.get('$patch') == 'delete':
                    if idx is not None:
                        merged.pop(idx)
                elif idx is None:
                    merged.append(copy.deepcopy(item))
                else:
                    merged[idx] = strategic_merge(merged[idx], item)
            out[k] = merged
        else:
            out[k] = strategic_merge(out.get(k), v)
    return out


def _pointer(path):
    return [p.replace('~1', '/').replace('~0', '~') for p in path.split('/')[1:]]


def json_patch(target, ops):
    """RFC 6902 JSON patch (add, remove, replace, test, copy, move)."""
    doc = copy.deepcopy(target)

    def walk(parts):
        cur = doc
        for p in parts[:-1]:
            cur = cur[int(p)] if isinstance(cur, list) else cur[p]
        return cur, parts[-1]

    for op in ops:
        kind = op['op']
        if kind in ('copy', 'move'):
            src_parent, src_key = walk(_pointer(op['from']))
            val = src_parent[int(src_key)] if isinstance(src_parent, list) else src_parent[src_key]
            if kind == 'move':
                if isinstance(src_parent, list):
                    src_parent.pop(int(src_key))
                else:
                    del src_parent[src_key]
            op = {'op': 'add', 'path': op['path'], 'value': copy.deepcopy(val)}
            kind = 'add'
        parent, key = walk(_pointer(op['path']))
        if kind == 'add':
            if isinstance(parent, list):
                parent.insert(len(parent) if key == '-' else int(key), op['value'])
            else:
                parent[key] = op['value']
        elif kind == 'remove':
            if isinstance(parent, list):
                parent.pop(int(key))
            else:
                del parent[key]
        elif kind == 'replace':
            if isinstance(parent, list):
                parent[int(key)] = op['value']
            else:
                if key not in parent:
                    raise KeyError(op['path'])
                parent[key] = op['value']
        elif kind == 'test':
            cur = parent[int(key)] if isinstance(parent, list) else parent.get(key)
            if cur != op['value']:
                raise ValueError('testing value %s failed' % op['path'])
    return doc


# ------------------------------------------------------------ conditions

def get_condition(obj, ctype):
    for c in (obj.get('status') or {}).get('conditions') or []:
        if c.get('type') == ctype:
            return c
    return None


def set_condition(obj, ctype, status, reason=None, message=None, heartbeat=False):
    """Sets a condition; lastTransitionTime moves only when the status changes."""
    conds = obj.setdefault('status', {}).setdefault('conditions', [])
    cur = next((c for c in conds if c.get('type') == ctype), None)
    t = rfc3339()
    if cur is None:
        cur = {'type': ctype}
        conds.append(cur)
        cur['lastTransitionTime'] = t
    elif cur.get('status') != status:
        cur['lastTransitionTime'] = t
    cur['status'] = status
    if heartbeat:
        cur['lastHeartbeatTime'] = t
    if reason is not None:
        cur['reason'] = reason
    if message is not None:
        cur['message'] = message
    return cur


def owner_ref(owner, controller=True):
    return {'apiVersion': owner['apiVersion'], 'kind': owner['kind'], 'name': owner['metadata']['name'],
            'uid': owner['metadata']['uid'], 'controller': controller, 'blockOwnerDeletion': True}


def is_owned_by(obj, owner):
    uid = owner['metadata']['uid']
    return any(r.get('uid') == uid for r in obj['metadata'].get('ownerReferences') or [])


def pod_ready(pod):
    c = get_condition(pod, 'Ready')
    return bool(c and c.get('status') == 'True') and (pod.get('status') or {}).get('phase') == 'Running'


def node_ready(node):
    c = get_condition(node, 'Ready')
    return bool(c and c.get('status') == 'True')


def pod_active(pod):
    """Not being deleted (controllers and endpoints ignore terminating pods, as FilterActivePods)."""
    return not pod['metadata'].get('deletionTimestamp')


DEFAULT_TOLERATION_SECONDS = 300
NOT_READY_TAINT = 'node.kubernetes.io/not-ready'
UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable'


def add_default_tolerations(spec):
    """The DefaultTolerationSeconds admission plugin: pods tolerate a not-ready or unreachable node
    for 300 s, then the taint manager evicts them."""
    tols = spec.setdefault('tolerations', [])
    for key in (NOT_READY_TAINT, UNREACHABLE_TAINT):
        taint = {'key': key, 'effect': 'NoExecute'}
        if not any(toleration_matches(t, taint) for t in tols):
            tols.append({'key': key, 'operator': 'Exists', 'effect': 'NoExecute',
                         'tolerationSeconds': DEFAULT_TOLERATION_SECONDS})
    return spec
