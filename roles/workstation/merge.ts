// The admin kubeconfig of a cluster merged into a workstation's kubeconfig, as `kubectl config`
// would hold it: one cluster, one user and one context named after the cluster, the server set to an
// address the workstation reaches. Entries of other clusters are kept as they are; entries of the
// same names are replaced. Pure: text in, text out (the role reads and writes the files).
import { isDeepStrictEqual } from 'node:util';
import { parse, stringify } from 'yaml';

type Named = { name: string; [key: string]: unknown };
interface Kubeconfig {
  apiVersion?: string;
  kind?: string;
  clusters?: Named[];
  users?: Named[];
  contexts?: Named[];
  'current-context'?: string;
  [key: string]: unknown;
}

export interface MergeOptions {
  /** Name of the cluster, the context and (with "-admin") the user. */
  name: string;
  /** The API server URL the workstation uses (https://ADDRESS:PORT). */
  server: string;
}

/** A kubeconfig's text as an object; empty text is an empty kubeconfig. Throws on anything else. */
function load(text: string, what: string): Kubeconfig {
  const doc: unknown = text.trim() === '' ? {} : parse(text);
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${what} is not a kubeconfig (not a YAML mapping)`);
  for (const key of ['clusters', 'users', 'contexts'] as const) {
    const list = (doc as Kubeconfig)[key];
    if (list !== undefined && list !== null && !Array.isArray(list)) throw new Error(`${what}: ${key} is not a list`);
  }
  return doc as Kubeconfig;
}

/** The admin kubeconfig's cluster and user entries (kubeadm writes one of each). */
function adminParts(admin: Kubeconfig): { cluster: Record<string, unknown>; user: Record<string, unknown> } {
  const context = admin.contexts?.find((c) => c.name === admin['current-context']) ?? admin.contexts?.[0];
  const ref = (context?.['context'] ?? {}) as { cluster?: string; user?: string };
  const cluster = (admin.clusters?.find((c) => c.name === ref.cluster) ?? admin.clusters?.[0])?.['cluster'];
  const user = (admin.users?.find((u) => u.name === ref.user) ?? admin.users?.[0])?.['user'];
  if (!cluster || !user) throw new Error('admin.conf has no cluster or no user');
  return { cluster: cluster as Record<string, unknown>, user: user as Record<string, unknown> };
}

function upsert(list: Named[] | undefined | null, entry: Named): Named[] {
  const out = [...(list ?? [])];
  const i = out.findIndex((e) => e?.name === entry.name);
  if (i >= 0) out[i] = entry;
  else out.push(entry);
  return out;
}

/**
 * `existing` (a kubeconfig's text, '' when there is none) with the cluster of `adminConf` merged in
 * under `options.name`. The current context is set only when there is none (another cluster's stays
 * current). When nothing changes, `existing` is returned as it is (same bytes: idempotent).
 */
export function mergeKubeconfig(existing: string, adminConf: string, options: MergeOptions): string {
  const current = load(existing, 'the kubeconfig');
  const { cluster, user } = adminParts(load(adminConf, 'admin.conf'));
  const userName = `${options.name}-admin`;
  const merged: Kubeconfig = {
    ...current,
    apiVersion: current.apiVersion ?? 'v1',
    kind: current.kind ?? 'Config',
    clusters: upsert(current.clusters, { name: options.name, cluster: { ...cluster, server: options.server } }),
    users: upsert(current.users, { name: userName, user }),
    contexts: upsert(current.contexts, { name: options.name, context: { cluster: options.name, user: userName } }),
    'current-context': current['current-context'] || options.name,
  };
  if (isDeepStrictEqual(merged, current)) return existing;
  return stringify(merged);
}

/** Whether the kubeconfig's text holds a context of this name (steer merged this cluster there). */
export function hasContext(text: string, name: string): boolean {
  try {
    return (load(text, 'the kubeconfig').contexts ?? []).some((c) => c?.name === name);
  } catch {
    return false;
  }
}

/** The port of admin.conf's server URL (6443 unless kubeadm was told otherwise). */
export function serverPort(adminConf: string): number {
  const { cluster } = adminParts(load(adminConf, 'admin.conf'));
  const m = /:(\d+)\/?$/.exec(String(cluster['server'] ?? ''));
  return m ? Number(m[1]) : 6443;
}
