// etcd as kubeadm runs it on a control plane, seen from the host: the client certificates
// etcdctl needs (kubeadm's etcd/server pair, as the etcd docs' backup example and kubeadm's own
// health checks use), and the etcdctl/etcdutl of the etcd release installed into /usr/local/bin
// from the release tarball (checked against the release's SHA256SUMS) — kubeadm ships neither.
import type { RoleContext } from 'steer';

export const ETCD_DATA_DIR = '/var/lib/etcd';
export const ETCDCTL = [
  'etcdctl',
  '--endpoints=https://127.0.0.1:2379',
  '--cacert=/etc/kubernetes/pki/etcd/ca.crt',
  '--cert=/etc/kubernetes/pki/etcd/server.crt',
  '--key=/etc/kubernetes/pki/etcd/server.key',
];

export interface EtcdToolVars {
  etcd_version: string;
  etcd_release_url: string;
}

/** The release tarball's URL: etcd_release_url, else the upstream GitHub release asset for this host. */
export function etcdReleaseUrl(vars: EtcdToolVars, dpkgArch: string): string {
  const v = vars.etcd_version;
  return vars.etcd_release_url || `https://github.com/etcd-io/etcd/releases/download/v${v}/etcd-v${v}-linux-${dpkgArch}.tar.gz`;
}

// $1 tarball URL, $2 SHA256SUMS URL, $3 tarball file name. Checked before anything is extracted.
const INSTALL = `set -eu
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
curl -fsSL --retry 3 -o "$d/etcd.tar.gz" "$1"
curl -fsSL --retry 3 -o "$d/SHA256SUMS" "$2"
want=$(awk -v n="$3" '$2 == n || $2 == "*"n { print $1 }' "$d/SHA256SUMS")
[ -n "$want" ] || { echo "SHA256SUMS lists no $3" >&2; exit 1; }
echo "$want  $d/etcd.tar.gz" | sha256sum -c --quiet -
tar -xzf "$d/etcd.tar.gz" -C "$d" --no-same-owner
install -m 0755 "$d/\${3%.tar.gz}/etcdctl" "$d/\${3%.tar.gz}/etcdutl" /usr/local/bin/`;

/** A step installing etcdctl and etcdutl of etcd_version unless both are that version already. */
export async function installEtcdTools({ step, probe, $, facts }: Pick<RoleContext, 'step' | 'probe' | '$' | 'facts'>, vars: EtcdToolVars): Promise<void> {
  const versionOf = async (tool: string) => /version:\s*(\S+)/.exec((await probe`${tool} version`).stdout)?.[1];
  const installed = (await versionOf('etcdctl')) === vars.etcd_version && (await versionOf('etcdutl')) === vars.etcd_version;
  const url = etcdReleaseUrl(vars, facts.dpkgArch);
  const name = url.slice(url.lastIndexOf('/') + 1);
  const sums = `${url.slice(0, url.lastIndexOf('/'))}/SHA256SUMS`;
  await step(`etcdctl and etcdutl ${vars.etcd_version}`, { when: !installed }, async () => {
    await $({ timeoutMs: 10 * 60_000 })`sh -c ${INSTALL} sh ${url} ${sums} ${name}`;
    return 'changed';
  });
}

