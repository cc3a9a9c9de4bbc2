// What the upgrade reads from the cluster through the control plane's kubectl: the API server's
// version (`kubectl version -o json`, serverVersion) and every Node's kubelet version and
// cordon state (`kubectl get nodes -o json`). Host output is data: parsed, never trusted further.
import { parseKubeVersion, sh, type Command, type KubeVersion, type RoleContext } from 'steer';
import { ADMIN_CONF } from '../control-plane/role.js';

export const KUBECTL: Command = sh`kubectl --kubeconfig=${ADMIN_CONF}`;

export interface ClusterNode {
  name: string;
  kubelet?: KubeVersion;
  unschedulable: boolean;
  ready: boolean;
}

interface NodeJson {
  metadata?: { name?: string };
  spec?: { unschedulable?: boolean };
  status?: { nodeInfo?: { kubeletVersion?: string }; conditions?: { type?: string; status?: string }[] };
}

function parseNode(item: NodeJson): ClusterNode | undefined {
  const name = item.metadata?.name;
  if (typeof name !== 'string') return undefined;
  return {
    name,
    kubelet: parseKubeVersion(String(item.status?.nodeInfo?.kubeletVersion ?? '')),
    unschedulable: item.spec?.unschedulable === true,
    ready: (item.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
  };
}

/** The API server's version and the Nodes; throws (with kubectl's words) when the API cannot be read. */
export async function readCluster(probe: RoleContext['probe']): Promise<{ apiServer: KubeVersion; nodes: ClusterNode[] }> {
  const version = await probe`${KUBECTL} version -o json`;
  const server = version.ok ? parseKubeVersion(String((JSON.parse(version.stdout) as { serverVersion?: { gitVersion?: string } }).serverVersion?.gitVersion ?? '')) : undefined;
  if (!server) throw new Error(`cannot read the API server's version (kubectl version): ${version.stderr.trim() || version.stdout.trim()}`);
  const list = await probe`${KUBECTL} get nodes -o json`;
  if (!list.ok) throw new Error(`cannot list the nodes (kubectl get nodes): ${list.stderr.trim()}`);
  const items = ((JSON.parse(list.stdout) as { items?: NodeJson[] }).items ?? []).flatMap((i) => parseNode(i) ?? []);
  return { apiServer: server, nodes: items };
}

/** One Node, or undefined when the cluster has no Node of that name. */
export async function readNode(probe: RoleContext['probe'], node: string): Promise<ClusterNode | undefined> {
  const r = await probe`${KUBECTL} get node ${node} -o json`;
  return r.ok ? parseNode(JSON.parse(r.stdout) as NodeJson) : undefined;
}
