// The stop rules of a play, as Ansible applies them: any_errors_fatal (the play's, or a role
// entry's) and max_fail_percentage (exceeded, not reached) are checked as soon as a step fails a
// host, so no further step starts; a batch whose hosts all failed stops the play and the playbook.
import type { Play, RoleRef } from '../playbook/playbook.js';
import type { HostState } from './host-state.js';
import type { RunState } from './run-state.js';

/** Checks the stop rules after a failure in `role` on `batch`; stops the run when one is met. */
export function applyFailurePolicy(play: Play, role: RoleRef, batch: HostState[], run: RunState): void {
  const failed = batch.filter((h) => h.status !== 'ok');
  if (failed.length === 0) return;
  if (play.anyErrorsFatal || role.anyErrorsFatal) run.stop(`any_errors_fatal: ${failed.map((h) => h.name).join(', ')} failed`);
  if (play.maxFailPercentage !== undefined && (failed.length / batch.length) * 100 > play.maxFailPercentage)
    run.stop(`max_fail_percentage ${play.maxFailPercentage}% exceeded (${failed.length} of ${batch.length} hosts failed)`);
}

/** Every host of the batch failed: nothing is left to run on, so the run stops (Ansible: "NO MORE HOSTS LEFT"). */
export function stopWhenBatchFailed(batch: HostState[], run: RunState): void {
  if (batch.length > 0 && batch.every((h) => h.status !== 'ok')) run.stop(`every host of the batch failed (${batch.map((h) => h.name).join(', ')})`);
}
