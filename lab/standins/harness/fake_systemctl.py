#!/usr/bin/env python3
"""Test harness only (never packaged): a systemctl replacement for running the stand-ins under a
STANDIN_ROOT on a machine without systemd. It knows one unit, kubelet, and runs it like the
packaged unit would: the kubeadm drop-in's arguments, restarted after it exits (Restart=always),
stopped with SIGTERM. State lives in $STANDIN_ROOT/run/fake-systemd/."""
import os
import shlex
import signal
import subprocess
import sys
import time

ROOT = os.environ['STANDIN_ROOT']
STATE = os.path.join(ROOT, 'run/fake-systemd')
RESTART_SEC = float(os.environ.get('FAKE_SYSTEMD_RESTART_SEC', '1'))


def pidfile(unit):
    return os.path.join(STATE, unit + '.pid')


def running(unit):
    try:
        pid = int(open(pidfile(unit)).read())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def kubelet_argv():
    args = ['kubelet', '--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf',
            '--kubeconfig=/etc/kubernetes/kubelet.conf', '--config=/var/lib/kubelet/config.yaml']
    try:
        for line in open(os.path.join(ROOT, 'var/lib/kubelet/kubeadm-flags.env')):
            if line.startswith('KUBELET_KUBEADM_ARGS='):
                args += shlex.split(line.split('=', 1)[1].strip().strip('"'))
    except OSError:
        pass
    return args


def supervise(unit):
    child = [None]

    def stop(*_):
        if child[0] and child[0].poll() is None:
            child[0].terminate()
            try:
                child[0].wait(10)
            except subprocess.TimeoutExpired:
                child[0].kill()
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    log = open(os.path.join(STATE, unit + '.log'), 'ab')
    while True:
        child[0] = subprocess.Popen(kubelet_argv(), stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        child[0].wait()
        time.sleep(RESTART_SEC)


def start(unit):
    if running(unit):
        return
    os.makedirs(STATE, exist_ok=True)
    p = subprocess.Popen([sys.executable, os.path.abspath(__file__), '__supervise', unit], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(pidfile(unit), 'w') as f:
        f.write(str(p.pid))


def stop(unit):
    pid = running(unit)
    if pid:
        os.kill(pid, signal.SIGTERM)
        for _ in range(150):
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.1)
    try:
        os.unlink(pidfile(unit))
    except OSError:
        pass


def main(argv):
    if argv[:1] == ['__supervise']:
        supervise(argv[1])
        return 0
    args = [a for a in argv if not a.startswith('-')]
    verb, units = args[0], [u.replace('.service', '') for u in args[1:]]
    for unit in units:
        if unit != 'kubelet':
            print('Unit %s.service not found.' % unit, file=sys.stderr)
            return 5
    if verb in ('start',):
        for u in units:
            start(u)
    elif verb == 'restart':
        for u in units:
            stop(u)
            start(u)
    elif verb == 'stop':
        for u in units:
            stop(u)
    elif verb == 'is-active':
        ok = all(running(u) for u in units)
        print('active' if ok else 'inactive')
        return 0 if ok else 3
    elif verb == 'is-enabled':
        print('enabled')
        return 0
    elif verb in ('enable', 'disable', 'daemon-reload', 'reset-failed'):
        return 0
    else:
        print('fake systemctl: unsupported verb %s' % verb, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
