// `steer doctor -i INV [-l LIMIT]`: a health check of the cluster, read-only. It connects the way
// `steer facts` and `run` do (same inventory, --limit, connection options), runs lib/doctor's probes
// on every node at once, checks the versions against the API server's (the skew policy), prints
// one table row per node and one line per problem with what to do. Exit 1 when a problem is found.
import { Command } from 'commander';
import { HostKeyError, UnreachableError } from '../../connection/errors.js';
import { createConnection } from '../../connection/open.js';
import { ExitCode, UserError } from '../../errors.js';
import { examineNode, type NodeReport } from '../../doctor/checks.js';
import { connectionProbe } from '../../doctor/probe.js';
import { skewProblem, type Component } from '../../doctor/skew.js';
import { loadInventory } from '../../inventory/load.js';
import { applyLimit } from '../../inventory/patterns.js';
import { maskSecrets, maskValue } from '../../secrets/masker.js';
import { HostVariables } from '../../vars/host-vars.js';
import { addVaultOptions, applyVaultOptions, type VaultPasswordOptions } from '../../vault/password.js';
import { errorText, readEachHost } from '../each-host.js';
import { becomePassword, connectionOptions, inventoryOption, limitOption, parseForks, parseHostKeyChecking, type ConnectionFlags } from '../options.js';

interface DoctorOptions extends ConnectionFlags, VaultPasswordOptions {
  json?: boolean;
}

/** Doctor's own exit code: it ran, and found something wrong. */
export const PROBLEMS_FOUND = 1;
const COLUMNS = ['KUBELET', 'KUBEADM', 'KUBECTL', 'API', 'CERTS', 'ETCD', 'ETCD DISK', 'MEM CGROUP', 'SWAP', 'CLOCK', 'POWER'];
const say = (text: string): void => void process.stdout.write(maskSecrets(text) + '\n');
const warn = (line: string): void => void process.stderr.write(maskSecrets(line) + '\n');

/** Adds the skew policy's problems, against the first API server version any control plane gave. */
function checkSkew(reports: NodeReport[]): void {
  const api = reports.find((r) => r.versions.apiserver)?.versions.apiserver;
  if (!api) return;
  for (const r of reports) {
    for (const component of ['kubelet', 'kubeadm', 'kubectl'] as Component[]) {
      const version = r.versions[component];
      const problem = version && skewProblem(component, version, api);
      if (problem) r.problems.push(`${problem}: see https://kubernetes.io/releases/version-skew-policy/ (upgrade.yaml moves a cluster one minor at a time)`);
    }
  }
}

function table(reports: NodeReport[]): string {
  const header = ['HOST', ...COLUMNS];
  const rows = reports.map((r) => [r.host, ...COLUMNS.map((c) => r.seen[c] ?? '-')]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

async function runDoctor(opts: DoctorOptions): Promise<void> {
  if (opts.inventory.length === 0) throw new UserError('no inventory given (expected -i FILE or -i FOLDER)', 'BAD_OPTION');
  const forks = parseForks(opts.forks);
  await applyVaultOptions(opts);
  const inv = await loadInventory(opts.inventory, {});
  const vars = new HostVariables(inv, undefined, { forks, verbosity: opts.verbose, inventorySources: opts.inventory });
  const password = await becomePassword(opts);
  let hosts = inv.select('cluster');
  if (hosts.length === 0) hosts = inv.select('all');
  if (opts.limit !== undefined) hosts = applyLimit(inv, hosts, opts.limit, { warn });
  if (hosts.length === 0) throw new UserError('no hosts matched (check the inventory and --limit)', 'NO_HOSTS');
  const controlPlanes = new Set(inv.select('control_plane'));
  const hostKeyChecking = parseHostKeyChecking(opts.hostKeyChecking);
  const connections = hosts.map((host) =>
    createConnection(host, vars.connectionVars(host), {
      hostKeyChecking,
      connectTimeoutMs: 20_000,
      ...(password !== undefined ? { becomePassword: password } : {}),
      verbose: opts.verbose > 0 ? warn : undefined,
    }),
  );
  const outcomes = await readEachHost(connections, forks, (c) =>
    examineNode(connectionProbe(c), c.host, controlPlanes.has(c.host), vars.inventoryVars(c.host)),
  );
  const reports = hosts.map((h) => outcomes.get(h)).filter((o): o is NodeReport => o !== undefined && !(o instanceof Error));
  const failed = hosts.flatMap((h) => (outcomes.get(h) instanceof Error ? [[h, outcomes.get(h) as Error] as const] : []));
  checkSkew(reports);
  report(reports, failed, opts.json === true);
  const unreachable = failed.some(([, e]) => e instanceof UnreachableError || e instanceof HostKeyError);
  if (unreachable) process.exitCode = ExitCode.hostUnreachable;
  else if (failed.length > 0) process.exitCode = ExitCode.hostFailed;
  else if (reports.some((r) => r.problems.length > 0)) process.exitCode = PROBLEMS_FOUND;
}

function report(reports: NodeReport[], failed: (readonly [string, Error])[], json: boolean): void {
  const problems = reports.reduce((n, r) => n + r.problems.length, 0);
  if (json) {
    const errors = Object.fromEntries(failed.map(([h, e]) => [h, { message: errorText(e), unreachable: e instanceof UnreachableError || e instanceof HostKeyError }]));
    say(JSON.stringify(maskValue({ nodes: reports, errors, problems })));
    return;
  }
  say(table(reports));
  for (const [host, e] of failed) say(`${host}: ${e instanceof UnreachableError || e instanceof HostKeyError ? 'UNREACHABLE' : 'FAILED'}: ${errorText(e)}`);
  for (const r of reports) for (const w of r.warnings) say(`${r.host}: warning: ${w}`);
  for (const r of reports) for (const p of r.problems) say(`${r.host}: PROBLEM: ${p}`);
  say(problems === 0 && failed.length === 0 ? 'no problems found' : `${problems} problem${problems === 1 ? '' : 's'} found`);
}

export function registerDoctorCommand(program: Command): void {
  const command = program
    .command('doctor')
    .description('check the cluster read-only: versions and skew, certificates, etcd, swap, memory cgroup, clock, Pi power, etcd on the SD card');
  inventoryOption(command);
  limitOption(command);
  connectionOptions(command, '20');
  command.option('--json', 'print the report as one line of JSON ({nodes: [...], errors: {...}, problems: N})').addHelpText(
    'after',
    `
Examples:
  steer doctor -i inventory/home.yaml
  steer doctor -i inventory/home.yaml -l control_plane --json

Changes nothing. Exit codes: 0 healthy, 1 a problem was found (one line each, with what to do),
2 a check failed on a host, 4 a host was unreachable, 5 invalid input.`,
  );
  addVaultOptions(command).action(async (opts: DoctorOptions) => runDoctor(opts));
}
