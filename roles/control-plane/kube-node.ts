// Node operations through the control plane's kubectl, shared by the roles that take a node out of
// service and put it back: drain (bounded, PodDisruptionBudgets respected), uncordon, wait until
// Ready. Each takes the control plane's shells
// (`on(controlPlane)`) so that it works from the node's own play, even under --limit.
import type { RoleContext } from 'steer';
import { ADMIN_CONF } from './role.js';

/** The control plane's shells, as `on(host)` returns them. */
export type ControlPlaneShells = ReturnType<RoleContext['on']>;

const KUBECTL = ['kubectl', `--kubeconfig=${ADMIN_CONF}`];

/** The node name of an inventory host: steer's one mapping (lib/kube/node-name.ts), re-exported for these roles. */
export { nodeName } from 'steer';

/** Whether the cluster has a Node of this name (read-only; false when the API cannot be reached). */
export async function nodeExists(cp: ControlPlaneShells, node: string): Promise<boolean> {
  return (await cp.probe`${KUBECTL} get node ${node} -o name`).ok;
}

/** The node's Ready condition status ('True', 'False', 'Unknown'), or undefined when not found. */
export async function nodeReady(cp: ControlPlaneShells, node: string): Promise<string | undefined> {
  const r = await cp.probe`${KUBECTL} get node ${node} -o ${'jsonpath={.status.conditions[?(@.type=="Ready")].status}'}`;
  return r.ok ? r.text().trim() || undefined : undefined;
}

export interface DrainOptions {
  /** kubectl drain's --timeout, in seconds: the drain gives up (node left cordoned) after it. */
  timeoutSeconds: number;
  /**
   * Delete the node's Pods instead of evicting them (--disable-eviction, so budgets are ignored),
   * Pods without a controller too (--force), at once (--grace-period=0): for a node that is gone,
   * whose kubelet will never confirm a Pod stopped.
   */
  force?: boolean;
}

/**
 * `kubectl drain`: cordons the node, then evicts its Pods through the eviction API, so that
 * PodDisruptionBudgets are respected (a budget that forbids it is retried every 5 s until the
 * timeout). DaemonSet Pods are left (they tolerate the cordon). Rejects (CommandFailed) when the
 * drain did not finish in time; the node then stays cordoned, as kubectl leaves it.
 */
export async function drainNode(cp: ControlPlaneShells, node: string, options: DrainOptions): Promise<void> {
  const force = options.force ? ['--force', '--disable-eviction', '--grace-period=0'] : [];
  const flags = ['--ignore-daemonsets', '--delete-emptydir-data', ...force, `--timeout=${options.timeoutSeconds}s`];
  await cp.$({ timeoutMs: (options.timeoutSeconds + 60) * 1000 })`${KUBECTL} drain ${node} ${flags}`;
}

/** `kubectl uncordon`: the scheduler may place Pods on the node again. */
export async function uncordonNode(cp: ControlPlaneShells, node: string): Promise<void> {
  await cp.$`${KUBECTL} uncordon ${node}`;
}

/** Waits (`kubectl wait`) until the node is Ready; rejects after `timeoutSeconds`. */
export async function waitNodeReady(cp: ControlPlaneShells, node: string, timeoutSeconds: number): Promise<void> {
  await cp.$({ timeoutMs: (timeoutSeconds + 30) * 1000 })`${KUBECTL} wait --for=condition=Ready ${`node/${node}`} --timeout=${`${timeoutSeconds}s`}`;
}

export interface RollOptions {
  /** kubectl drain's --timeout, seconds. */
  drainTimeoutSeconds: number;
  /** How long the node may take to be Ready again after the change, seconds. */
  readyTimeoutSeconds: number;
  /** Check mode: nothing waits (the change did not happen). */
  check: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A disruptive change to a node of a running cluster, kubeadm's documented way: drain it, make the
 * change (`disrupt`: a reboot, a container runtime restart), wait until its kubelet runs and the
 * node is Ready, uncordon it. Call it inside a `throttle: 1` step so that nodes go one at a time.
 * A node the control plane does not know is changed without drain. Rejects when the drain or the
 * wait fails; the node is then left cordoned, so nothing is scheduled on a node in doubt.
 */
export async function rollNode(cp: ControlPlaneShells, node: ControlPlaneShells, name: string, disrupt: () => Promise<unknown>, options: RollOptions): Promise<void> {
  const known = await nodeExists(cp, name);
  if (known) await drainNode(cp, name, { timeoutSeconds: options.drainTimeoutSeconds });
  await disrupt();
  if (!known) return;
  if (!options.check) await waitBack(cp, node, name, options.readyTimeoutSeconds);
  await uncordonNode(cp, name);
}

/**
 * Polls (every 2 s) until the node's kubelet is active and the control plane shows the node Ready.
 * Both: right after a reboot the Node may still show the Ready of before (the controller marks it
 * Unknown only after its 40 s grace period), and a rebooted control plane's API takes a while.
 */
async function waitBack(cp: ControlPlaneShells, node: ControlPlaneShells, name: string, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let last = '';
  while (Date.now() < deadline) {
    const kubelet = await node.probe`systemctl is-active kubelet`;
    const ready = kubelet.ok ? await nodeReady(cp, name) : undefined;
    if (ready === 'True') return;
    last = kubelet.ok ? `node Ready=${ready ?? '(API not answering)'}` : `kubelet ${kubelet.text() || 'not active'}`;
    await sleep(2000);
  }
  throw new Error(`node ${name} not Ready within ${timeoutSeconds} s (${last}): it stays cordoned; \`kubectl uncordon ${name}\` once it is healthy`);
}
