// Renews the control plane's certificates: `kubeadm certs renew all` (each certificate re-issued by
// its CA, a year of validity, the kubeconfigs' embedded client certificates too), then the static
// Pods restarted so that every component uses its new certificate, the API server waited for, and
// the users' copies of admin.conf refreshed. The workstation copy is the next play's (workstation).
import { defineRole } from 'steer';
import { expiringWithin, fewestDaysLeft, parseCheckExpiration } from '../certificates/expiration.js';
import { ADMIN_CONF, refreshUserKubeconfigs } from '../certificates/kubeconfigs.js';
import { restartStaticPods, unparkLeftovers } from './restart.js';
import type { Vars } from './variables.js';

export default defineRole<Vars>(
  {
    async run(ctx) {
      const { step, probe, $, vars, check, note, fail, publish } = ctx;
      if (!(await probe`test -f ${ADMIN_CONF}`).ok) fail(`${ADMIN_CONF} is missing: this control plane was never initialised (run site.yaml) or was wiped (run restore.yaml)`);
      const expiry = async () => parseCheckExpiration((await probe({ timeoutMs: 60_000 })`kubeadm certs check-expiration`).stdout);
      await step('Certificates before renewal', async () => {
        note(`fewest days left: ${fewestDaysLeft(await expiry())}`);
        return 'ok';
      });
      await step('Manifests of an interrupted restart put back', async () => ((await unparkLeftovers(ctx)) ? 'changed' : 'ok'));
      await step('kubeadm certs renew all', async () => {
        await $({ timeoutMs: 5 * 60_000 })`kubeadm certs renew all`;
        return 'changed';
      });
      publish('certificates_renewed', true);
      await step('Control-plane static Pods restarted', async () => {
        await restartStaticPods(ctx, vars.renew_restart_timeout);
        return 'changed';
      });
      await refreshUserKubeconfigs(ctx, true);
      await step('Certificates after renewal', { when: !check }, async () => {
        const soon = expiringWithin(await expiry(), vars.certificate_warn_days);
        // CAs last ten years and are not renewed by kubeadm: say so rather than loop.
        const leaves = soon.filter((c) => c.kind === 'certificate');
        if (leaves.length) fail(`still expiring after renewal: ${leaves.map((c) => `${c.name} (${c.daysLeft} days)`).join(', ')}`);
        for (const ca of soon) note(`certificate authority ${ca.name} expires in ${ca.daysLeft} days: kubeadm does not renew CAs (see kubeadm's "Manual rotation of CA certificates")`);
        return 'ok';
      });
    },
  },
);
