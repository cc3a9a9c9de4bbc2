// Runs the real CLI (`node bin/steer.js …`) as a user would, capturing everything it prints.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunEvent } from '../../lib/output/events.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const steerBin = fileURLToPath(new URL('../../bin/steer.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** --json runs: the events, parsed. */
  events: (RunEvent & { time: string })[];
}

export interface RunSteerOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Send a signal this long after the start. */
  signalAfterMs?: { signal: NodeJS.Signals; ms: number };
  /** Send a signal once stdout matches (e.g. a step has started). */
  signalWhen?: { signal: NodeJS.Signals; stdout: RegExp };
}

export function runSteer(args: string[], options: RunSteerOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [steerBin, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      if (options.signalWhen && !signalled && options.signalWhen.stdout.test(stdout)) {
        signalled = true;
        child.kill(options.signalWhen.signal);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    if (options.signalAfterMs) setTimeout(() => child.kill(options.signalAfterMs!.signal), options.signalAfterMs.ms);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const events = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      resolve({ code: code ?? -1, stdout, stderr, events });
    });
  });
}

/** Step results of a --json run, as "host role : step" → status. */
export function stepStatuses(events: CliResult['events']): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of events) if (e.type === 'step-result') out.set(`${e.host} ${e.role} : ${e.step}${e.handler ? ' (handler)' : ''}`, e.status);
  return out;
}

export function recapOf(events: CliResult['events']) {
  const recap = events.find((e) => e.type === 'recap');
  if (!recap || recap.type !== 'recap') throw new Error('no recap event');
  return recap;
}
