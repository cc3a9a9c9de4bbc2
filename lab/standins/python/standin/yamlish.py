"""A YAML subset, because python3's standard library has none.

Reads what Kubernetes manifests and kubeadm configs use: block mappings and sequences (including
`- key: value` items and sequences at the parent key's indentation), plain / single / double quoted
scalars, literal and folded block scalars (`|`, `|-`, `|+`, `>`, `>-`), single-line and multi-line
flow collections (`[a, b]`, `{a: 1}`), comments, and `---` multi-document streams.
Not supported (rejected with an error): anchors, aliases, tags other than !!str/!!int/!!bool,
complex `? ` keys. Writes block-style YAML shaped like kubectl's.
"""
import json
import re


class YAMLError(Exception):
    pass


_INT = re.compile(r'^[-+]?[0-9]+$')
_HEX = re.compile(r'^0x[0-9a-fA-F]+$')
_OCT = re.compile(r'^0o[0-7]+$')
_FLOAT = re.compile(r'^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$')


def _resolve_plain(text):
    if text in ('', '~', 'null', 'Null', 'NULL'):
        return None
    if text in ('true', 'True', 'TRUE'):
        return True
    if text in ('false', 'False', 'FALSE'):
        return False
    if _INT.match(text):
        return int(text)
    if _HEX.match(text):
        return int(text, 16)
    if _OCT.match(text):
        return int(text[2:], 8)
    if _FLOAT.match(text) and any(c.isdigit() for c in text):
        return float(text)
    if text in ('.inf', '+.inf', '.Inf'):
        return float('inf')
    if text in ('-.inf', '-.Inf'):
        return float('-inf')
    return text


_ESCAPES = {'n': '\n', 't': '\t', 'r': '\r', '"': '"', '\\': '\\', '/': '/', '0': '\0',
            'b': '\b', 'f': '\f', ' ': ' ', 'e': '\x1b', 'a': '\x07', 'v': '\x0b'}


def _scan_quoted(s, i):
    """Reads a quoted scalar starting at s[i]; returns (value, index after the closing quote)."""
    q = s[i]
    out = []
    i += 1
    while i < len(s):
        c = s[i]
        if q == "'":
            if c == "'":
                if i + 1 < len(s) and s[i + 1] == "'":
                    out.append("'")
                    i += 2
                    continue
                return ''.join(out), i + 1
            out.append(c)
            i += 1
        else:
            if c == '"':
                return ''.join(out), i + 1
            if c == '\\':
                n = s[i + 1] if i + 1 < len(s) else ''
                if n in _ESCAPES:
                    out.append(_ESCAPES[n])
                    i += 2
                elif n == 'x':
                    out.append(chr(int(s[i + 2:i + 4], 16)))
                    i += 4
                elif n == 'u':
                    out.append(chr(int(s[i + 2:i + 6], 16)))
                    i += 6
                elif n == 'U':
                    out.append(chr(int(s[i + 2:i + 10], 16)))
                    i += 10
                elif n == '\n':
                    i += 2
                else:
                    raise YAMLError('unknown escape \\%s' % n)
            else:
                out.append(c)
                i += 1
    raise YAMLError('unterminated quoted scalar')


def _fold_quoted_lines(text):
    """Multi-line quoted scalars: line breaks fold to spaces, blank lines to newlines."""
    lines = text.split('\n')
    if len(lines) == 1:
        return text
    out = lines[0].rstrip()
    for ln in lines[1:]:
        ln = ln.strip()
        if ln == '':
            out += '\n'
        elif out.endswith('\n'):
            out += ln
        else:
            out += ' ' + ln
    return out


class _Flow:
    """Flow collections: [a, b], {k: v}, nested, with quoted or plain scalars."""

    def __init__(self, s):
        self.s = s
        self.i = 0

    def ws(self):
        while self.i < len(self.s) and self.s[self.i] in ' \t\n\r':
            self.i += 1

    def value(self):
        self.ws()
        c = self.s[self.i] if self.i < len(self.s) else ''
        if c == '[':
            self.i += 1
            out = []
            while True:
                self.ws()
                if self.s[self.i] == ']':
                    self.i += 1
                    return out
                out.append(self.value())
                self.ws()
                if self.s[self.i] == ',':
                    self.i += 1
                elif self.s[self.i] != ']':
                    raise YAMLError('expected , or ] in flow sequence: %r' % self.s)
        if c == '{':
            self.i += 1
            out = {}
            while True:
                self.ws()
                if self.s[self.i] == '}':
                    self.i += 1
                    return out
                k = self.value()
                self.ws()
                if self.s[self.i] == ':':
                    self.i += 1
                    v = self.value()
                else:
                    v = None
                out[k] = v
                self.ws()
                if self.s[self.i] == ',':
                    self.i += 1
                elif self.s[self.i] != '}':
                    raise YAMLError('expected , or } in flow mapping: %r' % self.s)
        if c in '"\'':
            v, self.i = _scan_quoted(self.s, self.i)
            return _fold_quoted_lines(v) if c == '"' else v
        start = self.i
        while self.i < len(self.s) and self.s[self.i] not in ',]}':
            if self.s[self.i] == ':' and (self.i + 1 >= len(self.s) or self.s[self.i + 1] in ' ,]}'):
                break
            self.i += 1
        return _resolve_plain(' '.join(self.s[start:self.i].split()))


def _strip_comment(text):
    """Removes a trailing ` # comment` outside quotes."""
    q = None
    for i, c in enumerate(text):
        if q:
            if c == q:
                q = None
        elif c in '"\'' and (i == 0 or text[i - 1] in ' \t[{,:'):
            q = c
        elif c == '#' and (i == 0 or text[i - 1] in ' \t'):
            return text[:i].rstrip()
    return text.rstrip()


def _split_key(text):
    """Splits `key: rest` (key plain or quoted). Returns (key, rest) or None if not a mapping line."""
    if text[0] in '"\'':
        try:
            key, j = _scan_quoted(text, 0)
        except YAMLError:
            return None
        rest = text[j:]
        if rest.startswith(':') and (len(rest) == 1 or rest[1] in ' \t'):
            return key, rest[1:].strip()
        return None
    if text[0] in '[{':
        return None
    m = re.match(r'^([^#]*?):(\s|$)', text)
    if not m or m.group(1).strip() == '':
        return None
    key = m.group(1).rstrip()
    if key.startswith('- '):
        return None
    return key, text[m.end():].strip()


class _Parser:
    def __init__(self, text):
        self.lines = []  # (indent, text without indent, raw line)
        for raw in text.split('\n'):
            raw = raw.rstrip('\r')
            if '\t' in raw[:len(raw) - len(raw.lstrip())]:
                raise YAMLError('tabs are not allowed for indentation: %r' % raw)
            stripped = raw.lstrip(' ')
            self.lines.append([len(raw) - len(stripped), stripped, raw])
        self.i = 0

    def skip_blank(self):
        while self.i < len(self.lines):
            t = self.lines[self.i][1]
            if t == '' or t.startswith('#'):
                self.i += 1
            else:
                break

    def parse_document(self):
        self.skip_blank()
        if self.i >= len(self.lines):
            return None
        v = self.node(self.lines[self.i][0])
        self.skip_blank()
        if self.i < len(self.lines):
            raise YAMLError('unexpected content at line %d: %r' % (self.i + 1, self.lines[self.i][2]))
        return v

    def node(self, indent):
        self.skip_blank()
        if self.i >= len(self.lines):
            return None
        ind, text, _ = self.lines[self.i]
        if ind < indent:
            return None
        if text == '-' or text.startswith('- '):
            return self.sequence(ind)
        if _split_key(text) is not None:
            return self.mapping(ind)
        return self.scalar_lines(ind)

    def scalar_lines(self, ind):
        """A plain, quoted or flow value spanning one or more lines."""
        parts = []
        first = self.lines[self.i][1]
        if first[0] in '[{':
            return self.flow_block(first)
        if first[0] in '"\'':
            return self.quoted_block(first)
        while self.i < len(self.lines):
            lind, text, _ = self.lines[self.i]
            if text == '' or (parts and lind < ind):
                break
            parts.append(_strip_comment(text))
            self.i += 1
        return _resolve_plain(' '.join(parts))

    def flow_block(self, text):
        buf = text
        self.i += 1
        while True:
            try:
                f = _Flow(_strip_comment(buf))
                v = f.value()
                return v
            except (YAMLError, IndexError):
                if self.i >= len(self.lines):
                    raise YAMLError('unterminated flow collection: %r' % text)
                buf += '\n' + self.lines[self.i][1]
                self.i += 1

    def quoted_block(self, text):
        buf = text
        self.i += 1
        while True:
            try:
                v, j = _scan_quoted(buf, 0)
                rest = _strip_comment(buf[j:])
                if rest.strip():
                    raise YAMLError('unexpected text after quoted scalar: %r' % rest)
                return _fold_quoted_lines(v) if buf[0] == '"' else _fold_quoted_lines(v)
            except YAMLError as e:
                if 'unterminated' not in str(e) or self.i >= len(self.lines):
                    raise
                buf += '\n' + self.lines[self.i][1]
                self.i += 1

    def inline_value(self, rest, ind):
        """The value after `key:` or `- ` on the same line."""
        if rest.startswith(('&', '*')):
            raise YAMLError('anchors and aliases are not supported by this YAML subset: %r' % rest)
        if rest.startswith('!'):
            tag, _, rest = rest.partition(' ')
            if tag not in ('!!str', '!!int', '!!bool', '!!float'):
                raise YAMLError('tag %s is not supported by this YAML subset' % tag)
            v = self.inline_value(rest.strip(), ind)
            return str(v) if tag == '!!str' and v is not None and not isinstance(v, str) else v
        if rest[:1] in ('|', '>'):
            return self.block_scalar(rest, ind)
        if rest[:1] in '[{':
            self.i -= 1
            saved = self.lines[self.i]
            self.lines[self.i] = [saved[0], rest, saved[2]]
            return self.flow_block(rest)
        if rest[:1] in '"\'':
            self.i -= 1
            saved = self.lines[self.i]
            self.lines[self.i] = [saved[0], rest, saved[2]]
            return self.quoted_block(rest)
        parts = [_strip_comment(rest)]
        # plain scalars may continue on more-indented lines
        while self.i < len(self.lines):
            lind, text, _ = self.lines[self.i]
            if text == '' or text.startswith('#') or lind <= ind:
                break
            parts.append(_strip_comment(text))
            self.i += 1
        return _resolve_plain(' '.join(p for p in parts if p != ''))

    def block_scalar(self, header, ind):
        m = re.match(r'^([|>])([-+]?)([1-9]?)([-+]?)\s*(#.*)?$', header)
        if not m:
            raise YAMLError('bad block scalar header %r' % header)
        style, chomp, explicit = m.group(1), m.group(2) or m.group(4), m.group(3)
        raw_lines = []
        block_indent = ind + int(explicit) if explicit else None
        while self.i < len(self.lines):
            lind, text, raw = self.lines[self.i]
            if text == '':
                raw_lines.append(raw)
                self.i += 1
                continue
            if block_indent is None:
                if lind <= ind:
                    break
                block_indent = lind
            if lind < block_indent:
                break
            raw_lines.append(raw)
            self.i += 1
        if block_indent is None:
            block_indent = ind + 1
        body = [ln[block_indent:] if len(ln) >= block_indent else '' for ln in raw_lines]
        # trailing blank lines belong to chomping
        trailing = 0
        while body and body[-1].strip() == '':
            body.pop()
            trailing += 1
        if style == '|':
            text = '\n'.join(body)
        else:
            out = ''
            prev = None
            for ln in body:
                kind = 'empty' if ln == '' else ('more' if ln[0] in ' \t' else 'normal')
                if prev is None:
                    out = ln
                elif kind == 'empty':
                    out += '\n'
                elif kind == 'normal' and prev == 'normal':
                    out += ' ' + ln
                elif prev == 'empty':
                    out += ln
                else:
                    out += '\n' + ln
                prev = kind
            text = out
        if not body:
            return '' if chomp != '+' else '\n' * trailing
        if chomp == '-':
            return text
        if chomp == '+':
            return text + '\n' + '\n' * trailing
        return text + '\n'

    def mapping(self, ind):
        out = {}
        while True:
            self.skip_blank()
            if self.i >= len(self.lines):
                break
            lind, text, raw = self.lines[self.i]
            if lind < ind:
                break
            if lind > ind:
                raise YAMLError('bad indentation at line %d: %r' % (self.i + 1, raw))
            if text == '-' or text.startswith('- '):
                break
            if text.startswith('? '):
                raise YAMLError('complex keys are not supported by this YAML subset')
            kv = _split_key(text)
            if kv is None:
                raise YAMLError('expected "key: value" at line %d: %r' % (self.i + 1, raw))
            key, rest = kv
            key = _resolve_plain(key) if text[0] not in '"\'' else key
            if isinstance(key, (bool, float)) or key is None:
                key = str(key).lower() if isinstance(key, bool) else ('' if key is None else str(key))
            self.i += 1
            rest = _strip_comment(rest) if rest[:1] not in '"\'|>' else rest
            if rest == '':
                self.skip_blank()
                if self.i < len(self.lines):
                    nind, ntext, _ = self.lines[self.i]
                    if nind > ind or (nind == ind and (ntext == '-' or ntext.startswith('- '))):
                        out[key] = self.node(nind)
                        continue
                out[key] = None
            else:
                out[key] = self.inline_value(rest, ind)
        return out

    def sequence(self, ind):
        out = []
        while True:
            self.skip_blank()
            if self.i >= len(self.lines):
                break
            lind, text, raw = self.lines[self.i]
            if lind != ind or not (text == '-' or text.startswith('- ')):
                if lind > ind:
                    raise YAMLError('bad indentation at line %d: %r' % (self.i + 1, raw))
                break
            if text == '-':
                self.i += 1
                self.skip_blank()
                if self.i < len(self.lines) and self.lines[self.i][0] > ind:
                    out.append(self.node(self.lines[self.i][0]))
                else:
                    out.append(None)
                continue
            content = text[2:]
            pad = len(content) - len(content.lstrip(' '))
            content = content.lstrip(' ')
            if content.startswith('#'):
                self.i += 1
                self.skip_blank()
                out.append(self.node(ind + 1))
                continue
            # treat the item's content as if it started on its own line, further indented
            self.lines[self.i] = [ind + 2 + pad, content, raw]
            if content == '-' or content.startswith('- ') or _split_key(content) is not None:
                out.append(self.node(ind + 2 + pad))
            else:
                self.i += 1
                out.append(self.inline_value(content, ind))
        return out


def _split_documents(text):
    docs, cur = [], []
    for line in text.split('\n'):
        if line == '---' or line.startswith('--- ') or line.startswith('---\t'):
            docs.append('\n'.join(cur))
            rest = line[3:].strip()
            cur = [rest] if rest and not rest.startswith('#') else []
        elif line == '...':
            docs.append('\n'.join(cur))
            cur = []
        else:
            cur.append(line)
    docs.append('\n'.join(cur))
    return docs


def load_all(text):
    """Every non-empty document of a stream (empty documents are dropped, as kubectl does)."""
    out = []
    for doc in _split_documents(text):
        if doc.strip() == '' or all(l.strip() == '' or l.lstrip().startswith('#') for l in doc.split('\n')):
            continue
        if doc.lstrip().startswith('%'):
            raise YAMLError('YAML directives are not supported by this YAML subset')
        v = _Parser(doc).parse_document()
        if v is not None:
            out.append(v)
    return out


def load(text):
    docs = load_all(text)
    if len(docs) > 1:
        raise YAMLError('expected a single YAML document, found %d' % len(docs))
    return docs[0] if docs else None


# ---------------------------------------------------------------- writing

_SAFE_PLAIN = re.compile(r'^([A-Za-z0-9_./]|-[^ ])[A-Za-z0-9_./:=@+,() -]*$')


def _needs_quotes(s):
    if s == '' or s != s.strip():
        return True
    if _resolve_plain(s) is not s and not isinstance(_resolve_plain(s), str):
        return True
    if s in ('yes', 'no', 'on', 'off', 'y', 'n', 'Yes', 'No', 'On', 'Off', 'Y', 'N'):
        return True
    if not _SAFE_PLAIN.match(s):
        return True
    if ': ' in s or s.endswith(':') or ' #' in s:
        return True
    return False


def _scalar(v):
    if v is None:
        return 'null'
    if v is True:
        return 'true'
    if v is False:
        return 'false'
    if isinstance(v, (int, float)):
        return json.dumps(v)
    s = str(v)
    if _needs_quotes(s):
        if "'" not in s and '\n' not in s and all(c.isprintable() for c in s):
            return "'" + s + "'"
        return json.dumps(s)
    return s


def _emit(v, indent, out, sort_keys):
    pad = ' ' * indent
    if isinstance(v, dict):
        items = sorted(v.items(), key=lambda kv: str(kv[0])) if sort_keys else v.items()
        for k, val in items:
            key = _scalar(k) if not isinstance(k, str) or _needs_quotes(k) else k
            if isinstance(val, dict) and val:
                out.append('%s%s:' % (pad, key))
                _emit(val, indent + 2, out, sort_keys)
            elif isinstance(val, list) and val:
                out.append('%s%s:' % (pad, key))
                _emit(val, indent, out, sort_keys)
            elif isinstance(val, str) and '\n' in val:
                out.append('%s%s: %s' % (pad, key, _block(val, indent + 2)))
            else:
                out.append('%s%s: %s' % (pad, key, _empty_or_scalar(val)))
    elif isinstance(v, list):
        for item in v:
            if isinstance(item, dict) and item:
                sub = []
                _emit(item, indent + 2, sub, sort_keys)
                sub[0] = pad + '- ' + sub[0][indent + 2:]
                out.extend(sub)
            elif isinstance(item, list) and item:
                sub = []
                _emit(item, indent + 2, sub, sort_keys)
                sub[0] = pad + '- ' + sub[0][indent + 2:]
                out.extend(sub)
            elif isinstance(item, str) and '\n' in item:
                out.append('%s- %s' % (pad, _block(item, indent + 2)))
            else:
                out.append('%s- %s' % (pad, _empty_or_scalar(item)))
    else:
        out.append(pad + _scalar(v))


def _empty_or_scalar(v):
    if isinstance(v, dict):
        return '{}'
    if isinstance(v, list):
        return '[]'
    return _scalar(v)


def _block(s, indent):
    if any(ln != ln.rstrip(' ') or ln.startswith(' ') for ln in s.split('\n') if ln) and not s.split('\n')[0]:
        return json.dumps(s)
    if s.split('\n')[0].startswith(' '):
        return json.dumps(s)
    pad = ' ' * indent
    if s.endswith('\n'):
        body = s[:-1]
        header = '|' if not body.endswith('\n') else '|+'
        if header == '|+':
            body = s.rstrip('\n')
            lines = body.split('\n') + [''] * (len(s) - len(body) - 1)
        else:
            lines = body.split('\n')
    else:
        header = '|-'
        lines = s.split('\n')
    return header + '\n' + '\n'.join((pad + ln) if ln else '' for ln in lines)


def dump(v, sort_keys=False):
    out = []
    if isinstance(v, (dict, list)) and v:
        _emit(v, 0, out, sort_keys)
    else:
        out.append(_empty_or_scalar(v))
    return '\n'.join(out) + '\n'


def dump_all(docs, sort_keys=False):
    return '---\n'.join(dump(d, sort_keys) for d in docs)
