// The pkgs.k8s.io repository for the chosen minor version, with its keyring in /etc/apt/keyrings,
// and kubelet, kubeadm and kubectl pinned to kubernetes_version and held. A new version moves the
// repository (one per minor) and the pins. (apt.kubernetes.io, which the articles used, is gone.)
import { defineRole } from 'steer';
import type { Vars } from './variables.js';

export default defineRole<Vars>({
  async run({ step, m, vars }) {
    const minor = vars.kubernetes_version.split('.').slice(0, 2).join('.');
    const repo = `${vars.kubernetes_apt_base_url.replace(/\/$/, '')}/v${minor}/deb/`;

    await step('Tools for the repository', () => m.apt({ packages: ['ca-certificates', 'curl', 'gnupg'] }));
    const source = await step(`pkgs.k8s.io repository for v${minor}`, () =>
      m.apt_source({
        name: 'kubernetes',
        uri: repo,
        suite: '/',
        keyUrl: `${repo}Release.key`,
        keyring: '/etc/apt/keyrings/kubernetes-apt-keyring.gpg',
      }),
    );
    await step(`Kubernetes ${vars.kubernetes_version} packages`, () =>
      m.apt({
        packages: vars.kubernetes_packages.map((p) => `${p}=${vars.kubernetes_version}-*`),
        updateCache: source.status === 'changed',
        allowChangeHeld: true,
      }),
    );
    await step('Kubernetes packages held', () => m.apt_hold({ packages: vars.kubernetes_packages, held: true }));
    // The kubelet restarts in a loop until kubeadm configures it, as on a real install.
    await step('kubelet enabled', () => m.systemd({ unit: 'kubelet', enabled: true }));
  },
});
