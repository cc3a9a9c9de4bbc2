// The pod network. Flannel by default: a pinned manifest fetched on the controller, copied to the
// control plane and applied there; then wait until every node is Ready. Weave is refused: its
// maker shut down and its manifest URL is dead.
import { defineRole } from 'steer';
import { ADMIN_CONF } from '../control-plane/role.js';
import type { Vars } from './variables.js';

const MANIFEST = '/etc/kubernetes/addons/kube-flannel.yml';

export const WEAVE_GONE =
  'cni_plugin: weave is no longer possible: Weaveworks shut down in early 2024, the manifest URL the second ' +
  'article used (cloud.weave.works/k8s/net) has been dead since 2022, and Weave Net gets no fixes. ' +
  'Use cni_plugin: flannel (the default; the first article\'s choice).';

/** Sets the pod network in the manifest's net-conf.json to the cluster's pod CIDR. */
export function withPodNetwork(manifest: string, cidr: string): string {
  return manifest.replace(/("Network":\s*")[^"]*(")/, `$1${cidr}$2`);
}

export default defineRole<Vars>({
  async run({ step, m, probe, sh, vars, fail, check }) {
    if (vars.cni_plugin === 'weave') {
      await step('Pod network plugin', () => fail(WEAVE_GONE));
      return;
    }
    const manifest = await step('Flannel manifest on the control plane', async () => {
      const response = await fetch(vars.flannel_manifest_url, { signal: AbortSignal.timeout(30_000) }).catch((err: Error) =>
        fail(`cannot fetch ${vars.flannel_manifest_url}: ${err.message}`),
      );
      if (!response.ok) fail(`cannot fetch ${vars.flannel_manifest_url}: HTTP ${response.status}`);
      const text = withPodNetwork(await response.text(), vars.pod_network_cidr);
      return [
        await m.directory({ path: '/etc/kubernetes/addons', mode: '0755' }),
        await m.file({ path: MANIFEST, content: text, mode: '0644' }),
      ];
    });
    await step('Flannel applied', () =>
      m.command({
        cmd: sh`kubectl --kubeconfig=${ADMIN_CONF} apply -f ${MANIFEST}`,
        // Re-apply when the manifest changed or the DaemonSet is missing; otherwise nothing to do.
        unless:
          manifest.status === 'changed'
            ? undefined
            : sh`kubectl --kubeconfig=${ADMIN_CONF} -n kube-flannel get daemonset kube-flannel-ds`,
        changedWhen: (r: { stdout: string }) => /created|configured/.test(r.stdout),
      }),
    );
    await step('Every node Ready', async () => {
      if (check) return 'ok';
      const ready = await probe({ timeoutMs: (vars.nodes_ready_timeout + 30) * 1000 })`kubectl --kubeconfig=${ADMIN_CONF} wait --for=condition=Ready node --all --timeout=${vars.nodes_ready_timeout}s`;
      if (!ready.ok) fail(`nodes not Ready after ${vars.nodes_ready_timeout} s:\n${ready.stdout}${ready.stderr}`);
      return 'ok';
    });
  },
});
