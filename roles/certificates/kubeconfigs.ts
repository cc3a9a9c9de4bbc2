// The copies of admin.conf the control-plane role made (~/.kube/config of root, the login user and
// kubeconfig_users), brought back in line with admin.conf after it changed (renewed certificates,
// a restore). Copied on the host: the admin credentials never travel through the controller. Only
// copies that exist are refreshed: a user who deleted theirs does not get it back.
import type { RoleContext } from 'steer';

export const ADMIN_CONF = '/etc/kubernetes/admin.conf';

/** Home folder of a user on the host (getent passwd; /root for root). */
export async function homeOf(probe: RoleContext['probe'], user: string): Promise<string> {
  if (user === 'root') return '/root';
  return (await probe`getent passwd ${user}`).text().split(':')[5] || `/home/${user}`;
}

/**
 * Steps refreshing each user's ~/.kube/config from admin.conf (mode 0600, owned by the user).
 * `changing`: admin.conf is about to change in this run (check mode cannot see it yet), so an
 * existing copy is predicted to change.
 */
export async function refreshUserKubeconfigs(ctx: RoleContext<{ kubeconfig_users: string[] }>, changing: boolean): Promise<void> {
  const { step, probe, m, sh, facts, vars, check } = ctx;
  const users = [...new Set(['root', facts.user, ...vars.kubeconfig_users])];
  for (const user of users) {
    const config = `${await homeOf(probe, user)}/.kube/config`;
    if (!(await probe`test -f ${config}`).ok) continue;
    await step(`kubeconfig of ${user} refreshed`, async () => {
      if (check && changing) return 'changed';
      return m.command({
        cmd: sh`install -m 0600 -o ${user} ${ADMIN_CONF} ${config}`,
        unless: sh`cmp -s ${ADMIN_CONF} ${config} && [ "$(stat -c %a:%U ${config})" = ${`600:${user}`} ]`,
      });
    });
  }
}
