// What the container runtime and Kubernetes need from the kernel: overlay and br_netfilter loaded
// (br_netfilter before the bridge sysctls exist), bridged traffic through iptables, IPv4
// forwarding, and swap off (the kubelet refuses to start with swap by default).
import { defineRole } from 'steer';
import type { Vars } from './variables.js';

export default defineRole<Vars>({
  async run({ step, m, vars }) {
    await step('Kernel modules loaded now and at boot', () =>
      m.kernel_modules({ names: vars.kernel_modules, file: '/etc/modules-load.d/k8s.conf' }),
    );
    await step('Kubernetes sysctls', () =>
      m.sysctl({
        file: '/etc/sysctl.d/k8s.conf',
        values: Object.fromEntries(Object.entries(vars.kubernetes_sysctls).map(([k, v]) => [k, String(v)])),
      }),
    );
    await step('Swap off now and at boot', { when: vars.disable_swap }, () => m.swap({ state: 'off' }));
  },
});
