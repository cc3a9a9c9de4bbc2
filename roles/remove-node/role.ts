// Takes a node out of the cluster for good, from the control plane: drain (bounded, budgets
// respected); on the node itself — when it can still be reached — `kubeadm reset -f` and what
// kubeadm reset leaves by design (CNI configuration and links, iptables chains, IPVS); then
// `kubectl delete node`. A dead board gets the control-plane side only, and the run says what it
// skipped. The last control plane is never removed. After the run, take the host out of the
// inventory (or join it again with `steer run site.yaml -l NODE`).
import { defineRole } from 'steer';
import { ADMIN_CONF } from '../control-plane/role.js';
import { drainNode, nodeName, nodeExists } from '../control-plane/kube-node.js';
import { cleanNode } from './clean.js';
import type { Vars } from './variables.js';

const KUBECTL = ['kubectl', `--kubeconfig=${ADMIN_CONF}`];
const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';

export default defineRole<Vars>({
  async run({ step, vars, host, groups, hostvars, on, $, probe, fail, note, warn }) {
    const target = vars.node;
    const name = nodeName(target);
    const self = { $, probe };
    let exists = false;
    let reachable = false;
    let why = '';

    await step('Node to remove', async () => {
      if (!target) return fail('which node? Run `steer run remove-node.yaml -e node=NAME` (NAME as in the inventory)');
      const controlPlanes = groups[vars.control_plane_group] ?? [];
      const cpNodes = (await probe`${KUBECTL} get nodes -l ${CONTROL_PLANE_LABEL} -o name`).lines().map((l) => l.replace(/^node\//, ''));
      if ((controlPlanes.includes(target) && controlPlanes.length <= 1) || (cpNodes.includes(name) && cpNodes.length <= 1))
        return fail(`${target} is the last control plane: removing it would remove the cluster (use reset.yaml for that)`);
      if (target === host || nodeName(host) === name) return fail(`${target} runs this play: remove it from another control plane`);
      exists = await nodeExists(self, name);
      why = await unreachableBecause(target);
      reachable = why === '';
      note(`node ${name}: ${exists ? 'in the cluster' : 'not in the cluster'}, ${reachable ? 'reachable' : why}`);
      return 'ok';
    });

    await step('Node drained', { when: exists }, async () => {
      if (reachable) {
        try {
          await drainNode(self, name, { timeoutSeconds: vars.drain_timeout });
        } catch (err) {
          fail(
            `drain of ${name} did not finish within ${vars.drain_timeout} s (a PodDisruptionBudget may hold it): the node stays cordoned. ` +
              `Fix what holds it and run again, or give up with \`kubectl uncordon ${name}\`. ${(err as Error).message}`,
          );
        }
        return 'changed';
      }
      // A dead board's kubelet never confirms a Pod stopped: evict (replacements start elsewhere),
      // then, after the timeout, delete what is left without waiting for it.
      try {
        await drainNode(self, name, { timeoutSeconds: vars.unreachable_drain_timeout });
      } catch {
        warn(`${name} is unreachable: its Pods are deleted without eviction after ${vars.unreachable_drain_timeout} s`);
        await drainNode(self, name, { timeoutSeconds: vars.unreachable_drain_timeout, force: true });
      }
      return 'changed';
    });

    // Reset before the delete, as kubeadm's documentation orders it: a kubelet still running
    // would register the Node again.
    await step('Node reset and cleaned', { when: reachable }, () => cleanNode(on(target)));

    await step('Node deleted', { when: exists }, async () => {
      await self.$`${KUBECTL} delete node ${name}`;
      return 'changed';
    });
    if (!reachable)
      note(
        `${target} could not be reached (${why}): skipped on the node itself kubeadm reset, the CNI configuration and links, iptables and IPVS cleanup. ` +
          'Wipe the board (or run `steer run reset.yaml -l ' + target + '` once it is back) before it joins again.',
      );

    /** '' when the node answers; else why not (not in the inventory — a typo? —, or unreachable). */
    async function unreachableBecause(node: string): Promise<string> {
      if (!(node in hostvars)) return `no host ${node} in the inventory`;
      try {
        const r = await on(node).probe`true`;
        return r.ok ? '' : `a command failed there: ${r.stderr.trim()}`;
      } catch (err) {
        return (err as Error).message; // on() throws HostError for a host it cannot reach
      }
    }
  },
});
