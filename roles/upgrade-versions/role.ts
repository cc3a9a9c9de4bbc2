// upgrade.yaml's first play, on every node: which Kubernetes packages it has installed (dpkg),
// published for the control plane's skew check. Reads only.
import { defineRole, formatKubeVersion } from 'steer';
import { installedKubernetesPackages } from '../kubernetes-apt/packages.js';
import type { Vars } from './variables.js';

export const INSTALLED_KEY = 'kubernetes_packages_installed';

export default defineRole<Vars>({
  async run({ step, probe, publish, note }) {
    await step('Installed Kubernetes packages', async () => {
      const installed = await installedKubernetesPackages(probe);
      publish(INSTALLED_KEY, Object.fromEntries(Object.entries(installed).map(([p, v]) => [p, formatKubeVersion(v)])));
      note(Object.entries(installed).map(([p, v]) => `${p} ${formatKubeVersion(v)}`).join(', ') || 'no Kubernetes packages');
      return 'ok';
    });
  },
});
