// A backup of the control plane, as the etcd and kubeadm documentation describe it: an etcd
// snapshot (`etcdctl snapshot save` with kubeadm's etcd client certificates, verified with
// `etcdutl snapshot status`) and the certificates (/etc/kubernetes/pki, with the kubeadm
// configuration steer ran init with and its patches), fetched to the controller into
// backup_dir/CLUSTER/UTC-TIMESTAMP/ (folders 0700, files 0600). The files made on the host are
// removed afterwards unless backup_keep_on_host. restore.yaml rebuilds a control plane from it.
import { defineRole } from 'steer';
import { ADMIN_CONF } from '../certificates/kubeconfigs.js';
import { ETCDCTL, installEtcdTools } from './etcd.js';
import { BACKUP_FILES, backupFolder, utcStamp, type BackupInfo } from './folder.js';
import type { Vars } from './variables.js';

export default defineRole<Vars>({
  async run(ctx) {
    const { step, probe, $, m, local, vars, host, check, fail, note } = ctx;
    if (!(await probe`test -f ${ADMIN_CONF}`).ok) fail(`${ADMIN_CONF} is missing: there is no control plane on ${host} to back up`);
    const stamp = utcStamp(new Date());
    const work = `${vars.backup_host_dir}/${stamp}`;
    const dest = backupFolder(vars.backup_dir, vars.cluster_name, stamp);
    await installEtcdTools(ctx, vars);
    await step('Folder for the backup on the host', async () => [await m.directory({ path: work, mode: '0700' })]);
    await step('etcd snapshot saved', async () => {
      await $({ timeoutMs: 10 * 60_000 })`${ETCDCTL} snapshot save ${`${work}/${BACKUP_FILES.snapshot}`}`;
      return 'changed';
    });
    const info: BackupInfo = { host, cluster: vars.cluster_name, createdAt: new Date().toISOString(), kubernetesVersion: '', etcd: {} };
    await step('Snapshot verified', { when: !check }, async () => {
      const status = await probe`etcdutl --write-out=json snapshot status ${`${work}/${BACKUP_FILES.snapshot}`}`;
      const parsed = (() => {
        try {
          return JSON.parse(status.stdout.slice(0, 4096)) as { hash?: number; revision?: number; totalKey?: number; totalSize?: number };
        } catch {
          return undefined;
        }
      })();
      if (!status.ok || !parsed || !(Number(parsed.revision) > 0)) return fail(`etcdutl snapshot status does not vouch for the snapshot: ${status.stderr.trim() || status.stdout.trim()}`);
      info.etcd = { revision: Number(parsed.revision), totalKey: Number(parsed.totalKey), totalSize: Number(parsed.totalSize), hash: Number(parsed.hash) };
      const version = await probe`kubectl --kubeconfig=${ADMIN_CONF} version -o json --request-timeout=10s`;
      info.kubernetesVersion = /"serverVersion":\s*{[^}]*"gitVersion":\s*"(v[0-9.]+)"/.exec(version.stdout)?.[1] ?? '';
      if (!info.kubernetesVersion) return fail('the API server did not say its version (kubectl version): is the control plane healthy?');
      return 'ok';
    });
    await step('Certificates and kubeadm configuration archived', async () => {
      await $`tar -C /etc/kubernetes -czf ${`${work}/${BACKUP_FILES.pki}`} --ignore-failed-read pki kubeadm-init.yaml patches`;
      return 'changed';
    });
    await step("Backup fetched to the controller", async () => {
      const fetched = [
        await m.fetch({ src: `${work}/${BACKUP_FILES.snapshot}`, dest: `${dest}/${BACKUP_FILES.snapshot}` }),
        await m.fetch({ src: `${work}/${BACKUP_FILES.pki}`, dest: `${dest}/${BACKUP_FILES.pki}` }),
        await local.m.file({ path: `${dest}/${BACKUP_FILES.info}`, content: `${JSON.stringify(info, null, 2)}\n`, mode: '0600' }),
      ];
      note(`backup in ${dest}\nrestore with: steer run restore.yaml -i INVENTORY -e backup=${dest}`);
      return fetched;
    });
    // In check mode the folder was never made, but the real run makes it and removes it here.
    await step('Files on the host removed', { when: !vars.backup_keep_on_host }, async () => (check ? 'changed' : [await m.file({ path: work, state: 'absent' })]));
  },
});
