// The lab's network: one bridge per lab on the controller holding the lab's /24, and per host a
// network namespace joined to the bridge by a veth pair. Hosts reach the controller (the package
// repository) and each other, nothing else: there is no route or NAT to the outside.
import { access, readFile } from 'node:fs/promises';
import type { LabHostState, LabState } from './state.js';
import { run, tryRun } from './run.js';

async function linkExists(name: string, netns?: string): Promise<boolean> {
  return tryRun('ip', [...(netns ? ['-n', netns] : []), 'link', 'show', 'dev', name]);
}

export async function netnsExists(name: string): Promise<boolean> {
  try {
    await access(`/run/netns/${name}`);
    return true;
  } catch {
    return false;
  }
}

/** Subnets already routed on the controller (another lab, a VPN, a docker network…). */
async function subnetInUse(index: number): Promise<boolean> {
  const routes = await run('ip', ['-4', '-o', 'route', 'show']);
  return routes.split('\n').some((line) => line.startsWith(`10.213.${index}.`));
}

export async function pickFreeIndex(taken: ReadonlySet<number>): Promise<number> {
  for (let index = 1; index < 255; index++) {
    if (taken.has(index)) continue;
    if (await linkExists(`steerlab${index}`)) continue;
    if (await subnetInUse(index)) continue;
    return index;
  }
  throw new Error('no free lab subnet in 10.213.1-254.0/24');
}

export async function createBridge(state: LabState): Promise<void> {
  if (!(await linkExists(state.bridge))) await run('ip', ['link', 'add', state.bridge, 'type', 'bridge']);
  await tryRun('ip', ['addr', 'add', `${state.bridgeAddress}/${state.prefixLength}`, 'dev', state.bridge]);
  await run('ip', ['link', 'set', state.bridge, 'up']);
}

/**
 * Where the controller filters bridged traffic (br_netfilter) with a FORWARD policy of DROP (as
 * Docker sets), hosts could not reach each other: accept traffic within the lab bridge.
 */
export function forwardRule(state: LabState): string[] {
  return ['FORWARD', '-i', state.bridge, '-o', state.bridge, '-j', 'ACCEPT', '-m', 'comment', '--comment', `steer lab ${state.name}`];
}

export async function needsForwardRule(): Promise<boolean> {
  try {
    if ((await readFile('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8')).trim() !== '1') return false;
  } catch {
    return false;
  }
  try {
    const rules = await run('iptables', ['-S', 'FORWARD']);
    return rules.includes('-P FORWARD DROP');
  } catch {
    return false; // no iptables on the controller: nothing filters
  }
}

export async function addForwardRule(rule: string[]): Promise<void> {
  if (!(await tryRun('iptables', ['-C', ...rule]))) await run('iptables', ['-I', ...rule]);
}

export async function removeForwardRule(rule: string[]): Promise<void> {
  while (await tryRun('iptables', ['-D', ...rule])) {
    // remove every copy
  }
}

/** A Raspberry Pi (Raspberry Pi Trading Ltd) MAC address, unique per lab and host. */
function macAddress(state: LabState, hostNumber: number): string {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return `dc:a6:32:${hex(state.index)}:${hex(hostNumber >> 8)}:${hex(hostNumber & 0xff)}`;
}

export async function createHostNetwork(state: LabState, host: LabHostState, hostNumber: number): Promise<void> {
  if (!(await netnsExists(host.netns))) await run('ip', ['netns', 'add', host.netns]);
  const ns = ['-n', host.netns];
  // Containerd and everything else that binds 127.0.0.1 need lo up.
  await run('ip', [...ns, 'link', 'set', 'lo', 'up']);
  if (!(await linkExists(host.veth))) {
    if (await linkExists('eth0', host.netns)) await run('ip', [...ns, 'link', 'del', 'eth0']);
    await run('ip', ['link', 'add', host.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.netns]);
  }
  await run('ip', ['link', 'set', host.veth, 'master', state.bridge]);
  await run('ip', ['link', 'set', host.veth, 'up']);
  await run('ip', [...ns, 'link', 'set', 'eth0', 'address', macAddress(state, hostNumber)]);
  await tryRun('ip', [...ns, 'addr', 'add', `${host.address}/${state.prefixLength}`, 'dev', 'eth0']);
  await run('ip', [...ns, 'link', 'set', 'eth0', 'up']);
  await tryRun('ip', [...ns, 'route', 'replace', 'default', 'via', state.bridgeAddress]);
}

/** Unplugs the host's cable (the host keeps running, its own link goes down). */
export async function cutLink(host: LabHostState): Promise<void> {
  await run('ip', ['link', 'set', host.veth, 'down']);
}

export async function healLink(host: LabHostState): Promise<void> {
  await run('ip', ['link', 'set', host.veth, 'up']);
}

export async function linkIsUp(host: LabHostState): Promise<boolean> {
  try {
    const out = await run('ip', ['-o', 'link', 'show', 'dev', host.veth]);
    return /[<,]UP[,>]/.test(out);
  } catch {
    return false;
  }
}

export async function removeHostNetwork(host: LabHostState): Promise<void> {
  if (await linkExists(host.veth)) await tryRun('ip', ['link', 'del', host.veth]);
  if (await netnsExists(host.netns)) await run('ip', ['netns', 'del', host.netns]);
}

export async function removeBridge(state: LabState): Promise<void> {
  if (await linkExists(state.bridge)) await run('ip', ['link', 'del', state.bridge]);
}
