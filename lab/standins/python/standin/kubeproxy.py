"""The stand-in kube-proxy, started by the kubelet for the kube-proxy DaemonSet Pod bound to its
node. It reads Services and Endpoints from the API server every second (with the node's kubelet
credentials: the stand-in has no ServiceAccount tokens) and keeps serving the last rules it read
while the API server cannot be reached, as iptables rules outlive an API server restart."""
import os
import signal
import sys
import threading

from .client import Api, ApiError, ConfigError, ConnectError, load_kubeconfig
from .common import component_version, host_path, klog, label, write_file
from .serviceproxy import ServiceProxy


def main(argv):
    label('kube-proxy', component_version())
    opts = {}
    for a in argv:
        if a.startswith('--'):
            k, _, v = a[2:].partition('=')
            opts[k] = v
    kubeconfig = opts.get('kubeconfig', '/etc/kubernetes/kubelet.conf')
    proxy = ServiceProxy()
    write_file('/run/standin/kube-proxy.pid', str(os.getpid()))
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    api, failing = None, False
    while not stopping.wait(1.0):
        try:
            api = api or Api.from_kubeconfig(load_kubeconfig(kubeconfig), timeout=5)
            services = api.get('/api/v1/services')['items']
            endpoints = api.get('/api/v1/endpoints')['items']
        except (ApiError, ConnectError, ConfigError, OSError) as e:
            if not failing:
                klog('E', 'proxier.go', 'cannot read Services from the API server (keeping the current rules): %s' % e)
            failing = True
            continue
        if failing:
            klog('I', 'proxier.go', 'API server reachable again')
        failing = False
        proxy.update(services, endpoints)
    proxy.close_all()
    try:
        if open(host_path('/run/standin/kube-proxy.pid')).read().strip() == str(os.getpid()):
            os.unlink(host_path('/run/standin/kube-proxy.pid'))
    except OSError:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
