// apt_hold: packages held (apt-mark hold: never upgraded implicitly) or unheld.
import { sh } from '../command/command.js';
import { argError, stringList } from './args.js';
import { PACKAGE_SPEC, parsePackageSpec } from './apt.js';
import type { Module, Plan } from './module.js';
import { runProbe, sectionText } from './probe.js';

export interface AptHoldArgs {
  /** Package names (a `=version` suffix is ignored, so a role can pass its pinned list). */
  packages: string[];
  /** true (default): held; false: not held. */
  held?: boolean;
}

export interface AptHoldState {
  held: string[];
}

export const apt_hold: Module<AptHoldArgs, AptHoldState> = {
  name: 'apt_hold',
  args: {
    type: 'object',
    properties: {
      packages: stringList,
      held: { type: 'boolean' },
    },
    required: ['packages'],
    additionalProperties: false,
  },
  validate(args) {
    for (const p of args.packages) if (!PACKAGE_SPEC.test(p)) argError('apt_hold', `"${p}" is not a package name`);
  },
  async probe(_args, ctx) {
    return { held: parseShowhold(sectionText(await runProbe(ctx, { held: sh`apt-mark showhold` }), 'held')) };
  },
  plan(args, state): Plan {
    const hold = args.held ?? true;
    const held = new Set(state.held);
    const names = [...new Set(args.packages.map((p) => parsePackageSpec(p).name))].filter((n) => held.has(n) !== hold);
    if (names.length === 0) return { actions: [] };
    const verb = hold ? 'hold' : 'unhold';
    return { actions: [{ kind: 'run', command: sh`apt-mark ${verb} ${names}` }], summary: `${verb} ${names.join(' ')}` };
  },
};

export function parseShowhold(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim().replace(/:[a-z0-9-]+$/, ''))
    .filter(Boolean);
}
