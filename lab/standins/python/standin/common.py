"""Shared helpers: the host root prefix, the stand-in label, versions, durations, logging.

Every path the stand-ins touch goes through host_path(), so tests can run them against a temporary
directory (STANDIN_ROOT=/tmp/x) instead of the machine's real /etc, /var and /proc.
"""
import datetime
import os
import re
import socket
import subprocess
import sys
import time

TAG = '[steer lab stand-in]'
ROOT = os.environ.get('STANDIN_ROOT', '/') or '/'


def host_path(path):
    """Where a host path really is: under STANDIN_ROOT when set (tests), else itself."""
    if ROOT == '/' or not path.startswith('/'):
        return path
    return os.path.join(ROOT, path.lstrip('/'))


def _version_file():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), 'VERSION')


_VERSION = []


def version():
    """The Kubernetes version this build stands in for, e.g. '1.34.2'. Read once per process, as a
    real binary's version is compiled in: a running kubelet keeps its version when apt replaces
    the package under it, until it is restarted."""
    if not _VERSION:
        env = os.environ.get('STANDIN_VERSION')
        if env:
            _VERSION.append(env.lstrip('v'))
        else:
            try:
                with open(_version_file()) as f:
                    _VERSION.append(f.read().strip().lstrip('v'))
            except OSError:
                _VERSION.append('1.34.2')
    return _VERSION[0]


def component_version():
    """The version of a control-plane component the kubelet started from a static Pod (or a
    DaemonSet Pod): the image tag in its manifest, passed as STANDIN_COMPONENT_VERSION. The code
    comes from the kubelet package; the version is the manifest's, so that only a new manifest
    (kubeadm upgrade apply) moves it."""
    return (os.environ.get('STANDIN_COMPONENT_VERSION') or version()).lstrip('v')


def image_tag(image):
    """'registry.k8s.io/kube-apiserver:v1.33.6' -> 'v1.33.6' ('' when the image has no tag)."""
    last = (image or '').rsplit('/', 1)[-1]
    return last.split(':', 1)[1].split('@')[0] if ':' in last else ''


FAULTS_DIR = '/etc/steer-lab/faults'


def fault(name):
    """A fault a lab test injected (docs/standins.md, "Faults"): None, or the message the stand-in
    fails with. Faults are files in /etc/steer-lab/faults; an empty file gives the default text."""
    text = read_text('%s/%s' % (FAULTS_DIR, name))
    if text is None:
        return None
    return text.strip() or 'injected fault %s/%s' % (FAULTS_DIR, name)


def minor_of(v):
    m = re.match(r'^v?(\d+)\.(\d+)', v)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)



def git_commit(v):
    """A stable fake commit id per version (the real one would name a kubernetes/kubernetes commit)."""
    import hashlib
    return hashlib.sha1(('steer-lab-standin-' + v).encode()).hexdigest()


def label(tool, ver=None, project='Kubernetes'):
    """The first line each stand-in prints on stderr."""
    sys.stderr.write('%s %s v%s: test equipment for the steer lab, not the real %s\n'
                     % (TAG, tool, (ver or version()).lstrip('v'), ('%s %s' % (project, tool)) if project else tool))
    sys.stderr.flush()


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def rfc3339(t=None):
    t = t or now()
    return t.strftime('%Y-%m-%dT%H:%M:%SZ')


def parse_time(s):
    if not s:
        return None
    s = s.replace('Z', '+00:00')
    if '.' in s:
        head, _, tail = s.partition('.')
        frac = re.match(r'\d+', tail).group(0)
        s = head + tail[len(frac):]
    return datetime.datetime.fromisoformat(s)


_DUR = re.compile(r'(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)')


def parse_duration(s):
    """Go duration ('24h0m0s', '5m', '300ms', '0') to seconds."""
    if s is None:
        return None
    if isinstance(s, (int, float)):
        return float(s)
    s = s.strip()
    if s in ('0', ''):
        return 0.0
    neg = s.startswith('-')
    s = s.lstrip('+-')
    total, pos = 0.0, 0
    for m in _DUR.finditer(s):
        if m.start() != pos:
            raise ValueError('time: invalid duration "%s"' % s)
        pos = m.end()
        mult = {'ns': 1e-9, 'us': 1e-6, 'µs': 1e-6, 'ms': 1e-3, 's': 1, 'm': 60, 'h': 3600}[m.group(2)]
        total += float(m.group(1)) * mult
    if pos != len(s):
        raise ValueError('time: invalid duration "%s"' % s)
    return -total if neg else total


def format_duration(sec):
    """Seconds to Go's Duration.String(): 86400 -> '24h0m0s', 240 -> '4m0s', 1.5 -> '1.5s'."""
    if sec == 0:
        return '0s'
    out = '-' if sec < 0 else ''
    sec = abs(sec)
    if sec < 1:
        ms = sec * 1000
        return out + ('%gms' % round(ms, 3))
    h = int(sec // 3600)
    m = int((sec % 3600) // 60)
    s = sec - h * 3600 - m * 60
    s_text = ('%.9f' % s).rstrip('0').rstrip('.') + 's'
    if h:
        return '%s%dh%dm%s' % (out, h, m, s_text)
    if m:
        return '%s%dm%s' % (out, m, s_text)
    return out + s_text


def human_duration(sec):
    """kubectl's AGE column (k8s.io/apimachinery duration.HumanDuration)."""
    sec = int(max(sec, 0))
    if sec < 60 * 2:
        return '%ds' % sec
    minutes = sec // 60
    if minutes < 10:
        s = sec % 60
        return '%dm%ds' % (minutes, s) if s else '%dm' % minutes
    if minutes < 60 * 3:
        return '%dm' % minutes
    hours = sec // 3600
    if hours < 8:
        m = minutes % 60
        return '%dh%dm' % (hours, m) if m else '%dh' % hours
    if hours < 48:
        return '%dh' % hours
    if hours < 24 * 8:
        h = hours % 24
        return '%dd%dh' % (hours // 24, h) if h else '%dd' % (hours // 24)
    if hours < 24 * 365 * 2:
        return '%dd' % (hours // 24)
    return '%dy' % (hours // 24 // 365)


def klog(level, component, msg):
    """A log line shaped like klog's, labelled as the stand-in's."""
    t = datetime.datetime.now()
    sys.stderr.write('%s %s%s %s %7d %s] %s\n' % (
        TAG, level, t.strftime('%m%d'), t.strftime('%H:%M:%S.%f'), os.getpid(), component, msg))
    sys.stderr.flush()


def read_text(path, default=None):
    try:
        with open(host_path(path)) as f:
            return f.read()
    except OSError:
        return default


def write_file(path, content, mode=0o644):
    """Writes a host file atomically with the given mode (created with it, never wider)."""
    real = host_path(path)
    os.makedirs(os.path.dirname(real), exist_ok=True)
    tmp = real + '.standin-tmp'
    data = content.encode() if isinstance(content, str) else content
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(tmp, mode)
    os.replace(tmp, real)


def hostname():
    """The node name kubeadm and the kubelet derive from the host name: trimmed and lowercased, as
    GetHostname in cmd/kubeadm/app/util (and the kubelet's nodeutil.GetHostname) do."""
    return (os.environ.get('STANDIN_HOSTNAME') or socket.gethostname()).strip().lower()


DNS1123_SUBDOMAIN = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')


def dns1123_subdomain_error(name):
    """None, or apimachinery's IsDNS1123Subdomain message for a name that is not one."""
    if name and len(name) <= 253 and DNS1123_SUBDOMAIN.match(name):
        return None
    if len(name) > 253:
        return 'must be no more than 253 characters'
    return ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
            "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")


def node_arch():
    m = os.uname().machine
    return {'x86_64': 'amd64', 'aarch64': 'arm64', 'armv7l': 'arm', 'armv6l': 'arm'}.get(m, m)


def systemctl(*args, check=False):
    """Runs systemctl (or the test harness's replacement named by STANDIN_SYSTEMCTL)."""
    cmd = os.environ.get('STANDIN_SYSTEMCTL', 'systemctl').split() + list(args)
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except FileNotFoundError:
        return 127, '', '%s: not found' % cmd[0]
    if check and r.returncode != 0:
        raise RuntimeError('%s failed: %s' % (' '.join(cmd), r.stderr.strip()))
    return r.returncode, r.stdout, r.stderr


def default_route_ip():
    """The address of the interface holding the default route (kubeadm's advertise address default)."""
    out = ''
    try:
        out = subprocess.run(['ip', '-4', '-o', 'route', 'get', '1.1.1.1'], capture_output=True,
                             text=True).stdout
    except OSError:
        pass
    m = re.search(r'\bsrc (\d+\.\d+\.\d+\.\d+)', out)
    if m:
        return m.group(1)
    try:
        out = subprocess.run(['ip', '-4', '-o', 'addr', 'show', 'scope', 'global'], capture_output=True,
                             text=True).stdout
        m = re.search(r'inet (\d+\.\d+\.\d+\.\d+)/', out)
        if m:
            return m.group(1)
    except OSError:
        pass
    return '127.0.0.1'


def source_ip_towards(host, port):
    """The local address used to reach host:port (the kubelet's InternalIP)."""
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect((host, int(port)))
        ip = s.getsockname()[0]
        s.close()
        return ip
    except OSError:
        return default_route_ip()


def wait_until(pred, timeout, interval=0.5):
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.time() >= deadline:
            return None
        time.sleep(interval)
