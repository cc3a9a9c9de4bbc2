// The container runtime. containerd by default, configured whole from the template for its major
// version (schema 2 for 1.x, 3 for 2.x) with SystemdCgroup = true, restarted only when the file
// changed. Or the articles' docker.io with /etc/docker/daemon.json (systemd cgroup driver, json-file
// logs with max-size, overlay2) — which Kubernetes reaches through cri-dockerd since 1.24.
// On a node already in a cluster, a changed configuration restarts the runtime node by node:
// drained, restarted, Ready, uncordoned (rollingRestart).
import { defineRole, type RoleContext } from 'steer';
import { nodeName, rollNode } from '../control-plane/kube-node.js';
import type { Vars } from './variables.js';

export default defineRole<Vars>({
  handlers: {
    'restart containerd': ({ m }) => m.systemd({ unit: 'containerd', state: 'restarted' }),
    'restart docker': ({ m }) => m.systemd({ unit: 'docker', state: 'restarted' }),
  },

  async run(ctx) {
    const { step, m, probe, vars, template } = ctx;
    if (vars.container_runtime === 'docker') {
      await step('docker.io installed', () => m.apt({ packages: ['docker.io'] }));
      const config = await step('Docker daemon.json', async () => [
        await m.directory({ path: '/etc/docker', mode: '0755' }),
        await m.file({ path: '/etc/docker/daemon.json', content: template('daemon.json.njk'), mode: '0644' }),
      ]);
      await restartOnChange(ctx, config.status === 'changed', 'docker');
      await step('Docker running and enabled', () => m.systemd({ unit: 'docker', enabled: true, state: 'started' }));
      return;
    }

    await step('containerd installed', () => m.apt({ packages: [vars.containerd_package] }));
    const config = await step('containerd configuration', async () => {
      const version = await probe`containerd --version`;
      // "containerd github.com/containerd/containerd 1.6.20~ds1 …" or "… v2.1.4 …"
      const major = /\sv?(\d+)\.\d+/.exec(version.stdout)?.[1];
      // Not installed yet (check mode on a fresh host): plan for the distribution's 1.x.
      const schema = major !== undefined && Number(major) >= 2 ? 'v3' : 'v2';
      return [
        await m.directory({ path: '/etc/containerd', mode: '0755' }),
        await m.file({ path: '/etc/containerd/config.toml', content: template(`containerd-config-${schema}.toml.njk`), mode: '0644' }),
      ];
    });
    await restartOnChange(ctx, config.status === 'changed', 'containerd');
    await step('containerd running and enabled', () => m.systemd({ unit: 'containerd', enabled: true, state: 'started' }));
  },
});

/**
 * After a configuration change: on a fresh node, the restart handler (at the end of the role, as
 * before); on a node of a running cluster, a restart node by node with drain and uncordon.
 */
async function restartOnChange(ctx: RoleContext<Vars>, changed: boolean, unit: 'containerd' | 'docker'): Promise<void> {
  const { step, m, probe, $, vars, groups, host, on, check, notify } = ctx;
  const controlPlane = groups[vars.control_plane_group]?.[0];
  const joined = changed && controlPlane !== undefined && (await probe`test -f /etc/kubernetes/kubelet.conf`).ok;
  if (changed && !joined) notify(`restart ${unit}`);
  await step(`${unit} restarted node by node (drain, restart, uncordon)`, { when: joined, throttle: 1 }, () =>
    rollNode(on(controlPlane!), { $, probe }, nodeName(host), () => m.systemd({ unit, state: 'restarted' }), {
      drainTimeoutSeconds: vars.drain_timeout,
      readyTimeoutSeconds: 300,
      check,
    }),
  );
}
