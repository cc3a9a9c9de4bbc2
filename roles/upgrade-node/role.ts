// upgrade.yaml's last play, one node at a time (serial: 1, any_errors_fatal): a node that is not at
// the target yet is drained from the control plane, gets kubeadm at the target, runs `kubeadm
// upgrade node`, gets kubelet and kubectl at the target (pinned, held), restarts its kubelet, is
// uncordoned and waited for until Ready at the target. A node already there is skipped, so a re-run after a failure resumes where it stopped.
import { compareKubeVersions, defineRole, formatKubeVersion, nodeAtTarget, nodeName, parseKubeVersion } from 'steer';
import { installedKubernetesPackages, KUBERNETES_PACKAGES } from '../kubernetes-apt/packages.js';
import { readCluster } from './cluster.js';
import { drainStep, packagesStep, restartAndReturn, stoppedMessage, type NodeUpgrade } from './steps.js';
import type { Vars } from './variables.js';

export default defineRole<Vars>({
  async run({ step, m, $, probe, vars, host, groups, on, fail, note, check }) {
    const target = parseKubeVersion(vars.kubernetes_version)!;
    const t = formatKubeVersion(target);
    const controlPlane = groups[vars.control_plane_group]?.[0];
    if (!controlPlane) {
      await step('Control plane known', () => fail(`no host in group '${vars.control_plane_group}': cannot reach the cluster's API`));
      return;
    }
    const u: NodeUpgrade = {
      host, node: nodeName(host), target, kubectl: on(controlPlane), baseUrl: vars.kubernetes_apt_base_url,
      drainTimeout: vars.upgrade_drain_timeout, readyTimeout: vars.upgrade_node_ready_timeout,
    };
    let todo = false;
    let packages: string[] = [];
    await step('Node version', async () => {
      const cluster = await readCluster(u.kubectl.probe).catch((err: Error) => fail(err.message));
      const self = cluster.nodes.find((n) => n.name === u.node);
      if (!self) {
        note(`${u.node} is not a node of the cluster (join it with site.yaml): not upgraded`);
        return 'ok';
      }
      const installed = await installedKubernetesPackages(probe);
      // The control plane first: a kubelet must never be newer than the API server.
      if (!check && compareKubeVersions(cluster.apiServer, target) < 0)
        fail(`the API server is at v${formatKubeVersion(cluster.apiServer)}: the control plane is upgraded to v${t} before any other node (its play stopped?)`);
      todo = !nodeAtTarget({ ...self, packages: installed }, target);
      packages = KUBERNETES_PACKAGES.filter((p) => p !== 'kubectl' || installed.kubectl);
      note(todo ? `kubelet v${self.kubelet ? formatKubeVersion(self.kubelet) : '?'} → v${t}` : `already at v${t}: skipped`);
      return 'ok';
    });
    await drainStep({ step, fail }, u, todo);
    // kubeadm's order: kubeadm, `kubeadm upgrade node`, then the kubelet — a failed `kubeadm upgrade
    // node` leaves the node's kubelet as it was.
    await packagesStep({ step, m, fail }, u, ['kubeadm'], todo, true);
    await step('kubeadm upgrade node', { when: todo }, async () => {
      try {
        await $({ timeoutMs: 15 * 60_000 })`kubeadm upgrade node`;
      } catch (err) {
        fail(stoppedMessage(u, 'kubeadm upgrade node', (err as Error).message));
      }
    });
    await packagesStep({ step, m, fail }, u, packages.filter((p) => p !== 'kubeadm'), todo, true);
    await restartAndReturn({ step, fail, $, check }, u, todo);
  },
});
