// The state of one `steer run`: hosts and their connections, the reporter, stop requests, and the
// variable plumbing the plays need. Connections are opened once per host and reused by every play.
import type { Connection } from '../connection/connection.js';
import { createConnection } from '../connection/open.js';
import { HostKeyError, UnreachableError } from '../connection/errors.js';
import type { Facts } from '../facts/facts.js';
import { gatherFacts } from '../facts/gather.js';
import type { Vars } from '../inventory/inventory.js';
import { magicVars } from '../inventory/magic.js';
import type { Condition, Play, RoleRef } from '../playbook/playbook.js';
import { resolveRoleVars } from '../vars/precedence.js';
import { evaluateConditions } from '../vars/condition.js';
import { renderTemplateString, renderValue } from '../vars/template.js';
import { HostState } from './host-state.js';
import type { RoleRunEnv } from './host-role.js';
import type { Reporter } from './reporter.js';
import type { RunRequest } from './request.js';
import { RunStopped } from './signals.js';

const DEFAULT_REBOOT_TIMEOUT_S = 600;

export class RunContext {
  private readonly hosts = new Map<string, HostState>();
  private stopReason: string | undefined;
  readonly hostvars: Record<string, Record<string, unknown>>;
  readonly groups: Record<string, string[]>;
  private limited: Set<string> | undefined;

  constructor(
    readonly request: RunRequest,
    readonly reporter: Reporter,
    limitedHosts: string[] | undefined,
  ) {
    const inv = request.inventory;
    this.limited = limitedHosts ? new Set(limitedHosts) : undefined;
    this.groups = Object.fromEntries([...inv.groups.keys()].map((g) => [g, inv.groupHosts(g)]));
    // hostvars: inventory variables overlaid with what roles published, read lazily.
    this.hostvars = new Proxy({} as Record<string, Record<string, unknown>>, {
      get: (_t, name: string) => {
        if (!inv.hosts.has(name)) return undefined;
        // Read without tracking: a host only looked at is not part of the run (nor of the recap).
        const h = this.hosts.get(name);
        return { ...inv.hostVars(name), ...magicVars(inv, name), facts: h?.facts, ...h?.published };
      },
      has: (_t, name: string) => inv.hosts.has(name),
      ownKeys: () => [...inv.hosts.keys()],
      getOwnPropertyDescriptor: (_t, name: string) =>
        inv.hosts.has(name) ? { enumerable: true, configurable: true, value: this.hostvars[name] } : undefined,
    });
  }

  host(name: string): HostState {
    let h = this.hosts.get(name);
    if (!h) this.hosts.set(name, (h = new HostState(name)));
    this.reporter.track(name);
    return h;
  }

  allHosts(): HostState[] {
    return [...this.hosts.values()];
  }

  selectHosts(pattern: string): string[] {
    const selected = this.request.inventory.select(pattern);
    return this.limited ? selected.filter((h) => this.limited!.has(h)) : selected;
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
  checkStopped(): void {
    if (this.stopReason) throw new RunStopped(this.stopReason);
  }

  /** The host's variables as a connection needs them (templates rendered). */
  connectionVars(name: string): Vars {
    const inv = this.request.inventory;
    const all = { ...inv.hostVars(name), ...magicVars(inv, name), ...this.request.extraVars };
    return renderValue(all, all) as Vars;
  }

  /** Opens connections for hosts that have none yet, all at once; failures make hosts unreachable. */
  async connect(hosts: HostState[]): Promise<void> {
    await Promise.all(
      hosts
        .filter((h) => h.active && !h.connection)
        .map(async (h) => {
          const started = Date.now();
          let connection: Connection | undefined;
          try {
            const opened = createConnection(h.name, this.connectionVars(h.name), {
              hostKeyChecking: this.request.hostKeyChecking,
              becomePassword: this.request.becomePassword,
            });
            connection = opened;
            await opened.connect();
            h.connection = opened;
          } catch (err) {
            await connection?.close().catch(() => {});
            if (err instanceof Error && 'exitCode' in err && !(err instanceof UnreachableError || err instanceof HostKeyError)) throw err;
            h.status = 'unreachable';
            this.reporter.emit({
              type: 'step-result',
              host: h.name,
              role: 'connect',
              step: 'Connect',
              status: 'unreachable',
              message: (err as Error).message,
              durationMs: Date.now() - started,
            });
          }
        }),
    );
  }

  async gatherFactsStep(h: HostState): Promise<void> {
    if (!h.active || !h.connection) return;
    const started = Date.now();
    this.reporter.emit({ type: 'step-start', host: h.name, role: 'setup', step: 'Gathering Facts' });
    try {
      h.facts = await gatherFacts(h.connection);
      this.reporter.emit({ type: 'step-result', host: h.name, role: 'setup', step: 'Gathering Facts', status: 'ok', durationMs: Date.now() - started });
    } catch (err) {
      const unreachable = err instanceof UnreachableError;
      h.status = unreachable ? 'unreachable' : 'failed';
      this.reporter.emit({
        type: 'step-result',
        host: h.name,
        role: 'setup',
        step: 'Gathering Facts',
        status: unreachable ? 'unreachable' : 'failed',
        message: (err as Error).message,
        durationMs: Date.now() - started,
      });
    }
  }

  roleVars(h: HostState, play: Play, ref: RoleRef): Vars {
    const inv = this.request.inventory;
    return resolveRoleVars({
      role: ref,
      host: h.name,
      inventoryVars: inv.hostVars(h.name),
      magic: { ...magicVars(inv, h.name), hostvars: this.hostvars, groups: this.groups, ansible_check_mode: this.request.check },
      facts: h.facts,
      playVars: play.vars,
      varsFromFiles: play.varsFromFiles,
      published: h.published,
      extraVars: this.request.extraVars,
      sources: { inventory: (name) => inv.varSource?.(h.name, name) },
      play,
    });
  }

  condition(conditions: Condition[], vars: Vars, host: string): boolean {
    return evaluateConditions(conditions, vars, host);
  }

  roleEnv(play: Play, playHosts: string[]): RoleRunEnv {
    return {
      playHosts,
      play: { name: play.name, become: play.become, becomeUser: play.becomeUser, tags: play.tags },
      check: this.request.check,
      tags: { tags: this.request.tags, skipTags: this.request.skipTags },
      reporter: this.reporter,
      hostvars: this.hostvars,
      groups: this.groups,
      render: (text, vars) => renderTemplateString(text, vars),
      gatherFacts: async (h): Promise<Facts> => gatherFacts(h.connection!),
      hostState: (name) => this.host(name),
      checkStopped: () => this.checkStopped(),
      stopping: () => this.stopping(),
      rebootTimeoutMs: (vars) => Number(vars['reboot_timeout'] ?? DEFAULT_REBOOT_TIMEOUT_S) * 1000,
    };
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.allHosts().map((h) => h.connection?.close().catch(() => {})));
  }
}
