"""Detached JWS signatures of the cluster-info kubeconfig, as kube-controller-manager's bootstrap
signer writes them and `kubeadm join` checks them (HS256 keyed with the token secret)."""
import base64
import hashlib
import hmac
import json


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def detached_signature(content, token_id, token_secret):
    header = _b64url(json.dumps({'alg': 'HS256', 'kid': token_id}, separators=(',', ':')).encode())
    payload = _b64url(content.encode())
    sig = hmac.new(token_secret.encode(), ('%s.%s' % (header, payload)).encode(), hashlib.sha256).digest()
    return '%s..%s' % (header, _b64url(sig))


def detached_is_valid(detached, content, token_id, token_secret):
    parts = detached.split('.')
    if len(parts) != 3 or parts[1] != '':
        return False
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + '=' * (-len(parts[0]) % 4)))
    except ValueError:
        return False
    if header.get('kid') != token_id or header.get('alg') != 'HS256':
        return False
    return hmac.compare_digest(detached, detached_signature(content, token_id, token_secret))
