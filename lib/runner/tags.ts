// Tag selection exactly as Ansible decides it (ansible.playbook.taggable.Taggable.evaluate_tags,
// ansible-core 2.14–2.19): a step carries its play's, its role entry's and its own tags; without
// --tags Ansible selects `all`; `always` runs unless skipped by `always` or `all`; `never` runs only
// when one of its tags is asked for by name; `tagged` and `untagged` select by whether any tag was
// written. steer adds one thing: each role's name is a tag of its steps (`--tags cgroups`), which
// counts for selecting and skipping by name but does not make a step "tagged".

export interface TagFilter {
  /** --tags (empty: everything, as Ansible's default `all`). */
  tags: string[];
  /** --skip-tags. */
  skipTags: string[];
}

/** The tags a step carries, split into what the user wrote and what steer adds. */
export interface StepTags {
  /** Play tags, role entry tags and the step's own tags. */
  written: readonly string[];
  /** The role's name: selectable like a tag, invisible to `tagged`/`untagged`. */
  implicit?: readonly string[];
}

/**
 * Whether a step with these tags runs under --tags/--skip-tags. Mirrors evaluate_tags line by
 * line: a step without written tags is treated as tagged `untagged`.
 */
export function shouldRunTags(step: StepTags, filter: TagFilter): boolean {
  const untagged = step.written.length === 0;
  const tags = new Set(untagged ? ['untagged'] : step.written);
  const named = new Set([...tags, ...(step.implicit ?? [])]);
  const only = new Set(filter.tags.length > 0 ? filter.tags : ['all']);
  const skip = new Set(filter.skipTags);
  const asked = (selectors: Set<string>) => [...named].some((t) => selectors.has(t));

  let run: boolean;
  if (tags.has('always')) run = true;
  else if (only.has('all') && !tags.has('never')) run = true;
  else if (asked(only)) run = true;
  else run = only.has('tagged') && !untagged && !tags.has('never');

  if (run && skip.size > 0) {
    if (skip.has('all')) run = tags.has('always') && !skip.has('always');
    else if (asked(skip)) run = false;
    else if (skip.has('tagged') && !untagged) run = false;
  }
  return run;
}

/** The tags of a step of role `role` in a play: play tags, role entry tags, step tags, and the role's name. */
export function stepTags(playTags: readonly string[], role: { name: string; tags: readonly string[] }, own: readonly string[] = []): StepTags {
  return { written: [...new Set([...playTags, ...role.tags, ...own])], implicit: [role.name] };
}

