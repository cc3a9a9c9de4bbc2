// Tag selection as Ansible does it: --skip-tags beats --tags; `always` runs unless skipped by
// name; `never` runs only when one of its other tags (or `never`) is asked for; `all`, `tagged`
// and `untagged` are the special selectors.

export interface TagFilter {
  tags: string[];
  skipTags: string[];
}

export function shouldRun(taskTags: readonly string[], filter: TagFilter): boolean {
  const set = new Set(taskTags);
  const own = taskTags.filter((t) => t !== 'always' && t !== 'never');
  const matches = (selectors: string[]) =>
    selectors.some((s) => set.has(s) || s === 'all' || (s === 'tagged' && own.length > 0) || (s === 'untagged' && own.length === 0));

  if (filter.skipTags.length && filter.skipTags.some((s) => set.has(s) || (s === 'tagged' && own.length > 0) || (s === 'untagged' && own.length === 0) || s === 'all'))
    return false;
  if (set.has('never')) {
    return filter.tags.some((t) => t !== 'all' && set.has(t));
  }
  if (set.has('always')) return true;
  if (filter.tags.length === 0) return true;
  return matches(filter.tags);
}
