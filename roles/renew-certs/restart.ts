// Restarting the control plane's static Pods the way kubeadm's documentation says to after a manual
// renewal ("Certificate Management with kubeadm", Manual certificate renewal): the kubelet cannot
// be told to restart a static Pod, so its manifest is moved out of /etc/kubernetes/manifests until
// the Pod stopped, then moved back. The manifests wait in a folder beside it (same file system:
// renames); a run that died in between finds them there and moves them back first.
import type { RoleContext } from 'steer';

export const MANIFESTS = '/etc/kubernetes/manifests';
export const PARKED = '/etc/kubernetes/manifests.steer-restart';
/** etcd, kube-apiserver, kube-controller-manager, kube-scheduler: the ports their Pods listen on. */
const CONTROL_PLANE_PORTS = [2379, 6443, 10257, 10259];

type Ctx = Pick<RoleContext, '$' | 'probe' | 'sh' | 'fail' | 'check'>;

/** Polls `ready` every 2 s until it is true or `seconds` passed; false on timeout. */
export async function until(seconds: number, ready: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (await ready()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** Manifests parked by an earlier run that stopped half-way, moved back (a no-op otherwise). */
export async function unparkLeftovers({ $, probe }: Ctx): Promise<boolean> {
  const left = (await probe`find ${PARKED} -maxdepth 1 -name ${'*.yaml'} -printf ${'%f\n'}`).lines().filter(Boolean);
  for (const name of left) await $`mv -n ${`${PARKED}/${name}`} ${`${MANIFESTS}/${name}`}`;
  return left.length > 0;
}

/**
 * Moves every manifest out, waits (up to `seconds`) until no control-plane port listens, moves them
 * back and waits until the API server answers /livez through admin.conf. Fails with what to do.
 * In check mode the moves are listed ("would run") and nothing is waited for.
 */
export async function restartStaticPods(ctx: Ctx, seconds: number): Promise<void> {
  const { $, probe, fail, check } = ctx;
  const names = (await probe`find ${MANIFESTS} -maxdepth 1 -name ${'*.yaml'} -printf ${'%f\n'}`).lines().filter(Boolean).sort();
  if (names.length === 0) fail(`${MANIFESTS} holds no manifest: is this a control plane?`);
  await $`mkdir -p -m 0700 ${PARKED}`;
  for (const name of names) await $`mv ${`${MANIFESTS}/${name}`} ${`${PARKED}/${name}`}`;
  if (check) {
    for (const name of names) await $`mv ${`${PARKED}/${name}`} ${`${MANIFESTS}/${name}`}`;
    await $`rmdir ${PARKED}`;
    return;
  }
  const listening = async () => (await probe`ss -Hltn`).lines().some((l) => CONTROL_PLANE_PORTS.some((p) => new RegExp(`:${p}\\s`).test(`${l} `)));
  const stopped = await until(seconds, async () => !(await listening()));
  for (const name of names) await $`mv ${`${PARKED}/${name}`} ${`${MANIFESTS}/${name}`}`;
  await $`rmdir ${PARKED}`;
  if (!stopped) fail(`the control-plane Pods did not stop within ${seconds} s of their manifests being moved out (they are back now); see journalctl -u kubelet`);
  await waitForApiServer(ctx, seconds);
}

/** Waits until `kubectl get --raw /livez` answers ok through admin.conf. */
export async function waitForApiServer({ probe, fail }: Pick<Ctx, 'probe' | 'fail'>, seconds: number): Promise<void> {
  const up = await until(seconds, async () => (await probe`kubectl --kubeconfig=/etc/kubernetes/admin.conf get --raw=/livez --request-timeout=5s`).text() === 'ok');
  if (!up) fail(`the API server did not answer /livez within ${seconds} s; see journalctl -u kubelet and crictl ps -a`);
}
