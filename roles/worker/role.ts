// `kubeadm join`, once: skipped when /etc/kubernetes/kubelet.conf exists AND the control plane knows
// the node (a kubelet.conf from a cluster since rebuilt is reported, never silently reset). The
// join data comes from the control plane's published values or, when the control plane's play did
// not run (`steer run site.yaml -l newnode`), from a token minted on the control plane through
// on(host); it reaches kubeadm in a 0600 config file, never on a command line. The node's labels
// and taints are the node-labels role's.
import { defineRole, Secret } from 'steer';
import { criSocket, parseJoinCommand } from '../control-plane/role.js';
import { nodeName, nodeExists } from '../control-plane/kube-node.js';
import type { Vars } from './variables.js';

const JOIN_CONFIG = '/etc/kubernetes/kubeadm-join.yaml';
type JoinData = { apiServerEndpoint: string; token: string; caCertHash: string };

export default defineRole<Vars>({
  async run({ step, m, probe, sh, vars, host, hostvars, groups, template, on, fail, check }) {
    const controlPlane = groups[vars.control_plane_group]?.[0];
    if (!controlPlane) {
      await step('Control plane known', () => fail(`no host in group '${vars.control_plane_group}': cannot join a cluster`));
      return;
    }
    const cp = hostvars[controlPlane] ?? {};
    const name = nodeName(host);

    await step('Joined the cluster', async () => {
      const configured = (await probe`test -f /etc/kubernetes/kubelet.conf`).ok;
      // The control plane's play publishes the nodes it knows; outside it (-l), ask it directly.
      const published = cp['cluster_nodes'] as string[] | undefined;
      const known = published ? published.includes(name) : configured && (await nodeExists(on(controlPlane), name));
      if (configured && known) return 'ok';
      if (configured)
        fail(
          `/etc/kubernetes/kubelet.conf exists but the control plane ${controlPlane} does not know node ${name}: ` +
            'it was joined to an earlier cluster. Run `steer run reset.yaml -l ' + host + '` and then this playbook again.',
        );
      // The control plane's play ran in this run (it published its nodes): its token is the one;
      // in check mode it made none. Otherwise (-l newnode) mint one there now.
      const join = (cp['kubeadm_join'] as JoinData | undefined) ?? (published ? undefined : await freshJoinData());
      if (!join) {
        if (check) return { changed: true, summary: `would join ${controlPlane}'s cluster (join token is created in a real run)` };
        fail(
          published
            ? `the control plane ${controlPlane} published no join data for ${name}`
            : `the control plane ${controlPlane} printed no join command (kubeadm token create --print-join-command)`,
        );
      }
      return [
        await m.file({
          path: JOIN_CONFIG,
          mode: '0600',
          content: template('kubeadm-join.yaml.njk', { join, node_name: name, cri_socket: criSocket(vars.container_runtime) }),
        }),
        await m.command({ cmd: sh`kubeadm join --config ${JOIN_CONFIG}`, creates: '/etc/kubernetes/kubelet.conf', timeoutMs: 10 * 60_000 }),
        await m.file({ path: JOIN_CONFIG, state: 'absent' }),
      ];
    });

    /**
     * The control plane's play did not run (this host alone under --limit): a short-lived token from
     * the control plane itself, with the CA certificate hash, through its connection. Masked.
     */
    async function freshJoinData(): Promise<JoinData | undefined> {
      const out = await on(controlPlane!).$({ noLog: true })`kubeadm token create --ttl ${`${vars.join_token_ttl}`} --print-join-command`;
      const join = parseJoinCommand(out.stdout);
      if (join) new Secret(join.token);
      return join;
    }
  },
});
