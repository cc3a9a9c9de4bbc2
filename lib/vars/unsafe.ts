// Host data is data. Ansible marks what comes from a host "unsafe" (AnsibleUnsafeText, a str
// subclass the templar never renders). JavaScript strings cannot carry a mark, and role scripts
// slice, join and copy host text freely, so steer marks where a value is stored instead of the value:
// the only text ever compiled as a template is what the operator wrote — the inventory, the playbook
// and its vars files, extra vars, role defaults and role parameters, and the role's template files.
// Everything else is data, whatever its shape or nesting:
//   - the layers that come from hosts or from the engine: facts, values roles publish (probe output,
//     command results, fetched files …), magic variables (hostvars, groups …);
//   - the variables a role script passes to template(file, extra), and the role's own variables as
//     the script sees them (already rendered once: rendering them again would run their text);
//   - what hostvars shows of another host beyond its inventory variables.
// A value read from one of these is returned as it is, so `{{ x }}` of a published `{{ 7*7 }}` is
// the text `{{ 7*7 }}`, never 49, and a copy of it made by a role stays out of every config layer.

/** Variable layers whose values are data: never rendered. */
export const DATA_LAYERS: ReadonlySet<string> = new Set(['facts', 'published', 'magic']);

const scopes = new WeakSet<object>();

/**
 * Marks a variables object as data: a template rendered against it reads every value as it is
 * (LazyVars.from and the template functions honour the mark). Returns the same object.
 */
export function dataScope<T extends object>(vars: T): T {
  scopes.add(vars);
  return vars;
}

/** True when `vars` was marked by dataScope(). */
export function isDataScope(vars: unknown): boolean {
  return typeof vars === 'object' && vars !== null && scopes.has(vars);
}
