// Helpers for the reliability tests: a `steer run --json` whose events can be awaited while it
// runs (to strike a host in the middle of a step), and small host-side checks.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, steerBin, type CliResult } from '../support/steer-cli.js';

export const fixtures = join(repoRoot, 'test/fixtures/reliability');
export const playbook = (name: string): string => join(fixtures, name);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export type Event = CliResult['events'][number];
export type StepResultEvent = Extract<Event, { type: 'step-result' }>;

export interface LiveRun {
  pid: number;
  events: Event[];
  /** Resolves with the first event (already seen or still to come) that matches. */
  waitFor(match: (e: Event) => boolean, timeoutMs?: number): Promise<Event>;
  signal(signal: NodeJS.Signals): void;
  done: Promise<CliResult>;
}

/** Starts `steer ARGS` (give it --json) and parses its events as they arrive. */
export function startSteer(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): LiveRun {
  const child = spawn(process.execPath, [steerBin, ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Event[] = [];
  const waiters: { match: (e: Event) => boolean; resolve: (e: Event) => void }[] = [];
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
    pending += d;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const event = JSON.parse(line) as Event;
      events.push(event);
      for (const w of [...waiters]) {
        if (!w.match(event)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(event);
      }
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
  let exited = false;
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      exited = true;
      clearTimeout(killer);
      resolve({ code: code ?? -1, stdout, stderr, events });
    });
  });
  return {
    pid: child.pid!,
    events,
    signal: (s) => child.kill(s),
    done,
    waitFor(match, timeoutMs = 120_000) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching event within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`)), timeoutMs);
        const waiter = {
          match,
          resolve: (e: Event) => {
            clearTimeout(timer);
            resolve(e);
          },
        };
        waiters.push(waiter);
        void done.then(() => {
          if (!exited || !waiters.includes(waiter)) return;
          clearTimeout(timer);
          reject(new Error(`steer exited before a matching event; stderr: ${stderr.slice(-2000)}`));
        });
      });
    },
  };
}

export const stepResults = (events: Event[]): StepResultEvent[] => events.filter((e): e is StepResultEvent => e.type === 'step-result');

/** The result of one step on one host, or undefined. */
export function stepResult(events: Event[], host: string, step: string): StepResultEvent | undefined {
  return stepResults(events).find((e) => e.host === host && e.step === step);
}

/** When an event was emitted (ms since the epoch). */
export const eventTime = (e: Event): number => Date.parse(e.time);
