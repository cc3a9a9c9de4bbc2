# steer's resident probe helper (probe-helper.ts starts it; docs/security.md "The probe helper").
#
# One python3 process per connection and user, started on the host by the same sudo mechanism as the
# shells. It answers probes without forking: each op gives exactly the bytes and exit status of the
# shell section it replaces (host-functions.sh __steer_stat/__steer_read, `sysctl -n`, `date +%s`,
# `stat -c %Y`, `ls | grep -c`, `dpkg-query -W`), with the same path rules: symlinks followed only
# when trusted, folders walked one openat() at a time from a pinned fd, files opened O_NOFOLLOW|O_NONBLOCK (a FIFO
# never blocks) and checked to be what was looked at. Standard library only, and it never forks.
#
# Protocol, one line each way: a request is a JSON object {"sections": [[NAME, OP], ...]}; the answer
# is one `NAME BASE64 CODE` line per section (the shell probe's own format) and then `end`. An op the
# helper cannot answer exactly as the shell would (a sysctl folder, an odd key) makes the whole answer
# the single line `shell`: the engine then runs that probe on the shell. A malformed request is
# answered `error WHY`.
import base64
import grp
import hashlib
import json
import os
import pwd
import stat
import sys
import time

EUID = os.geteuid()
REQUEST_LIMIT = 1 << 20
DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC
FILE_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC


class Stop(Exception):
    """A shell function's `return CODE` (with $__steer_error as message)."""

    def __init__(self, code, message=''):
        super().__init__(message)
        self.code = code
        self.message = message


class AskShell(Exception):
    """This op has a case the helper does not copy exactly: the probe goes to the shell."""


def user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return 'UNKNOWN'


def group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return 'UNKNOWN'


def file_type(st):
    """stat(1)'s %F."""
    m = st.st_mode
    if stat.S_ISREG(m):
        return 'regular empty file' if st.st_size == 0 else 'regular file'
    for test, name in ((stat.S_ISDIR, 'directory'), (stat.S_ISLNK, 'symbolic link'), (stat.S_ISFIFO, 'fifo'),
                       (stat.S_ISSOCK, 'socket'), (stat.S_ISCHR, 'character special file'),
                       (stat.S_ISBLK, 'block special file')):
        if test(m):
            return name
    return 'weird file'


def stat_line(st):
    """stat -c '%F|%a|%u|%U|%g|%G|%s'."""
    return '%s|%o|%d|%s|%d|%s|%d' % (file_type(st), st.st_mode & 0o7777, st.st_uid, user_name(st.st_uid),
                                      st.st_gid, group_name(st.st_gid), st.st_size)


class Walk:
    """__steer_walk PATH 1 0: the pinned folder fd, its physical path and the last name."""

    def __init__(self, arg):
        self.arg = arg
        self.fd = -1
        self.parts = []
        self.name = ''
        self.untrusted = None

    def here(self):
        """${PWD%/}."""
        return ''.join('/' + p for p in self.parts)

    def cd(self, fd, parts):
        if self.fd >= 0:
            os.close(self.fd)
        self.fd = fd
        self.parts = parts

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def lstat(self, name):
        try:
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except OSError:
            return None

    def trusted(self, link):
        try:
            d = os.fstat(self.fd)
        except OSError:
            return False
        dm = d.st_mode & 0o7777
        return link.st_uid in (0, EUID) and d.st_uid in (0, EUID) and (dm & 0o22 == 0 or dm & 0o1000 != 0)

    def run(self):
        arg = self.arg
        if not arg.startswith('/'):
            raise Stop(97, '%s: not an absolute path' % arg)
        self.cd(os.open('/', DIR_FLAGS), [])
        todo, hops = arg, 0
        while True:
            todo = todo.lstrip('/')
            if todo == '':
                self.name = '.'
                return
            last = '/' not in todo
            c, todo = (todo, '') if last else todo.split('/', 1)
            if c == '.':
                continue
            if c == '..':
                self.cd(os.open('..', DIR_FLAGS, dir_fd=self.fd), self.parts[:-1])
                continue
            st = self.lstat(c)
            is_link = st is not None and stat.S_ISLNK(st.st_mode)
            if last:
                self.name = c
                if not is_link:
                    return
            if is_link:
                if not self.trusted(st):
                    if last:
                        self.untrusted = user_name(st.st_uid)
                        return
                    raise Stop(97, '%s: %s/%s is a symlink that another user could have made or changed; steer does not follow it' % (arg, self.here(), c))
                hops += 1
                try:
                    if hops > 40:
                        raise OSError('too many hops')
                    t = os.readlink(c, dir_fd=self.fd)
                except OSError:
                    raise Stop(97, '%s: cannot resolve the symlink %s/%s' % (arg, self.here(), c))
                if t.startswith('/'):
                    self.cd(os.open('/', DIR_FLAGS), [])
                    t = t[1:]
                todo = t + ('/' + todo if todo else '')
                continue
            self.enter(c, st)

    def enter(self, c, st):
        arg, prev = self.arg, self.here()
        if st is None or not self.exists(c):
            raise Stop(96, '%s: the folder %s/%s does not exist' % (arg, prev, c))
        try:
            fd = os.open(c, DIR_FLAGS | os.O_NOFOLLOW, dir_fd=self.fd)
        except OSError as e:
            if e.errno == 40:  # ELOOP: it became a symlink after it was looked at
                raise Stop(97, '%s: %s/%s changed while steer was checking it' % (arg, prev, c))
            raise Stop(97, '%s: %s/%s is not a folder steer can enter' % (arg, prev, c))
        if not os.access('.', os.X_OK, dir_fd=fd, effective_ids=True):
            os.close(fd)
            raise Stop(97, '%s: %s/%s is not a folder steer can enter' % (arg, prev, c))
        self.cd(fd, self.parts + [c])

    def exists(self, name):
        try:
            os.stat(name, dir_fd=self.fd)
            return True
        except OSError:
            return False


def open_target(w):
    """__steer_open: an fd on the regular file or folder w.name, checked to be what the walk found."""
    if w.untrusted is not None:
        raise Stop(98, '%s/%s is a symlink owned by %s in a folder others can change; steer does not follow it' % (w.here(), w.name, w.untrusted))
    try:
        st = os.stat(w.name, dir_fd=w.fd)
    except OSError:
        raise Stop(96)
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        raise Stop(95)
    try:
        fd = os.open(w.name, FILE_FLAGS, dir_fd=w.fd)
    except OSError as e:
        raise Stop(97, '%s/%s changed while steer was opening it' % (w.here(), w.name) if e.errno == 40 else '')
    now = w.lstat(w.name)
    opened = os.fstat(fd)
    if now is None or stat.S_ISLNK(now.st_mode) or (now.st_dev, now.st_ino) != (opened.st_dev, opened.st_ino):
        os.close(fd)
        raise Stop(97, '%s/%s changed while steer was opening it' % (w.here(), w.name))
    return fd, opened


def read_fd(fd, limit):
    chunks, left = [], limit
    while left > 0:
        b = os.read(fd, min(left, 1 << 16))
        if not b:
            break
        chunks.append(b)
        left -= len(b)
    return b''.join(chunks)


def sha256_fd(fd):
    h = hashlib.sha256()
    while True:
        b = os.read(fd, 1 << 16)
        if not b:
            return h.hexdigest()
        h.update(b)


def op_stat(path, limit, hash_it):
    """__steer_stat PATH LIMIT HASH."""
    w = Walk(path)
    try:
        try:
            w.run()
        except Stop as e:
            return 0, b'' if e.code == 96 else enc('refused|%s\n' % e.message)
        if w.untrusted is not None:
            st = w.lstat(w.name)
            if st is None:
                return 1, b''
            return 0, enc('%s\n%s/%s\n%s\n' % (stat_line(st), w.here(), w.name, os.readlink(w.name, dir_fd=w.fd)))
        try:
            fd, st = open_target(w)
        except Stop as e:
            if e.code == 96:
                return 0, b''
            if e.code == 95:
                st = w.lstat(w.name)
                return (1, b'') if st is None else (0, enc('%s\n%s/%s\n' % (stat_line(st), w.here(), w.name)))
            return 0, enc('refused|%s\n' % e.message)
        try:
            where = ('/' + '/'.join(w.parts)) if w.name == '.' else '%s/%s' % (w.here(), w.name)
            out = '%s\n%s\n' % (stat_line(st), where)
            if stat.S_ISREG(st.st_mode) and (hash_it or st.st_size > limit):
                out += sha256_fd(fd) + '\n'
            return 0, enc(out)
        finally:
            os.close(fd)
    finally:
        w.close()


def op_read(path, limit):
    """__steer_read PATH LIMIT."""
    w = Walk(path)
    try:
        w.run()
        fd, st = open_target(w)
        try:
            return (0, read_fd(fd, limit)) if stat.S_ISREG(st.st_mode) else (1, b'')
        finally:
            os.close(fd)
    except Stop as e:
        return e.code, b''
    finally:
        w.close()


def op_sysctl(key):
    """sysctl -n -- KEY (procps-ng): the value file under /proc/sys, or exit 1 when there is none."""
    parts = key.split('.')
    if not all(p and p not in ('.', '..') and '/' not in p and '\0' not in p for p in parts):
        raise AskShell()
    path = '/proc/sys/' + '/'.join(parts)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return 1, b''
    except OSError:
        raise AskShell()
    if not stat.S_ISREG(st.st_mode):
        raise AskShell()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            value = read_fd(fd, 1 << 16)
        finally:
            os.close(fd)
    except OSError:
        raise AskShell()
    if not value.endswith(b'\n') or value.count(b'\n') != 1:
        raise AskShell()
    return 0, value


def op_mtimes(paths):
    """stat -c %Y PATH...: each one's mtime; exit 1 when one could not be read."""
    out, code = [], 0
    for p in paths:
        try:
            out.append('%d\n' % os.stat(p).st_mtime)
        except OSError:
            code = 1
    return code, enc(''.join(out))


def op_count(folder, word):
    """ls FOLDER | grep -c WORD: visible names holding WORD; grep exits 1 when it counts none."""
    try:
        names = [n for n in os.listdir(folder) if not n.startswith('.')]
    except OSError:
        names = []
    if any('\n' in n for n in names):
        raise AskShell()
    n = sum(1 for name in names if word in name)
    return (0 if n else 1), enc('%d\n' % n)


WANT = {'unknown': 'u', 'install': 'i', 'hold': 'h', 'deinstall': 'r', 'purge': 'p'}
EFLAG = {'ok': ' ', 'reinstreq': 'R'}
STATUS = {'not-installed': 'n', 'config-files': 'c', 'half-installed': 'H', 'unpacked': 'U',
          'half-configured': 'F', 'triggers-awaited': 'W', 'triggers-pending': 't', 'installed': 'i'}


def dpkg_stanzas(path):
    """The Package/Status/Version/Architecture fields of each stanza of a dpkg status file."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise AskShell()
        text = read_fd(fd, 1 << 28).decode('utf-8', 'surrogateescape')
    finally:
        os.close(fd)
    for block in text.split('\n\n'):
        fields = {}
        for line in block.split('\n'):
            if line[:1] not in ('', ' ', '\t') and ':' in line:
                key, value = line.split(':', 1)
                fields[key] = value.strip()
        if 'Package' in fields:
            yield fields


def op_dpkg(names, admindir):
    """dpkg-query -W -f='${Package}\\t${db:Status-Abbrev}\\t${Version}\\n' NAMES, for packages dpkg
    knows as more than not-installed: the status file with the journal of updates/ applied in order,
    lines sorted by name. An unknown or not-installed name, an architecture or several instances of
    one name go to the shell (dpkg's matching and its `un` lines for those are not copied)."""
    if not names or not all(n and n[0] in 'abcdefghijklmnopqrstuvwxyz0123456789' and
                            all(ch in 'abcdefghijklmnopqrstuvwxyz0123456789+.-' for ch in n) for n in names):
        raise AskShell()
    db = {}
    updates = os.path.join(admindir, 'updates')
    journal = sorted((n for n in os.listdir(updates) if n.isdigit()), key=int) if os.path.isdir(updates) else []
    for path in [os.path.join(admindir, 'status')] + [os.path.join(updates, n) for n in journal]:
        for f in dpkg_stanzas(path):
            db[(f['Package'], f.get('Architecture', ''))] = f
    lines = []
    for name in sorted(set(names)):
        found = [f for (pkg, _), f in db.items() if pkg == name]
        if len(found) != 1:
            raise AskShell()
        f = found[0]
        words = f.get('Status', '').split()
        if len(words) != 3 or words[0] not in WANT or words[1] not in EFLAG or words[2] not in STATUS or words[2] == 'not-installed':
            raise AskShell()
        lines.append('%s\t%s%s%s\t%s\n' % (name, WANT[words[0]], STATUS[words[2]], EFLAG[words[1]], f.get('Version', '')))
    return 0, enc(''.join(lines))


def enc(text):
    return text.encode('utf-8', 'surrogateescape')


def run_op(op):
    try:
        return run_op_raising(op)
    except OSError:
        raise AskShell()


def run_op_raising(op):
    kind = op['op']
    if kind == 'stat':
        return op_stat(op['path'], int(op['limit']), bool(op['hash']))
    if kind == 'read':
        return op_read(op['path'], int(op['limit']))
    if kind == 'sysctl':
        return op_sysctl(op['key'])
    if kind == 'now':
        return 0, b'%d\n' % int(time.time())
    if kind == 'mtimes':
        return op_mtimes(list(op['paths']))
    if kind == 'count':
        return op_count(op['folder'], op['word'])
    if kind == 'dpkg':
        return op_dpkg(list(op['names']), op.get('admindir', '/var/lib/dpkg'))
    raise AskShell()


def answer(line):
    """The answer lines for one request line."""
    request = json.loads(line)
    sections = request['sections']
    if not isinstance(sections, list):
        raise ValueError('sections must be a list')
    out = []
    for name, op in sections:
        code, data = run_op(op)
        out.append(b'%s %s %d\n' % (name.encode(), base64.b64encode(data), code))
    return b''.join(out) + b'end\n'


def main():
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    stdout.write(b'steer-probe-helper 1\n')
    stdout.flush()
    while True:
        line = stdin.readline(REQUEST_LIMIT + 1)
        if not line:
            return
        if len(line) > REQUEST_LIMIT or not line.endswith(b'\n'):
            stdout.write(b'error request too long\n')
            stdout.flush()
            return
        try:
            reply = answer(line.decode('utf-8', 'surrogateescape'))
        except AskShell:
            reply = b'shell\n'
        except (ValueError, KeyError, TypeError) as e:
            reply = b'error %s\n' % type(e).__name__.encode()
        stdout.write(reply)
        stdout.flush()


main()
