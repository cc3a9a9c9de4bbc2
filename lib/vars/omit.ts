// `omit`: a value that means "not set here". Ansible drops a module option whose value renders to
// omit; for variables (role parameters, play vars) ansible-core 2.14 keeps its placeholder string
// ("__omit_place_holder__…"), a long-standing complaint (ansible/ansible#22417, #44261). steer drops
// the variable from the layer that set it, so the next lower layer's value applies — the role's
// default for `some_variable: "{{ some_extra_variable | default(omit) }}"` — and, inside a list or
// mapping, leaves the item or key out.
import { randomBytes } from 'node:crypto';
import type { Vars } from '../inventory/inventory.js';

/** The value of `omit` in templates: Ansible's placeholder form, unique to this process. */
export const OMIT = `__omit_place_holder__${randomBytes(20).toString('hex')}`;

/** True when a raw value could render to omit (a template mentioning it). */
function mayOmit(value: unknown): boolean {
  return typeof value === 'string' && value.includes('{{') && /\bomit\b/.test(value);
}

function layerSetting(layers: readonly Vars[], name: string, below: number): number {
  for (let i = below - 1; i >= 0; i--) if (Object.hasOwn(layers[i]!, name)) return i;
  return -1;
}

/**
 * Replaces, in `merged` (the layers merged, highest last), every variable whose winning value
 * renders to omit by the value of the next lower layer that sets it, or removes it. Returns, for
 * each variable that changed, the index of the layer that now wins (-1: none). A value that fails to
 * render is left as it is: rendering it later reports the error where it belongs. `scopeOf` renders
 * variables against a merged mapping (a LazyVars: this module stays below the template engine).
 */
export function resolveOmitted(merged: Vars, layers: readonly Vars[], scopeOf: (merged: Vars) => { get(name: string): unknown }): Map<string, number> {
  const changed = new Map<string, number>();
  const pending = new Map<string, number>();
  for (const [name, value] of Object.entries(merged)) if (mayOmit(value)) pending.set(name, layerSetting(layers, name, layers.length));
  while (pending.size > 0) {
    const scope = scopeOf(merged);
    for (const [name, winner] of [...pending]) {
      pending.delete(name);
      let value: unknown;
      try {
        value = scope.get(name);
      } catch {
        continue;
      }
      if (value !== OMIT) continue;
      const next = layerSetting(layers, name, winner);
      if (next < 0) delete merged[name];
      else merged[name] = layers[next]![name];
      changed.set(name, next);
      if (next >= 0 && mayOmit(merged[name])) pending.set(name, next);
    }
  }
  return changed;
}
