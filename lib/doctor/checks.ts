// What `steer doctor` looks at on one node, read-only: versions, swap, the memory cgroup, the clock,
// the Pi's power (vcgencmd get_throttled), the kubelet; on a control plane also the certificates
// (kubeadm certs check-expiration), the API server, etcd's health and where etcd's data sits. Each
// check says what it saw (a table cell) and, when something is wrong, one line with what to do.
import { expiringWithin, fewestDaysLeft, parseCheckExpiration } from '../../roles/certificates/expiration.js';
import { checkStorage, layoutOfHost } from '../../roles/storage/health.js';
import type { Shell } from '../runner/role-api.js';
import { parseThrottled } from './throttled.js';

export const ADMIN_CONF = '/etc/kubernetes/admin.conf';
const ETCDCTL = ['etcdctl', '--endpoints=https://127.0.0.1:2379', '--cacert=/etc/kubernetes/pki/etcd/ca.crt', '--cert=/etc/kubernetes/pki/etcd/server.crt', '--key=/etc/kubernetes/pki/etcd/server.key'];

export interface NodeReport {
  host: string;
  controlPlane: boolean;
  /** Column → what was seen ('-': not applicable or not installed). */
  seen: Record<string, string>;
  versions: { kubelet?: string; kubeadm?: string; kubectl?: string; apiserver?: string };
  certificates?: { fewestDaysLeft?: number; expiring: { name: string; daysLeft: number }[] };
  /** One line each: what is wrong and what to do. A problem makes doctor exit non-zero. */
  problems: string[];
  /** Worth knowing, not wrong. */
  warnings: string[];
}

const firstLine = (text: string) => text.trim().split('\n').pop()?.slice(0, 200) ?? '';

/** kubelet, kubeadm and kubectl versions ('' when the tool is not there). */
async function versions(probe: Shell): Promise<NodeReport['versions']> {
  const v = (text: string) => /v\d+\.\d+\.\d+/.exec(text)?.[0];
  const kubectl = (await probe`kubectl version --client -o json`).stdout;
  return {
    kubelet: v((await probe`kubelet --version`).stdout),
    kubeadm: v((await probe`kubeadm version -o short`).stdout),
    kubectl: /"gitVersion":\s*"(v[0-9.]+)"/.exec(kubectl)?.[1],
  };
}

async function nodeBasics(probe: Shell, r: NodeReport): Promise<void> {
  const swaps = (await probe`cat /proc/swaps`).lines().slice(1).map((l) => l.split(/\s+/)[0]!);
  r.seen['SWAP'] = swaps.length ? 'ON' : 'off';
  if (swaps.length) r.problems.push(`swap is on (${swaps.join(', ')}): the kubelet refuses to run with swap; run \`sudo swapoff -a\` and re-run site.yaml (its sysctl role turns swap off for good)`);

  const v2 = await probe`cat /sys/fs/cgroup/cgroup.controllers`;
  const memory = v2.ok ? v2.text().split(/\s+/).includes('memory') : /^memory\s+\S+\s+\S+\s+1$/m.test((await probe`cat /proc/cgroups`).stdout);
  r.seen['MEM CGROUP'] = memory ? 'yes' : 'NO';
  if (!memory) r.problems.push('the memory cgroup is not enabled: the kubelet cannot run; re-run site.yaml (its cgroups role adds cgroup_enable=memory to cmdline.txt and reboots)');

  const synced = await clockSynced(probe);
  r.seen['CLOCK'] = synced === 'container' ? "host's" : synced === undefined ? 'unknown' : synced ? 'synced' : 'NOT SYNCED';
  if (synced === false) r.problems.push('the clock is not synchronised (a Pi has no battery clock): certificates and etcd need the right time; enable systemd-timesyncd or chrony (`sudo timedatectl set-ntp true`)');

  const throttled = (await probe`sh -c ${'command -v vcgencmd >/dev/null && vcgencmd get_throttled'}`).stdout;
  const power = parseThrottled(throttled);
  r.seen['POWER'] = !power ? '-' : power.value === 0 ? 'ok' : `0x${power.value.toString(16)}`;
  if (power && power.value & 0xf) r.problems.push(`the firmware reports ${power.conditions.join(', ')}: use the official power supply and a short, thick cable; cool the board`);
  else if (power && power.value) r.warnings.push(`the firmware reports ${power.conditions.join(', ')}: the power supply or cooling is marginal`);

  const kubeletInstalled = r.versions.kubelet !== undefined;
  const active = kubeletInstalled ? (await probe`systemctl is-active kubelet`).text() : '-';
  r.seen['KUBELET'] = kubeletInstalled ? `${r.versions.kubelet}${active === 'active' ? '' : ` (${active})`}` : '-';
  if (kubeletInstalled && active !== 'active') r.problems.push(`the kubelet is ${active}: see \`journalctl -u kubelet -n 50\``);
}

/**
 * timedatectl's NTPSynchronized, else chrony's leap status. A container cannot synchronise a clock
 * that is its host's (CanNTP=no; systemd-timesyncd does not run in containers): 'container'.
 * undefined: no way to tell.
 */
async function clockSynced(probe: Shell): Promise<boolean | 'container' | undefined> {
  const show = await probe`timedatectl show -p NTPSynchronized -p CanNTP`;
  if (/^NTPSynchronized=yes$/m.test(show.stdout)) return true;
  if (/Leap status\s*:\s*Normal/.test((await probe`chronyc tracking`).stdout)) return true;
  if (/^CanNTP=no$/m.test(show.stdout) && (await probe`systemd-detect-virt --container`).ok) return 'container';
  return show.ok ? false : undefined;
}

/** Certificates, the API server, etcd and where its data lives: a control plane's checks. */
async function controlPlaneChecks(probe: Shell, r: NodeReport, vars: Record<string, unknown>): Promise<void> {
  if (!(await probe`test -f ${ADMIN_CONF}`).ok) {
    r.problems.push(`${ADMIN_CONF} is missing: the control plane is not initialised (site.yaml) or was wiped (restore.yaml)`);
    return;
  }
  const warnDays = Number(vars['certificate_warn_days'] ?? 30);
  const expiration = await probe`kubeadm certs check-expiration`;
  try {
    const rows = parseCheckExpiration(expiration.stdout);
    const soon = expiringWithin(rows, warnDays);
    r.certificates = { fewestDaysLeft: fewestDaysLeft(rows), expiring: soon.map((c) => ({ name: c.name, daysLeft: c.daysLeft! })) };
    r.seen['CERTS'] = `${r.certificates.fewestDaysLeft ?? '?'}d`;
    for (const c of soon) r.problems.push(`certificate ${c.name} ${c.daysLeft! < 0 ? 'has expired' : `expires in ${c.daysLeft} days`}: run \`steer run renew-certs.yaml\``);
  } catch {
    r.seen['CERTS'] = '?';
    r.problems.push(`kubeadm certs check-expiration failed: ${firstLine(expiration.stderr || expiration.stdout)}`);
  }
  const version = await probe`kubectl --kubeconfig=${ADMIN_CONF} version -o json --request-timeout=10s`;
  r.versions.apiserver = /"serverVersion":\s*{[^}]*"gitVersion":\s*"(v[0-9.]+)"/.exec(version.stdout)?.[1];
  r.seen['API'] = r.versions.apiserver ?? 'DOWN';
  if (!r.versions.apiserver) r.problems.push(`the API server does not answer: see \`sudo crictl ps -a\` and \`journalctl -u kubelet\` on ${r.host}`);
  const hasEtcdctl = (await probe`sh -c ${'command -v etcdctl'}`).ok;
  // Without etcdctl (backup.yaml installs it), the API server's readiness, which includes etcd.
  const health = hasEtcdctl ? await probe`${ETCDCTL} endpoint health` : await probe`kubectl --kubeconfig=${ADMIN_CONF} get --raw=${'/readyz?verbose'} --request-timeout=10s`;
  const healthy = health.ok && (hasEtcdctl ? /is healthy/.test(health.stdout) : !/^\[-\]etcd/m.test(health.stdout));
  r.seen['ETCD'] = healthy ? 'healthy' : 'UNHEALTHY';
  if (!healthy) r.problems.push(`etcd is not healthy (${firstLine(health.stdout + health.stderr) || 'no answer'}): see \`sudo crictl logs\` of the etcd container; restore.yaml rebuilds from a backup`);
  await etcdDisk(probe, r, vars);
}

async function etcdDisk(probe: Shell, r: NodeReport, vars: Record<string, unknown>): Promise<void> {
  const layout = layoutOfHost(vars);
  if (layout) {
    const found = await checkStorage(probe, layout);
    r.seen['ETCD DISK'] = found.length ? 'PROBLEM' : 'usb';
    r.problems.push(...found);
    return;
  }
  const source = (await probe`findmnt -n -o SOURCE --target /var/lib/etcd`).text();
  const sd = /^\/dev\/mmcblk/.test(source);
  r.seen['ETCD DISK'] = sd ? 'SD card' : source || '?';
  if (sd) r.warnings.push(`etcd's data is on the SD card (${source}), which etcd's writes wear out: give the node a USB disk (storage_disk_uuid, the storage role) and back up often (backup.yaml)`);
}

/** Every check of one node. `vars`: the host's inventory variables. */
export async function examineNode(probe: Shell, host: string, controlPlane: boolean, vars: Record<string, unknown>): Promise<NodeReport> {
  const r: NodeReport = { host, controlPlane, seen: {}, versions: await versions(probe), problems: [], warnings: [] };
  await nodeBasics(probe, r);
  r.seen['KUBEADM'] = r.versions.kubeadm ?? '-';
  r.seen['KUBECTL'] = r.versions.kubectl ?? '-';
  if (controlPlane) await controlPlaneChecks(probe, r, vars);
  return r;
}
