// Runs programs on the controller for the lab. Arguments go to execFile as an array, never through a
// shell, so names and paths are data. Failures carry the program's stderr for the user.
import { execFile, spawn } from 'node:child_process';
import { SteerError } from '../lib/errors.js';

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

export class LabCommandError extends SteerError {
  constructor(
    readonly argv: readonly string[],
    readonly exitStatus: number | null,
    readonly stderr: string,
  ) {
    super(`lab: \`${argv.join(' ')}\` failed (exit ${exitStatus ?? 'signal'}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`, 'LAB_COMMAND_FAILED');
    this.name = 'LabCommandError';
  }
}

/** Runs a program and returns its stdout; throws LabCommandError on a non-zero exit. */
export function run(program: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      program,
      args as string[],
      {
        env: options.env ?? process.env,
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 0,
        maxBuffer: 256 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error) {
          const code = typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : null;
          reject(new LabCommandError([program, ...args], code, stderr || error.message));
        } else resolve(stdout);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs a program for its side effect, ignoring failure (cleanup of things that may not exist). */
export async function tryRun(program: string, args: readonly string[], options: RunOptions = {}): Promise<boolean> {
  try {
    await run(program, args, options);
    return true;
  } catch {
    return false;
  }
}

/** Runs a program with the user's terminal attached (ssh sessions); resolves with its exit status. */
export function runAttached(program: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args as string[], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
