// Tears a node out of the cluster cleanly: `kubeadm reset`, then what it leaves behind by design
// (CNI configuration, kubeconfigs). Run on workers first, then the control plane (reset.yaml).
import { defineRole } from 'steer';
import type { Vars } from './variables.js';

export default defineRole<Vars>({
  async run({ step, m, probe, sh, vars, facts }) {
    await step('kubeadm reset', () =>
      m.command({
        cmd: sh`kubeadm reset -f`,
        unless: sh`test ! -e /etc/kubernetes/kubelet.conf -a ! -e /etc/kubernetes/admin.conf -a ! -d /etc/kubernetes/manifests`,
        timeoutMs: 5 * 60_000,
      }),
    );
    await step('CNI configuration removed', () => m.file({ path: '/etc/cni/net.d/10-flannel.conflist', state: 'absent' }));
    const userHome = (await probe`getent passwd ${facts.user}`).text().split(':')[5];
    await step('kubeconfigs removed', async () => [
      await m.file({ path: '/root/.kube/config', state: 'absent' }),
      ...(userHome && userHome !== '/root' ? [await m.file({ path: `${userHome}/.kube/config`, state: 'absent' })] : []),
    ]);
    await step('Kubernetes packages removed', { when: vars.reset_remove_packages }, async () => [
      await m.apt_hold({ packages: ['kubelet', 'kubeadm', 'kubectl'], held: false }),
      await m.apt({ packages: ['kubelet', 'kubeadm', 'kubectl'], state: 'absent' }),
    ]);
  },
});
