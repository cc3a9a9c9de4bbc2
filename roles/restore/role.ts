// Rebuilds a wiped control plane from a backup of backup.yaml (-e backup=FOLDER), the way the etcd
// and kubeadm documentation describe it: the certificates put back, the snapshot restored into
// etcd's data folder with `etcdutl snapshot restore` (a new member of a one-member cluster, this
// node's name and peer URL), then `kubeadm init` on them at the cluster's version (kubeadm reuses
// the CAs, certificates and service-account key, and starts etcd on the restored data). Workers
// whose kubelets the same CA vouches for reconnect by themselves. Refuses to touch a control plane
// that answers, or one with leftovers, unless restore_force (which runs `kubeadm reset -f` first).
import { defineRole, nodeName } from 'steer';
import { ADMIN_CONF, refreshUserKubeconfigs } from '../certificates/kubeconfigs.js';
import { ETCD_DATA_DIR, installEtcdTools } from '../backup/etcd.js';
import { readBackup } from './read-backup.js';
import { waitForApiServer } from '../renew-certs/restart.js';
import { waitForNodes } from './nodes.js';
import type { Vars } from './variables.js';

const INIT_CONFIG = '/etc/kubernetes/kubeadm-init.yaml';

export default defineRole<Vars>({
  async run(ctx) {
    const { step, probe, $, m, sh, vars, host, facts, check, fail, note } = ctx;
    const backup = readBackup(vars.backup, fail);
    const healthy = (await probe`kubectl --kubeconfig=${ADMIN_CONF} get --raw=/livez --request-timeout=5s`).text() === 'ok';
    const leftovers = (await probe`find /etc/kubernetes/manifests /etc/kubernetes/pki ${ETCD_DATA_DIR} -mindepth 1 -maxdepth 1 -print -quit`).text() !== '';
    const wipe = healthy || leftovers || (await probe`test -e ${ADMIN_CONF}`).ok;
    if (wipe && !vars.restore_force)
      fail(
        healthy
          ? `the control plane on ${host} is running and answers: restore.yaml replaces it with the backup of ${backup.info.createdAt}. Add -e restore_force=true to do that (kubeadm reset first).`
          : `${host} holds a control plane's leftovers (manifests, pki or etcd data): add -e restore_force=true to reset it (kubeadm reset -f) and restore over it.`,
      );
    await step('kubeadm reset (restore_force)', { when: wipe }, async () => {
      await $({ timeoutMs: 5 * 60_000 })`kubeadm reset -f`;
      await $`rm -rf /etc/kubernetes/pki ${`${ETCD_DATA_DIR}/member`}`;
      return 'changed';
    });
    await installEtcdTools(ctx, vars);
    const work = vars.restore_host_dir;
    await step('Backup copied to the host', async () => [
      await m.directory({ path: work, mode: '0700' }),
      await m.file({ path: `${work}/etcd-snapshot.db`, content: backup.snapshot(), mode: '0600', secret: true }),
      await m.file({ path: `${work}/pki.tar.gz`, content: backup.pki(), mode: '0600', secret: true }),
    ]);
    await step('Certificates and kubeadm configuration put back', async () => [
      await m.directory({ path: '/etc/kubernetes', mode: '0755' }),
      await m.command({ cmd: sh`tar -C /etc/kubernetes -xzf ${`${work}/pki.tar.gz`} --no-same-owner`, creates: '/etc/kubernetes/pki/ca.key' }),
    ]);
    const node = nodeName(host);
    const peer = `https://${facts.defaultIpv4}:2380`;
    await step('etcd data restored from the snapshot', async () => [
      await m.command({
        cmd: sh`etcdutl snapshot restore ${`${work}/etcd-snapshot.db`} --data-dir ${ETCD_DATA_DIR} --name ${node} --initial-cluster ${`${node}=${peer}`} --initial-advertise-peer-urls ${peer}`,
        creates: `${ETCD_DATA_DIR}/member`,
        timeoutMs: 10 * 60_000,
      }),
    ]);
    await step(`kubeadm configuration at the cluster's version ${backup.info.kubernetesVersion}`, async () => {
      if (check) return 'changed'; // put back by the previous step, which check mode did not run
      const config = await probe({ noLog: true })`cat ${INIT_CONFIG}`;
      if (!config.ok) return fail(`the backup holds no ${INIT_CONFIG} (was the cluster made by steer's site.yaml?)`);
      const content = config.stdout.replace(/^kubernetesVersion:.*$/m, `kubernetesVersion: "${backup.info.kubernetesVersion}"`);
      return m.file({ path: INIT_CONFIG, content, mode: '0600', secret: true });
    });
    // The snapshot's Nodes still say Ready: a node counts once its kubelet renewed its Lease since.
    const initStarted = Date.parse((await probe`date -u +%Y-%m-%dT%H:%M:%SZ`).text());
    await step('kubeadm init on the restored certificates and data', async () =>
      m.command({
        cmd: sh`kubeadm init --config ${INIT_CONFIG} --ignore-preflight-errors=DirAvailable--var-lib-etcd`,
        creates: ADMIN_CONF,
        timeoutMs: 15 * 60_000,
      }),
    );
    if (!check) await step('API server answering', async () => ((await waitForApiServer(ctx, vars.restore_wait_timeout)), 'ok'));
    await refreshUserKubeconfigs(ctx, true);
    await step('Every node Ready', { when: !check }, async () => {
      const notReady = await waitForNodes(probe, initStarted, vars.restore_wait_timeout);
      if (notReady.length) fail(`not Ready ${vars.restore_wait_timeout} s after the restore: ${notReady.join(', ')} (see journalctl -u kubelet on them)`);
      note(`restored the cluster as it was at ${backup.info.createdAt} (etcd revision ${backup.info.etcd.revision ?? '?'})`);
      return 'ok';
    });
    // Check mode copied nothing, but the real run will have: its removal is predicted.
    await step('Backup removed from the host', async () => (check ? 'changed' : [await m.file({ path: work, state: 'absent' })]));
  },
});
