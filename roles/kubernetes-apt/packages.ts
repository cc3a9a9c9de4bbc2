// The pkgs.k8s.io repository of one minor and Kubernetes packages pinned to one version and held —
// what kubernetes-apt installs on a new node and what upgrade.yaml moves node by node — and the
// versions a node has installed. (apt.kubernetes.io, which the articles used, is gone.)
import { formatKubeVersion, minorOf, parseKubeVersion, type KubernetesPackage, type KubeVersion, type RoleContext } from 'steer';

export const KUBERNETES_PACKAGES: KubernetesPackage[] = ['kubeadm', 'kubelet', 'kubectl'];

/** The per-minor repository: `<base>/v1.34/deb/`. */
export function kubernetesRepository(baseUrl: string, version: KubeVersion): string {
  return `${baseUrl.replace(/\/$/, '')}/v${minorOf(version)}/deb/`;
}

/**
 * Steps: the repository of `version`'s minor (its key in /etc/apt/keyrings), then `packages`
 * installed at `version` (any Debian revision: `kubeadm=1.34.2-*`, held packages changed) and held. `what`
 * names the packages step (e.g. "kubeadm 1.34.2"); `when: false` skips the three; `onError`
 * turns a failure into the caller's message. Returns true when
 * something changed.
 */
export async function pinnedKubernetesPackages(
  { step, m }: Pick<RoleContext, 'step' | 'm'>,
  options: { baseUrl: string; version: KubeVersion; packages: string[]; what?: string; when?: boolean; onError?: (what: string, err: Error) => never },
): Promise<boolean> {
  const orError = <T>(what: string, p: Promise<T>): Promise<T> => (options.onError ? p.catch((err: Error) => options.onError!(what, err)) : p);
  const repo = kubernetesRepository(options.baseUrl, options.version);
  const version = formatKubeVersion(options.version);
  const when = options.when ?? true;
  const source = await step(`pkgs.k8s.io repository for v${minorOf(options.version)}`, { when }, () =>
    orError('the repository', m.apt_source({ name: 'kubernetes', uri: repo, suite: '/', keyUrl: `${repo}Release.key`, keyring: '/etc/apt/keyrings/kubernetes-apt-keyring.gpg' })),
  );
  // Installed and held in one step: apt-get install of a held package drops the hold, which a
  // separate hold step could not predict under --check.
  const installed = await step(options.what ?? `Kubernetes ${version} packages`, { when }, async () => [
    await orError('apt-get install', m.apt({ packages: options.packages.map((p) => `${p}=${version}-*`), updateCache: source.status === 'changed', allowChangeHeld: true })),
    await orError('apt-mark hold', m.apt_hold({ packages: options.packages, held: true })),
  ]);
  return [source, installed].some((r) => r.status === 'changed');
}

/** The Kubernetes packages installed on the host (dpkg), with their versions; missing ones are absent. */
export async function installedKubernetesPackages(probe: RoleContext['probe']): Promise<Partial<Record<KubernetesPackage, KubeVersion>>> {
  const out = await probe`dpkg-query -W -f=${'${Package} ${Status} ${Version}\n'} ${KUBERNETES_PACKAGES}`;
  const found: Partial<Record<KubernetesPackage, KubeVersion>> = {};
  for (const line of out.stdout.split('\n')) {
    const m = /^(kubeadm|kubelet|kubectl) \S+ \S+ installed (\S+)$/.exec(line.trim());
    const version = m ? parseKubeVersion(m[2]!) : undefined;
    if (m && version) found[m[1] as KubernetesPackage] = version;
  }
  return found;
}
