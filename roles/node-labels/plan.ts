// What to change on a Node so that its labels and taints are the inventory's, touching only what
// steer manages: the keys steer set are listed in an annotation on the Node, so that a label or
// taint removed from the inventory is removed from the node while those set by others (kubeadm,
// the kubelet, a user's kubectl) are never touched. Pure: the role reads the Node and applies this.

/** The annotations that list what steer manages on a Node (comma-separated, sorted). */
export const MANAGED_LABELS = 'steer/managed-labels';
export const MANAGED_TAINTS = 'steer/managed-taints';

/** A Node's taint, as the API holds it (spec.taints[]). */
export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

/** What the role reads from the Node: metadata.labels, metadata.annotations, spec.taints. */
export interface NodeMeta {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  taints: Taint[];
}

export interface NodeChange {
  /** A JSON merge patch for labels (null removes) and the two annotations; undefined: none needed. */
  patch?: { metadata: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> } };
  /** `kubectl taint` arguments: KEY[=VALUE]:EFFECT to add or overwrite, KEY:EFFECT- to remove. */
  taints: string[];
  /** For the step's summary: `+k=v`, `-k`, `+taint`, `-taint`. */
  summary: string[];
}

/** Parses kubectl's taint notation KEY[=VALUE]:EFFECT (validated by the role's variables schema). */
export function parseTaint(text: string): Taint {
  const colon = text.lastIndexOf(':');
  const [key, value] = text.slice(0, colon).split(/=(.*)/s) as [string, string | undefined];
  return { key, ...(value ? { value } : {}), effect: text.slice(colon + 1) };
}

const taintId = (t: Taint) => `${t.key}:${t.effect}`;
const taintText = (t: Taint) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
const listed = (annotation: string | undefined) => (annotation ? annotation.split(',').filter(Boolean) : []);

/**
 * The change that makes `node` carry `labels` and `taints` (the inventory's), given what steer
 * managed before (the annotations). Labels and taints steer never managed are left as they are,
 * even when the inventory names the same key (then the inventory's value wins and steer manages it).
 */
export function planNodeChange(node: NodeMeta, labels: Record<string, string>, taints: readonly string[]): NodeChange {
  const summary: string[] = [];
  const labelPatch: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(labels))
    if (node.labels[k] !== v) {
      labelPatch[k] = v;
      summary.push(`+${k}=${v}`);
    }
  for (const k of listed(node.annotations[MANAGED_LABELS]))
    if (!(k in labels) && k in node.labels) {
      labelPatch[k] = null;
      summary.push(`-${k}`);
    }

  const wanted = taints.map(parseTaint);
  const taintArgs: string[] = [];
  for (const t of wanted) {
    const current = node.taints.find((c) => taintId(c) === taintId(t));
    if (!current || (current.value ?? '') !== (t.value ?? '')) {
      taintArgs.push(taintText(t));
      summary.push(`+${taintText(t)}`);
    }
  }
  for (const id of listed(node.annotations[MANAGED_TAINTS]))
    if (!wanted.some((t) => taintId(t) === id) && node.taints.some((c) => taintId(c) === id)) {
      taintArgs.push(`${id}-`);
      summary.push(`-${id}`);
    }

  const annotations: Record<string, string | null> = {};
  const managed = (now: string[], key: string) => {
    const value = [...now].sort().join(',');
    if ((node.annotations[key] ?? '') !== value) annotations[key] = value || null;
  };
  managed(Object.keys(labels), MANAGED_LABELS);
  managed(wanted.map(taintId), MANAGED_TAINTS);

  const metadata: NonNullable<NodeChange['patch']>['metadata'] = {};
  if (Object.keys(labelPatch).length) metadata.labels = labelPatch;
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  return { ...(Object.keys(metadata).length ? { patch: { metadata } } : {}), taints: taintArgs, summary };
}

/** The parts of `kubectl get node -o json` the plan needs (untrusted data: only strings kept). */
export function readNode(json: string): NodeMeta {
  const node = JSON.parse(json) as { metadata?: { labels?: unknown; annotations?: unknown }; spec?: { taints?: unknown } };
  const strings = (o: unknown): Record<string, string> =>
    Object.fromEntries(Object.entries(o && typeof o === 'object' ? o : {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const taints = Array.isArray(node.spec?.taints) ? node.spec.taints : [];
  return {
    labels: strings(node.metadata?.labels),
    annotations: strings(node.metadata?.annotations),
    taints: taints
      .filter((t): t is { key: string; value?: string; effect: string } => typeof t?.key === 'string' && typeof t?.effect === 'string')
      .map((t) => ({ key: t.key, ...(typeof t.value === 'string' && t.value ? { value: t.value } : {}), effect: t.effect })),
  };
}
