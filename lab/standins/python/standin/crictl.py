"""The stand-in crictl (cri-tools, which kubeadm depends on): `pods` and `stopp`, the CRI calls that
stop a node's Pods the way `kubeadm reset` does. The Pods that really run in the lab are the stand-in
runtime's process "containers" (etcd, kube-apiserver, kube-proxy: see containers.py), so those are
what it lists and stops; the kubelet starts them again from their manifests when the kubelet runs."""
import hashlib
import os
import socket
import sys

from .common import host_path, label
from . import containers

DEFAULT_ENDPOINT = 'unix:///run/containerd/containerd.sock'


def sandboxes():
    """{sandbox id: component} for every running stand-in container; an id is stable while that
    process lives (a hash of the component and its pid, 64 hex digits like a CRI sandbox id)."""
    out = {}
    for name in containers.MODULES:
        pid = containers.pid_of(name)
        if pid:
            out[hashlib.sha256(('%s/%d' % (name, pid)).encode()).hexdigest()] = name
    return out


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
    running = sandboxes()
    if args[0] == 'pods':
        if '-q' in args[1:]:
            print(''.join('%s\n' % sid for sid in running), end='')
        elif running:
            print('POD ID          NAME\n' + '\n'.join('%s   %s' % (sid[:13], n) for sid, n in running.items()))
        return 0
    status = 0
    for pod in args[1:]:
        match = [sid for sid in running if pod in (sid, sid[:13])]
        if match:
            containers.stop(running[match[0]])
            print('Stopped sandbox %s' % pod)
        else:
            print('stopping the pod sandbox "%s": rpc error: code = NotFound desc = an error occurred when try to '
                  'find sandbox: not found' % pod, file=sys.stderr)
            status = 1
    return status


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
