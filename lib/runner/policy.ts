// The stop rules of a play, as Ansible applies them: any_errors_fatal (the play's, or a role
// entry's) and max_fail_percentage (exceeded, not reached) are checked as soon as a step fails a
// host, so no further step starts; a batch whose hosts all failed stops the play and the playbook.
// Both count the batch as `serial` cut it, hosts that failed in an earlier play included (they take
// their place in the batch but run nothing): Ansible's iterator.batch_size and len(batch) in
// PlaybookExecutor.run (ansible-core 2.14), checked by test/differential/failure-policy.test.ts.
import type { Play, RoleRef } from '../playbook/playbook.js';
import type { HostState } from './host-state.js';
import type { RunState } from './run-state.js';

/** A serial batch: the hosts it started with (still active then), and how many hosts `serial` put in it. */
export interface Batch {
  hosts: HostState[];
  size: number;
}

/** Checks the stop rules after a failure in `role` on `batch`; stops the run when one is met. */
export function applyFailurePolicy(play: Play, role: RoleRef, batch: Batch, run: RunState): void {
  const failed = batch.hosts.filter((h) => h.status !== 'ok');
  if (failed.length === 0) return;
  if (play.anyErrorsFatal || role.anyErrorsFatal) run.stop(`any_errors_fatal: ${failed.map((h) => h.name).join(', ')} failed`);
  if (play.maxFailPercentage !== undefined && (failed.length / batch.size) * 100 > play.maxFailPercentage)
    run.stop(`max_fail_percentage ${play.maxFailPercentage}% exceeded (${failed.length} of ${batch.size} hosts failed)`);
}

/** Every host of the batch failed in it: nothing is left to run on, so the run stops (Ansible: "NO MORE HOSTS LEFT"). */
export function stopWhenBatchFailed(batch: Batch, run: RunState): void {
  const { hosts } = batch;
  if (hosts.length > 0 && hosts.length === batch.size && hosts.every((h) => h.status !== 'ok'))
    run.stop(`every host of the batch failed (${hosts.map((h) => h.name).join(', ')})`);
}
