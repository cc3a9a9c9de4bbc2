// Kubernetes stand-ins for lab hosts (issue 6): built as .deb packages per minor version.
// Placeholder until the stand-ins land: the lab serves an empty pkgs.k8s.io-shaped repository.

export interface KubernetesRepoContent {
  /** Minor version, e.g. "1.34": served at core:/stable:/v1.34/deb/ */
  minor: string;
  /** Absolute paths of the .deb files for that repository. */
  debs: string[];
}

export async function buildKubernetesPackages(_workDir: string): Promise<KubernetesRepoContent[]> {
  return [];
}
