// A removed node's own cleanup, over its connection: `kubeadm reset -f`, then what kubeadm reset
// leaves on purpose (its closing text: "The reset process does not perform cleanup of CNI plugin
// configuration, network filtering rules and kubeconfig files"). Each action runs only when its
// probe finds something to do, so a second run changes nothing.
import type { RoleContext } from 'steer';

type NodeShells = ReturnType<RoleContext['on']>;

/** Chains the cluster's network components create (kube-proxy, Flannel, CNI portmap). */
const CLUSTER_CHAINS = 'KUBE-|FLANNEL|CNI-';
const LINKS = ['cni0', 'flannel.1'];
const CNI_DIRS = ['/etc/cni/net.d', '/var/lib/cni', '/run/flannel'];

/**
 * Resets and cleans the node; resolves 'changed' when anything was done, 'ok' otherwise.
 * Never flushes whole tables: only the cluster's chains and the rules that jump to them go, so a
 * user's own firewall rules stay (kubeadm's advice, `iptables -F`, would drop them too).
 */
export async function cleanNode(node: NodeShells): Promise<'ok' | 'changed'> {
  let changed = false;
  const joined = await node.probe`sh -c ${'test -e /etc/kubernetes/kubelet.conf -o -e /etc/kubernetes/bootstrap-kubelet.conf -o -e /etc/kubernetes/admin.conf || test -n "$(ls -A /etc/kubernetes/manifests 2>/dev/null)"'}`;
  if (joined.ok) {
    await node.$({ timeoutMs: 5 * 60_000 })`kubeadm reset -f`;
    changed = true;
  }
  for (const dir of CNI_DIRS) {
    if (!(await node.probe`sh -c ${`test -n "$(ls -A ${dir} 2>/dev/null)"`}`).ok) continue;
    await node.$`find ${dir} -mindepth 1 -delete`;
    changed = true;
  }
  for (const link of LINKS) {
    if (!(await node.probe`ip link show ${link}`).ok) continue;
    await node.$`ip link delete ${link}`;
    changed = true;
  }
  for (const tool of ['iptables', 'ip6tables']) {
    const rules = await node.probe`sh -c ${`command -v ${tool}-save >/dev/null && ${tool}-save | grep -qE -- '${CLUSTER_CHAINS}'`}`;
    if (!rules.ok) continue;
    await node.$`sh -c ${`${tool}-save | grep -vE -- '${CLUSTER_CHAINS}' | ${tool}-restore`}`;
    changed = true;
  }
  if ((await node.probe`sh -c ${"command -v ipvsadm >/dev/null && ipvsadm -Ln | grep -qE '^(TCP|UDP|SCTP)'"}`).ok) {
    await node.$`ipvsadm --clear`;
    changed = true;
  }
  return changed ? 'changed' : 'ok';
}
