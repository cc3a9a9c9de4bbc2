// After a restore, the Nodes of the snapshot still say Ready (their last status), so Ready alone
// proves nothing: a node is back once it is Ready AND its kubelet renewed its Lease
// (kube-node-lease, every 10 s on a real kubelet) after the restore started.
import type { RoleContext } from 'steer';
import { ADMIN_CONF } from '../certificates/kubeconfigs.js';
import { until } from '../renew-certs/restart.js';

const LEASES = '{range .items[*]}{.metadata.name} {.spec.renewTime}{"\\n"}{end}';

/** Waits up to `seconds`; returns the nodes still not back (empty: all are). `since`: ms since the epoch, the host's clock. */
export async function waitForNodes(probe: RoleContext['probe'], since: number, seconds: number): Promise<string[]> {
  let missing: string[] = ['(no answer)'];
  await until(seconds, async () => {
    const nodes = await probe`kubectl --kubeconfig=${ADMIN_CONF} get nodes --no-headers`;
    const leases = await probe`kubectl --kubeconfig=${ADMIN_CONF} -n kube-node-lease get leases -o jsonpath=${LEASES}`;
    if (!nodes.ok || !leases.ok) return false;
    const renewed = new Map(leases.lines().map((l) => [l.split(' ')[0]!, Date.parse(l.split(' ')[1] ?? '')] as const));
    missing = nodes
      .lines()
      .map((l) => l.split(/\s+/))
      .filter(([name, status]) => !/^Ready\b/.test(status ?? '') || !((renewed.get(name!) ?? 0) >= since))
      .map(([name]) => name!);
    return missing.length === 0;
  });
  return missing;
}
