// --list-hosts, --list-tasks and --list-tags print the plan, in ansible-playbook's layout.
import { shouldRunTags, stepTags } from '../runner/tags.js';
import type { PlayPlan, RunPlan } from './plan.js';

function playHeader(p: PlayPlan): string {
  return `  play #${p.index + 1} (${p.play.hosts}): ${p.play.name}\tTAGS: [${p.play.tags.join(',')}]`;
}

/** --list-hosts: each play's pattern and the hosts it would run on (after --limit). */
export function listHosts(plan: RunPlan, label: string): string[] {
  const lines = [`playbook: ${label}`];
  for (const p of plan.plays) {
    lines.push('', playHeader(p), `    pattern: ['${p.play.hosts}']`, `    hosts (${p.hosts.length}):`, ...p.hosts.map((h) => `      ${h}`));
  }
  return lines;
}

/** --list-tasks: each play's steps, role by role, with their tags; steps the tags deselect are left out. */
export function listTasks(plan: RunPlan, label: string): string[] {
  const { tags, skipTags } = plan.input.options;
  const lines = [`playbook: ${label}`];
  for (const p of plan.plays) {
    lines.push('', playHeader(p), '    tasks:');
    for (const role of p.roles.filter((r) => r.selected)) {
      for (const s of (role.steps ?? []).filter((x) => shouldRunTags(stepTags(p.play.tags, role.ref, x.own), { tags, skipTags }))) lines.push(`      ${s.role} : ${s.name}\tTAGS: [${s.tags.join(', ')}]`);
    }
  }
  return lines;
}

/** --list-tags: every tag of each play (play, role entry, role name and step tags), sorted. */
export function listTags(plan: RunPlan, label: string): string[] {
  const lines = [`playbook: ${label}`];
  for (const p of plan.plays) {
    const tags = new Set<string>();
    for (const role of p.roles) for (const t of [...role.tags, ...(role.steps ?? []).flatMap((s) => s.tags)]) tags.add(t);
    lines.push('', playHeader(p), `      TASK TAGS: [${[...tags].sort().join(', ')}]`);
  }
  return lines;
}
