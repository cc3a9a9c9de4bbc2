"""The stand-in kubectl: get, apply, create, delete, label, taint, patch, scale, cordon, uncordon, drain,
rollout status, wait, version, cluster-info, config view — with kubectl's output shapes and messages."""
import base64
import copy
import json
import os
import re
import sys
import time
import urllib.request

from . import jsonpath, objects, yamlish
from .client import Api, ApiError, ConfigError, ConnectError, load_kubeconfig
from .common import human_duration, host_path, label, minor_of, now, parse_duration, parse_time, version
from .resources import RESOURCES, by_kind, lookup

VALUE = {'kubeconfig', 'namespace', 'output', 'selector', 'timeout', 'filename', 'for', 'field-selector', 'raw',
         'context', 'image', 'replicas', 'port', 'grace-period', 'patch', 'type', 'server', 'field-manager',
         'validate', 'dry-run', 'cascade', 'chunk-size', 'sort-by', 'v', 'request-timeout', 'pod-selector',
         'min-available', 'max-unavailable', 'skip-wait-for-delete-timeout'}
SHORT = {'n': 'namespace', 'o': 'output', 'l': 'selector', 'f': 'filename', 'A': 'all-namespaces', 'p': 'patch',
         'R': 'recursive', 'w': 'watch', 'v': 'v', 'i': 'stdin', 't': 'tty'}
LIST = {'filename'}


class Usage(Exception):
    pass


def parse(argv):
    flags, args = {'filename': []}, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == '--':
            args += argv[i + 1:]
            break
        if a.startswith('--'):
            name, eq, val = a[2:].partition('=')
        elif a.startswith('-') and len(a) > 1 and not re.match(r'^-\d', a):
            name, eq, val = a[1], '', a[2:]
            name = SHORT.get(name, name)
            if val.startswith('='):
                eq, val = '=', val[1:]
            elif val:
                eq = '='
        else:
            args.append(a)
            i += 1
            continue
        if name in VALUE:
            if not eq:
                if i + 1 >= len(argv):
                    raise Usage('error: flag needs an argument: --%s' % name)
                val = argv[i + 1]
                i += 1
            if name in LIST:
                flags[name].append(val)
            else:
                flags[name] = val
        else:
            flags[name] = val if eq else 'true'
        i += 1
    return flags, args


def out(s=''):
    sys.stdout.write(s + '\n')


def err(s):
    sys.stderr.write(s + '\n')


class Kubectl:
    def __init__(self, flags):
        self.flags = flags
        self._api = None
        self.default_ns = None

    # ------------------------------------------------------------------ connection

    def kubeconfig_path(self):
        if self.flags.get('kubeconfig'):
            return self.flags['kubeconfig']
        env = os.environ.get('KUBECONFIG')
        if env:
            for p in env.split(':'):
                if p and os.path.exists(host_path(p)):
                    return p
            return None
        home = os.path.expanduser('~/.kube/config')
        return home if os.path.exists(host_path(home)) else None

    @property
    def api(self):
        if self._api is None:
            path = self.kubeconfig_path()
            if path is None:
                if self.flags.get('kubeconfig'):
                    raise Usage('error: stat %s: no such file or directory' % self.flags['kubeconfig'])
                self._api = Api('http://localhost:8080')
            else:
                try:
                    cfg = load_kubeconfig(path)
                except OSError as e:
                    raise Usage('error: error loading config file "%s": %s' % (path, e.strerror))
                except ConfigError as e:
                    raise Usage('error: %s' % e)
                try:
                    self._api = Api.from_kubeconfig(cfg, self.flags.get('context'),
                                                    timeout=float(parse_duration(self.flags.get('request-timeout'))
                                                                  or 30))
                except ConfigError as e:
                    raise Usage('error: %s' % e)
            if self.flags.get('server'):
                self._api = Api(self.flags['server'], ca=self._api.ca, insecure=self._api.insecure,
                                cert=self._api.cert, key=self._api.key, token=self._api.token)
        return self._api

    def namespace(self):
        if self.flags.get('namespace'):
            return self.flags['namespace']
        try:
            return self.api.namespace or 'default'
        except Usage:
            return 'default'

    # ------------------------------------------------------------------ resource arguments

    def resolve(self, name):
        r = lookup(name)
        if r is None:
            raise Usage('error: the server doesn\'t have a resource type "%s"' % name)
        return r

    def targets(self, args, allow_all=False):
        """['deploy', 'x'] / ['deploy/x', 'svc/y'] / ['pods,svc'] -> list of (resource, name or None)."""
        if not args:
            raise Usage('error: you must specify the type of resource to get.')
        if '/' in args[0]:
            out_ = []
            for a in args:
                if '/' not in a:
                    raise Usage('error: there is no need to specify a resource type as a separate argument when '
                                'passing arguments in resource/name form (e.g. \'kubectl get resource/<resource_name>\' '
                                'instead of \'kubectl get resource resource/<resource_name>\'')
                t, _, n = a.partition('/')
                out_.append((self.resolve(t), n))
            return out_
        types = []
        for t in args[0].split(','):
            if t == 'all':
                types += [lookup(x) for x in ('pods', 'services', 'daemonsets', 'deployments', 'replicasets')]
            else:
                types.append(self.resolve(t))
        names = args[1:]
        if names:
            return [(r, n) for r in types for n in names]
        return [(r, None) for r in types]

    # ------------------------------------------------------------------ object files

    def read_sources(self):
        docs = []
        for f in self.flags.get('filename') or []:
            if f == '-':
                text = sys.stdin.read()
                src = 'STDIN'
            elif re.match(r'^https?://', f):
                try:
                    with urllib.request.urlopen(f, timeout=30) as r:
                        text = r.read().decode()
                except OSError as e:
                    raise Usage('error: unable to read URL "%s", server reported %s, status code=%s' % (
                        f, getattr(e, 'reason', e), getattr(e, 'code', 0)))
                src = f
            else:
                p = host_path(f)
                if os.path.isdir(p):
                    files = sorted(os.path.join(p, n) for n in os.listdir(p) if n.endswith(('.yaml', '.yml', '.json')))
                else:
                    files = [p]
                text = ''
                for fp in files:
                    try:
                        text += '\n---\n' + open(fp).read()
                    except OSError:
                        raise Usage('error: the path "%s" does not exist' % f)
                src = f
            try:
                parsed = yamlish.load_all(text) if not text.lstrip().startswith(('{', '[')) else [json.loads(text)]
            except (yamlish.YAMLError, ValueError) as e:
                raise Usage('error: error parsing %s: error converting YAML to JSON: yaml: %s' % (src, e))
            for d in parsed:
                if isinstance(d, dict) and d.get('kind') == 'List':
                    docs += [(src, i) for i in d.get('items') or []]
                elif isinstance(d, dict):
                    docs.append((src, d))
        if not docs:
            raise Usage('error: no objects passed to %s' % ('apply' if self.cmd == 'apply' else 'create'))
        return docs

    def object_target(self, src, obj):
        r = by_kind(obj.get('apiVersion', ''), obj.get('kind', ''))
        name = (obj.get('metadata') or {}).get('name', '')
        if r is None:
            raise Usage('error: resource mapping not found for name: "%s" namespace: "%s" from "%s": no matches for '
                        'kind "%s" in version "%s"\nensure CRDs are installed first' % (
                            name, (obj.get('metadata') or {}).get('namespace', ''), src, obj.get('kind'),
                            obj.get('apiVersion')))
        ns = None
        if r.namespaced:
            ons = (obj.get('metadata') or {}).get('namespace')
            fns = self.flags.get('namespace')
            if ons and fns and ons != fns:
                raise Usage('error: the namespace from the provided object "%s" does not match the namespace "%s". You '
                            'must pass \'--namespace=%s\' to perform this operation.' % (ons, fns, ons))
            ns = ons or self.namespace()
            obj.setdefault('metadata', {})['namespace'] = ns
        return r, ns, name

    # ------------------------------------------------------------------ commands

    def cmd_apply(self, args):
        rc = 0
        for src, obj in self.read_sources():
            r, ns, name = self.object_target(src, obj)
            obj = copy.deepcopy(obj)
            meta = obj.setdefault('metadata', {})
            last = copy.deepcopy(obj)
            ann = last['metadata'].get('annotations') or {}
            ann.pop('kubectl.kubernetes.io/last-applied-configuration', None)
            if not ann:
                last['metadata'].pop('annotations', None)
            last_json = json.dumps(last, sort_keys=True, separators=(',', ':'))
            meta.setdefault('annotations', {})['kubectl.kubernetes.io/last-applied-configuration'] = last_json + '\n'
            cur = None
            try:
                cur = self.api.get_or_none(r.path(ns, name))
                if cur is None:
                    self.api.create(r.path(ns), obj)
                    verb = 'created'
                else:
                    prev = (cur['metadata'].get('annotations') or {}).get(
                        'kubectl.kubernetes.io/last-applied-configuration', '').strip()
                    if prev == last_json:
                        verb = 'unchanged'
                    else:
                        merged = copy.deepcopy(cur)
                        for k, v in obj.items():
                            if k == 'metadata':
                                for mk in ('labels', 'annotations'):
                                    if mk in v:
                                        merged['metadata'][mk] = dict(v[mk])
                            elif k != 'status':
                                merged[k] = v
                        try:
                            old = json.loads(prev) if prev else {}
                        except ValueError:
                            old = {}
                        for k in old:
                            if k not in obj and k not in ('metadata', 'status', 'apiVersion', 'kind'):
                                merged.pop(k, None)
                        self.api.replace(r.path(ns, name), merged)
                        verb = 'configured'
                out('%s/%s %s' % (r.display, name, verb))
            except ApiError as e:
                err('Error from server (%s): error when %s "%s": %s' % (
                    e.reason, 'creating' if cur is None else 'patching', src, e))
                rc = 1
        return rc

    def cmd_create(self, args):
        if args and args[0] in ('namespace', 'ns'):
            if len(args) < 2:
                raise Usage('error: exactly one NAME is required, got 0')
            r = lookup('namespaces')
            self.api.create(r.path(), {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': args[1]}})
            out('namespace/%s created' % args[1])
            return 0
        if args and args[0] in ('poddisruptionbudget', 'pdb'):
            return self.create_pdb(args[1:])
        if args and args[0] in ('deployment', 'deploy'):
            name = args[1]
            image = self.flags.get('image')
            if not image:
                raise Usage('error: required flag(s) "image" not set')
            replicas = int(self.flags.get('replicas', 1))
            ns = self.namespace()
            c = {'name': re.sub(r'[^a-z0-9-]', '-', image.split('/')[-1].split(':')[0]), 'image': image}
            if self.flags.get('port'):
                c['ports'] = [{'containerPort': int(self.flags['port'])}]
            self.api.create(lookup('deployments').path(ns), {
                'apiVersion': 'apps/v1', 'kind': 'Deployment',
                'metadata': {'name': name, 'namespace': ns, 'labels': {'app': name}},
                'spec': {'replicas': replicas, 'selector': {'matchLabels': {'app': name}},
                         'template': {'metadata': {'labels': {'app': name}}, 'spec': {'containers': [c]}}}})
            out('deployment.apps/%s created' % name)
            return 0
        rc = 0
        for src, obj in self.read_sources():
            r, ns, name = self.object_target(src, obj)
            try:
                self.api.create(r.path(ns), obj)
                out('%s/%s created' % (r.display, name or obj['metadata'].get('generateName', '')))
            except ApiError as e:
                err('Error from server (%s): error when creating "%s": %s' % (e.reason, src, e))
                rc = 1
        return rc

    def create_pdb(self, args):
        """kubectl create poddisruptionbudget NAME --selector=SELECTOR --min-available=N|--max-unavailable=N."""
        if len(args) != 1:
            raise Usage('error: exactly one NAME is required, got %d' % len(args))
        mina, maxu = self.flags.get('min-available'), self.flags.get('max-unavailable')
        if not mina and not maxu:
            raise Usage('error: one of min-available or max-unavailable must be specified')
        if mina and maxu:
            raise Usage('error: min-available and max-unavailable cannot be both specified')
        if not self.flags.get('selector'):
            raise Usage('error: a selector must be specified')
        value = mina or maxu
        spec = {'selector': {'matchLabels': dict(kv.split('=', 1) for kv in self.flags['selector'].split(','))},
                'minAvailable' if mina else 'maxUnavailable': value if value.endswith('%') else int(value)}
        ns = self.namespace()
        self.api.create(lookup('poddisruptionbudgets').path(ns), {
            'apiVersion': 'policy/v1', 'kind': 'PodDisruptionBudget', 'metadata': {'name': args[0], 'namespace': ns},
            'spec': spec})
        out('poddisruptionbudget.policy/%s created' % args[0])
        return 0

    def fetch(self, r, name, ns):
        """Objects of one type: a single name or a list (label / field selectors applied)."""
        if name:
            return [self.api.get(r.path(ns, name))]
        q = {}
        if self.flags.get('selector'):
            q['labelSelector'] = self.flags['selector']
        if self.flags.get('field-selector'):
            q['fieldSelector'] = self.flags['field-selector']
        items = self.api.get(r.path(ns), q)['items']
        for i in items:
            i.setdefault('apiVersion', r.api_version)
            i.setdefault('kind', r.kind)
        return items

    def cmd_get(self, args):
        if self.flags.get('raw'):
            status, body = self.api.raw('GET', self.flags['raw'])
            if status >= 400:
                raise ApiError(status, body)
            out(body if isinstance(body, str) else json.dumps(body))
            return 0
        if self.flags.get('watch') == 'true':
            raise Usage('error: %s kubectl get --watch is not supported by the lab stand-in' % '[steer lab stand-in]')
        all_ns = self.flags.get('all-namespaces') == 'true'
        ns = None if all_ns else self.namespace()
        targets = self.targets(args)
        fmt = self.flags.get('output', '')
        results = []  # (resource, [objects])
        errors = []
        for r, name in targets:
            try:
                objs = self.fetch(r, name, ns if r.namespaced else None)
                results.append((r, objs))
            except ApiError as e:
                if e.code == 404 and name and self.flags.get('ignore-not-found') == 'true':
                    continue
                errors.append('Error from server (%s): %s' % (e.reason, e))
        items = [o for _, objs in results for o in objs]
        single = len(targets) == 1 and targets[0][1] is not None
        if fmt in ('json', 'yaml') or fmt.startswith(('jsonpath', 'go-template', 'custom-columns')):
            data = items[0] if single and len(items) == 1 else {
                'apiVersion': 'v1', 'items': items, 'kind': 'List', 'metadata': {'resourceVersion': ''}}
            if fmt == 'json':
                out(json.dumps(data, indent=4, sort_keys=True))
            elif fmt == 'yaml':
                sys.stdout.write(yamlish.dump(data, sort_keys=True))
            elif fmt.startswith('jsonpath'):
                tmpl = fmt.split('=', 1)[1] if '=' in fmt else ''
                if tmpl[:1] in '\'"' and tmpl[-1:] == tmpl[:1]:
                    tmpl = tmpl[1:-1]
                try:
                    sys.stdout.write(jsonpath.render(tmpl, data))
                except jsonpath.JSONPathError as e:
                    raise Usage('error: error parsing jsonpath %s, %s' % (tmpl, e))
            elif fmt.startswith('custom-columns'):
                self.custom_columns(fmt.split('=', 1)[1], items)
            else:
                raise Usage('error: %s output format %s is not supported by the lab stand-in'
                            % ('[steer lab stand-in]', fmt))
        elif fmt == 'name':
            for r, objs in results:
                for o in objs:
                    out('%s/%s' % (r.display, o['metadata']['name']))
        elif fmt in ('', 'wide'):
            self.print_tables(results, all_ns, fmt == 'wide', len(targets) > 1 or args[0].split(',')[0] == 'all'
                              and len(results) > 1)
            if not items and not errors:
                if all_ns or not any(r.namespaced for r, _ in results):
                    err('No resources found')
                else:
                    err('No resources found in %s namespace.' % ns)
        else:
            raise Usage('error: unable to match a printer suitable for the output format "%s", allowed formats are: '
                        'custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,'
                        'jsonpath-file,name,template,templatefile,wide,yaml' % fmt)
        for e in errors:
            err(e)
        return 1 if errors else 0

    def custom_columns(self, spec, items):
        cols = [c.split(':', 1) for c in spec.split(',')]
        rows = [[c[0] for c in cols]] if self.flags.get('no-headers') != 'true' else []
        for o in items:
            rows.append([(jsonpath.render('{' + c[1] + '}', o) or '<none>') for c in cols])
        print_rows(rows)

    def print_tables(self, results, all_ns, wide, prefix):
        first = True
        for r, objs in results:
            if not objs:
                continue
            if not first:
                out('')
            first = False
            header, rows = table(r, objs, wide)
            if prefix:
                rows = [[('%s/%s' % (r.display, row[0]))] + row[1:] for row in rows]
            if all_ns and r.namespaced:
                header = ['NAMESPACE'] + header
                rows = [[o['metadata'].get('namespace', '')] + row for o, row in zip(objs, rows)]
            if self.flags.get('show-labels') == 'true':
                header = header + ['LABELS']
                rows = [row + [','.join('%s=%s' % kv for kv in sorted((o['metadata'].get('labels') or {}).items()))
                               or '<none>'] for o, row in zip(objs, rows)]
            print_rows(([header] if self.flags.get('no-headers') != 'true' else []) + rows)

    def cmd_delete(self, args):
        rc = 0
        if self.flags.get('filename'):
            pairs = []
            for src, obj in self.read_sources():
                r, ns, name = self.object_target(src, obj)
                pairs.append((r, name, ns))
        else:
            pairs = []
            for r, name in self.targets(args):
                ns = self.namespace() if r.namespaced else None
                if name:
                    pairs.append((r, name, ns))
                elif self.flags.get('all') == 'true' or self.flags.get('selector'):
                    pairs += [(r, o['metadata']['name'], ns) for o in self.fetch(r, None, ns)]
                else:
                    raise Usage('error: resource(s) were provided, but no name was specified')
        options, forced = self.delete_options()
        for r, name, ns in pairs:
            try:
                self.api.delete(r.path(ns, name), options)
                out('%s "%s" %sdeleted' % (r.display, name, 'force ' if forced else ''))
            except ApiError as e:
                if e.code == 404 and self.flags.get('ignore-not-found') == 'true':
                    continue
                err('Error from server (%s): %s' % (e.reason, e))
                rc = 1
        if self.flags.get('wait', 'true') == 'true':
            for r, name, ns in pairs:
                deadline = time.time() + 30
                while time.time() < deadline and self.api.get_or_none(r.path(ns, name)) is not None:
                    time.sleep(0.5)
        return rc

    def delete_options(self):
        """DeleteOptions from --grace-period / --now / --force, and whether this is a forced deletion."""
        grace = int(self.flags.get('grace-period', '-1'))
        if self.flags.get('now') == 'true':
            grace = 1
        force = self.flags.get('force') == 'true'
        if force and grace < 0:
            grace = 0
        if force and grace == 0:
            err('Warning: Immediate deletion does not wait for confirmation that the running resource has been '
                'terminated. The resource may continue to run on the cluster indefinitely.')
        if grace < 0:
            return None, False
        return {'kind': 'DeleteOptions', 'apiVersion': 'v1', 'gracePeriodSeconds': grace}, force and grace == 0

    def cmd_label(self, args):
        r_name = self.targets(args[:1] if '/' in args[0] else args[:2])
        kvs = args[1:] if '/' in args[0] else args[2:]
        if self.flags.get('all') == 'true' and '/' not in args[0]:
            r_name = [(self.resolve(args[0]), None)]
            kvs = args[1:]
        if not kvs:
            raise Usage('error: at least one label update is required')
        rc = 0
        for r, name in r_name:
            ns = self.namespace() if r.namespaced else None
            objs = [self.api.get(r.path(ns, name))] if name else self.fetch(r, None, ns)
            for o in objs:
                labels = dict(o['metadata'].get('labels') or {})
                before = dict(labels)
                for kv in kvs:
                    if kv.endswith('-') and '=' not in kv:
                        labels.pop(kv[:-1], None)
                        continue
                    k, _, v = kv.partition('=')
                    if k in labels and labels[k] != v and self.flags.get('overwrite') != 'true':
                        err("error: '%s' already has a value (%s), and --overwrite is false" % (k, labels[k]))
                        return 1
                    labels[k] = v
                if labels == before:
                    out('%s/%s not labeled' % (r.display, o['metadata']['name']))
                    continue
                patch = {'metadata': {'labels': {k: labels.get(k) for k in set(labels) | set(before)}}}
                self.api.merge_patch(r.path(ns, o['metadata']['name']), patch)
                out('%s/%s %s' % (r.display, o['metadata']['name'], 'unlabeled' if len(labels) < len(before) and all(
                    kv.endswith('-') for kv in kvs) else 'labeled'))
        return rc

    def cmd_taint(self, args):
        if not args:
            raise Usage('error: at least one taint update is required')
        if '/' in args[0]:
            t, _, name = args[0].partition('/')
            specs = args[1:]
        else:
            t = args[0]
            name = None if self.flags.get('all') == 'true' else (args[1] if len(args) > 1 else None)
            specs = args[1:] if self.flags.get('all') == 'true' else args[2:]
        r = self.resolve(t)
        if r.kind != 'Node':
            raise Usage('error: invalid resource type %s, only node types are supported' % t)
        if not specs:
            raise Usage('error: at least one taint update is required')
        nodes = [self.api.get(r.path(None, name))] if name else self.fetch(r, None, None)
        for node in nodes:
            taints = list((node.get('spec') or {}).get('taints') or [])
            nn = node['metadata']['name']
            removed = added = False
            for s in specs:
                remove = s.endswith('-')
                s = s[:-1] if remove else s
                kv, _, effect = s.partition(':')
                k, _, v = kv.partition('=')
                if remove:
                    keep = [x for x in taints if not (x.get('key') == k and (not effect or x.get('effect') == effect))]
                    if len(keep) == len(taints):
                        err('error: taint "%s" not found' % s)
                        return 1
                    taints = keep
                    removed = True
                else:
                    if effect not in ('NoSchedule', 'PreferNoSchedule', 'NoExecute'):
                        err('error: invalid taint effect: %s, unsupported taint effect' % effect)
                        return 1
                    same = [x for x in taints if x.get('key') == k and x.get('effect') == effect]
                    if same and self.flags.get('overwrite') != 'true':
                        err('error: node %s already has %s taint(s) with same effect(s) and --overwrite is false'
                            % (nn, k))
                        return 1
                    taints = [x for x in taints if not (x.get('key') == k and x.get('effect') == effect)]
                    new = {'key': k, 'effect': effect}
                    if v:
                        new['value'] = v
                    taints.append(new)
                    added = True
            self.api.merge_patch(r.path(None, nn), {'spec': {'taints': taints}})
            out('node/%s %s' % (nn, 'modified' if added and removed else 'tainted' if added else 'untainted'))
        return 0

    def cmd_patch(self, args):
        (r, name), = self.targets(args[:1] if '/' in args[0] else args[:2])
        ns = self.namespace() if r.namespaced else None
        body = self.flags.get('patch')
        if body is None:
            raise Usage('error: must specify -p to patch')
        try:
            patch = json.loads(body)
        except ValueError:
            patch = yamlish.load(body)
        kind = self.flags.get('type', 'strategic')
        ctype = {'strategic': 'application/strategic-merge-patch+json', 'merge': 'application/merge-patch+json',
                 'json': 'application/json-patch+json'}[kind]
        before = self.api.get(r.path(ns, name))
        after = self.api.request('PATCH', r.path(ns, name), patch, content_type=ctype)
        same = before['metadata'].get('resourceVersion') == after['metadata'].get('resourceVersion')
        out('%s/%s %s' % (r.display, name, 'patched (no change)' if same else 'patched'))
        return 0

    def cmd_scale(self, args):
        replicas = self.flags.get('replicas')
        if replicas is None:
            raise Usage('error: required flag(s) "replicas" not set')
        for r, name in self.targets(args):
            ns = self.namespace()
            self.api.merge_patch(r.path(ns, name), {'spec': {'replicas': int(replicas)}})
            out('%s/%s scaled' % (r.display, name))
        return 0

    def cmd_cordon(self, args, value=True):
        r = lookup('nodes')
        for name in args:
            node = self.api.get(r.path(None, name))
            if bool((node.get('spec') or {}).get('unschedulable')) == value:
                out('node/%s already %s' % (name, 'cordoned' if value else 'uncordoned'))
                continue
            self.api.merge_patch(r.path(None, name), {'spec': {'unschedulable': True if value else None}})
            out('node/%s %s' % (name, 'cordoned' if value else 'uncordoned'))
        return 0

    def cmd_drain(self, args):
        from . import kubectl_drain
        return kubectl_drain.run(self, args)

    def cmd_rollout(self, args):
        if not args or args[0] != 'status':
            raise Usage('error: %s only "kubectl rollout status" is supported by the lab stand-in'
                        % '[steer lab stand-in]')
        (r, name), = self.targets(args[1:])
        ns = self.namespace()
        timeout = parse_duration(self.flags.get('timeout', '0')) or None
        deadline = time.time() + timeout if timeout else None
        last = None
        while True:
            o = self.api.get(r.path(ns, name))
            spec, st = o.get('spec') or {}, o.get('status') or {}
            if r.kind == 'Deployment':
                want = spec.get('replicas', 1)
                if st.get('observedGeneration', 0) < o['metadata'].get('generation', 1):
                    msg = 'Waiting for deployment spec update to be observed...'
                elif st.get('updatedReplicas', 0) < want:
                    msg = 'Waiting for deployment "%s" rollout to finish: %d out of %d new replicas have been updated...' \
                          % (name, st.get('updatedReplicas', 0), want)
                elif st.get('replicas', 0) > st.get('updatedReplicas', 0):
                    msg = 'Waiting for deployment "%s" rollout to finish: %d old replicas are pending termination...' \
                          % (name, st.get('replicas', 0) - st.get('updatedReplicas', 0))
                elif st.get('availableReplicas', 0) < st.get('updatedReplicas', 0):
                    msg = 'Waiting for deployment "%s" rollout to finish: %d of %d updated replicas are available...' \
                          % (name, st.get('availableReplicas', 0), st.get('updatedReplicas', 0))
                else:
                    out('deployment "%s" successfully rolled out' % name)
                    return 0
            elif r.kind == 'DaemonSet':
                want = st.get('desiredNumberScheduled', 0)
                if st.get('observedGeneration', 0) < o['metadata'].get('generation', 1):
                    msg = 'Waiting for daemon set spec update to be observed...'
                elif st.get('updatedNumberScheduled', 0) < want:
                    msg = 'Waiting for daemon set "%s" rollout to finish: %d out of %d new pods have been updated...' \
                          % (name, st.get('updatedNumberScheduled', 0), want)
                elif st.get('numberAvailable', 0) < want:
                    msg = 'Waiting for daemon set "%s" rollout to finish: %d of %d updated pods are available...' \
                          % (name, st.get('numberAvailable', 0), want)
                else:
                    out('daemon set "%s" successfully rolled out' % name)
                    return 0
            else:
                raise Usage('error: no status viewer has been implemented for %s' % r.kind)
            if msg != last:
                out(msg)
                last = msg
            if deadline and time.time() > deadline:
                err('error: timed out waiting for the condition')
                return 1
            time.sleep(1)

    def cmd_wait(self, args):
        cond = self.flags.get('for')
        if not cond:
            raise Usage('error: --for must be set')
        timeout = parse_duration(self.flags.get('timeout', '30s'))
        deadline = time.time() + timeout
        targets = self.targets(args)
        ns = self.namespace()
        pending = []
        for r, name in targets:
            rns = ns if r.namespaced else None
            if name:
                pending.append((r, name, rns))
            else:
                objs = self.fetch(r, None, rns if not self.flags.get('all-namespaces') else None)
                if not objs:
                    err('error: no matching resources found')
                    return 1
                pending += [(r, o['metadata']['name'], o['metadata'].get('namespace')) for o in objs]
        rc = 0
        for r, name, rns in pending:
            while True:
                o = self.api.get_or_none(r.path(rns, name))
                if cond == 'delete':
                    ok = o is None
                elif o is None:
                    err('Error from server (NotFound): %s "%s" not found' % (r.key, name))
                    return 1
                elif cond.startswith('condition='):
                    ctype, _, want = cond[len('condition='):].partition('=')
                    c = next((c for c in (o.get('status') or {}).get('conditions') or []
                              if c.get('type', '').lower() == ctype.lower()), None)
                    ok = c is not None and c.get('status', '').lower() == (want or 'true').lower()
                elif cond.startswith('jsonpath='):
                    expr, _, want = cond[len('jsonpath='):].partition('=')
                    expr = expr.strip('\'"')
                    got = jsonpath.render(expr if expr.startswith('{') else '{' + expr + '}', o)
                    ok = got == want.strip('\'"') if want else bool(got)
                else:
                    raise Usage('error: unrecognized condition: "%s"' % cond)
                if ok:
                    out('%s/%s condition met' % (r.display, name))
                    break
                if time.time() >= deadline:
                    err('error: timed out waiting for the condition on %s/%s' % (r.key, name))
                    rc = 1
                    break
                time.sleep(1)
        return rc

    def cmd_version(self, args):
        v = version()
        info = client_version_info(v)
        fmt = self.flags.get('output', '')
        server = None
        server_err = None
        if self.flags.get('client') != 'true':
            try:
                server = self.api.get('/version')
            except (ApiError, ConnectError, Usage) as e:
                server_err = e
        if fmt == 'json':
            d = {'clientVersion': info, 'kustomizeVersion': 'v5.7.1'}
            if server:
                d['serverVersion'] = server
            out(json.dumps(d, indent=2))
        elif fmt == 'yaml':
            d = {'clientVersion': info, 'kustomizeVersion': 'v5.7.1'}
            if server:
                d['serverVersion'] = server
            sys.stdout.write(yamlish.dump(d))
        else:
            out('Client Version: v' + v)
            out('Kustomize Version: v5.7.1')
            if server:
                out('Server Version: ' + server.get('gitVersion', ''))
        if server:
            c, sv = minor_of(v), minor_of(server.get('gitVersion', ''))
            if c[0] == sv[0] and abs(c[1] - sv[1]) > 1:
                err('WARNING: version difference between client (%d.%d) and server (%d.%d) exceeds the supported '
                    'minor version skew of +/-1' % (c + sv))
        if server_err is not None:
            raise server_err
        return 0

    def cmd_cluster_info(self, args):
        self.api.get('/api/v1/namespaces/kube-system/services')
        out('Kubernetes control plane is running at %s' % self.api.server)
        if self.api.get_or_none('/api/v1/namespaces/kube-system/services/kube-dns'):
            out('CoreDNS is running at %s/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy' % self.api.server)
        out('')
        out("To further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.")
        return 0

    def cmd_config(self, args):
        path = self.kubeconfig_path()
        if not args:
            raise Usage('error: %s supported: kubectl config view [--raw] | current-context' % '[steer lab stand-in]')
        cfg = load_kubeconfig(path) if path else {'apiVersion': 'v1', 'clusters': None, 'contexts': None,
                                                   'current-context': '', 'kind': 'Config', 'preferences': {},
                                                   'users': None}
        if args[0] == 'current-context':
            if not cfg.get('current-context'):
                err('error: current-context is not set')
                return 1
            out(cfg['current-context'])
            return 0
        if args[0] == 'view':
            if self.flags.get('raw') != 'true':
                cfg = copy.deepcopy(cfg)
                for c in cfg.get('clusters') or []:
                    if 'certificate-authority-data' in c.get('cluster', {}):
                        c['cluster']['certificate-authority-data'] = 'DATA+OMITTED'
                for u in cfg.get('users') or []:
                    for k in ('client-certificate-data', 'client-key-data', 'token'):
                        if k in u.get('user', {}):
                            u['user'][k] = 'DATA+OMITTED' if k != 'client-key-data' else 'DATA+OMITTED'
                            if k == 'client-key-data':
                                u['user'][k] = 'DATA+OMITTED'
            fmt = self.flags.get('output', 'yaml')
            if fmt.startswith('jsonpath'):
                tmpl = fmt.split('=', 1)[1].strip('\'"')
                sys.stdout.write(jsonpath.render(tmpl, cfg))
            elif fmt == 'json':
                out(json.dumps(cfg, indent=4))
            else:
                sys.stdout.write(yamlish.dump(cfg))
            return 0
        raise Usage('error: %s "kubectl config %s" is not supported by the lab stand-in'
                    % ('[steer lab stand-in]', args[0]))


def client_version_info(v):
    major, minor = v.split('.')[:2]
    from .common import git_commit
    return {'major': major, 'minor': minor, 'gitVersion': 'v' + v, 'gitCommit': git_commit(v), 'gitTreeState': 'clean',
            'buildDate': '2026-01-01T00:00:00Z', 'goVersion': 'go1.24.9', 'compiler': 'gc', 'platform': 'linux/amd64'}


# ====================================================================== tables

def print_rows(rows):
    if not rows:
        return
    widths = [max(len(r[i]) if i < len(r) else 0 for r in rows) for i in range(max(len(r) for r in rows))]
    for r in rows:
        out(''.join((c.ljust(widths[i] + 3) if i < len(r) - 1 else c) for i, c in enumerate(r)))


def age(o):
    t = parse_time(o['metadata'].get('creationTimestamp'))
    return human_duration((now() - t).total_seconds()) if t else '<unknown>'


def pod_status(p):
    st = p.get('status') or {}
    if p['metadata'].get('deletionTimestamp'):
        return 'Terminating'
    for cs in st.get('containerStatuses') or []:
        w = (cs.get('state') or {}).get('waiting')
        if w and w.get('reason'):
            return w['reason']
        t = (cs.get('state') or {}).get('terminated')
        if t and t.get('reason'):
            return t['reason']
    return st.get('phase', 'Pending')


def table(r, objs, wide):
    kind = r.kind
    rows = []
    if kind == 'Node':
        header = ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']
        if wide:
            header += ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']
        for o in objs:
            c = objects.get_condition(o, 'Ready')
            status = 'Ready' if c and c.get('status') == 'True' else 'NotReady' if c and c.get('status') == 'False' \
                else 'Unknown' if c else 'Unknown'
            if (o.get('spec') or {}).get('unschedulable'):
                status += ',SchedulingDisabled'
            roles = sorted(k.split('/', 1)[1] for k in (o['metadata'].get('labels') or {})
                           if k.startswith('node-role.kubernetes.io/')) or ['<none>']
            info = (o.get('status') or {}).get('nodeInfo') or {}
            row = [o['metadata']['name'], status, ','.join(roles), age(o), info.get('kubeletVersion', '')]
            if wide:
                addrs = {a['type']: a['address'] for a in (o.get('status') or {}).get('addresses') or []}
                row += [addrs.get('InternalIP', '<none>'), addrs.get('ExternalIP', '<none>'), info.get('osImage', ''),
                        info.get('kernelVersion', ''), info.get('containerRuntimeVersion', '')]
            rows.append(row)
    elif kind == 'Pod':
        header = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']
        if wide:
            header += ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']
        for o in objs:
            cs = (o.get('status') or {}).get('containerStatuses') or []
            total = len(o['spec'].get('containers') or [])
            ready = len([c for c in cs if c.get('ready')])
            restarts = sum(c.get('restartCount', 0) for c in cs)
            row = [o['metadata']['name'], '%d/%d' % (ready, total), pod_status(o), str(restarts), age(o)]
            if wide:
                row += [(o.get('status') or {}).get('podIP') or '<none>', o['spec'].get('nodeName') or '<none>',
                        '<none>', '<none>']
            rows.append(row)
    elif kind == 'Deployment':
        header = ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']
        if wide:
            header += ['CONTAINERS', 'IMAGES', 'SELECTOR']
        for o in objs:
            st = o.get('status') or {}
            row = [o['metadata']['name'], '%d/%d' % (st.get('readyReplicas', 0), o['spec'].get('replicas', 1)),
                   str(st.get('updatedReplicas', 0)), str(st.get('availableReplicas', 0)), age(o)]
            if wide:
                cs = o['spec']['template']['spec'].get('containers') or []
                row += [','.join(c['name'] for c in cs), ','.join(c.get('image', '') for c in cs),
                        objects.selector_string(o['spec'].get('selector'))]
            rows.append(row)
    elif kind == 'ReplicaSet':
        header = ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']
        if wide:
            header += ['CONTAINERS', 'IMAGES', 'SELECTOR']
        for o in objs:
            st = o.get('status') or {}
            row = [o['metadata']['name'], str(o['spec'].get('replicas', 1)), str(st.get('replicas', 0)),
                   str(st.get('readyReplicas', 0)), age(o)]
            if wide:
                cs = o['spec']['template']['spec'].get('containers') or []
                row += [','.join(c['name'] for c in cs), ','.join(c.get('image', '') for c in cs),
                        objects.selector_string(o['spec'].get('selector'))]
            rows.append(row)
    elif kind == 'DaemonSet':
        header = ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE']
        if wide:
            header += ['CONTAINERS', 'IMAGES', 'SELECTOR']
        for o in objs:
            st = o.get('status') or {}
            sel = o['spec']['template']['spec'].get('nodeSelector') or {}
            row = [o['metadata']['name'], str(st.get('desiredNumberScheduled', 0)),
                   str(st.get('currentNumberScheduled', 0)), str(st.get('numberReady', 0)),
                   str(st.get('updatedNumberScheduled', 0)), str(st.get('numberAvailable', 0)),
                   ','.join('%s=%s' % kv for kv in sorted(sel.items())) or '<none>', age(o)]
            if wide:
                cs = o['spec']['template']['spec'].get('containers') or []
                row += [','.join(c['name'] for c in cs), ','.join(c.get('image', '') for c in cs),
                        objects.selector_string(o['spec'].get('selector'))]
            rows.append(row)
    elif kind == 'Service':
        header = ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']
        if wide:
            header += ['SELECTOR']
        for o in objs:
            s = o['spec']
            ports = ','.join('%d%s/%s' % (p['port'], (':%d' % p['nodePort']) if p.get('nodePort') else '',
                                          p.get('protocol', 'TCP')) for p in s.get('ports') or []) or '<none>'
            row = [o['metadata']['name'], s.get('type', 'ClusterIP'), s.get('clusterIP', '<none>'),
                   ','.join(s.get('externalIPs') or []) or ('<pending>' if s.get('type') == 'LoadBalancer' else '<none>'),
                   ports, age(o)]
            if wide:
                row += [','.join('%s=%s' % kv for kv in sorted((s.get('selector') or {}).items())) or '<none>']
            rows.append(row)
    elif kind == 'Namespace':
        header = ['NAME', 'STATUS', 'AGE']
        rows = [[o['metadata']['name'], (o.get('status') or {}).get('phase', 'Active'), age(o)] for o in objs]
    elif kind == 'ConfigMap':
        header = ['NAME', 'DATA', 'AGE']
        rows = [[o['metadata']['name'], str(len(o.get('data') or {}) + len(o.get('binaryData') or {})), age(o)]
                for o in objs]
    elif kind == 'Secret':
        header = ['NAME', 'TYPE', 'DATA', 'AGE']
        rows = [[o['metadata']['name'], o.get('type', 'Opaque'), str(len(o.get('data') or {})), age(o)] for o in objs]
    elif kind == 'ServiceAccount':
        header = ['NAME', 'SECRETS', 'AGE']
        rows = [[o['metadata']['name'], str(len(o.get('secrets') or [])), age(o)] for o in objs]
    elif kind == 'Endpoints':
        header = ['NAME', 'ENDPOINTS', 'AGE']
        for o in objs:
            eps = ['%s:%s' % (a['ip'], p['port']) for s in o.get('subsets') or [] for a in s.get('addresses') or []
                   for p in s.get('ports') or []]
            rows.append([o['metadata']['name'], ','.join(eps[:3]) + (' + %d more...' % (len(eps) - 3)
                                                                      if len(eps) > 3 else '') or '<none>', age(o)])
    elif kind == 'PodDisruptionBudget':
        header = ['NAME', 'MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE']
        for o in objs:
            sp = o.get('spec') or {}
            rows.append([o['metadata']['name'], str(sp['minAvailable']) if sp.get('minAvailable') is not None else 'N/A',
                         str(sp['maxUnavailable']) if sp.get('maxUnavailable') is not None else 'N/A',
                         str((o.get('status') or {}).get('disruptionsAllowed', 0)), age(o)])
    elif kind == 'Lease':
        header = ['NAME', 'HOLDER', 'AGE']
        rows = [[o['metadata']['name'], (o.get('spec') or {}).get('holderIdentity', ''), age(o)] for o in objs]
    elif kind == 'CertificateSigningRequest':
        header = ['NAME', 'AGE', 'SIGNERNAME', 'REQUESTOR', 'REQUESTEDDURATION', 'CONDITION']
        for o in objs:
            conds = [c['type'] for c in (o.get('status') or {}).get('conditions') or []]
            if (o.get('status') or {}).get('certificate'):
                conds.append('Issued')
            rows.append([o['metadata']['name'], age(o), o['spec'].get('signerName', ''),
                         o['spec'].get('username', ''), '<none>', ','.join(conds) or 'Pending'])
    else:
        header = ['NAME', 'AGE']
        rows = [[o['metadata']['name'], age(o)] for o in objs]
    return header, rows


COMMANDS = ['get', 'apply', 'create', 'delete', 'label', 'taint', 'patch', 'scale', 'cordon', 'uncordon', 'drain',
            'rollout', 'wait', 'version', 'cluster-info', 'config']


def main(argv):
    label('kubectl')
    try:
        flags, args = parse(argv)
    except Usage as e:
        err(str(e))
        return 1
    if not args:
        out('kubectl (steer lab stand-in) controls the steer lab\'s stand-in Kubernetes API.\n\nCommands: '
            + ', '.join(COMMANDS))
        return 0
    cmd, rest = args[0], args[1:]
    k = Kubectl(flags)
    k.cmd = cmd
    handlers = {'get': k.cmd_get, 'apply': k.cmd_apply, 'create': k.cmd_create, 'delete': k.cmd_delete,
                'label': k.cmd_label, 'taint': k.cmd_taint, 'patch': k.cmd_patch, 'scale': k.cmd_scale,
                'cordon': k.cmd_cordon, 'uncordon': lambda a: k.cmd_cordon(a, False), 'drain': k.cmd_drain,
                'rollout': k.cmd_rollout, 'wait': k.cmd_wait, 'version': k.cmd_version,
                'cluster-info': k.cmd_cluster_info, 'config': k.cmd_config}
    if cmd not in handlers:
        err('error: unknown command "%s" for "kubectl"' % cmd)
        return 1
    try:
        return handlers[cmd](rest)
    except Usage as e:
        err(str(e))
        return 1
    except ApiError as e:
        err('Error from server (%s): %s' % (e.reason, e))
        return 1
    except ConnectError as e:
        cause = e.cause
        if isinstance(cause, ConnectionRefusedError) or 'refused' in str(cause):
            err('The connection to the server %s was refused - did you specify the right host or port?' % e.hostport)
        else:
            err('Unable to connect to the server: %s' % cause)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
