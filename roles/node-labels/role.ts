// Labels and taints from the inventory (node_labels, node_taints) on every node, control planes
// included, set through the control plane's kubectl (on(host), so that `-l newnode` works too).
// Only what steer manages is touched: see plan.ts. One merge patch for labels and the bookkeeping
// annotations, `kubectl taint` for taints (a merge patch would replace the whole taint list).
import { defineRole } from 'steer';
import { ADMIN_CONF } from '../control-plane/role.js';
import { nodeName } from '../control-plane/kube-node.js';
import { planNodeChange, readNode } from './plan.js';
import type { Vars } from './variables.js';

const KUBECTL = ['kubectl', `--kubeconfig=${ADMIN_CONF}`];

export default defineRole<Vars>({
  async run({ step, vars, host, groups, on, fail, check }) {
    const controlPlane = groups[vars.control_plane_group]?.[0];
    const name = nodeName(host);
    await step('Node labels and taints', async () => {
      if (!controlPlane) return fail(`no host in group '${vars.control_plane_group}': no kubectl to label node ${name} with`);
      const cp = on(controlPlane);
      const shown = await cp.probe`${KUBECTL} get node ${name} -o json`;
      // In check mode on a cluster still to be built, the node does not exist yet: plan from nothing.
      if (!shown.ok && !check) return fail(`node ${name} is not in the cluster (kubectl get node: ${shown.stderr.trim()})`);
      const change = planNodeChange(readNode(shown.ok ? shown.stdout : '{}'), vars.node_labels, vars.node_taints);
      if (!change.patch && change.taints.length === 0) return 'ok';
      if (change.patch) await cp.$`${KUBECTL} patch node ${name} --type=merge -p ${JSON.stringify(change.patch)}`;
      if (change.taints.length) await cp.$`${KUBECTL} taint node ${name} ${change.taints} --overwrite`;
      return { changed: true, summary: change.summary.join(' ') || 'managed keys recorded' };
    });
  },
});
