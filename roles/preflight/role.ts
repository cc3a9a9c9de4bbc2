// Refuses, early and clearly, boards and systems the cluster cannot run on — before anything is
// installed. The second article hit these the hard way (`kubeadm init` → "Illegal instruction").
import { defineRole, nodeName, nodeNameClashes, nodeNameProblem } from 'steer';
import type { Vars } from './variables.js';

export default defineRole<Vars>({
  async run({ step, probe, facts, vars, fail, warn, groups, host, hostvars }) {
    // kubeadm registers the lowercased name (lib/kube/node-name.ts): refuse here what it would refuse
    // later, and two hosts that would be one node.
    await step('Node name', { tags: ['preflight'] }, async () => {
      const problem = nodeNameProblem(host);
      if (problem) fail(`inventory host "${host}" cannot be a Kubernetes node: ${problem}. Rename it in the inventory.`);
      const clash = nodeNameClashes(Object.keys(hostvars)).get(nodeName(host));
      if (clash) fail(`inventory hosts ${clash.map((h) => `"${h}"`).join(' and ')} would all be Kubernetes node "${nodeName(host)}" (node names are lowercase): rename all but one.`);
      return 'ok';
    });

    await step('Board can run Kubernetes', { tags: ['preflight'] }, async () => {
      if (facts.armVariant === 'armv6')
        fail(
          `${facts.piModel || facts.machine}: ARMv6 boards (Raspberry Pi 1, Zero, Zero W) cannot run Kubernetes — ` +
            'its binaries need ARMv7 or later, and `kubeadm init` dies with "Illegal instruction". Use a Pi 3, 4 or 5.',
        );
      if (facts.userspaceBits === 32 && !vars.preflight_allow_32bit)
        fail(
          `32-bit user space (${facts.dpkgArch || facts.machine}): pkgs.k8s.io publishes no 32-bit ARM packages ` +
            'and most images are 64-bit only. Install a 64-bit OS (Raspberry Pi OS 64-bit or Ubuntu arm64).',
        );
      if (facts.armVariant !== 'arm64' && facts.armVariant !== 'amd64')
        warn(`architecture ${facts.machine}: container images may not exist for it; check each image you deploy.`);
      if (facts.cgroup.version === 1)
        warn('cgroup v1: in maintenance mode since Kubernetes 1.31 and refused by newer kubelets; prefer an OS with cgroup v2.');
      return 'ok';
    });

    await step('Enough memory for the control plane', { tags: ['preflight'] }, async () => {
      const isControlPlane = (groups['control_plane'] ?? []).includes(host);
      if (isControlPlane && facts.memory.totalMb < vars.preflight_min_memory_mb)
        fail(`${facts.memory.totalMb} MB of memory: kubeadm needs ${vars.preflight_min_memory_mb} MB on a control-plane node.`);
      return 'ok';
    });

    if (vars.container_runtime === 'docker') {
      await step('cri-dockerd present for Docker', { tags: ['preflight'] }, async () => {
        const found = await probe`command -v cri-dockerd`;
        if (!found.ok)
          fail(
            'container_runtime: docker needs cri-dockerd: the kubelet has not talked to Docker directly since ' +
              'Kubernetes 1.24 (dockershim was removed), and Debian/Ubuntu do not package cri-dockerd. Install it, ' +
              'or use container_runtime: containerd (the default).',
          );
        return 'ok';
      });
    }
  },
});
