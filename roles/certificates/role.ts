// How long the control plane's certificates have left, read from `kubeadm certs check-expiration`:
// a warning for each that expires within certificate_warn_days (kubeadm's leaf certificates last a
// year; `steer run renew-certs.yaml` renews them). Read-only; skipped before `kubeadm init`.
import { defineRole } from 'steer';
import { expiringWithin, parseCheckExpiration } from './expiration.js';
import { ADMIN_CONF } from './kubeconfigs.js';
import type { Vars } from './variables.js';

export default defineRole<Vars>({
  async run({ step, probe, vars, warn, note }) {
    const initialised = (await probe`test -f ${ADMIN_CONF}`).ok;
    await step('Certificate expiry', { when: initialised }, async () => {
      const out = await probe({ timeoutMs: 60_000 })`kubeadm certs check-expiration`;
      if (!out.ok) {
        warn(`kubeadm certs check-expiration failed: ${out.stderr.trim().split('\n').pop() ?? ''}`);
        return 'ok';
      }
      const soon = expiringWithin(parseCheckExpiration(out.stdout), vars.certificate_warn_days);
      for (const c of soon) {
        const when = c.daysLeft! < 0 ? 'has EXPIRED' : `expires in ${c.daysLeft} days`;
        warn(`certificate ${c.name} ${when} (${c.expires!.toISOString().slice(0, 10)}): run \`steer run renew-certs.yaml\``);
      }
      if (soon.length === 0) note(`every certificate has more than ${vars.certificate_warn_days} days left`);
      return 'ok';
    });
  },
});
