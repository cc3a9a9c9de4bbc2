// Light hosts (issue 18): a host is a network namespace holding one `sshd` (the controller's own,
// with its own config, host key and authorized_keys in a scratch folder) in a cgroup of its own —
// no systemd, no image, ~2 processes each — so that the benchmark reaches 250 hosts on a 2-core
// machine where lab hosts (systemd-nspawn) stop at a few dozen. The hosts share the controller's
// filesystem: whatever a workload writes must be per host (bench_file, below).
//
// Bring-up is parallel and checked (every sshd answers with its banner); `down()` — also on
// failure, and through takeDownLightHosts() on Ctrl-C / SIGTERM — ends the sshd processes by the
// pids this process started (and what they forked, read from their own cgroups), deletes the
// namespaces (their veth ends go with them), the bridge, the cgroups and the scratch folder.
import { mkdir, readFile, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { run, tryRun } from '../lab/run.js';
import type { BenchHost } from './labs.js';

/** Scratch folders of light hosts: `<ROOT>/<name>/<host>/` (config, host key, log, bench.conf). */
export const LIGHT_ROOT = '/var/lib/steer-bench-light';
/** The v2 hierarchy of this machine (hybrid: v1 controllers elsewhere); plain v2 mounts it at /sys/fs/cgroup. */
const CGROUP_V2 = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'];
/** Light hosts' subnets: 10.214.<index>.0/24 (the nspawn lab uses 10.213.x), .1 is the bridge. */
const SUBNET = (index: number): string => `10.214.${index}`;
export const MAX_LIGHT_HOSTS = 253;
/** Each sshd must answer within this after it was started. */
const READY_MS = 60_000;

export interface LightHosts {
  name: string;
  hosts: BenchHost[];
  knownHostsPath: string;
  /** Seconds the bring-up took. */
  upSeconds: number;
  /** The pid of each host's sshd, in host order. */
  pids: readonly number[];
  /** Takes everything down (idempotent). */
  down(): Promise<void>;
}

interface Started {
  name: string;
  /** The sshd processes this process started (one per host). */
  pids: number[];
  cgroupParent?: string;
  hostCgroups: string[];
  netns: string[];
  bridge?: string;
  scratch: string;
}

/** Every set of light hosts this process brought up and has not taken down yet. */
const live = new Map<string, Started>();
const log = (line: string): void => void process.stderr.write(`# light: ${line}\n`);

/** The names a set of light hosts uses; `name` is short so that `${name}v${n}` fits IFNAMSIZ (15). */
function names(name: string, n: number): { host: string; netns: string; veth: string } {
  return { host: `${name}-${n}`, netns: `${name}-${n}`, veth: `${name}v${n}` };
}

async function cgroupRoot(): Promise<string> {
  for (const dir of CGROUP_V2) {
    const controllers = await readFile(join(dir, 'cgroup.controllers'), 'utf8').catch(() => undefined);
    if (controllers !== undefined) return dir;
  }
  throw new Error(`light hosts need a cgroup v2 hierarchy (looked in ${CGROUP_V2.join(', ')})`);
}

/** A 10.214.x.0/24 no route on the controller uses yet (another light set, a VPN…). */
async function freeSubnet(): Promise<number> {
  const routes = await run('ip', ['-4', '-o', 'route', 'show']);
  for (let index = 1; index < 255; index++) if (!routes.split('\n').some((l) => l.startsWith(`${SUBNET(index)}.`))) return index;
  throw new Error('no free light-host subnet in 10.214.1-254.0/24');
}

/** `ip -force -batch`: one process for hundreds of link/netns commands instead of one each. */
async function ipBatch(lines: string[], dir: string, force = false): Promise<void> {
  if (lines.length === 0) return;
  const file = join(dir, `ip-${Date.now()}-${Math.random().toString(36).slice(2)}.batch`);
  await writeFile(file, lines.join('\n') + '\n');
  try {
    await run('ip', [...(force ? ['-force'] : []), '-batch', file], { timeoutMs: 120_000 });
  } finally {
    await rm(file, { force: true });
  }
}

/**
 * sshd's configuration for one light host. Root logs in by key only, without PAM (no prompts, no
 * session modules); StrictModes off because the scratch folder's permissions are the bench's, not a
 * home directory's.
 */
function sshdConfig(dir: string, address: string, authorizedKeys: string): string {
  return [
    `ListenAddress ${address}:22`,
    `HostKey ${join(dir, '..', 'host_key')}`,
    `AuthorizedKeysFile ${authorizedKeys}`,
    'PidFile none',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    // sshd's default 10:30:100 drops unauthenticated connections beyond 10; Ansible's and the ssh
    // floor's ControlMaster plus steer's connection arrive together on a busy host: never refuse.
    'MaxStartups 100:30:200',
    // Several channels per connection (steer's shell, the host lock, Ansible's per-task sessions).
    'MaxSessions 50',
    'Subsystem sftp internal-sftp',
    // The hosts log in to the controller's root account, whose ~/.bashrc (pyenv here) bash would
    // source for every ssh session (Debian's bash reads it when SSH_CLIENT is set and SHLVL < 2):
    // hundreds of ms per session that no real host pays. SHLVL=1 makes bash see a nested shell.
    'SetEnv SHLVL=1',
    'LogLevel ERROR',
    '',
  ].join('\n');
}

// Starts every host's sshd from one bash: a fork of bash costs half of what Node's spawn does from
// this process (~18 against ~36 ms on the busy 2-core machine), and 250 of them add up. Reads one
// host a line on stdin — CGROUP NETNS IP_BATCH CONFIG LOG, paths this module made (no spaces) —
// and prints the pid of each host's sshd. Each host, in a subshell: join its cgroup first, so that
// everything it becomes and forks is counted there; configure the namespace's links with one
// `ip -batch`; enter only the network namespace (nsenter --net: `ip netns exec` would also copy the
// mount namespace and remount /sys); `exec` keeps the pid, so the printed pid is sshd's.
const START = `while read -r cgroup netns batch config log; do
  (
    echo $BASHPID > "$cgroup/cgroup.procs" || exit 1
    ip -n "$netns" -batch "$batch" >> "$log" 2>&1 || exit 1
    exec nsenter --net="/run/netns/$netns" /usr/sbin/sshd -D -e -f "$config" < /dev/null > /dev/null 2>> "$log"
  ) &
  echo $!
done`;

/** Is `pid` still the sshd of `cgroup` (not a recycled pid)? */
async function inCgroup(pid: number, cgroup: string): Promise<boolean> {
  const own = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
  return own.split('\n').some((l) => l.startsWith('0::') && cgroup.endsWith(l.slice(3)));
}

/** Resolves when `address:22` sends an SSH banner; rejects after `ms`. */
async function awaitBanner(address: string, pid: number, cgroup: string, logPath: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!(await inCgroup(pid, cgroup)) && !(await readFile(`/proc/${pid}/stat`).then(() => true, () => false))) {
      throw new Error(`sshd on ${address} (pid ${pid}, ${cgroup}) exited: ${(await readFile(logPath, 'utf8').catch(() => '')).trim().slice(-500)}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: address, port: 22, timeout: 2000 });
      const done = (v: boolean) => {
        socket.destroy();
        resolve(v);
      };
      socket.once('data', (d: Buffer) => done(d.toString().startsWith('SSH-2.0-')));
      socket.once('error', () => done(false));
      socket.once('timeout', () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd on ${address} did not answer within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The client key and the set's host key (ed25519, ssh-keygen). One host key serves every host of
 * the set (known_hosts lists it per address): 250 `ssh-keygen` processes took ~15 s of the busy
 * 2-core machine, and ssh2's in-process generator made a key sshd refused ("error in libcrypto")
 * about once in 250.
 */
async function makeKeys(scratch: string): Promise<void> {
  const keygen = (path: string) => run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'steer-bench-light', '-f', path]);
  await Promise.all([keygen(join(scratch, 'client_key')), keygen(join(scratch, 'host_key'))]);
}

/**
 * Brings up `count` light hosts named `${name}-1` … (`name`: a-z0-9, ≤ 10 characters); their files
 * go under LIGHT_ROOT/name. Takes down first whatever a killed run left under the same name.
 * Throws (after taking down what it started) when a host does not answer within READY_MS.
 */
export async function bringUpLightHosts(name: string, count: number): Promise<LightHosts> {
  if (!/^[a-z][a-z0-9]{0,9}$/.test(name)) throw new Error(`light-host set name must be a-z0-9, at most 10 characters, not ${JSON.stringify(name)}`);
  if (!Number.isInteger(count) || count < 1 || count > MAX_LIGHT_HOSTS) throw new Error(`light hosts: 1 to ${MAX_LIGHT_HOSTS}, not ${count}`);
  if (live.has(name)) throw new Error(`light hosts ${name} are already up`);
  const t0 = Date.now();
  await removeLeftovers(name);
  const state: Started = { name, pids: [], hostCgroups: [], netns: [], scratch: join(LIGHT_ROOT, name) };
  live.set(name, state);
  try {
    const hosts = await start(state, count);
    const upSeconds = (Date.now() - t0) / 1000;
    log(`${name}: ${count} hosts up in ${upSeconds.toFixed(1)} s`);
    return { name, hosts, knownHostsPath: join(state.scratch, 'known_hosts'), upSeconds, pids: [...state.pids], down: () => takeDown(name) };
  } catch (err) {
    await takeDown(name);
    throw err;
  }
}

async function start(state: Started, count: number): Promise<BenchHost[]> {
  const { scratch } = state;
  const t0 = Date.now();
  const phase = (what: string) => log(`${state.name}: ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const index = await freeSubnet();
  const hosts = Array.from({ length: count }, (_, i) => ({ ...names(state.name, i + 1), address: `${SUBNET(index)}.${i + 2}`, dir: join(scratch, `${state.name}-${i + 1}`) }));
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  await Promise.all(hosts.map((h) => mkdir(h.dir)));
  await makeKeys(scratch);
  const hostKey = (await readFile(join(scratch, 'host_key.pub'), 'utf8')).trim().split(' ').slice(0, 2).join(' ');
  const authorizedKeys = join(scratch, 'authorized_keys');
  await writeFile(authorizedKeys, await readFile(join(scratch, 'client_key.pub')));
  const known: string[] = [];
  for (const h of hosts) {
    await writeFile(join(h.dir, 'sshd_config'), sshdConfig(h.dir, h.address, authorizedKeys));
    await writeFile(join(h.dir, 'net.batch'), ['link set lo up', `addr add ${h.address}/24 dev eth0`, 'link set eth0 up', ''].join('\n'));
    known.push(`${h.address} ${hostKey}`);
  }
  await writeFile(join(scratch, 'known_hosts'), known.join('\n') + '\n');
  phase('keys');

  // The network: a bridge holding .1, a namespace and a veth pair per host (eth0 inside).
  const bridge = `${state.name}br`;
  state.bridge = bridge;
  await ipBatch([`link add ${bridge} type bridge`, `addr add ${SUBNET(index)}.1/24 dev ${bridge}`, `link set ${bridge} up`], scratch);
  state.netns.push(...hosts.map((h) => h.netns));
  await ipBatch(
    hosts.flatMap((h) => [`netns add ${h.netns}`, `link add ${h.veth} type veth peer name eth0 netns ${h.netns}`, `link set ${h.veth} master ${bridge}`, `link set ${h.veth} up`]),
    scratch,
  );
  phase('network');

  const root = await cgroupRoot();
  state.cgroupParent = join(root, `steer-bench-light-${state.name}`);
  await mkdir(state.cgroupParent);
  for (const h of hosts) {
    const cgroup = join(state.cgroupParent, h.host);
    await mkdir(cgroup);
    state.hostCgroups.push(cgroup);
  }
  phase('cgroups');
  const input = hosts.map((h) => [join(state.cgroupParent!, h.host), h.netns, join(h.dir, 'net.batch'), join(h.dir, 'sshd_config'), join(h.dir, 'sshd.log')].join(' ')).join('\n') + '\n';
  const pids = (await run('bash', ['-c', START], { input, timeoutMs: 120_000 })).split('\n').filter(Boolean).map(Number);
  if (pids.length !== hosts.length || pids.some((p) => !Number.isInteger(p))) throw new Error(`light hosts: started ${pids.length} of ${hosts.length} sshd`);
  state.pids.push(...pids);
  phase('started');
  await Promise.all(hosts.map((h, i) => awaitBanner(h.address, pids[i]!, join(state.cgroupParent!, h.host), join(h.dir, 'sshd.log'), READY_MS)));
  return hosts.map((h) => ({
    name: h.host,
    address: h.address,
    lab: state.name,
    user: 'root',
    keyPath: join(scratch, 'client_key'),
    knownHostsPath: join(scratch, 'known_hosts'),
    benchFile: join(h.dir, 'bench.conf'),
    cgroup: join(state.cgroupParent!, h.host),
  }));
}

const pidsIn = async (cgroup: string): Promise<number[]> =>
  (await readFile(join(cgroup, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Ends what runs in a host cgroup of ours (the sshd we started, the sessions it forked), then removes it. */
async function emptyCgroup(cgroup: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const pids = await pidsIn(cgroup);
    if (pids.length === 0) break;
    for (const pid of pids) kill(pid, attempt < 10 ? 'SIGTERM' : 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
  }
  await rmdir(cgroup).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

/** Teardowns under way: a second caller (the signal handler, the bench's `finally`) waits for the first. */
const stopping = new Map<string, Promise<void>>();

/** Takes down light hosts `name` (idempotent): processes, cgroups, namespaces, bridge, scratch. */
function takeDown(name: string): Promise<void> {
  const state = live.get(name);
  if (!state) return stopping.get(name) ?? Promise.resolve();
  live.delete(name);
  const done = remove(state).finally(() => stopping.delete(name));
  stopping.set(name, done);
  return done;
}

async function remove(state: Started): Promise<void> {
  const { name } = state;
  // The sshd this process started, each checked to be still in its own cgroup (not a recycled pid).
  await Promise.all(state.pids.map(async (pid, i) => ((await inCgroup(pid, state.hostCgroups[i] ?? '')) ? kill(pid, 'SIGTERM') : undefined)));
  const problems: string[] = [];
  const step = async (what: string, body: () => Promise<void>) => body().catch((err: Error) => void problems.push(`${what}: ${err.message}`));
  await step('cgroups', async () => {
    await Promise.all(state.hostCgroups.map(emptyCgroup));
    if (state.cgroupParent) await rmdir(state.cgroupParent).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err; });
  });
  // Deleting a namespace deletes its eth0, and with it the veth end on the bridge.
  await step('namespaces', () => ipBatch(state.netns.map((ns) => `netns del ${ns}`), LIGHT_ROOT, true).catch(() => removeNetnsOneByOne(state.netns)));
  if (state.bridge) await step('bridge', async () => void (await tryRun('ip', ['link', 'del', state.bridge!])));
  await step('scratch', async () => {
    await rm(state.scratch, { recursive: true, force: true });
    await rmdir(LIGHT_ROOT).catch(() => {}); // only when empty: another set may be up
  });
  log(`${name}: down${problems.length ? ` (with problems: ${problems.join('; ')})` : ''}`);
  if (problems.length) throw new Error(`light hosts ${name}: teardown incomplete: ${problems.join('; ')}`);
}

async function removeNetnsOneByOne(list: string[]): Promise<void> {
  const existing = new Set(await readdir('/run/netns').catch(() => [] as string[]));
  for (const ns of list) if (existing.has(ns)) await run('ip', ['netns', 'del', ns]);
}

/**
 * What a killed run left under `name` (found by the names only this module gives): processes in its
 * cgroups (sshd and sessions that run started), the cgroups, namespaces, bridge, scratch folder.
 */
async function removeLeftovers(name: string): Promise<void> {
  const parent = join(await cgroupRoot(), `steer-bench-light-${name}`);
  const cgroups = (await readdir(parent, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => join(parent, e.name));
  const netns = (await readdir('/run/netns').catch(() => [] as string[])).filter((ns) => new RegExp(`^${name}-\\d+$`).test(ns));
  const bridge = (await tryRun('ip', ['link', 'show', 'dev', `${name}br`])) ? `${name}br` : undefined;
  const scratch = join(LIGHT_ROOT, name);
  const scratchExists = await readdir(scratch).then(() => true, () => false);
  if (cgroups.length === 0 && netns.length === 0 && !bridge && !scratchExists) return;
  log(`${name}: removing what an earlier run left (${cgroups.length} cgroups, ${netns.length} namespaces)`);
  live.set(name, { name, pids: [], hostCgroups: cgroups, cgroupParent: parent, netns, ...(bridge ? { bridge } : {}), scratch });
  await mkdir(LIGHT_ROOT, { recursive: true });
  await takeDown(name);
}

/** What is left on the machine of light hosts `name`: namespaces, its cgroup, its scratch folder, bridge (for tests). */
export async function leftovers(name: string): Promise<string[]> {
  const found = (await readdir('/run/netns').catch(() => [] as string[])).filter((ns) => new RegExp(`^${name}-\\d+$`).test(ns));
  const parent = join(await cgroupRoot(), `steer-bench-light-${name}`);
  if (await readdir(parent).then(() => true, () => false)) found.push(parent);
  if (await readdir(join(LIGHT_ROOT, name)).then(() => true, () => false)) found.push(join(LIGHT_ROOT, name));
  if (await tryRun('ip', ['link', 'show', 'dev', `${name}br`])) found.push(`link ${name}br`);
  return found;
}

/** Takes down every set of light hosts this process brought up (Ctrl-C, SIGTERM, the end of the bench). */
export async function takeDownLightHosts(): Promise<void> {
  for (const name of new Set([...live.keys(), ...stopping.keys()])) await takeDown(name).catch((err: Error) => log(err.message));
}
