// Moving a running node's data folders onto the USB disk, never hiding them: stop what uses them
// (the kubelet, the node's Pods through the CRI — etcd's static Pod among them —, containerd), copy
// with owners, modes, hard links, ACLs and xattrs (rsync), verify by checksum, put the copy in
// place with one rename, bind-mount it, and start them again. The SD card's copy stays where it was,
// under the mount. On any failure what was running is started again, on whatever is mounted then.
import type { ModuleResult, RoleContext } from 'steer';
import { ADMIN_CONF } from '../control-plane/role.js';
import { RSYNC, sameContent } from './health.js';
import { bindOptions, describeSize, type FolderPlan, type FolderSeen, type StorageLayout } from './layout.js';

export interface MoveOptions {
  /** The CRI endpoint, e.g. unix:///run/containerd/containerd.sock. */
  criSocket: string;
  /** Seconds to wait for the folders to be free, and for the kubelet and the API server to be back. */
  timeoutSeconds: number;
}

type Folder = FolderSeen & { plan: FolderPlan };
type Ctx = Pick<RoleContext, 'm' | '$' | 'probe' | 'check' | 'fail'>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the move does, in words (the step's message, in check mode too). */
export function describeMove(folders: Folder[], units: string[]): string {
  const each = folders.map((f) =>
    f.plan.kind === 'move' ? `copy ${f.path} (${describeSize(f.plan.files, f.plan.bytes)}) to ${f.onDisk}, verify` : `${f.path} already copied to ${f.onDisk}`,
  );
  return `would stop ${[...units].reverse().join(', ')} and the node's Pods; ${each.join('; ')}; bind-mount; start them again`;
}

export async function moveFolders(ctx: Ctx, layout: StorageLayout, folders: Folder[], options: MoveOptions): Promise<ModuleResult[]> {
  const { $, check } = ctx;
  if (check) return summarized(await mountAll(ctx, layout, folders), describeMove(folders, layout.units));

  const started = Date.now();
  const active = await activeUnits(ctx, layout.units);
  await ensureCanStopPods(ctx, active);
  const results: ModuleResult[] = [];
  const done: string[] = [];
  try {
    done.push(`stopped ${await stopAll(ctx, active, options)}`);
    await waitUnused(ctx, folders.map((f) => f.path), options.timeoutSeconds);
    for (const f of folders) if (f.plan.kind === 'move') done.push(await copyVerified(ctx, f));
    results.push(...(await mountAll(ctx, layout, folders)));
    done.push('bind-mounted');
  } finally {
    // Started again in the order listed (containerd before the kubelet), also after a failure.
    for (const unit of layout.units) if (active.includes(unit)) await $`systemctl start ${unit}`;
  }
  if (active.includes('kubelet')) await waitBack(ctx, options.timeoutSeconds);
  done.push(`${active.length ? `started ${active.join(', ')}; ` : ''}back after ${Math.round((Date.now() - started) / 1000)} s`);
  return summarized(results, done.join('; '));
}

/** One message for the step (the fstab diffs stay with their results). */
function summarized(results: ModuleResult[], summary: string): ModuleResult[] {
  for (const r of results) delete r.summary;
  return [...results, { changed: true, summary }];
}

async function activeUnits({ probe }: Ctx, units: string[]): Promise<string[]> {
  const active: string[] = [];
  for (const unit of units) if ((await probe`systemctl is-active ${unit}`).text() === 'active') active.push(unit);
  return active;
}

/** Before anything stops: the Pods can be stopped (crictl, from cri-tools, which kubeadm depends on). */
async function ensureCanStopPods({ probe, fail }: Ctx, active: string[]): Promise<void> {
  if (!active.some((u) => u !== 'kubelet')) return;
  if (!(await probe`command -v crictl`).ok) fail("cannot stop the node's Pods before moving their data: crictl (cri-tools, a kubeadm dependency) is not installed");
}

/**
 * kubeadm reset's order: the kubelet (so it restarts nothing), the node's Pods through the CRI
 * (etcd's static Pod among them), then the runtime. Returns what it stopped, in words.
 */
async function stopAll(ctx: Ctx, active: string[], options: MoveOptions): Promise<string> {
  const { probe, $ } = ctx;
  const stopped: string[] = [];
  if (active.includes('kubelet')) {
    await $`systemctl stop kubelet`;
    stopped.push('kubelet');
  }
  if (active.some((u) => u !== 'kubelet')) {
    const pods = await probe`crictl --runtime-endpoint ${options.criSocket} pods -q`;
    if (!pods.ok) ctx.fail(`cannot list the node's Pods through ${options.criSocket}: ${pods.stderr.trim()}`);
    for (const id of pods.lines()) await $`crictl --runtime-endpoint ${options.criSocket} stopp ${id}`;
    stopped.push(`${pods.lines().length} Pod${pods.lines().length === 1 ? '' : 's'}`);
  }
  for (const unit of [...active].reverse()) {
    if (unit === 'kubelet') continue;
    await $`systemctl stop ${unit}`;
    stopped.push(unit);
  }
  return stopped.join(', ') || 'nothing (nothing was running)';
}

/**
 * Waits until no process has a file, working directory or mapping under the folders, and no mount
 * uses them (a container's overlay layers), up to the timeout; fails naming what still uses them.
 */
async function waitUnused({ probe, fail }: Ctx, paths: string[], timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const users = await probe`sh -c ${USERS_SCRIPT} sh ${paths}`;
    if (users.ok && users.text() === '') return;
    if (Date.now() > deadline) fail(`still in use after stopping the services, not copied:\n${users.text().split('\n').slice(0, 20).join('\n')}`);
    await sleep(1000);
  }
}

// Prints "PID COMMAND" for processes using the folders given as arguments, and mounts that use them.
const USERS_SCRIPT = `
for p in "$@"; do
  find /proc/[0-9]*/cwd /proc/[0-9]*/root /proc/[0-9]*/fd -maxdepth 1 \\( -lname "$p" -o -lname "$p/*" \\) -printf '%h\\n' 2>/dev/null
  grep -l -F " $p/" /proc/[0-9]*/maps 2>/dev/null
done | sed -n 's|^/proc/\\([0-9]*\\).*|\\1|p' | sort -u | while read -r pid; do echo "process $pid $(cat /proc/$pid/comm 2>/dev/null)"; done
for p in "$@"; do findmnt -rn -o TARGET,OPTIONS | grep -F "$p/" | sed 's/^/mount /'; done
true`;

/** rsync to a staging folder beside the target, verify by checksum, then one rename into place. */
async function copyVerified(ctx: Ctx, f: Folder): Promise<string> {
  const { $, fail } = ctx;
  const staging = `${f.onDisk}.steer-partial`;
  await $`mkdir -p -- ${staging}`;
  await $`rsync ${RSYNC} -- ${`${f.path}/`} ${`${staging}/`}`;
  if (!(await sameContent(ctx.probe, f.path, staging))) fail(`the copy of ${f.path} in ${staging} differs from the original after rsync; nothing was mounted`);
  // rename(2) replaces the disk's folder only when it is empty (made by an earlier run).
  await $`mv -T -- ${staging} ${f.onDisk}`;
  const size = f.plan.kind === 'move' ? describeSize(f.plan.files, f.plan.bytes) : '';
  return `${f.path} copied to ${f.onDisk} (${size}) and verified (rsync --checksum: same contents, owners, modes, times, ACLs, xattrs)`;
}

async function mountAll({ m }: Ctx, layout: StorageLayout, folders: Folder[]): Promise<ModuleResult[]> {
  const results: ModuleResult[] = [];
  for (const f of folders) results.push(await m.mount({ src: f.onDisk, path: f.path, fstype: 'none', opts: bindOptions(layout) }));
  return results;
}

/** The kubelet runs again and, on a control plane, the API server answers (its static Pods restarted). */
async function waitBack({ probe, fail }: Ctx, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const controlPlane = (await probe`test -f ${ADMIN_CONF}`).ok;
  for (;;) {
    const kubelet = (await probe`systemctl is-active kubelet`).text() === 'active';
    if (kubelet && (!controlPlane || (await probe`kubectl --kubeconfig=${ADMIN_CONF} get --raw=/readyz`).ok)) return;
    if (Date.now() > deadline) fail(`the data was moved, but ${kubelet ? 'the API server' : 'the kubelet'} did not come back within ${timeoutSeconds} s`);
    await sleep(2000);
  }
}
