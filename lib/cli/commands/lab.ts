// `steer lab …`: real sandbox hosts on this machine (see docs/lab.md). The work is in lab/lab.ts,
// shared with the tests; this file parses options and prints.
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { maskSecrets } from '../../secrets/masker.js';
import {
  DEFAULT_INVENTORY, DEFAULT_LAB, addDisk, cutHost, findHost, healHost, labDown, labStatus, labUp, parseDiskSize,
  removeDisk, requireState, startHost, stopHost, type DiskInfo, type LabHostStatus,
} from '../../../lab/lab.js';
import { checkController } from '../../../lab/preflight.js';
import { runAttached } from '../../../lab/run.js';
import { sshArgs } from '../../../lab/ssh.js';

const say = (line: string) => process.stdout.write(maskSecrets(line) + '\n');
const note = (line: string) => process.stderr.write(maskSecrets(`steer lab: ${line}`) + '\n');

interface NameOption {
  name: string;
}

function integer(option: string, min: number) {
  return (text: string): number => {
    if (!/^\s*\d+\s*$/.test(text) || Number(text) < min) throw new UserError(`invalid value for ${option}: '${text}' (expected an integer ≥ ${min})`, 'BAD_OPTION');
    return Number(text);
  };
}

function seconds(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new UserError(`invalid value for --boot-delay: '${text}' (expected seconds ≥ 0)`, 'BAD_OPTION');
  return value;
}

export function formatStatusTable(hosts: readonly LabHostStatus[]): string {
  const rows = [['HOST', 'ADDRESS', 'STATE', 'BOOT ID'], ...hosts.map((h) => [h.name, h.address, h.power + (h.cut ? ' (cut)' : ''), h.bootId ?? '-'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

export function registerLabCommand(program: Command): void {
  const lab = program
    .command('lab')
    .description('real sandbox hosts on this Linux machine (systemd-nspawn + network namespaces + sshd), to try playbooks and rehearse faults');

  const withName = (cmd: Command) => cmd.option('--name <name>', 'which lab', DEFAULT_LAB);

  withName(lab.command('up').argument('[hosts]', 'number of hosts', integer('hosts', 1), 3))
    .description('boot a lab of N hosts and write its inventory')
    .option('-i, --inventory <path>', 'where to write the inventory', DEFAULT_INVENTORY)
    .option('--boot-delay <seconds>', 'how long a rebooting host stays down', seconds, 0)
    .action(async (hosts: number, options: NameOption & { inventory: string; bootDelay: number }) => {
      const info = await labUp({ name: options.name, hosts, inventoryPath: options.inventory, bootDelay: options.bootDelay, log: note });
      say(formatStatusTable(await labStatus(info.name)));
      say(`inventory: ${info.inventoryPath}`);
      say(`packages:  ${info.repoUrl}/`);
      say(`lab "${info.name}" is up in ${info.timings.total?.toFixed(1)} s; ssh with: steer lab ssh ${info.hosts[0]?.name}${info.name === DEFAULT_LAB ? '' : ` --name ${info.name}`}`);
    });

  withName(lab.command('down'))
    .description('remove every process, mount, namespace, link and file of a lab (idempotent)')
    .action(async (options: NameOption) => {
      say((await labDown(options.name)) ? `lab "${options.name}" is down` : `lab "${options.name}" was not up`);
    });

  withName(lab.command('status'))
    .description('show the hosts of a lab: address, power state, boot id')
    .option('--json', 'print JSON')
    .action(async (options: NameOption & { json?: boolean }) => {
      await checkController();
      const hosts = await labStatus(options.name);
      say(options.json ? JSON.stringify(hosts, null, 2) : formatStatusTable(hosts));
    });

  withName(lab.command('ssh').argument('<host>').argument('[command...]', 'command to run instead of a shell'))
    .description('open a shell (or run a command) on a lab host as pi')
    .action(async (host: string, command: string[], options: NameOption) => {
      await checkController();
      const state = await requireState(options.name);
      const target = findHost(state, host);
      // A terminal for interactive use; none when piped, so output stays clean.
      process.exitCode = await runAttached('ssh', [...sshArgs(state, target, process.stdin.isTTY ? ['-t'] : []), ...command]);
    });

  const fault = (name: string, description: string, act: (lab: string, host: string) => Promise<void>, done: string) =>
    withName(lab.command(name).argument('<host>'))
      .description(description)
      .action(async (host: string, options: NameOption) => {
        await act(options.name, host);
        say(`${host}: ${done}`);
      });
  fault('stop', 'power a host off (cleanly); it stays off until `start`', stopHost, 'powered off');
  fault('start', 'power a stopped host on and wait until it answers SSH', startHost, 'running');
  fault('cut', 'partition a host: it keeps running but cannot be reached', cutHost, 'network cut');
  fault('heal', 'reconnect a partitioned host', healHost, 'network restored');

  registerDiskCommands(lab, withName);
}

/** "1.0 GiB" */
function formatSize(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

export function formatDisk(d: DiskInfo, plugged: boolean): string {
  const what = `${d.host}: disk UUID=${d.uuid} (ext4, ${formatSize(d.sizeBytes)})`;
  if (plugged) return `${what} plugged in as ${d.device}`;
  return d.stillInUse
    ? `${what} unplugged; still mounted on the running host, so its data stays reachable there until the host unmounts it or reboots`
    : `${what} unplugged`;
}

function registerDiskCommands(lab: Command, withName: (cmd: Command) => Command): void {
  const disk = lab.command('disk').description("a lab host's USB disk: a real block device with an ext4 filesystem (see docs/lab.md)");
  withName(disk.command('add').argument('<host>'))
    .description('plug a disk into a host (made the first time; the same disk, same UUID and data, after a remove)')
    .option('--size <size>', 'size of a new disk (32M to 64G; default 1G, sparse)', parseDiskSize)
    .action(async (host: string, options: NameOption & { size?: number }) => {
      say(formatDisk(await addDisk(options.name, host, options.size), true));
    });
  withName(disk.command('remove').argument('<host>'))
    .description('unplug a host\'s disk, to rehearse a missing or dead disk (its image is kept for a later add)')
    .action(async (host: string, options: NameOption) => {
      say(formatDisk(await removeDisk(options.name, host), false));
    });
}
