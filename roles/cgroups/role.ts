// The memory cgroup on the Pi's kernel command line. The Raspberry Pi kernel disables it by default
// (cgroup_disable=memory from the device tree); cmdline.txt is appended after it, so
// cgroup_enable=memory there re-enables it — after a reboot. The file must stay one line.
// After the reboot, check the result, not the file: the controller must really be enabled.
// A node already in a cluster reboots node by node: drained, rebooted, Ready, uncordoned.
import { defineRole } from 'steer';
import { nodeName, rollNode } from '../control-plane/kube-node.js';
import type { Vars } from './variables.js';

export default defineRole<Vars>({
  async run({ step, m, probe, vars, check, notify, flushHandlers, fail, groups, host, on, reboot, $ }) {
    const edit = await step('Memory cgroup on the kernel command line', () => m.cmdline({ set: vars.cgroup_cmdline_flags }));
    // The file may already be right while the running kernel still lacks the words (edited by an
    // earlier run that stopped before rebooting): reboot then too.
    const needed = edit.status === 'changed' || edit.results.some((r) => r.data?.['rebootNeeded']);
    const controlPlane = groups[vars.control_plane_group]?.[0];
    const joined = needed && controlPlane !== undefined && (await probe`test -f /etc/kubernetes/kubelet.conf`).ok;
    if (needed && !joined) notify('reboot');
    await flushHandlers();
    await step('Rolling reboot (drain, reboot, uncordon)', { when: joined, throttle: 1 }, () =>
      rollNode(on(controlPlane!), { $, probe }, nodeName(host), reboot, {
        drainTimeoutSeconds: vars.drain_timeout,
        readyTimeoutSeconds: vars.reboot_timeout,
        check,
      }),
    );

    await step('Memory controller enabled', async () => {
      const v2 = await probe`cat /sys/fs/cgroup/cgroup.controllers`;
      const enabled = v2.ok
        ? v2.text().split(/\s+/)
        : (await probe`awk 'NR > 1 && $4 == 1 { print $1 }' /proc/cgroups`).lines();
      const missing = vars.cgroup_required_controllers.filter((c) => !enabled.includes(c));
      if (missing.length === 0) return 'ok';
      // In check mode the reboot that would enable it has not happened.
      if (check) return 'skipped';
      fail(
        `cgroup controller(s) still disabled after the reboot: ${missing.join(', ')} ` +
          `(enabled: ${enabled.join(' ') || 'none'}). The kernel command line has ${vars.cgroup_cmdline_flags.join(' ')}; ` +
          'on some Raspberry Pi kernels the device tree adds cgroup_disable=memory after it — update the firmware/kernel.',
      );
    });
  },
});
