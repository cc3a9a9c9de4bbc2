// Handlers, as Ansible runs them: notified only by a changed step, run once each when flushed (at
// the end of the role, or by flushHandlers()), in the order the role defines them — not the order of
// notification. `reboot` is built in (see reboot.ts). In check mode a notified handler is reported as
// "would run". A handler notified but defined nowhere fails the host.
import { HostError } from '../../errors.js';
import type { StepReturn } from '../role-api.js';
import type { Steps } from './steps.js';

export const BUILTIN_HANDLERS = ['reboot'] as const;

export interface HandlerSet {
  /** The role's own handlers, in definition order. */
  names: readonly string[];
  run(name: string): Promise<StepReturn>;
}

export class Handlers {
  private readonly notified = new Set<string>();
  private flushing = false;
  private readonly order: string[];

  constructor(
    private readonly own: HandlerSet,
    private readonly builtin: (name: string) => Promise<StepReturn>,
    private readonly check: boolean,
  ) {
    this.order = [...own.names, ...BUILTIN_HANDLERS.filter((h) => !own.names.includes(h))];
  }

  notify(names: readonly string[]): void {
    for (const n of names) this.notified.add(n);
  }

  /** Runs the notified handlers as steps of `steps`; a handler that notifies again runs later. */
  async flush(steps: Steps): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (const name of this.order) {
        if (!this.notified.delete(name)) continue;
        const body = this.check
          ? async (): Promise<StepReturn> => ({ changed: true, summary: 'would run' })
          : async (): Promise<StepReturn> => (this.own.names.includes(name) ? this.own.run(name) : this.builtin(name));
        await steps.run(name, {}, body, 'handler');
      }
    } finally {
      this.flushing = false;
    }
    const unknown = [...this.notified];
    if (unknown.length) throw new HostError(`notified handler(s) not defined: ${unknown.join(', ')}`, 'UNKNOWN_HANDLER');
  }
}
