// The second article's USB disk, done safely. The disk is mounted by UUID on a mount point and the
// data folders (etcd's, containerd's) are bind-mounted from it, as the article does — with fstab
// entries that never stop a boot (nofail, a bounded device timeout, binds that wait for the disk)
// and drop-ins that keep containerd and the kubelet from starting on the SD card's empty folders
// when the disk is missing. A folder that already holds data (a disk bought after the cluster was
// built) is moved onto the disk, node by node, never hidden under the mount; a folder whose two
// copies differ is refused before anything else changes. Skipped without a disk.
import { defineRole } from 'steer';
import { criSocket } from '../control-plane/role.js';
import { diskMounted, seeDisk, seeFolder } from './health.js';
import { bindOptions, DROPIN_NAME, dropinContent, planFolder, storageLayout, type FolderPlan, type FolderSeen } from './layout.js';
import { moveFolders } from './move.js';

import type { Vars } from './variables.js';

export default defineRole<Vars>({
  async run({ step, m, probe, $, vars, fail, check, host }) {
    const configured = vars.storage_disk_uuid !== '';
    const layout = storageLayout(vars);

    await step('USB disk connected', { when: configured }, async () => {
      const disk = await seeDisk(probe, layout);
      if (diskMounted(disk, layout) || disk.device) return 'ok';
      fail(
        `the USB disk UUID=${layout.uuid} is not connected to ${host}: blkid finds no filesystem with that UUID. ` +
          'Plug it in, or correct storage_disk_uuid (`sudo blkid` lists the disks and their UUIDs). ' +
          'Once steer has set the node up, containerd and the kubelet do not start without the disk.',
      );
    });
    await step('rsync installed', { when: configured }, () => m.apt({ packages: ['rsync'] }));
    await step('USB disk mounted by UUID', { when: configured }, () =>
      m.mount({ src: `UUID=${layout.uuid}`, path: layout.mountPoint, fstype: layout.fstype, opts: layout.diskOptions }),
    );

    // What each data folder holds, on the SD card and on the disk (mounted by now, except in check mode).
    const folders: (FolderSeen & { plan: FolderPlan })[] = [];
    if (configured) {
      const disk = await seeDisk(probe, layout);
      const rsync = (await probe`command -v rsync`).ok;
      for (const bind of layout.binds) {
        const seen = await seeFolder(probe, bind, disk, rsync);
        folders.push({ ...seen, plan: planFolder(seen, layout.mountPoint) });
      }
    }
    await step('Data folders checked', { when: configured }, async () => {
      const refused = folders.flatMap((f) => (f.plan.kind === 'refuse' ? [f.plan.reason] : []));
      if (refused.length > 0) fail(refused.join('\n'));
      return 'ok';
    });

    const moving = folders.filter((f) => f.plan.kind === 'move' || f.plan.kind === 'same');
    await step('Existing data moved to the disk', { when: moving.length > 0, throttle: 1 }, () =>
      moveFolders({ m, $, probe, check, fail }, layout, moving, { criSocket: criSocket(vars.container_runtime), timeoutSeconds: vars.storage_move_timeout }),
    );
    for (const f of folders.filter((f) => f.plan.kind === 'mount' || f.plan.kind === 'bound')) {
      await step(`${f.path} bind-mounted from the disk`, async () => [
        ...(f.diskExists ? [] : [await m.directory({ path: f.onDisk, mode: '0700' })]),
        await m.mount({ src: f.onDisk, path: f.path, fstype: 'none', opts: bindOptions(layout) }),
      ]);
    }
    await step('containerd and kubelet wait for the disk', { when: configured }, async () => {
      const results = [];
      for (const unit of layout.units) results.push(await m.systemd_dropin({ unit, name: DROPIN_NAME, content: dropinContent(layout) }));
      return results;
    });
    // A disk plugged in again after a boot without it: what waited for it (enabled, not started) runs now.
    await step('containerd and kubelet running', { when: configured }, async () => {
      const results = [];
      for (const unit of layout.units) {
        if ((await probe`systemctl is-enabled ${unit}`).text() === 'enabled') results.push(await m.systemd({ unit, state: 'started' }));
      }
      return results;
    });
  },
});
