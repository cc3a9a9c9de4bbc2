// The execute stage of `steer run` (load → plan → execute → report): the plan's plays in order;
// the recap, the retry file and the exit code come from what happened to each host.
import { basename, extname, resolve } from 'node:path';
import { ExitCode, RunStopped } from '../errors.js';
import { chooseRenderer } from '../output/choose.js';
import type { Renderer } from '../output/events.js';
import { writeRetryFile } from './retry-file.js';
import { Reporter } from './reporter.js';
import type { RunPlan } from '../plan/plan.js';
import { handleInterrupts } from './interrupt.js';
import { runPlay } from './play.js';
import { RunState } from './run-state.js';

/** Executes a plan; returns the exit code (ExitCode). Never throws for what happens on hosts. */
export async function runPlaybook(plan: RunPlan, renderer?: Renderer): Promise<number> {
  const started = Date.now();
  const { playbook, options } = plan.input;
  const reporter = new Reporter(renderer ?? chooseRenderer(options));
  const run = new RunState(plan, reporter);
  const signals = handleInterrupts(run, reporter);
  try {
    reporter.emit({ type: 'playbook-start', playbook: playbook.path, check: options.check });
    for (const play of plan.plays) {
      if (run.stopping()) break;
      try {
        await runPlay(play, run);
      } catch (err) {
        // A stop (signal, any_errors_fatal, max_fail_percentage) ends the run, then the recap.
        if (!(err instanceof RunStopped)) throw err;
      }
    }
  } finally {
    signals.dispose();
    await run.closeAll();
  }
  return report(run, reporter, signals.interrupted, Date.now() - started);
}

/** The report stage: retry file, recap, exit code. */
async function report(run: RunState, reporter: Reporter, interrupted: boolean, durationMs: number): Promise<number> {
  const { playbook, options } = run.plan.input;
  const hosts = run.allHosts();
  const failed = hosts.filter((h) => h.status === 'failed').map((h) => h.name);
  const unreachable = hosts.filter((h) => h.status === 'unreachable').map((h) => h.name);
  let retryFile: string | undefined;
  if (failed.length + unreachable.length > 0 && options.retryFile !== false) {
    const pb = playbook.path;
    // Where the user runs steer, never beside the playbook: that may be steer's own playbooks/.
    retryFile = options.retryFile ?? resolve(`${basename(pb, extname(pb))}.retry`);
    writeRetryFile(retryFile, [...unreachable, ...failed].sort());
  }
  if (run.stoppedBecause && !interrupted) reporter.emit({ type: 'warning', message: `run stopped: ${run.stoppedBecause}` });
  reporter.emit({ type: 'recap', hosts: Object.fromEntries(reporter.counters), retryFile, interrupted, durationMs });
  await reporter.end();
  if (interrupted) return ExitCode.interrupted;
  if (unreachable.length) return ExitCode.hostUnreachable;
  if (failed.length || run.stoppedBecause) return ExitCode.hostFailed;
  return ExitCode.ok;
}
