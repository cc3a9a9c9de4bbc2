// A fresh machine for one command: a copy-on-write overlay over the clean root (test/support/
// clean-root.ts) with only this machine's Node binary and npm added and this checkout's files copied
// in as a fresh clone has them, run with systemd-nspawn on the host's network (the npm and Debian
// registries). remove() takes everything away (processes, cgroups, mounts, files); a run whose test
// process was killed is swept by the next one.
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { removeTree } from '../../lab/mounts.js';
import { isAlive, signal } from '../../lab/processes.js';
import { run, sleep } from '../../lab/run.js';

const WORK_PARENT = '/var/tmp';
const WORK_PREFIX = 'steer-clean-machine-';
/** Where the checkout goes inside: a fresh clone in root's home. */
export const CLONE_DIR = '/root/steer';

/** Where the host's extra CA certificates go inside (see addHostTrust). */
const HOST_CA_FILE = '/etc/steer-host-extra-ca.pem';

export interface CleanMachine {
  /** The machine's root (the overlay), for inspection. */
  root: string;
  /** Environment the machine needs from the host (its TLS trust), to pass to run(). */
  hostEnv: Record<string, string>;
  /** Runs `sh -c command` inside as root in the clone; resolves with its exit code and output. */
  run(command: string, options: { env: Record<string, string>; timeoutMs: number; onLine?: (line: string) => void }): Promise<{ code: number; output: string }>;
  remove(): Promise<void>;
}

/** Overlay over `lowerRoot`, with Node, npm and the tracked files of `checkout` added. */
export async function startCleanMachine(lowerRoot: string, checkout: string): Promise<CleanMachine> {
  await sweepAbandoned();
  const work = await mkdtemp(join(WORK_PARENT, `${WORK_PREFIX}${process.pid}-`));
  const root = join(work, 'root');
  const machine = `steer-clean-${process.pid}`;
  const remove = () => removeMachine(work, machine);
  let hostEnv: Record<string, string>;
  try {
    for (const dir of ['upper', 'work', 'root']) await mkdir(join(work, dir));
    await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowerRoot},upperdir=${join(work, 'upper')},workdir=${join(work, 'work')}`, root]);
    await addNode(root);
    await copyClone(checkout, join(root, CLONE_DIR.slice(1)), work);
    hostEnv = await addHostTrust(root);
  } catch (err) {
    await remove();
    throw err;
  }
  return {
    root,
    hostEnv,
    run: (command, options) => runInside({ root, machine, work, command, ...options }),
    remove,
  };
}

/** This machine's node binary and its npm (the one running the tests, else the one on PATH). */
async function addNode(root: string): Promise<void> {
  await cp(process.execPath, join(root, 'usr/local/bin/node'), { preserveTimestamps: true });
  const npmCli = realpathSync(process.env['npm_execpath'] ?? (await run('sh', ['-c', 'command -v npm'])).trim());
  const npmDir = dirname(dirname(npmCli));
  await cp(npmDir, join(root, 'usr/local/lib/node_modules/npm'), { recursive: true, preserveTimestamps: true });
  await symlink('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
  await symlink('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));
}

/**
 * The machine shares the host's network, so it needs the host's trust for it: where the host adds
 * CA certificates for Node (NODE_EXTRA_CA_CERTS, e.g. a TLS-inspecting proxy's), the machine gets a
 * copy of that file. Nothing else of the host's configuration goes in.
 */
async function addHostTrust(root: string): Promise<Record<string, string>> {
  const extra = process.env['NODE_EXTRA_CA_CERTS'];
  if (!extra || !existsSync(extra)) return {};
  await cp(extra, join(root, HOST_CA_FILE.slice(1)));
  return { NODE_EXTRA_CA_CERTS: HOST_CA_FILE };
}

/** The files a clone would have once the work is committed: tracked, plus new files not ignored. */
async function copyClone(checkout: string, target: string, work: string): Promise<void> {
  const list = join(work, 'files');
  await writeFile(list, await run('git', ['-C', checkout, 'ls-files', '-z', '--cached', '--others', '--exclude-standard', '--deduplicate']));
  const archive = join(work, 'clone.tar');
  // Deleted but not yet committed files are listed by --cached: tar skips them with a warning.
  await run('tar', ['-C', checkout, '--null', '--verbatim-files-from', '--ignore-failed-read', '-T', list, '-cf', archive]);
  await mkdir(target, { recursive: true });
  await run('tar', ['-C', target, '-xf', archive]);
  await rm(archive);
}

interface InsideRun {
  root: string;
  machine: string;
  work: string;
  command: string;
  env: Record<string, string>;
  timeoutMs: number;
  onLine?: (line: string) => void;
}

/**
 * systemd-nspawn with a stub init (--as-pid2), the host's network and resolv.conf. nspawn --keep-unit
 * splits the cgroup it starts in, so (like lab/supervise-host.sh) it starts in cgroups of its own.
 */
async function runInside(r: InsideRun): Promise<{ code: number; output: string }> {
  const cgroups = await ownCgroups(r.machine, r.work);
  const nspawn = [
    'systemd-nspawn', '--quiet', '--register=no', '--keep-unit', '--as-pid2', `--machine=${r.machine}`, `--directory=${r.root}`,
    '--resolv-conf=copy-host', '--timezone=off', '--link-journal=no', '--console=pipe', `--chdir=${CLONE_DIR}`,
    ...Object.entries(r.env).map(([k, v]) => `--setenv=${k}=${v}`),
    '--', '/bin/sh', '-c', r.command,
  ];
  // The wrapper moves itself into the cgroups, then becomes nspawn.
  const enter = 'while [ "$1" != -- ]; do echo $$ > "$1/cgroup.procs" || exit 125; shift; done; shift; exec "$@"';
  const child = spawn('sh', ['-c', enter, 'sh', ...cgroups, '--', ...nspawn], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let partial = '';
  const take = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const line of lines) r.onLine?.(line);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  // SIGTERM makes nspawn end the container; what is left after a grace period is killed.
  const timer = setTimeout(() => {
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
  }, r.timeoutMs);
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status, sig) => resolve(status ?? (sig ? 128 : 1)));
  }).finally(() => clearTimeout(timer));
  if (partial) r.onLine?.(partial);
  return { code, output };
}

/**
 * A cgroup named `name` under ours in the unified and the name=systemd hierarchies (those nspawn
 * uses), recorded in WORK/cgroups first so that removeMachine finds them even after a crash.
 */
async function ownCgroups(name: string, work: string): Promise<string[]> {
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  const unified = mounts.split('\n').find((l) => l.split(' ')[2] === 'cgroup2')?.split(' ')[1];
  const dirs: string[] = [];
  for (const line of (await readFile('/proc/self/cgroup', 'utf8')).split('\n').filter(Boolean)) {
    const [, controllers, path] = line.split(':') as [string, string, string];
    const mountPoint = controllers === '' ? unified : controllers === 'name=systemd' ? '/sys/fs/cgroup/systemd' : undefined;
    if (mountPoint) dirs.push(join(mountPoint, path, name));
  }
  await writeFile(join(work, 'cgroups'), dirs.map((d) => `${d}\n`).join(''));
  for (const dir of dirs) await mkdir(dir, { recursive: true });
  return dirs;
}

/** Ends what still runs in the machine's cgroups, then removes them, its nspawn leftovers and files. */
async function removeMachine(work: string, machine: string): Promise<void> {
  const cgroups = (await readFile(join(work, 'cgroups'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  for (let round = 0; round < 50 && (await killCgroups(cgroups)) > 0; round++) await sleep(100);
  await removeCgroups(cgroups);
  await rm(`/run/systemd/nspawn/propagate/${machine}`, { recursive: true, force: true });
  await removeTree(work);
}

/** SIGKILLs every process in the cgroups and below; how many there were. */
async function killCgroups(dirs: string[]): Promise<number> {
  let found = 0;
  for (const dir of dirs) {
    const children = await readdir(dir, { withFileTypes: true }).catch(() => []);
    found += await killCgroups(children.filter((c) => c.isDirectory()).map((c) => join(dir, c.name)));
    const pids = (await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
    for (const pid of pids) signal(pid, 'SIGKILL');
    found += pids.length;
  }
  return found;
}

/** Removes the cgroups (deepest first: nspawn made `payload` and `supervisor` inside them). */
async function removeCgroups(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    const children = await readdir(dir, { withFileTypes: true }).catch(() => []);
    await removeCgroups(children.filter((c) => c.isDirectory()).map((c) => join(dir, c.name)));
    await rmdir(dir).catch(() => {});
  }
}

/** Machines left by a test process that was killed: its pid is in the folder's name. */
async function sweepAbandoned(): Promise<void> {
  for (const name of await readdir(WORK_PARENT)) {
    const pid = Number(new RegExp(`^${WORK_PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || (await isAlive(pid))) continue;
    await removeMachine(join(WORK_PARENT, name), `steer-clean-${pid}`);
  }
}
