// The first article's check of a new cluster: namespace kube-verify, a 3-replica Deployment of its
// nginx image and a Service; the rollout completes and the Service answers over HTTP. Ends by
// showing the cluster's nodes and the answer. First, every node with a USB disk (the storage role)
// is checked: a missing or dead disk is reported with what it stops.
import { defineRole } from 'steer';
import { ADMIN_CONF } from '../control-plane/role.js';
import { checkStorage, layoutOfHost } from '../storage/health.js';
import type { Vars } from './variables.js';

const MANIFEST = '/etc/kubernetes/addons/kube-verify.yaml';

export default defineRole<Vars>({
  async run({ step, m, probe, $, sh, vars, template, fail, note, check, host, hostvars, on }) {
    const kubectl = sh`kubectl --kubeconfig=${ADMIN_CONF}`;
    const ns = vars.verify_namespace;
    const withDisk = Object.keys(hostvars).filter((h) => layoutOfHost(hostvars[h]) !== undefined);
    await step('USB disks mounted', { when: withDisk.length > 0 }, async () => {
      const problems: string[] = [];
      for (const node of withDisk) {
        let found: string[];
        try {
          found = await checkStorage(node === host ? probe : on(node).probe, layoutOfHost(hostvars[node])!);
        } catch (err) {
          note(`${node}: its disk was not checked (${(err as Error).message})`);
          continue;
        }
        problems.push(...found.map((p) => `${node}: ${p}`));
      }
      if (problems.length === 0) return 'ok';
      // In check mode the storage role's changes (mounting a new disk) have not happened.
      if (check) {
        note(`USB disks, before this run's changes:\n${problems.join('\n')}`);
        return 'skipped';
      }
      fail(`USB disk problems:\n${problems.join('\n')}`);
    });
    const manifest = await step('kube-verify manifest', async () => [
      await m.directory({ path: '/etc/kubernetes/addons', mode: '0755' }),
      await m.file({ path: MANIFEST, content: template('kube-verify.yaml.njk'), mode: '0644' }),
    ]);
    await step('kube-verify applied', () =>
      m.command({
        cmd: sh`${kubectl} apply -f ${MANIFEST}`,
        unless: manifest.status === 'changed' ? undefined : sh`${kubectl} -n ${ns} get deployment kube-verify`,
        changedWhen: (r: { stdout: string }) => /created|configured/.test(r.stdout),
      }),
    );
    if (check) return;

    await step('Rollout complete', async () => {
      const r = await probe({ timeoutMs: (vars.verify_timeout + 30) * 1000 })`${kubectl} -n ${ns} rollout status deployment/kube-verify --timeout=${vars.verify_timeout}s`;
      if (!r.ok) fail(`the kube-verify rollout did not complete:\n${r.stdout}${r.stderr}`);
      return 'ok';
    });
    await step('Service answers over HTTP', async () => {
      const ip = (await probe`${kubectl} -n ${ns} get service kube-verify -o jsonpath={.spec.clusterIP}`).text();
      if (!ip) fail('the kube-verify Service has no ClusterIP');
      const deadline = Date.now() + vars.verify_timeout * 1000;
      for (;;) {
        const page = await probe`curl -fsS --max-time 5 http://${ip}/`;
        if (page.ok) {
          const nodes = await probe`${kubectl} get nodes -o wide`;
          const title = /<title>([^<]*)<\/title>/i.exec(page.stdout)?.[1] ?? page.text().split('\n')[0];
          note(`${nodes.text()}\n\nkube-verify answered on http://${ip}/: ${title}`);
          return 'ok';
        }
        if (Date.now() > deadline) fail(`http://${ip}/ did not answer within ${vars.verify_timeout} s: ${page.stderr.trim()}`);
        await new Promise((r) => setTimeout(r, 2000));
      }
    });
    await step('kube-verify removed', { when: vars.verify_cleanup }, async () => {
      await $`${kubectl} delete namespace ${ns} --wait=false`;
    });
  },
});
