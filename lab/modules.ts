// Kernel modules on lab hosts. Hosts share the controller's kernel and may not load modules
// (nspawn withholds CAP_SYS_MODULE), but the roles run `modprobe overlay br_netfilter`. kmod's
// modprobe succeeds without loading anything when the module is already loaded or built in, so
// hosts get the controller's /lib/modules/<release> read-only. A kernel without loadable modules
// (everything built in, no /lib/modules) gets a generated modules.builtin listing the features
// the controller's kernel has.
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { run } from './run.js';

/** Modules the Kubernetes roles and CNIs use → the kernel config option that builds them. */
const KNOWN_MODULES: ReadonlyArray<[module: string, config: string]> = [
  ['overlay', 'OVERLAY_FS'],
  ['br_netfilter', 'BRIDGE_NETFILTER'],
  ['bridge', 'BRIDGE'],
  ['veth', 'VETH'],
  ['vxlan', 'VXLAN'],
  ['nf_conntrack', 'NF_CONNTRACK'],
  ['nf_nat', 'NF_NAT'],
  ['nf_tables', 'NF_TABLES'],
  ['ip_tables', 'IP_NF_IPTABLES'],
  ['ip6_tables', 'IP6_NF_IPTABLES'],
  ['iptable_filter', 'IP_NF_FILTER'],
  ['iptable_nat', 'IP_NF_NAT'],
  ['iptable_mangle', 'IP_NF_MANGLE'],
  ['xt_conntrack', 'NETFILTER_XT_MATCH_CONNTRACK'],
  ['xt_MASQUERADE', 'NETFILTER_XT_TARGET_MASQUERADE'],
  ['xt_comment', 'NETFILTER_XT_MATCH_COMMENT'],
  ['xt_mark', 'NETFILTER_XT_MARK'],
  ['xt_addrtype', 'NETFILTER_XT_MATCH_ADDRTYPE'],
  ['ip_vs', 'IP_VS'],
  ['ip_vs_rr', 'IP_VS_RR'],
  ['ip_vs_wrr', 'IP_VS_WRR'],
  ['ip_vs_sh', 'IP_VS_SH'],
];

export interface ModulesMount {
  /** Directory on the controller to bind read-only at `target` in every host. */
  source: string;
  target: string;
}

/** The modules directory hosts see; generated under `labModulesDir` when the controller has none. */
export async function hostModules(labModulesDir: string): Promise<ModulesMount> {
  const kernel = release();
  const target = `/lib/modules/${kernel}`;
  try {
    await access(join(target, 'modules.dep'));
    return { source: target, target };
  } catch {
    // no loadable-module tree on the controller
  }
  const dir = join(labModulesDir, 'lib/modules', kernel);
  await mkdir(dir, { recursive: true });
  const builtin = await builtinModules();
  await writeFile(join(dir, 'modules.builtin'), builtin.map((m) => `kernel/steer-lab/${m}.ko\n`).join(''));
  await writeFile(join(dir, 'modules.order'), '');
  await run('depmod', ['-b', labModulesDir, kernel]);
  return { source: dir, target };
}

async function builtinModules(): Promise<string[]> {
  let config = '';
  try {
    config = gunzipSync(await readFile('/proc/config.gz')).toString('utf8');
  } catch {
    // no /proc/config.gz: fall back to what /sys and /proc show
  }
  const found: string[] = [];
  for (const [module, option] of KNOWN_MODULES) {
    if (config ? new RegExp(`^CONFIG_${option}=y$`, 'm').test(config) : await visibleInKernel(module)) found.push(module);
  }
  return found;
}

async function visibleInKernel(module: string): Promise<boolean> {
  const probes: Record<string, string> = { br_netfilter: '/proc/sys/net/bridge', nf_conntrack: '/proc/sys/net/netfilter' };
  if (module === 'overlay') return (await readFile('/proc/filesystems', 'utf8')).includes('\toverlay\n');
  try {
    await access(probes[module] ?? `/sys/module/${module}`);
    return true;
  } catch {
    return false;
  }
}
