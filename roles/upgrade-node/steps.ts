// One node's upgrade after its kubeadm step, the same for the control plane and the workers:
// drain (bounded; PodDisruptionBudgets respected: evictions, never deletions), packages at the
// target, kubelet restart, uncordon, wait until the Node is Ready at the target. A failure stops
// the host with the node left cordoned and says how to resume (kubeadm's "Upgrading Linux nodes"
// procedure, kubernetes.io/docs/tasks/administer-cluster/kubeadm/upgrading-linux-nodes).
import { formatKubeVersion, type KubeVersion, type RoleContext, type Shell } from 'steer';
import { pinnedKubernetesPackages } from '../kubernetes-apt/packages.js';
import { drainNode, uncordonNode } from '../control-plane/kube-node.js';
import { readNode } from './cluster.js';

export interface NodeUpgrade {
  /** Inventory name (for `-l` and messages) and Node name (for the API). */
  host: string;
  node: string;
  target: KubeVersion;
  /** Where `kubectl --kubeconfig=admin.conf` runs: the control plane. */
  kubectl: { $: Shell; probe: Shell };
  baseUrl: string;
  /** Seconds for `kubectl drain --timeout` and for the Node to be Ready again. */
  drainTimeout: number;
  readyTimeout: number;
}

/** The failure message of a node's upgrade: what failed, that the node stays cordoned, how to resume. */
export function stoppedMessage(u: Pick<NodeUpgrade, 'host' | 'node' | 'target'>, what: string, detail: string): string {
  const t = formatKubeVersion(u.target);
  return (
    `${what} failed on ${u.node}: the upgrade stopped here, and ${u.node} is left cordoned (drained; no new Pods land on it).\n` +
    `${detail.trim()}\n` +
    `To resume: fix the cause, then run upgrade.yaml again with kubernetes_version ${t} — nodes already at v${t} are skipped, ` +
    `so it goes on with ${u.host}. (To put ${u.node} back in service first without upgrading it: kubectl uncordon ${u.node}.)`
  );
}

/** Runs a changing command; a non-zero exit fails the host with stoppedMessage. */
async function orStop(ctx: Pick<RoleContext, 'fail'>, u: NodeUpgrade, what: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    ctx.fail(stoppedMessage(u, what, (err as Error).message));
  }
}

/** `kubectl drain` from the control plane (kube-node.ts drainNode), bounded by drainTimeout. */
export async function drainStep(ctx: Pick<RoleContext, 'step' | 'fail'>, u: NodeUpgrade, when: boolean): Promise<void> {
  await ctx.step('Drained', { when }, () =>
    orStop(ctx, u, 'kubectl drain', () =>
      drainNode(u.kubectl, u.node, { timeoutSeconds: u.drainTimeout }),
    ),
  );
}

/** Packages at the target (repository of its minor, pinned, held): kubeadm alone before `kubeadm upgrade`, the others after. */
export async function packagesStep(ctx: Pick<RoleContext, 'step' | 'm' | 'fail'>, u: NodeUpgrade, packages: string[], when: boolean, drained: boolean): Promise<void> {
  const what = `${packages.join(', ')} ${formatKubeVersion(u.target)}`;
  // After the drain, a failure leaves the node cordoned: say so, and how to resume.
  const onError = drained ? (step: string, err: Error) => ctx.fail(stoppedMessage(u, `${step} (${what})`, err.message)) : undefined;
  await pinnedKubernetesPackages(ctx, { baseUrl: u.baseUrl, version: u.target, packages, what, when, onError });
}

/** kubelet restarted (new binary, new configuration), uncordoned, then Ready at the target. */
export async function restartAndReturn(ctx: Pick<RoleContext, 'step' | 'fail' | '$' | 'check'>, u: NodeUpgrade, when: boolean): Promise<void> {
  await ctx.step('kubelet restarted', { when }, () =>
    orStop(ctx, u, 'the kubelet restart', async () => {
      await ctx.$`systemctl daemon-reload`;
      await ctx.$`systemctl restart kubelet`;
    }),
  );
  await ctx.step('Uncordoned', { when }, () => orStop(ctx, u, 'kubectl uncordon', () => uncordonNode(u.kubectl, u.node)));
  await ctx.step(`Ready at the new version`, { when: when && !ctx.check }, async () => {
    const t = `v${formatKubeVersion(u.target)}`;
    const deadline = Date.now() + u.readyTimeout * 1000;
    for (;;) {
      const node = await readNode(u.kubectl.probe, u.node);
      if (node?.ready && node.kubelet && formatKubeVersion(node.kubelet) === formatKubeVersion(u.target)) return 'ok';
      if (Date.now() > deadline)
        ctx.fail(
          `${u.node} is not Ready at ${t} ${u.readyTimeout} s after its kubelet restarted (kubelet ` +
            `${node?.kubelet ? `v${formatKubeVersion(node.kubelet)}` : 'unknown'}, ${node?.ready ? 'Ready' : 'NotReady'}): the upgrade stopped here; ` +
            `see \`journalctl -u kubelet\` on ${u.host}. Once it is Ready, run upgrade.yaml again with kubernetes_version ` +
            `${formatKubeVersion(u.target)} to go on with the next nodes (nodes already at ${t} are skipped).`,
        );
      await new Promise((r) => setTimeout(r, 2000));
    }
  });
}
