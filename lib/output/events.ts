// Everything the engine reports, as one union type. Renderers (live, plain, json) only consume
// these; the engine never prints.
import type { FileDiff } from '../modules/module.js';

export type ResultStatus = 'ok' | 'changed' | 'skipped' | 'failed' | 'unreachable' | 'ignored';

export interface HostCounters {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export type RunEvent =
  | { type: 'playbook-start'; playbook: string; check: boolean }
  | { type: 'play-start'; play: string; pattern: string; hosts: string[] }
  | { type: 'role-start'; play: string; role: string; hosts: string[] }
  | { type: 'step-start'; host: string; role: string; step: string; handler?: boolean }
  | {
      type: 'step-result';
      host: string;
      role: string;
      step: string;
      status: ResultStatus;
      handler?: boolean;
      /** Check mode: the change was predicted, not made. */
      checkOnly?: boolean;
      /** What changed or why it failed/skipped. */
      message?: string;
      /** Check mode: the raw `$` commands the step would run, as displayed (secrets masked). */
      wouldRun?: string[];
      diffs?: FileDiff[];
      durationMs: number;
    }
  | {
      type: 'command';
      host: string;
      command: string;
      code: number;
      stdout: string;
      stderr: string;
      durationMs: number;
      /** A raw `$` command of a role (not a probe, not a module's own command). */
      raw?: boolean;
    }
  | { type: 'warning'; host?: string; message: string }
  /** Lines for -v: a module's retries; with -vvv the connection's own steps. */
  | { type: 'log'; host: string; message: string }
  | { type: 'note'; host: string; message: string }
  | { type: 'role-host-end'; role: string; host: string; status: 'ok' | 'changed' | 'failed' | 'unreachable'; counts: { ok: number; changed: number; skipped: number } }
  | { type: 'role-end'; play: string; role: string }
  | { type: 'play-end'; play: string }
  | { type: 'recap'; hosts: Record<string, HostCounters>; retryFile?: string; interrupted: boolean; durationMs: number };

export interface Renderer {
  /** Called for each event, in order. */
  event(event: RunEvent): void;
  /** Called after each role ends on every host: the live view settles before the next role. */
  flush?(): Promise<void>;
  /** Flushes and restores the terminal. */
  end(): Promise<void>;
}

export const emptyCounters = (): HostCounters => ({
  ok: 0,
  changed: 0,
  unreachable: 0,
  failed: 0,
  skipped: 0,
  rescued: 0,
  ignored: 0,
});
