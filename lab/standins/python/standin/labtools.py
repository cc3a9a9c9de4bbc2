"""Lab-only tools behind the scripts in lab/host-files (never part of a real Kubernetes tool):
`steer-lab-cert-expiry NAME DURATION` re-signs one of kubeadm's certificates, or a CA, so that it
expires in DURATION (30d, 12h, 90m; negative: already expired)."""
import datetime
import re
import sys

from . import kubeadm_pki
from .common import TAG, now, rfc3339

USAGE = ('usage: steer-lab-cert-expiry NAME DURATION\n  NAME: %s, or a CA: %s\n  DURATION: time left until expiry, '
         'e.g. 30d, 12h, 90m, -1d (already expired)\n')


def parse_left(text):
    m = re.match(r'^(-?)(\d+)([dhm])$', text or '')
    if not m:
        raise ValueError(text)
    unit = {'d': 86400, 'h': 3600, 'm': 60}[m.group(3)]
    return datetime.timedelta(seconds=(-1 if m.group(1) else 1) * int(m.group(2)) * unit)


def cert_expiry_main(argv):
    names = [h[0] for h in kubeadm_pki.HANDLERS]
    cas = sorted(kubeadm_pki.CAS)
    try:
        name, left = argv[0], parse_left(argv[1])
    except (IndexError, ValueError):
        sys.stderr.write(USAGE % (', '.join(names), ', '.join(cas)))
        return 2
    end = now() + left
    start = min(now(), end) - datetime.timedelta(days=365)
    try:
        if name in cas:
            kubeadm_pki.reissue_ca(name, start, end)
        elif name in names:
            if not kubeadm_pki.reissue(name, not_before=start, not_after=end):
                sys.stderr.write('steer-lab-cert-expiry: the CA key of %s is missing (external CA)\n' % name)
                return 1
        else:
            sys.stderr.write(USAGE % (', '.join(names), ', '.join(cas)))
            return 2
    except KeyError:
        sys.stderr.write('steer-lab-cert-expiry: %s is missing\n' % name)
        return 1
    print('%s %s now expires %s (lab-only: steer-lab-cert-expiry)' % (TAG, name, rfc3339(end)))
    return 0
