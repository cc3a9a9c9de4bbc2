// What a run knows while it executes a plan: the hosts it touched (connection, facts, status,
// published values), whether it is stopping, and where events go. Variables are not computed here:
// the host-variables service (lib/vars/host-vars.ts) does that, reading the hosts' runtime values.
import { RunStopped } from '../errors.js';
import type { RunPlan } from '../plan/plan.js';
import type { HostRuntime } from '../vars/host-vars.js';
import { HostVariables } from '../vars/host-vars.js';
import { HostState } from './host-state.js';
import type { Reporter } from './reporter.js';

export class RunState {
  private readonly hosts = new Map<string, HostState>();
  private stopReason: string | undefined;
  readonly vars: HostVariables;
  /** hostvars as roles see them: every inventory host, rendered on read, with runtime values. */
  readonly hostvars: Record<string, Record<string, unknown>>;

  constructor(
    readonly plan: RunPlan,
    readonly reporter: Reporter,
  ) {
    const { input } = plan;
    const o = input.options;
    this.vars = new HostVariables(input.inventory, input.extra, {
      check: o.check,
      diff: o.diff,
      forks: o.forks,
      ...(o.limit !== undefined ? { limit: o.limit } : {}),
      tags: o.tags,
      skipTags: o.skipTags,
      verbosity: o.verbosity,
      playbookDir: input.playbook.dir,
      inventorySources: o.inventorySources,
    });
    this.hostvars = this.vars.hostvars((name) => this.runtimeOf(name));
  }

  /** The host's state; the first call adds it to the run (and to the recap). */
  host(name: string): HostState {
    let h = this.hosts.get(name);
    if (!h) this.hosts.set(name, (h = new HostState(name)));
    this.reporter.track(name);
    return h;
  }

  /** Whether a host can still run: not failed or unreachable earlier (read without adding it). */
  isActive(name: string): boolean {
    return this.hosts.get(name)?.active ?? true;
  }

  /** What a host gathered and published, if it is part of the run (read without adding it). */
  runtimeOf(name: string): HostRuntime | undefined {
    const h = this.hosts.get(name);
    return h ? { facts: h.facts, published: h.published } : undefined;
  }

  allHosts(): HostState[] {
    return [...this.hosts.values()];
  }

  stop(reason: string): void {
    this.stopReason ??= reason;
  }

  stopping(): boolean {
    return this.stopReason !== undefined;
  }

  get stoppedBecause(): string | undefined {
    return this.stopReason;
  }

  /** Throws RunStopped when the run is stopping. */
  checkStopped(): void {
    if (this.stopReason) throw new RunStopped(this.stopReason);
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.allHosts().map((h) => h.connection?.close().catch(() => {})));
  }
}
