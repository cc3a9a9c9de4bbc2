// upgrade.yaml's control-plane play. First, before anything changes: the path (no downgrade, one
// minor at a time) and the version-skew policy, from the API server's version (`kubectl version`),
// every Node's kubelet (node status) and every node's installed packages (the first play). Then, as
// kubeadm's procedure: kubeadm at the target, `kubeadm upgrade plan`, `kubeadm upgrade apply`, then
// this node drained, kubelet and kubectl at the target, kubelet restarted, uncordoned, Ready.
import { compareKubeVersions, defineRole, formatKubeVersion, nodeAtTarget, nodeName, parseKubeVersion, upgradeRefusal, type NodeVersions } from 'steer';
import { KUBERNETES_PACKAGES } from '../kubernetes-apt/packages.js';
import { readCluster } from '../upgrade-node/cluster.js';
import { drainStep, packagesStep, restartAndReturn, type NodeUpgrade } from '../upgrade-node/steps.js';
import { INSTALLED_KEY } from '../upgrade-versions/role.js';
import type { Vars } from './variables.js';

/** NodeVersions of every Node, with the packages the inventory host of that name published. */
function nodeVersions(cluster: Awaited<ReturnType<typeof readCluster>>, hostvars: Record<string, Record<string, unknown>>): NodeVersions[] {
  const published = new Map(Object.entries(hostvars).map(([h, v]) => [nodeName(h), (v[INSTALLED_KEY] ?? {}) as Record<string, string>]));
  return cluster.nodes.map((n) => ({
    ...n,
    packages: Object.fromEntries(Object.entries(published.get(n.name) ?? {}).flatMap(([p, v]) => (parseKubeVersion(v) ? [[p, parseKubeVersion(v)!]] : []))),
  }));
}

export default defineRole<Vars>({
  async run({ step, m, $, probe, vars, host, hostvars, fail, note, check }) {
    const target = parseKubeVersion(vars.kubernetes_version)!;
    const t = formatKubeVersion(target);
    const node = nodeName(host);
    let applyNeeded = false;
    let nodeNeeded = false;
    await step('Upgrade path and version skew', async () => {
      const cluster = await readCluster(probe).catch((err: Error) => fail(`${err.message}: the upgrade needs a running cluster`));
      const nodes = nodeVersions(cluster, hostvars);
      const refusal = upgradeRefusal(target, cluster.apiServer, nodes);
      if (refusal) fail(refusal);
      applyNeeded = compareKubeVersions(cluster.apiServer, target) < 0;
      const self = nodes.find((n) => n.name === node);
      nodeNeeded = !self || !nodeAtTarget(self, target);
      const todo = nodes.filter((n) => !nodeAtTarget(n, target)).map((n) => n.name);
      note(
        todo.length === 0 && !applyNeeded
          ? `every node is at v${t}: nothing to do`
          : `API server v${formatKubeVersion(cluster.apiServer)} → v${t}; nodes to upgrade, control plane first, then one at a time: ${todo.join(', ')}`,
      );
      return 'ok';
    });

    const u: NodeUpgrade = {
      host, node, target, kubectl: { $, probe }, baseUrl: vars.kubernetes_apt_base_url,
      drainTimeout: vars.upgrade_drain_timeout, readyTimeout: vars.upgrade_node_ready_timeout,
    };
    const todo = applyNeeded || nodeNeeded;
    await packagesStep({ step, m, fail }, u, ['kubeadm'], todo, false);
    // Air-gapped, plan with no version falls back to kubeadm's own; the explicit target is what apply gets.
    await step('kubeadm upgrade plan', { when: applyNeeded && !check }, async () => {
      const plan = await probe({ timeoutMs: 10 * 60_000 })`kubeadm upgrade plan ${`v${t}`}`;
      if (!plan.ok) fail(`kubeadm upgrade plan v${t} refused the upgrade; the control plane was not changed (kubeadm ${t} is installed):\n${plan.stderr.trim() || plan.stdout.trim()}`);
      note(plan.text());
      return 'ok';
    });
    await step('kubeadm upgrade apply', { when: applyNeeded }, async () => {
      const patches = (await probe`test -d /etc/kubernetes/patches`).ok ? ['--patches', '/etc/kubernetes/patches'] : [];
      try {
        await $({ timeoutMs: 30 * 60_000 })`kubeadm upgrade apply ${`v${t}`} --yes ${patches}`;
      } catch (err) {
        fail(
          `kubeadm upgrade apply v${t} failed on ${node}; kubeadm puts the earlier control plane back when a component does not come up.\n` +
            `${(err as Error).message}\nFix the cause (see its output above), then run upgrade.yaml again with kubernetes_version ${t}.`,
        );
      }
    });
    await drainStep({ step, fail }, u, nodeNeeded || applyNeeded);
    await packagesStep({ step, m, fail }, u, KUBERNETES_PACKAGES.filter((p) => p !== 'kubeadm'), todo, true);
    await restartAndReturn({ step, fail, $, check }, u, todo);
  },
});
