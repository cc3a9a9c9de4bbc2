// The name a host gets as a Kubernetes Node. kubeadm registers `nodeRegistration.name` (or the host
// name) trimmed and lowercased (cmd/kubeadm/app/util/hostname.go, GetHostname), and the API refuses
// a name that is not a DNS-1123 subdomain. steer sets nodeRegistration.name to nodeName(host)
// explicitly and uses the same function wherever it talks to the API about a node (kubectl get /
// label / drain / uncordon), so that `PiNode2` in the inventory is `pinode2` everywhere.

/** k8s.io/apimachinery's DNS-1123 subdomain: lowercase alphanumerics, '-' and '.', at most 253. */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_SUBDOMAIN_MAX = 253;

/** The Node name kubeadm registers for an inventory host name: trimmed, lowercased (kubeadm's GetHostname). */
export function nodeName(inventoryName: string): string {
  return inventoryName.trim().toLowerCase();
}

/**
 * Why an inventory host name cannot be a Node name (undefined when it can): the lowercased name must be
 * a DNS-1123 subdomain (IsDNS1123Subdomain in k8s.io/apimachinery/pkg/util/validation), as kubeadm
 * checks `nodeRegistration.name`.
 */
export function nodeNameProblem(inventoryName: string): string | undefined {
  const name = nodeName(inventoryName);
  if (name.length === 0) return 'an empty name cannot be a Kubernetes node name';
  if (name.length > DNS1123_SUBDOMAIN_MAX) return `its node name "${name}" is longer than ${DNS1123_SUBDOMAIN_MAX} characters`;
  if (!DNS1123_SUBDOMAIN.test(name))
    return (
      `its node name "${name}" is not a lowercase RFC 1123 subdomain: Kubernetes node names may hold only ` +
      "lowercase letters, digits, '-' and '.', and start and end with a letter or digit (kubeadm refuses it)"
    );
  return undefined;
}

/** Inventory hosts that map to the same node name, by node name (only names shared by 2+ hosts). */
export function nodeNameClashes(inventoryNames: Iterable<string>): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const host of inventoryNames) byName.set(nodeName(host), [...(byName.get(nodeName(host)) ?? []), host]);
  return new Map([...byName].filter(([, hosts]) => hosts.length > 1));
}
