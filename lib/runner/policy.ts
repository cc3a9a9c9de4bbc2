// The stop rules of a play, checked after each role on a batch: any_errors_fatal (one failed host
// stops the run) and max_fail_percentage (exceeded, not reached, as in Ansible).
import type { Play } from '../playbook/playbook.js';
import type { HostState } from './host-state.js';
import type { RunState } from './run-state.js';

export function applyFailurePolicy(play: Play, batch: HostState[], run: RunState): void {
  const failed = batch.filter((h) => h.status !== 'ok');
  if (play.anyErrorsFatal && failed.length > 0) run.stop(`any_errors_fatal: ${failed.map((h) => h.name).join(', ')} failed`);
  if (play.maxFailPercentage !== undefined && (failed.length / batch.length) * 100 > play.maxFailPercentage)
    run.stop(`max_fail_percentage ${play.maxFailPercentage}% exceeded (${failed.length} of ${batch.length} hosts failed)`);
}
