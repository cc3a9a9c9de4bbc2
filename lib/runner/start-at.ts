// --start-at-step, after ansible-playbook's --start-at-task: the run starts at the first step whose
// name matches — the name itself, a shell-style glob, or "role : name" — and skips everything before.
import { globRegExp } from '../modules/text.js';

/** Whether a step (of `role`) matches the --start-at-step pattern. */
export function matchesStartAt(pattern: string, role: string, step: string): boolean {
  const candidates = [step, `${role} : ${step}`];
  const glob = globRegExp(pattern);
  return candidates.some((c) => c === pattern || glob.test(c));
}

/** A matcher for one role's steps. */
export function startAtMatcher(at: { pattern: string; role: string }): (step: string) => boolean {
  return (step) => matchesStartAt(at.pattern, at.role, step);
}
