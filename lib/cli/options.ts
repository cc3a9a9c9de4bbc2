// Options shared by the commands that reach hosts (run, facts, exec …) and read inventories,
// defined once: the same flag means the same thing, with the same help and checks, everywhere.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { HostKeyChecking } from '../connection/known-hosts.js';
import { UserError } from '../errors.js';
import { limitPatterns } from '../inventory/patterns.js';
import { registerSecret } from '../secrets/masker.js';
import { readHidden } from './prompt.js';

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const count = (_: string, previous: number): number => previous + 1;

/** -i/--inventory (repeatable). */
export function inventoryOption(cmd: Command): Command {
  return cmd.option('-i, --inventory <path>', 'inventory file (YAML or INI) or folder; repeat to merge several', collect, []);
}

/** -l/--limit. */
export function limitOption(cmd: Command): Command {
  return cmd.option('-l, --limit <pattern>', 'only these hosts: a pattern (web:!db, g[0], ~re) or @FILE with one host per line (a retry file)');
}

/** The options of commands that connect to hosts: forks, verbosity, host keys, become password. */
export function connectionOptions(cmd: Command, defaultForks = '10'): Command {
  return cmd
    .option('-f, --forks <n>', 'how many hosts work at the same time (a positive integer)', defaultForks)
    .option('-v, --verbose', 'more output: -v commands and their output, -vv more, -vvv connection steps and stack traces', count, 0)
    .addOption(
      new Option('--host-key-checking <mode>', 'check SSH host keys against known_hosts: strict, accept-new (trust unknown hosts once) or off').default('strict'),
    )
    .option('--become-password-file <file>', 'read the sudo password from FILE (or set STEER_BECOME_PASSWORD)')
    .option('-K, --ask-become-pass', 'ask for the sudo password on the terminal');
}

export interface ConnectionFlags {
  inventory: string[];
  limit?: string;
  forks: string;
  verbose: number;
  hostKeyChecking: string;
  becomePasswordFile?: string;
  askBecomePass?: boolean;
}

const HOST_KEY_MODES: HostKeyChecking[] = ['strict', 'accept-new', 'off'];

export function parseForks(text: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1) {
    throw new UserError(`invalid value for --forks: '${text}' (expected a positive integer)`, 'BAD_OPTION');
  }
  return Number(text);
}

export function parseHostKeyChecking(text: string): HostKeyChecking {
  if (!(HOST_KEY_MODES as string[]).includes(text)) {
    throw new UserError(`invalid value for --host-key-checking: '${text}' (expected one of: ${HOST_KEY_MODES.join(', ')})`, 'BAD_OPTION');
  }
  return text as HostKeyChecking;
}

/**
 * The --limit as one pattern (@FILE entries expanded), or undefined without --limit. A single part
 * with colons keeps a trailing comma, so that `-l '!2001:db8::1,'` is not split again at its colons.
 */
export function limitPattern(limit: string | undefined): string | undefined {
  if (limit === undefined) return undefined;
  const parts = limitPatterns(limit);
  return parts.length === 1 && parts[0]!.includes(':') ? `${parts[0]},` : parts.join(',');
}

/** Tags given as comma lists, possibly repeated. */
export function tagList(values: string[] = []): string[] {
  return values.flatMap((v) => v.split(',')).map((t) => t.trim()).filter((t) => t !== '');
}

/** The sudo password from --become-password-file, -K or STEER_BECOME_PASSWORD (registered secret). */
export async function becomePassword(opts: Pick<ConnectionFlags, 'becomePasswordFile' | 'askBecomePass'>, cwd = process.cwd()): Promise<string | undefined> {
  let password: string | undefined;
  if (opts.becomePasswordFile) {
    try {
      password = readFileSync(resolve(cwd, opts.becomePasswordFile), 'utf8').replace(/\r?\n$/, '');
    } catch {
      throw new UserError('become password file not found (expected a file holding the sudo password)', 'BAD_OPTION', { file: opts.becomePasswordFile });
    }
  } else if (opts.askBecomePass) {
    if (!process.stdin.isTTY) {
      throw new UserError('--ask-become-pass needs a terminal (expected --become-password-file FILE or STEER_BECOME_PASSWORD instead)', 'BAD_OPTION');
    }
    password = await readHidden('BECOME password: ');
  } else if (process.env['STEER_BECOME_PASSWORD'] !== undefined) {
    password = process.env['STEER_BECOME_PASSWORD'];
  }
  if (password !== undefined) registerSecret(password);
  return password;
}
