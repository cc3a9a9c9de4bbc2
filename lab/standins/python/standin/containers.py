"""The stand-in container runtime: the few "containers" that are real processes — etcd and
kube-apiserver from their static Pod manifests, kube-proxy from its DaemonSet Pod — started by the
kubelet, each as its own transient systemd unit (standin-<name>.service) so that, as with
containerd, restarting or upgrading the kubelet leaves them running. Without systemd (the local
test harness) they are child processes in their own session. Each writes /run/standin/<name>.pid.
"""
import os
import signal
import subprocess
import sys
import time

from .common import host_path, klog

MODULES = {'etcd': 'standin.etcd', 'kube-apiserver': 'standin.apiserver', 'kube-proxy': 'standin.kubeproxy'}
_children = {}  # name -> Popen (harness mode)


def use_systemd():
    return os.path.isdir('/run/systemd/system') and os.environ.get('STANDIN_ROOT', '/') == '/' and \
        not os.environ.get('STANDIN_SYSTEMCTL')


def unit(name):
    return 'standin-%s.service' % name


def pid_of(name):
    """The pid of the component's process, or None when it is not running."""
    try:
        pid = int(open(host_path('/run/standin/%s.pid' % name)).read().strip())
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            argv = f.read().split(b'\0')
        if MODULES[name].encode() in argv:
            return pid
    except (OSError, ValueError):
        pass
    return None


def alive(name):
    """Running, or started and not yet up (its pid file comes once Python has started)."""
    if pid_of(name):
        return True
    if use_systemd():
        r = subprocess.run(['systemctl', 'is-active', '--quiet', unit(name)], capture_output=True)
        return r.returncode == 0
    child = _children.get(name)
    return child is not None and child.poll() is None


def start(name, args, version):
    """Starts the component with the arguments of its manifest and the version of its image."""
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    argv = [sys.executable, '-m', MODULES[name]] + list(args)
    env = {'PYTHONPATH': pkg, 'STANDIN_COMPONENT_VERSION': version}
    klog('I', 'kuberuntime_container.go', 'starting %s %s (lab stand-in process)' % (name, version))
    if use_systemd():
        subprocess.run(['systemctl', 'reset-failed', unit(name)], capture_output=True)
        subprocess.run(['systemd-run', '--unit=' + unit(name).rsplit('.', 1)[0], '--collect', '--quiet',
                        '--description=%s (steer lab stand-in)' % name] +
                       ['--setenv=%s=%s' % kv for kv in sorted(env.items())] + argv, check=False)
        return
    logdir = host_path('/var/log/standin')
    os.makedirs(logdir, exist_ok=True)
    with open(os.path.join(logdir, '%s.log' % name), 'ab') as log:
        _children[name] = subprocess.Popen(argv, env=dict(os.environ, **env), stdout=log, stderr=log,
                                           stdin=subprocess.DEVNULL, start_new_session=True)


def stop(name, timeout=10.0):
    """Stops the component (SIGTERM, then SIGKILL); True when it was running."""
    pid = pid_of(name)
    was = alive(name)
    if use_systemd():
        subprocess.run(['systemctl', 'stop', unit(name)], capture_output=True)
    elif pid:
        _signal(pid, signal.SIGTERM)
    child = _children.pop(name, None)
    if child is not None and child.poll() is None and not pid:
        child.terminate()
    deadline = time.time() + timeout
    while pid and time.time() < deadline and _exists(pid):
        time.sleep(0.1)
    if pid and _exists(pid):
        _signal(pid, signal.SIGKILL)
    if child is not None:
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            child.kill()
    return was


def stop_all():
    for name in ('kube-proxy', 'kube-apiserver', 'etcd'):
        stop(name)


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def _exists(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False
