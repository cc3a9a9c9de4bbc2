// Kubernetes versions and the rules an upgrade must keep: kubeadm moves a control plane one minor
// at a time, never down (cmd/kubeadm/app/phases/upgrade/policy.go), and the version-skew policy
// (kubernetes.io/releases/version-skew-policy) says a kubelet is never newer than kube-apiserver and
// at most three minors older (since 1.28). Pure functions: the upgrade roles read the versions, these
// decide.

export interface KubeVersion {
  major: number;
  minor: number;
  patch: number;
}

/** The kubelet may be this many minors older than kube-apiserver (two before Kubernetes 1.28). */
export const KUBELET_MAX_MINORS_BEHIND = 3;

/**
 * Parses `v1.32.10` (kubectl, node status), `1.32.10` (inventory) or `1.32.10-1.1` (a pkgs.k8s.io
 * package version; the Debian revision is dropped). undefined when it is none of these.
 */
export function parseKubeVersion(text: string): KubeVersion | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.+~]+)?$/.exec(text.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

/** `1.32.10` (no `v`). */
export function formatKubeVersion(v: KubeVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/** `1.32`: the minor, which names the pkgs.k8s.io repository. */
export function minorOf(v: KubeVersion): string {
  return `${v.major}.${v.minor}`;
}

/** Negative when a is older than b, 0 when equal, positive when newer. */
export function compareKubeVersions(a: KubeVersion, b: KubeVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** The minors an upgrade goes through, both ends included: 1.32 → 1.34 is ['1.32', '1.33', '1.34']. */
export function minorPath(from: KubeVersion, to: KubeVersion): string[] {
  const path: string[] = [];
  for (let minor = from.minor; minor <= to.minor; minor++) path.push(`${from.major}.${minor}`);
  return path;
}

export type KubernetesPackage = 'kubeadm' | 'kubelet' | 'kubectl';

/** One node as the upgrade sees it: what its Node status says and what its packages are. */
export interface NodeVersions {
  /** The Node's name in the cluster. */
  name: string;
  /** status.nodeInfo.kubeletVersion; undefined for an inventory host that is not a node (yet). */
  kubelet?: KubeVersion;
  /** spec.unschedulable: cordoned (left so by a drain or an upgrade that stopped). */
  unschedulable: boolean;
  /** Installed package versions (dpkg); a package missing is absent. */
  packages: Partial<Record<KubernetesPackage, KubeVersion>>;
}

/** A node is done when its kubelet and every installed Kubernetes package are at the target and it is not cordoned. */
export function nodeAtTarget(node: NodeVersions, target: KubeVersion): boolean {
  const same = (v: KubeVersion | undefined) => v !== undefined && compareKubeVersions(v, target) === 0;
  return same(node.kubelet) && Object.values(node.packages).every(same) && !node.unschedulable;
}

/**
 * Why upgrading a cluster whose API server runs `apiServer` to `target` is refused, or undefined
 * when it may go on. Refused: another major, a downgrade, more than one minor at once (the message
 * gives the path: 1.32 → 1.33 → 1.34), and any node the skew policy would not allow — a kubelet
 * newer than the API server or the target, a kubelet more than three minors behind the target, a
 * package installed newer than the target.
 */
export function upgradeRefusal(target: KubeVersion, apiServer: KubeVersion, nodes: NodeVersions[]): string | undefined {
  const t = formatKubeVersion(target);
  const a = `v${formatKubeVersion(apiServer)}`;
  if (target.major !== apiServer.major) return `kubernetes_version ${t} is another major version than the cluster's (API server ${a}): kubeadm cannot upgrade across majors.`;
  if (compareKubeVersions(target, apiServer) < 0)
    return (
      `kubernetes_version ${t} is older than the cluster (API server ${a}): upgrade.yaml never downgrades — kubeadm cannot ` +
      `take a control plane back to an older version. Set kubernetes_version to ${formatKubeVersion(apiServer)} or newer (to go back, restore a backup taken before the upgrade).`
    );
  if (target.minor - apiServer.minor > 1) {
    const path = minorPath(apiServer, target);
    return (
      `kubernetes_version ${t} is ${target.minor - apiServer.minor} minor versions ahead of the cluster (API server ${a}): ` +
      `kubeadm upgrades one minor version at a time. Upgrade along ${path.join(' → ')}: run upgrade.yaml with ` +
      `${path.slice(1, -1).map((m) => `kubernetes_version ${m}.x`).join(', then ')}, then with ${t}.`
    );
  }
  const problems = nodes.flatMap((node) => nodeSkewProblems(node, target, apiServer));
  if (problems.length === 0) return undefined;
  return `the version-skew policy does not allow this upgrade yet; nothing was changed:\n${problems.map((p) => `  - ${p}`).join('\n')}`;
}

/** The skew problems of one node for an upgrade to `target` (see upgradeRefusal). */
function nodeSkewProblems(node: NodeVersions, target: KubeVersion, apiServer: KubeVersion): string[] {
  const problems: string[] = [];
  const t = formatKubeVersion(target);
  if (node.kubelet && compareKubeVersions(node.kubelet, apiServer) > 0)
    problems.push(
      `${node.name}: its kubelet v${formatKubeVersion(node.kubelet)} is newer than the API server v${formatKubeVersion(apiServer)} ` +
        '(a kubelet must never be newer than kube-apiserver); put that node\'s kubelet back to the cluster\'s version first',
    );
  else if (node.kubelet && target.minor - node.kubelet.minor > KUBELET_MAX_MINORS_BEHIND)
    problems.push(
      `${node.name}: its kubelet v${formatKubeVersion(node.kubelet)} would be more than ${KUBELET_MAX_MINORS_BEHIND} minor versions older ` +
        `than an API server at ${t}; bring the nodes to the cluster's version first (upgrade.yaml with kubernetes_version ${formatKubeVersion(apiServer)})`,
    );
  for (const [pkg, version] of Object.entries(node.packages))
    if (compareKubeVersions(version, target) > 0)
      problems.push(`${node.name}: ${pkg} ${formatKubeVersion(version)} is installed, newer than kubernetes_version ${t} (packages are never downgraded)`);
  return problems;
}
