// Kubernetes' version-skew policy (https://kubernetes.io/releases/version-skew-policy/), as doctor
// checks it against the API server's version: a kubelet never newer than the API server and at most
// three minors older (since 1.28); kubectl within one minor either way; kubeadm the API server's
// minor or the next one (the one an upgrade installs first).

/** "v1.34.2", "Kubernetes v1.34.2", "1.34.2-1.1" → [1, 34, 2]; undefined when no version is in it. */
export function parseVersion(text: string): [number, number, number] | undefined {
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export type Component = 'kubelet' | 'kubectl' | 'kubeadm';

/**
 * Why `component` at `version` breaks the policy against an API server at `apiserver`, or undefined
 * when it does not (or a version is unknown). Different majors are always a problem.
 */
export function skewProblem(component: Component, version: string, apiserver: string): string | undefined {
  const v = parseVersion(version);
  const api = parseVersion(apiserver);
  if (!v || !api) return undefined;
  const [name, apiName] = [`${component} v${v.join('.')}`, `kube-apiserver v${api.join('.')}`];
  if (v[0] !== api[0]) return `${name} and ${apiName} differ in major version`;
  const d = v[1] - api[1];
  if (component === 'kubelet' && d > 0) return `${name} is newer than ${apiName} (a kubelet must never be newer than the API server)`;
  if (component === 'kubelet' && d < -3) return `${name} is more than three minors older than ${apiName}`;
  if (component === 'kubectl' && Math.abs(d) > 1) return `${name} is more than one minor away from ${apiName}`;
  if (component === 'kubeadm' && (d < 0 || d > 1)) return `${name} is not the minor of ${apiName} or the next one`;
  return undefined;
}
