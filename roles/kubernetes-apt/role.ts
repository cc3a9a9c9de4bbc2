// The pkgs.k8s.io repository for the chosen minor version, with its keyring in /etc/apt/keyrings,
// and kubelet, kubeadm and kubectl pinned to kubernetes_version and held. On a node already in a
// cluster, the packages are never moved: a different kubernetes_version is refused with a pointer
// to upgrade.yaml (moving kubelets ahead of the API server breaks the version-skew policy).
import { defineRole, formatKubeVersion, parseKubeVersion } from 'steer';
import { installedKubernetesPackages, pinnedKubernetesPackages } from './packages.js';
import type { Vars } from './variables.js';

export default defineRole<Vars>({
  async run({ step, m, probe, vars, fail }) {
    const wanted = parseKubeVersion(vars.kubernetes_version)!;
    await step('Packages of a running cluster left to upgrade.yaml', async () => {
      if (!(await probe`test -f /etc/kubernetes/kubelet.conf`).ok) return 'ok';
      const installed = await installedKubernetesPackages(probe);
      const differ = (['kubeadm', 'kubelet'] as const).filter((p) => installed[p] && formatKubeVersion(installed[p]) !== formatKubeVersion(wanted));
      if (differ.length === 0) return 'ok';
      fail(
        `this node is in a running cluster with ${differ.map((p) => `${p} ${formatKubeVersion(installed[p]!)}`).join(' and ')} installed, ` +
          `and kubernetes_version is ${vars.kubernetes_version}: site.yaml does not move the packages of a running cluster ` +
          '(kubelets newer than the API server break the version-skew policy). Upgrade with ' +
          '`steer run upgrade.yaml -i <inventory>` (control plane first, then node by node; see docs/day2.md "Upgrades"), ' +
          'or set kubernetes_version back to the installed version.',
      );
    });
    await step('Tools for the repository', () => m.apt({ packages: ['ca-certificates', 'curl', 'gnupg'] }));
    await pinnedKubernetesPackages({ step, m }, { baseUrl: vars.kubernetes_apt_base_url, version: wanted, packages: vars.kubernetes_packages });
    // The kubelet restarts in a loop until kubeadm configures it, as on a real install.
    await step('kubelet enabled', () => m.systemd({ unit: 'kubelet', enabled: true }));
  },
});
