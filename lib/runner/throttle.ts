// `throttle` on a step, as Ansible's task keyword: at most N hosts run that step at the same time
// within the play (the other hosts wait for a free place), e.g. one node at a time for a step that
// stops the node's services. Self-contained on purpose: one p-limit per play + role + step, kept
// per run; nothing else in the runner knows about it.
import pLimit, { type LimitFunction } from 'p-limit';

/** The semaphores of one run, by play, role and step. */
export type StepThrottles = Map<string, LimitFunction>;

// A run is identified by an object that lives exactly as long as it (host-role.ts passes the run's
// reporter): two runs in one process never throttle each other, and nothing outlives a run.
const byRun = new WeakMap<object, StepThrottles>();

/**
 * Runs `body` once fewer than `limit` hosts are inside the same step (same play, role and step name)
 * of the same run. The first host to reach a step sets its limit. `limit` must be an integer ≥ 1.
 * Ansible: the `throttle` task keyword (the strategies in lib/ansible/plugins/strategy/ count the
 * workers running the same task and hold a host back while the count is at the limit).
 */
export function throttled<T>(run: object, key: { play: string; role: string; step: string }, limit: number, body: () => Promise<T>): Promise<T> {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`step('${key.step}'): throttle must be an integer ≥ 1 (got ${limit})`);
  let throttles = byRun.get(run);
  if (!throttles) byRun.set(run, (throttles = new Map()));
  const name = JSON.stringify([key.play, key.role, key.step]);
  let limiter = throttles.get(name);
  if (!limiter) throttles.set(name, (limiter = pLimit(limit)));
  return limiter(body);
}
