// `kubeadm init`, once, from a kubeadm configuration rendered from the variables (the articles'
// flags, as v1beta4 config: version, pod CIDR, bootstrap token, a schedulable control plane, a
// longer start-up allowance for slow boards); kubeconfigs for root and the login user; and, while
// some worker has not joined, a fresh join token (24 h) published for the workers — never printed.
import { randomBytes } from 'node:crypto';
import { defineRole, nodeName, Secret } from 'steer';
import { configDrift, formatDrift, readRunningSettings } from './drift.js';
import type { Vars } from './variables.js';

export const ADMIN_CONF = '/etc/kubernetes/admin.conf';
const INIT_CONFIG = '/etc/kubernetes/kubeadm-init.yaml';
const kubectl = ['kubectl', `--kubeconfig=${ADMIN_CONF}`];

export function criSocket(runtime: 'containerd' | 'docker'): string {
  return runtime === 'docker' ? 'unix:///run/cri-dockerd.sock' : 'unix:///run/containerd/containerd.sock';
}

/** A bootstrap token in kubeadm's format ([a-z0-9]{6}.[a-z0-9]{16}), made on the controller. */
function bootstrapToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const pick = (n: number) => [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
  return `${pick(6)}.${pick(16)}`;
}

/** Parses `kubeadm token create --print-join-command`. */
export function parseJoinCommand(text: string): { apiServerEndpoint: string; token: string; caCertHash: string } | undefined {
  const m = /kubeadm join\s+(\S+)\s+--token\s+(\S+)\s+--discovery-token-ca-cert-hash\s+(\S+)/.exec(text.replace(/\\\n/g, ' '));
  return m ? { apiServerEndpoint: m[1]!, token: m[2]!, caCertHash: m[3]! } : undefined;
}

export default defineRole<Vars>({
  async run({ step, m, $, probe, sh, vars, facts, host, template, publish, groups, fail, warn, check }) {
    const initialised = (await probe`test -f ${ADMIN_CONF}`).ok;
    const leftovers = (await probe`ls -A /etc/kubernetes/manifests`).stdout.trim();
    if (!initialised && leftovers)
      await step('No half-done kubeadm init', async () =>
        fail(
          '/etc/kubernetes/manifests is populated but admin.conf is missing: an earlier `kubeadm init` stopped half-way. ' +
            'Run `steer run reset.yaml` (kubeadm reset) on this host first; steer never resets a cluster by itself.',
        ),
      );

    const token = new Secret(bootstrapToken());
    await step('kubeadm configuration', { when: !initialised }, async () => [
      await m.directory({ path: '/etc/kubernetes/patches', mode: '0755' }),
      await m.file({
        path: '/etc/kubernetes/patches/kube-apiserver+strategic.yaml',
        content: template('kube-apiserver-patch.yaml.njk'),
        mode: '0644',
      }),
      await m.file({
        path: INIT_CONFIG,
        mode: '0600',
        content: template('kubeadm-init.yaml.njk', {
          bootstrap_token: token.value,
          advertise_address: facts.defaultIpv4,
          node_name: nodeName(host),
          cri_socket: criSocket(vars.container_runtime),
        }),
      }),
    ]);
    await step('kubeadm init', () =>
      m.command({ cmd: sh`kubeadm init --config ${INIT_CONFIG}`, creates: ADMIN_CONF, timeoutMs: 15 * 60_000 }),
    );

    // After init, kubeadm never reads these again: a changed setting is reported, not silently ignored.
    await step('Settings match the running cluster', { when: initialised }, async () => {
      const wanted = {
        kubernetes_version: vars.kubernetes_version,
        cluster_name: vars.cluster_name,
        pod_network_cidr: vars.pod_network_cidr,
        service_cidr: vars.service_cidr,
        control_plane_endpoint: `${facts.defaultIpv4}:6443`,
        apiserver_liveness_initial_delay: vars.apiserver_liveness_initial_delay,
        cgroup_driver: 'systemd',
      };
      for (const drift of configDrift(wanted, await readRunningSettings(probe, ADMIN_CONF))) warn(formatDrift(drift));
      return 'ok';
    });

    const home = async (user: string) => (user === 'root' ? '/root' : (await probe`getent passwd ${user}`).text().split(':')[5] || `/home/${user}`);
    const users = [...new Set(['root', facts.user, ...vars.kubeconfig_users])];
    for (const user of users) {
      await step(`kubeconfig for ${user}`, async () => {
        const dir = `${await home(user)}/.kube`;
        return [
          await m.directory({ path: dir, mode: '0700', owner: user, group: user === 'root' ? 'root' : undefined }),
          // Copied on the host: the admin credentials never travel through the controller.
          await m.command({
            cmd: sh`install -m 0600 -o ${user} ${ADMIN_CONF} ${dir}/config`,
            // Same content AND still private: a kubeconfig loosened to 0644 is put back.
            unless: sh`cmp -s ${ADMIN_CONF} ${dir}/config && [ "$(stat -c %a:%U ${dir}/config)" = ${`600:${user}`} ]`,
          }),
        ];
      });
    }

    // Which workers still need to join: a node the control plane knows has joined.
    const nodes = check && !initialised ? [] : (await probe`${kubectl} get nodes -o name`).lines().map((l) => l.replace(/^node\//, ''));
    publish('cluster_nodes', nodes);
    const unjoined = (groups['workers'] ?? []).filter((w) => !nodes.includes(nodeName(w)));
    await step('Join token for the workers', { when: unjoined.length > 0 }, async () => {
      const out = await $({ noLog: true })`kubeadm token create --ttl 24h --print-join-command`;
      const join = parseJoinCommand(out.stdout);
      if (!join) return fail('kubeadm token create printed no join command');
      new Secret(join.token);
      publish('kubeadm_join', join, { secret: true });
      return { changed: true, summary: `token for ${unjoined.join(', ')} (valid 24 h)` };
    });
  },
});
