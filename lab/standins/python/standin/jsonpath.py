"""kubectl's JSONPath templates: {.a.b}, {.items[*].metadata.name}, [0], [-1:], [?(@.type=="Ready")],
{range …}{end}, quoted literals such as {"\\n"}, and .. recursive descent. Missing keys print nothing
(kubectl's allowMissingTemplateKeys default)."""
import json
import re


class JSONPathError(Exception):
    pass


def _split_template(t):
    """Template text to a list of ('text', s) and ('expr', s) parts."""
    parts, i = [], 0
    while i < len(t):
        j = t.find('{', i)
        if j < 0:
            parts.append(('text', t[i:]))
            break
        if j > i:
            parts.append(('text', t[i:j]))
        depth, k, q = 0, j, None
        while k < len(t):
            c = t[k]
            if q:
                if c == '\\':
                    k += 1
                elif c == q:
                    q = None
            elif c in '"\'':
                q = c
            elif c == '{':
                depth += 1
            elif c == '}':
                depth -= 1
                if depth == 0:
                    break
            k += 1
        if k >= len(t):
            raise JSONPathError('unclosed action')
        parts.append(('expr', t[j + 1:k].strip()))
        i = k + 1
    return parts


def _tokens(expr):
    """'.items[*].metadata.name' -> ['items', '[*]', 'metadata', 'name']."""
    out, i = [], 0
    if expr.startswith(('$', '@')):
        i = 1
    while i < len(expr):
        c = expr[i]
        if c == '.':
            if expr[i:i + 2] == '..':
                out.append('..')
                i += 2
                continue
            i += 1
            continue
        if c == '[':
            depth, k = 0, i
            while k < len(expr):
                if expr[k] == '[':
                    depth += 1
                elif expr[k] == ']':
                    depth -= 1
                    if depth == 0:
                        break
                k += 1
            out.append(expr[i:k + 1])
            i = k + 1
            continue
        m = re.match(r'[^.\[]+', expr[i:])
        out.append(m.group(0))
        i += len(m.group(0))
    return out


def _filter(node, cond):
    m = re.match(r'^@\.?([\w.\-/]*)\s*(==|!=|<=|>=|<|>)\s*(.+)$', cond.strip())
    if not m:
        m2 = re.match(r'^@\.([\w.\-/]+)$', cond.strip())
        if m2:
            return _lookup(node, m2.group(1)) is not None
        raise JSONPathError('unsupported filter %s' % cond)
    left = _lookup(node, m.group(1)) if m.group(1) else node
    right = m.group(3).strip()
    if right[:1] in '"\'':
        right = right[1:-1]
    else:
        try:
            right = json.loads(right)
        except ValueError:
            pass
    op = m.group(2)
    try:
        return {'==': left == right, '!=': left != right, '<': left < right, '>': left > right,
                '<=': left <= right, '>=': left >= right}[op]
    except TypeError:
        return False


def _lookup(node, dotted):
    cur = node
    for p in dotted.split('.'):
        if not isinstance(cur, dict) or p not in cur:
            return None
        cur = cur[p]
    return cur


def _all_values(node):
    yield node
    if isinstance(node, dict):
        for v in node.values():
            yield from _all_values(v)
    elif isinstance(node, list):
        for v in node:
            yield from _all_values(v)


def evaluate(expr, data):
    nodes = [data]
    toks = _tokens(expr)
    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = []
        if t == '..':
            i += 1
            key = toks[i] if i < len(toks) else None
            for n in nodes:
                for v in _all_values(n):
                    if isinstance(v, dict) and key in v:
                        nxt.append(v[key])
        elif t.startswith('['):
            inner = t[1:-1].strip()
            for n in nodes:
                if inner == '*':
                    nxt.extend(n if isinstance(n, list) else list(n.values()) if isinstance(n, dict) else [])
                elif inner.startswith('?(') and inner.endswith(')'):
                    if isinstance(n, list):
                        nxt.extend(x for x in n if _filter(x, inner[2:-1]))
                elif ':' in inner:
                    if isinstance(n, list):
                        a, _, b = inner.partition(':')
                        nxt.extend(n[int(a) if a else None:int(b) if b else None])
                elif inner[:1] in '"\'':
                    if isinstance(n, dict) and inner[1:-1] in n:
                        nxt.append(n[inner[1:-1]])
                elif re.match(r'^-?\d+$', inner):
                    if isinstance(n, list):
                        idx = int(inner)
                        if -len(n) <= idx < len(n):
                            nxt.append(n[idx])
                        else:
                            raise JSONPathError('array index out of bounds: index %d, length %d' % (idx, len(n)))
                else:
                    for key in inner.split(','):
                        key = key.strip().strip('\'"')
                        if isinstance(n, dict) and key in n:
                            nxt.append(n[key])
        else:
            for n in nodes:
                if isinstance(n, dict) and t in n:
                    nxt.append(n[t])
        nodes = nxt
        i += 1
    return nodes


def _text(v):
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if v is None:
        return ''
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(',', ':'), sort_keys=True)
    return str(v)


def _literal(expr):
    if expr[:1] == '"':
        return json.loads(expr, strict=False)
    return expr[1:-1]


def render(template, data):
    parts = _split_template(template)

    def run(parts, node):
        res = []
        i = 0
        while i < len(parts):
            kind, s = parts[i]
            if kind == 'text':
                res.append(s)
            elif s.startswith('range '):
                depth, j = 1, i + 1
                while j < len(parts):
                    if parts[j][0] == 'expr' and parts[j][1].startswith('range '):
                        depth += 1
                    elif parts[j] == ('expr', 'end'):
                        depth -= 1
                        if depth == 0:
                            break
                    j += 1
                body = parts[i + 1:j]
                items = evaluate(s[6:].strip(), node)
                if len(items) == 1 and isinstance(items[0], list) and not s.strip().endswith('[*]'):
                    items = items[0]
                for it in items:
                    res.extend(run(body, it))
                i = j
            elif s == 'end':
                pass
            elif s[:1] in '"\'':
                res.append(_literal(s))
            else:
                vals = evaluate(s if s.startswith(('.', '$', '@', '[')) else '.' + s, node if not s.startswith('@')
                                else node)
                res.append(' '.join(_text(v) for v in vals))
            i += 1
        return res
    return ''.join(run(parts, data))
