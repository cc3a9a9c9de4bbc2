// The second article's USB disk: mount it by UUID, then bind-mount etcd's and the container
// runtime's data folders onto it — before the runtime and the kubelet ever start (site.yaml runs
// this role before docker and kubernetes-apt). Skipped when no disk is configured.
import { defineRole } from 'steer';
import type { Vars } from './variables.js';

export default defineRole<Vars>({
  async run({ step, m, vars }) {
    const configured = vars.storage_disk_uuid !== '';
    await step('USB disk mounted by UUID', { when: configured }, () =>
      m.mount({
        src: `UUID=${vars.storage_disk_uuid}`,
        path: vars.storage_mount_point,
        fstype: vars.storage_fstype,
        opts: vars.storage_mount_options,
      }),
    );
    for (const path of vars.storage_bind_paths) {
      const onDisk = `${vars.storage_mount_point}${path}`;
      await step(`${path} bind-mounted from the disk`, { when: configured }, async () => [
        await m.directory({ path: onDisk, mode: '0700' }),
        await m.mount({ src: onDisk, path, fstype: 'none', opts: 'defaults,bind' }),
      ]);
    }
  },
});
