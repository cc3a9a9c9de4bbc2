// `kubeadm join`, once: skipped when /etc/kubernetes/kubelet.conf exists AND the control plane knows
// the node (a kubelet.conf from a cluster since rebuilt is reported, never silently reset). The
// join data comes from the control plane's published values and reaches kubeadm in a 0600 config
// file, never on a command line. Then the node's labels, set through the control plane's kubectl.
import { defineRole, nodeName } from 'steer';
import { ADMIN_CONF, criSocket } from '../control-plane/role.js';
import type { Vars } from './variables.js';

const JOIN_CONFIG = '/etc/kubernetes/kubeadm-join.yaml';

export default defineRole<Vars>({
  async run({ step, m, probe, sh, vars, host, hostvars, groups, template, on, fail, check }) {
    const controlPlane = groups[vars.control_plane_group]?.[0];
    if (!controlPlane) {
      await step('Control plane known', () => fail(`no host in group '${vars.control_plane_group}': cannot join a cluster`));
      return;
    }
    const cp = hostvars[controlPlane] ?? {};
    const node = nodeName(host);
    const known = ((cp['cluster_nodes'] as string[] | undefined) ?? []).includes(node);

    await step('Joined the cluster', async () => {
      const configured = (await probe`test -f /etc/kubernetes/kubelet.conf`).ok;
      if (configured && known) return 'ok';
      if (configured)
        fail(
          `/etc/kubernetes/kubelet.conf exists but the control plane ${controlPlane} does not know node ${node}: ` +
            'it was joined to an earlier cluster. Run `steer run reset.yaml -l ' + host + '` and then this playbook again.',
        );
      const join = cp['kubeadm_join'] as { apiServerEndpoint: string; token: string; caCertHash: string } | undefined;
      if (!join) {
        if (check) return { changed: true, summary: `would join ${controlPlane}'s cluster (join token is created in a real run)` };
        fail(`the control plane ${controlPlane} published no join data: did its play run in this run?`);
      }
      const results = [
        await m.file({
          path: JOIN_CONFIG,
          mode: '0600',
          content: template('kubeadm-join.yaml.njk', { join, node_name: node, cri_socket: criSocket(vars.container_runtime) }),
        }),
        await m.command({ cmd: sh`kubeadm join --config ${JOIN_CONFIG}`, creates: '/etc/kubernetes/kubelet.conf', timeoutMs: 10 * 60_000 }),
        await m.file({ path: JOIN_CONFIG, state: 'absent' }),
      ];
      return results;
    });

    const labels = Object.entries(vars.node_labels);
    await step('Node labels', { when: labels.length > 0 }, async () => {
      const kubectl = on(controlPlane);
      const shown = await kubectl.probe`kubectl --kubeconfig=${ADMIN_CONF} get node ${node} -o jsonpath={.metadata.labels}`;
      const current = (shown.ok && shown.stdout.trim() ? JSON.parse(shown.stdout) : {}) as Record<string, string>;
      const missing = labels.filter(([k, v]) => current[k] !== v).map(([k, v]) => `${k}=${v}`);
      if (missing.length === 0) return 'ok';
      await kubectl.$`kubectl --kubeconfig=${ADMIN_CONF} label node ${node} ${missing} --overwrite`;
      return 'changed';
    });
  },
});
