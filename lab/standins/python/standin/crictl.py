"""The stand-in crictl (cri-tools, which kubeadm depends on): `pods` and `stopp`, the CRI calls that
stop a node's Pods the way `kubeadm reset` does. The only Pod that really runs in the lab is the API
server of the kube-apiserver static Pod (etcd's work is done inside it), so that is what it lists and
stops; the kubelet starts it again from its manifest when the kubelet runs."""
import hashlib
import os
import socket
import sys

from .common import host_path, label
from .kubelet import stop_apiserver

DEFAULT_ENDPOINT = 'unix:///run/containerd/containerd.sock'


def apiserver_sandbox():
    """The sandbox id of the running stand-in API server (stable while that process lives), or None."""
    try:
        pid = int(open(host_path('/run/standin/kube-apiserver.pid')).read().strip())
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            if b'standin.apiserver' not in f.read():
                return None
    except (OSError, ValueError):
        return None
    return hashlib.sha256(('kube-apiserver/%d' % pid).encode()).hexdigest()


def runtime_answers(endpoint):
    path = endpoint[len('unix://'):] if endpoint.startswith('unix://') else endpoint
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(2)
        s.connect(host_path(path))
        return True
    except OSError:
        return False
    finally:
        s.close()


def main(argv):
    label('crictl')
    endpoint = DEFAULT_ENDPOINT
    args = []
    it = iter(argv)
    for a in it:
        if a in ('-r', '--runtime-endpoint'):
            endpoint = next(it, DEFAULT_ENDPOINT)
        elif a.startswith('--runtime-endpoint='):
            endpoint = a.split('=', 1)[1]
        else:
            args.append(a)
    if not args or args[0] not in ('pods', 'stopp'):
        print('crictl (steer lab stand-in): pods [-q], stopp POD-ID...', file=sys.stderr)
        return 1
    if not runtime_answers(endpoint):
        print('E0000 validate service connection: validate CRI v1 runtime API for endpoint "%s": rpc error: '
              'code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix %s: '
              'connect: no such file or directory"' % (endpoint, endpoint[len('unix://'):]), file=sys.stderr)
        return 1
    sandbox = apiserver_sandbox()
    if args[0] == 'pods':
        if sandbox:
            print(sandbox if '-q' in args[1:] else 'POD ID          NAME\n%s   kube-apiserver' % sandbox[:13])
        return 0
    status = 0
    for pod in args[1:]:
        if sandbox and pod in (sandbox, sandbox[:13]):
            stop_apiserver()
            print('Stopped sandbox %s' % pod)
        else:
            print('stopping the pod sandbox "%s": rpc error: code = NotFound desc = an error occurred when try to '
                  'find sandbox: not found' % pod, file=sys.stderr)
            status = 1
    return status


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
