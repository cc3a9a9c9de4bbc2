// What a run knows while it executes a plan: the hosts it touched (connection, facts, status,
// published values), whether it is stopping, and where events go. Variables are not computed here:
// the host-variables service (lib/vars/host-vars.ts) does that, reading the hosts' runtime values.
import { createConnection } from '../connection/open.js';
import { LocalConnection } from '../connection/local.js';
import { hostLockFromEnv, type HostLock } from '../connection/host-lock.js';
import { HostError, RunStopped, UnreachableError } from '../errors.js';
import type { RunPlan } from '../plan/plan.js';
import type { HostRuntime } from '../vars/host-vars.js';
import { HostVariables } from '../vars/host-vars.js';
import { HostState } from './host-state.js';
import type { Reporter } from './reporter.js';

export class RunState {
  private readonly hosts = new Map<string, HostState>();
  /** Hosts reached only through on(host): connected on demand, not part of the recap. */
  private readonly delegates = new Map<string, Promise<HostState>>();
  private controllerHost: HostState | undefined;
  private stopReason: string | undefined;
  readonly vars: HostVariables;
  /** hostvars as roles see them: every inventory host, rendered on read, with runtime values. */
  readonly hostvars: Record<string, Record<string, unknown>>;
  /**
   * The lock every connection of this run holds on its host (none with STEER_HOST_LOCK=off). The
   * controller itself (`local` in roles) is not locked: it is where every run starts from.
   */
  readonly hostLock: HostLock | undefined = hostLockFromEnv();

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

  /**
   * A host that a role reaches with on(host) (Ansible's delegate_to): the run's own state when the
   * host is part of the run, else one connected now — e.g. the control plane when --limit names only
   * a new worker. Throws HostError for a host not in the inventory or that cannot be reached.
   */
  delegate(name: string): Promise<HostState> {
    const own = this.hosts.get(name);
    if (own?.connection) return Promise.resolve(own);
    let pending = this.delegates.get(name);
    if (!pending) {
      pending = this.connectDelegate(name);
      this.delegates.set(name, pending);
      pending.catch(() => this.delegates.delete(name));
    }
    return pending;
  }

  private async connectDelegate(name: string): Promise<HostState> {
    if (!this.plan.input.inventory.hosts.has(name)) throw new HostError(`on('${name}'): no host ${name} in the inventory`, 'UNKNOWN_HOST');
    const o = this.plan.input.options;
    const h = this.hosts.get(name) ?? new HostState(name);
    const connection = createConnection(name, this.vars.connectionVars(name), {
      hostKeyChecking: o.hostKeyChecking,
      ...(this.hostLock ? { hostLock: this.hostLock } : {}),
      ...(o.becomePassword !== undefined ? { becomePassword: o.becomePassword } : {}),
    });
    try {
      await connection.connect();
    } catch (err) {
      await connection.close().catch(() => {});
      // The delegate is unreachable, not the host whose step asked for it: that step fails.
      if (err instanceof UnreachableError) throw new HostError(`${name} (reached with on()) is unreachable: ${err.message}`, 'DELEGATE_UNREACHABLE');
      throw err;
    }
    h.connection = connection;
    // Known to the run from now on (a later play reuses the connection), but not in the recap
    // until a play of its own adds it.
    this.hosts.set(name, h);
    return h;
  }

  /** The controller itself (Ansible's delegate_to: localhost), for a role's `local`. */
  controller(): HostState {
    if (!this.controllerHost) {
      this.controllerHost = new HostState('localhost');
      this.controllerHost.connection = new LocalConnection('localhost');
    }
    return this.controllerHost;
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
    const delegates = await Promise.all([...this.delegates.values()].map((p) => p.catch(() => undefined)));
    const all = new Set([...this.allHosts(), ...delegates.filter((h) => h !== undefined), ...(this.controllerHost ? [this.controllerHost] : [])]);
    await Promise.all([...all].map((h) => h.connection?.close().catch(() => {})));
  }
}
