// The container runtime. containerd by default, configured whole from the template for its major
// version (schema 2 for 1.x, 3 for 2.x) with SystemdCgroup = true, restarted only when the file
// changed. Or the articles' docker.io with /etc/docker/daemon.json (systemd cgroup driver, json-file
// logs with max-size, overlay2) — which Kubernetes reaches through cri-dockerd since 1.24.
import { defineRole } from 'steer';
import type { Vars } from './variables.js';

export default defineRole<Vars>({
  handlers: {
    'restart containerd': ({ m }) => m.systemd({ unit: 'containerd', state: 'restarted' }),
    'restart docker': ({ m }) => m.systemd({ unit: 'docker', state: 'restarted' }),
  },

  async run({ step, m, probe, vars, template }) {
    if (vars.container_runtime === 'docker') {
      await step('docker.io installed', () => m.apt({ packages: ['docker.io'] }));
      await step('Docker daemon.json', { notify: 'restart docker' }, async () => [
        await m.directory({ path: '/etc/docker', mode: '0755' }),
        await m.file({ path: '/etc/docker/daemon.json', content: template('daemon.json.njk'), mode: '0644' }),
      ]);
      await step('Docker running and enabled', () => m.systemd({ unit: 'docker', enabled: true, state: 'started' }));
      return;
    }

    await step('containerd installed', () => m.apt({ packages: [vars.containerd_package] }));
    await step('containerd configuration', { notify: 'restart containerd' }, async () => {
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
    await step('containerd running and enabled', () => m.systemd({ unit: 'containerd', enabled: true, state: 'started' }));
  },
});
