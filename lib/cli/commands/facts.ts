// `steer facts`: connects to the selected hosts (all at once), gathers their facts in one round trip
// each and prints them as a table or, with --json, as one JSON document.
import { Command } from 'commander';
import type { Connection } from '../../connection/connection.js';
import { HostKeyError, UnreachableError } from '../../connection/errors.js';
import { createConnection } from '../../connection/open.js';
import { ExitCode, SteerError, UserError } from '../../errors.js';
import type { Facts } from '../../facts/facts.js';
import { gatherFacts } from '../../facts/gather.js';
import { loadInventory } from '../../inventory/load.js';
import { applyLimit } from '../../inventory/patterns.js';
import { maskSecrets, maskValue } from '../../secrets/masker.js';
import { HostVariables } from '../../vars/host-vars.js';
import { addVaultOptions, applyVaultOptions, type VaultPasswordOptions } from '../../vault/password.js';
import { errorText, readEachHost } from '../each-host.js';
import { becomePassword, connectionOptions, inventoryOption, limitOption, parseForks, parseHostKeyChecking, type ConnectionFlags } from '../options.js';

interface FactsOptions extends ConnectionFlags, VaultPasswordOptions {
  json?: boolean;
  timeout: string;
}

type Outcome = { facts: Facts } | { error: Error };

const say = (text: string): void => void process.stdout.write(maskSecrets(text) + '\n');
const warn = (line: string): void => void process.stderr.write(maskSecrets(line) + '\n');

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${name} must be a positive whole number, not ${JSON.stringify(value)}`, 'BAD_OPTION');
  return n;
}

async function runFacts(opts: FactsOptions): Promise<void> {
  if (opts.inventory.length === 0) throw new UserError('no inventory given (expected -i FILE or -i FOLDER)', 'BAD_OPTION');
  const forks = parseForks(opts.forks);
  const timeoutMs = positive(opts.timeout, '--timeout') * 1000;
  const hostKeyChecking = parseHostKeyChecking(opts.hostKeyChecking);
  await applyVaultOptions(opts);
  const inv = await loadInventory(opts.inventory, {});
  // The same variables a run connects with: templates rendered, magic variables known.
  const vars = new HostVariables(inv, undefined, { forks, verbosity: opts.verbose, inventorySources: opts.inventory });
  const password = await becomePassword(opts);
  let hosts = inv.select('all');
  if (opts.limit !== undefined) hosts = applyLimit(inv, hosts, opts.limit, { warn });
  if (hosts.length === 0) throw new UserError('no hosts matched (check the inventory and --limit)', 'NO_HOSTS');

  const outcomes = new Map<string, Outcome>();
  const connections: Connection[] = [];
  for (const host of hosts) {
    try {
      connections.push(
        createConnection(host, vars.connectionVars(host), {
          hostKeyChecking,
          connectTimeoutMs: timeoutMs,
          ...(password !== undefined ? { becomePassword: password } : {}),
          verbose: opts.verbose > 0 ? warn : undefined,
        }),
      );
    } catch (error) {
      outcomes.set(host, { error: error as Error });
    }
  }
  const read = await readEachHost(connections, forks, gatherFacts);
  for (const [host, r] of read) outcomes.set(host, r instanceof Error ? { error: r } : { facts: r });

  const ordered = hosts.map((h) => [h, outcomes.get(h)!] as const);
  if (opts.json) say(JSON.stringify(maskValue(jsonReport(ordered)), null, 2));
  else say(table(ordered));
  const errors = ordered.map(([, o]) => ('error' in o ? o.error : undefined)).filter((e) => e !== undefined);
  if (errors.some((e) => e instanceof UnreachableError || e instanceof HostKeyError)) process.exitCode = ExitCode.hostUnreachable;
  else if (errors.length > 0) process.exitCode = ExitCode.hostFailed;
}


function jsonReport(rows: (readonly [string, Outcome])[]): Record<string, unknown> {
  const facts: Record<string, Facts> = {};
  const errors: Record<string, { code: string; message: string; unreachable: boolean }> = {};
  for (const [host, o] of rows) {
    if ('facts' in o) facts[host] = o.facts;
    else {
      const e = o.error;
      errors[host] = {
        code: e instanceof SteerError ? e.code : 'INTERNAL',
        message: errorText(e),
        unreachable: e instanceof UnreachableError || e instanceof HostKeyError,
      };
    }
  }
  return { facts, errors };
}

function arch(f: Facts): string {
  const variant = f.armVariant === 'other' ? f.machine : f.armVariant;
  // The case that surprises: a 64-bit kernel under a 32-bit user space.
  return f.userspaceBits === 32 && /64/.test(f.machine) ? `${variant} (${f.machine} kernel)` : variant;
}

function row(f: Facts): string[] {
  const swap = f.memory.swapTotalMb > 0 ? `${f.memory.swapTotalMb} MB` : 'off';
  const memoryCgroup = f.cgroup.controllers.includes('memory') ? 'memory' : 'no memory';
  return [
    f.os.prettyName || `${f.os.id} ${f.os.versionId}`.trim(),
    arch(f),
    f.kernel,
    `v${f.cgroup.version}, ${memoryCgroup}`,
    `${f.memory.totalMb} MB`,
    swap,
    f.defaultIpv4 || '-',
  ];
}

function table(rows: (readonly [string, Outcome])[]): string {
  const header = ['HOST', 'OS', 'ARCH', 'KERNEL', 'CGROUP', 'MEMORY', 'SWAP', 'IP'];
  const cells = rows.filter(([, o]) => 'facts' in o).map(([host, o]) => [host, ...row((o as { facts: Facts }).facts)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  const out = [line(header), ...cells.map(line)];
  for (const [host, o] of rows) {
    if (!('error' in o)) continue;
    const kind = o.error instanceof UnreachableError || o.error instanceof HostKeyError ? 'UNREACHABLE' : 'FAILED';
    out.push(`${host}: ${kind}: ${errorText(o.error)}`);
  }
  return out.join('\n');
}

export function registerFactsCommand(program: Command): void {
  const command = program
    .command('facts')
    .description('connect to hosts and show their facts (OS, architecture, kernel, cgroups, memory, swap, address)');
  inventoryOption(command);
  limitOption(command);
  connectionOptions(command, '20');
  command
    .option('--json', 'print every fact as JSON ({facts: {host: …}, errors: {host: …}})')
    .option('-T, --timeout <seconds>', 'connection timeout', '10')
    .addHelpText(
      'after',
      `
Examples:
  steer facts -i inventory/home.yaml
  steer facts -i inventory/home.yaml -l workers --json

Exit code 4 when a host is unreachable, 2 when gathering failed on one.`,
    );
  addVaultOptions(command).action(async (opts: FactsOptions) => runFacts(opts));
}
