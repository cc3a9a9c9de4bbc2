// Settings changed after `kubeadm init`. kubeadm reads its configuration once; later changes to the
// inventory do nothing by themselves. steer compares what it would render now with what the cluster
// runs — the ClusterConfiguration in the kubeadm-config ConfigMap, the KubeletConfiguration in
// kubelet-config, the API server's static Pod manifest — and reports each difference with what to run
// to apply it (kubeadm's "Reconfiguring a kubeadm cluster"), never changing the cluster by itself.
import { parse } from 'yaml';
import { sh, type RoleContext } from 'steer';

/** The settings steer renders, by the variable that sets them. */
export interface WantedSettings {
  kubernetes_version: string;
  cluster_name: string;
  pod_network_cidr: string;
  service_cidr: string;
  control_plane_endpoint: string;
  apiserver_liveness_initial_delay: number;
  cgroup_driver: string;
}

/** The same settings as the running cluster has them (undefined: not found). */
export type RunningSettings = { [K in keyof WantedSettings]?: string | number };

export interface Drift {
  /** The inventory variable. */
  variable: keyof WantedSettings;
  /** Where the cluster keeps it, e.g. "ClusterConfiguration networking.podSubnet". */
  setting: string;
  wanted: string | number;
  running: string | number;
  /** What to run to apply it (or why it cannot be applied in place). */
  apply: string;
}

const PATCH = '/etc/kubernetes/patches/kube-apiserver+strategic.yaml';
const REBUILD = 'kubeadm fixes it at init: applying it means rebuilding the cluster (reset.yaml, then site.yaml) — or set the variable back to the running value';

const WHERE: Record<keyof WantedSettings, { setting: string; apply: (wanted: string | number) => string }> = {
  kubernetes_version: { setting: 'ClusterConfiguration kubernetesVersion', apply: () => '`steer run upgrade.yaml` (one minor at a time); site.yaml does not upgrade a running cluster' },
  cluster_name: { setting: 'ClusterConfiguration clusterName', apply: () => REBUILD },
  pod_network_cidr: { setting: 'ClusterConfiguration networking.podSubnet', apply: () => REBUILD },
  service_cidr: { setting: 'ClusterConfiguration networking.serviceSubnet', apply: () => REBUILD },
  control_plane_endpoint: { setting: 'ClusterConfiguration controlPlaneEndpoint', apply: () => `${REBUILD} (the API server's certificate names the address)` },
  apiserver_liveness_initial_delay: {
    setting: 'kube-apiserver livenessProbe.initialDelaySeconds (/etc/kubernetes/manifests/kube-apiserver.yaml)',
    apply: (w) => `on the control plane, set initialDelaySeconds: ${w} in ${PATCH}, then \`sudo kubeadm upgrade apply <the running version> --yes --patches /etc/kubernetes/patches\` (regenerates the static Pod manifests with the patch)`,
  },
  cgroup_driver: {
    setting: 'KubeletConfiguration cgroupDriver (kubelet-config ConfigMap)',
    apply: (w) => `\`kubectl -n kube-system edit cm kubelet-config\` (cgroupDriver: ${w}), then on every node \`sudo kubeadm upgrade node phase kubelet-config && sudo systemctl restart kubelet\``,
  },
};

/** The settings whose running value differs from the wanted one (a setting not found running is not reported). */
export function configDrift(wanted: WantedSettings, running: RunningSettings): Drift[] {
  return (Object.keys(WHERE) as (keyof WantedSettings)[]).flatMap((variable) => {
    const now = running[variable];
    if (now === undefined || String(now) === String(wanted[variable])) return [];
    return [{ variable, setting: WHERE[variable].setting, wanted: wanted[variable], running: now, apply: WHERE[variable].apply(wanted[variable]) }];
  });
}

/** One drift as the warning shows it. */
export function formatDrift(d: Drift): string {
  return `${d.variable} is ${JSON.stringify(d.wanted)} in the inventory but ${JSON.stringify(d.running)} in the running cluster (${d.setting}); not applied. To apply it: ${d.apply}.`;
}

type Doc = Record<string, unknown> | undefined;
const at = (doc: unknown, path: string[]): unknown => path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), doc);
const scalar = (v: unknown): string | number | undefined => (typeof v === 'string' || typeof v === 'number' ? v : undefined);
const parseDoc = (text: string): Doc => {
  try {
    const doc: unknown = parse(text);
    return doc && typeof doc === 'object' ? (doc as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/** Reads the running settings on the control plane (kubectl with admin.conf, the API server manifest). */
export async function readRunningSettings(probe: RoleContext['probe'], adminConf: string): Promise<RunningSettings> {
  const kubectl = sh`kubectl --kubeconfig=${adminConf} -n kube-system get configmap`;
  const cluster = parseDoc((await probe`${kubectl} kubeadm-config -o jsonpath=${'{.data.ClusterConfiguration}'}`).stdout);
  const kubelet = parseDoc((await probe`${kubectl} kubelet-config -o jsonpath=${'{.data.kubelet}'}`).stdout);
  const manifest = parseDoc((await probe`cat /etc/kubernetes/manifests/kube-apiserver.yaml`).stdout);
  const containers = at(manifest, ['spec', 'containers']);
  const apiserver = Array.isArray(containers) ? containers.find((c) => at(c, ['name']) === 'kube-apiserver') : undefined;
  const version = scalar(at(cluster, ['kubernetesVersion']));
  return {
    kubernetes_version: typeof version === 'string' ? version.replace(/^v/, '') : undefined,
    cluster_name: scalar(at(cluster, ['clusterName'])),
    pod_network_cidr: scalar(at(cluster, ['networking', 'podSubnet'])),
    service_cidr: scalar(at(cluster, ['networking', 'serviceSubnet'])),
    control_plane_endpoint: scalar(at(cluster, ['controlPlaneEndpoint'])),
    apiserver_liveness_initial_delay: scalar(at(apiserver, ['livenessProbe', 'initialDelaySeconds'])),
    cgroup_driver: scalar(at(kubelet, ['cgroupDriver'])),
  };
}
