// Runs one fuzz case per message, in a worker thread, so a case that loops forever can be ended from
// outside (the loaders are synchronous: a timer in the same thread would never fire).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { Command } from 'commander';
import { registerRunCommand } from '../../lib/cli/commands/run.js';
import { reportError } from '../../lib/cli/report-error.js';
import { SteerError, UserError } from '../../lib/errors.js';
import { inventoryList } from '../../lib/inventory/ansible-json.js';
import { loadInventorySync } from '../../lib/inventory/load.js';
import { PlaybookErrors, loadPlaybook } from '../../lib/playbook/load.js';
import { loadRoleVariables } from '../../lib/playbook/role-variables.js';
import { setVaultPassword } from '../../lib/vault/context.js';
import { parseExtraVars } from '../../lib/vars/extra-vars.js';

export type Target = 'inventory-yaml' | 'inventory-ini' | 'inventory-noext' | 'group-vars' | 'playbook' | 'variables' | 'extra-vars' | 'extra-vars-file' | 'cli';

export interface FuzzCase {
  id: number;
  target: Target;
  /** The fuzzed file (or, for extra-vars, the -e option text as UTF-8). */
  data: Uint8Array;
  /** For 'cli': the -e option given with the fuzzed playbook. */
  extra?: string;
  /** The vault password the loaders get (undefined: none). */
  vaultPassword?: string;
}

export interface Located {
  file?: string;
  line?: number;
  col?: number;
}

export type Outcome = { warnings?: string[] } & (
  | { id: number; kind: 'ok' }
  | { id: number; kind: 'user-error'; errors: { message: string; code: string; location?: Located }[] }
  | { id: number; kind: 'crash'; name: string; message: string; stack?: string }
  | { id: number; kind: 'cli'; exitCode: number; stderr: string; stdout: string }
);

const { base, rolesPath } = workerData as { base: string; rolesPath: string };

/** A playbook of a known-good shape around the fuzzed file, for the targets that need one. */
const GOOD_PLAYBOOK = '- hosts: all\n  roles: []\n';

function caseDir(): string {
  return mkdtempSync(join(base, 'case-'));
}

/** Touches what an inventory computes lazily (merged host vars, listing), as `steer inventory` would. */
function exercise(inventoryPath: string[]): void {
  const inv = loadInventorySync(inventoryPath);
  for (const host of inv.hosts.keys()) inv.hostVars(host);
  inventoryList(inv, {});
}

async function runTarget(c: FuzzCase, dir: string): Promise<Outcome | undefined> {
  const data = Buffer.from(c.data);
  switch (c.target) {
    case 'inventory-yaml':
      writeFileSync(join(dir, 'hosts.yaml'), data);
      exercise([join(dir, 'hosts.yaml')]);
      return undefined;
    case 'inventory-ini':
      writeFileSync(join(dir, 'hosts.ini'), data);
      exercise([join(dir, 'hosts.ini')]);
      return undefined;
    case 'inventory-noext':
      writeFileSync(join(dir, 'hosts'), data);
      exercise([join(dir, 'hosts')]);
      return undefined;
    case 'group-vars':
      writeFileSync(join(dir, 'hosts.yaml'), 'all:\n  children:\n    web:\n      hosts:\n        w1:\n');
      mkdirSync(join(dir, 'group_vars'));
      writeFileSync(join(dir, 'group_vars', 'web.yaml'), data);
      exercise([join(dir, 'hosts.yaml')]);
      return undefined;
    case 'playbook':
      mkdirSync(join(dir, 'vars'));
      writeFileSync(join(dir, 'vars', 'common.yaml'), 'greeting: hi\n');
      writeFileSync(join(dir, 'play.yaml'), data);
      await loadPlaybook(join(dir, 'play.yaml'), { cwd: dir, rolesPath: [rolesPath] });
      return undefined;
    case 'variables':
      mkdirSync(join(dir, 'role'));
      writeFileSync(join(dir, 'role', 'role.ts'), 'export default {};\n');
      writeFileSync(join(dir, 'role', 'variables.yaml'), data);
      loadRoleVariables(join(dir, 'role'));
      return undefined;
    case 'extra-vars':
      parseExtraVars([data.toString('utf8')], dir);
      return undefined;
    case 'extra-vars-file':
      writeFileSync(join(dir, 'vars.yaml'), data);
      parseExtraVars(['@vars.yaml'], dir);
      return undefined;
    case 'cli': {
      writeFileSync(join(dir, 'play.yaml'), c.extra === undefined ? data : GOOD_PLAYBOOK);
      const extra = c.extra === undefined ? [] : ['-e', c.extra];
      return runCli(c.id, ['run', join(dir, 'play.yaml'), '--syntax-check', '--roles-path', rolesPath, ...extra]);
    }
  }
}

/** `steer …` in-process, as bin/steer.js runs it: everything it prints is captured. */
async function runCli(id: number, args: string[]): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const io = { out: (line: string) => void (stdout += line + '\n'), err: (line: string) => void (stderr += line + '\n') };
  const program = new Command('steer').exitOverride().configureOutput({ writeOut: (s) => void (stdout += s), writeErr: (s) => void (stderr += s) });
  registerRunCommand(program, async () => {
    throw new Error('the engine must not run for --syntax-check');
  }, io);
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stderr.write;
  process.exitCode = undefined;
  let exitCode: number;
  try {
    await program.parseAsync(['node', 'steer', ...args]);
    exitCode = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    exitCode = reportError(err, false);
  } finally {
    process.stderr.write = write;
    process.exitCode = undefined;
  }
  return { id, kind: 'cli', exitCode, stderr, stdout };
}

function describe(id: number, err: unknown): Outcome {
  if (err instanceof PlaybookErrors) {
    return { id, kind: 'user-error', errors: err.errors.map((e) => ({ message: e.message, code: e.code, location: e.location })) };
  }
  if (err instanceof UserError) return { id, kind: 'user-error', errors: [{ message: err.message, code: err.code, location: err.location }] };
  if (err instanceof Error) return { id, kind: 'crash', name: err instanceof SteerError ? `SteerError(${err.code})` : err.name, message: err.message, stack: err.stack };
  return { id, kind: 'crash', name: typeof err, message: String(err) };
}

// Node warnings (e.g. from the YAML library) would reach users' terminals as `(node:PID) Warning:`.
let warnings: string[] = [];
process.on('warning', (w) => void warnings.push(`${w.name}: ${w.message}`));

parentPort!.on('message', async (c: FuzzCase) => {
  setVaultPassword(c.vaultPassword);
  warnings = [];
  const dir = caseDir();
  let outcome: Outcome;
  try {
    outcome = (await runTarget(c, dir)) ?? { id: c.id, kind: 'ok' };
  } catch (err) {
    outcome = describe(c.id, err);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Warnings are emitted on the next tick.
  await new Promise((r) => setImmediate(r));
  parentPort!.postMessage({ ...outcome, warnings });
});

// Loading the modules above takes a while under tsx: the per-case deadline starts after this.
parentPort!.postMessage({ ready: true });
