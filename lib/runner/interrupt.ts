// A clean stop on Ctrl-C or SIGTERM, as Ansible users expect of a run: the running commands finish
// (or are cut when their connections close after a grace period, or at a second signal), no new
// step starts, and the recap is printed. While a run goes on, this replaces whatever handled the
// signals before (the CLI's immediate exit), and puts it back afterwards.
import type { Reporter } from './reporter.js';
import type { RunState } from './run-state.js';

/** How long running commands may go on after Ctrl-C before their connections are closed. */
export const INTERRUPT_GRACE_MS = 10_000;

export interface InterruptHandling {
  /** Whether a signal arrived. */
  readonly interrupted: boolean;
  /** Removes the handlers, restores the previous ones. */
  dispose(): void;
}

export function handleInterrupts(run: RunState, reporter: Reporter): InterruptHandling {
  let interrupted = false;
  let graceTimer: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      void run.closeAll(); // a second signal: stop waiting
      return;
    }
    interrupted = true;
    run.stop(`interrupted by ${signal}`);
    reporter.emit({ type: 'warning', message: `${signal}: finishing the running steps, starting no new ones` });
    graceTimer = setTimeout(() => void run.closeAll(), INTERRUPT_GRACE_MS);
    graceTimer.unref();
  };
  const previous = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  process.removeAllListeners('SIGINT').removeAllListeners('SIGTERM');
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get interrupted() {
      return interrupted;
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      for (const l of previous.SIGINT) process.on('SIGINT', l as NodeJS.SignalsListener);
      for (const l of previous.SIGTERM) process.on('SIGTERM', l as NodeJS.SignalsListener);
      if (graceTimer) clearTimeout(graceTimer);
    },
  };
}
