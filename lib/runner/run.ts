// `steer run`: load → plan → execute → report. Plays run in order; the recap, the retry file and the
// exit code come from what happened to each host.
import { basename, extname, resolve } from 'node:path';
import { ExitCode } from '../errors.js';
import { chooseRenderer } from '../output/choose.js';
import type { Renderer } from '../output/events.js';
import { writeRetryFile } from './retry-file.js';
import { Reporter } from './reporter.js';
import type { RunRequest } from './request.js';
import { RunContext } from './run-context.js';
import { runPlay } from './play.js';
import { RunStopped } from './signals.js';

/** How long running commands may go on after Ctrl-C before their connections are closed. */
const INTERRUPT_GRACE_MS = 10_000;

export async function runPlaybook(request: RunRequest, renderer?: Renderer): Promise<number> {
  const started = Date.now();
  const reporter = new Reporter(renderer ?? chooseRenderer(request));
  const limited = request.limit ? request.inventory.select(request.limit) : undefined;
  const run = new RunContext(request, reporter, limited);

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
  // The engine's clean stop replaces whatever handled signals before (the CLI's immediate exit).
  const previous = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  process.removeAllListeners('SIGINT').removeAllListeners('SIGTERM');
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    reporter.emit({ type: 'playbook-start', playbook: request.playbook.path, check: request.check });
    for (const play of request.playbook.plays) {
      if (run.stopping()) break;
      try {
        await runPlay(play, run);
      } catch (err) {
        // A stop (signal, any_errors_fatal, max_fail_percentage) ends the run, then the recap.
        if (!(err instanceof RunStopped)) throw err;
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const l of previous.SIGINT) process.on('SIGINT', l as NodeJS.SignalsListener);
    for (const l of previous.SIGTERM) process.on('SIGTERM', l as NodeJS.SignalsListener);
    if (graceTimer) clearTimeout(graceTimer);
    await run.closeAll();
  }

  const hosts = run.allHosts();
  const failed = hosts.filter((h) => h.status === 'failed').map((h) => h.name);
  const unreachable = hosts.filter((h) => h.status === 'unreachable').map((h) => h.name);
  let retryFile: string | undefined;
  if (failed.length + unreachable.length > 0) {
    const pb = request.playbook.path;
    // Where the user runs steer, never beside the playbook: that may be steer's own playbooks/.
    retryFile = request.retryFile ?? resolve(`${basename(pb, extname(pb))}.retry`);
    writeRetryFile(retryFile, [...unreachable, ...failed].sort());
  }
  if (run.stoppedBecause && !interrupted) reporter.emit({ type: 'warning', message: `run stopped: ${run.stoppedBecause}` });
  reporter.emit({
    type: 'recap',
    hosts: Object.fromEntries(reporter.counters),
    retryFile,
    interrupted,
    durationMs: Date.now() - started,
  });
  await reporter.end();

  if (interrupted) return ExitCode.interrupted;
  if (unreachable.length) return ExitCode.hostUnreachable;
  if (failed.length || run.stoppedBecause) return ExitCode.hostFailed;
  return ExitCode.ok;
}
