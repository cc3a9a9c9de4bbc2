// What a role script sees. A role is roles/NAME/role.ts whose default export is defineRole({...});
// its variables (type, default, description) are declared in roles/NAME/variables.yaml.
import type { Command, ShellValue } from '../command/command.js';
import type { RunResult } from '../connection/connection.js';
import type { Facts } from '../facts/facts.js';
import type { ModuleResult } from '../modules/module.js';
import type { ModuleCalls } from '../modules/index.js';
import type { Secret } from '../secrets/masker.js';

export type StepStatus = 'ok' | 'changed' | 'skipped';

export interface StepOptions {
  /** Tags of this step, added to the role's own. */
  tags?: string[];
  /** Handlers to notify when the step reports changed. */
  notify?: string | string[];
  /** Skip the step when false. */
  when?: boolean;
  /** Failures are reported and counted as ignored; the host goes on. */
  ignoreErrors?: boolean;
  /**
   * Run on one host of the batch only (the first to reach the step); every host gets its result,
   * and fails with it (Ansible's run_once).
   */
  runOnce?: boolean;
  /**
   * At most this many hosts run the step at the same time within the play (Ansible's `throttle`):
   * `throttle: 1` goes node by node. The others wait for a free place before the step starts.
   */
  throttle?: number;
}

// Bodies are async functions: TypeScript then keeps `return 'ok'` as the literal status.
export type StepBody = () => Promise<StepReturn>;
export type StepReturn = void | StepStatus | ModuleResult | ModuleResult[];

/** Output of a command run with `$` or `probe`. */
export interface Output extends RunResult {
  ok: boolean;
  /** stdout without its trailing newline. */
  text(): string;
  lines(): string[];
}

export interface CommandOptions {
  /** Fed to the command's stdin; a Secret is masked everywhere and never reaches argv. */
  stdin?: string | Secret;
  become?: boolean;
  timeoutMs?: number;
  /** Hide what the command prints from every output (like Ansible's no_log), e.g. a join command. */
  noLog?: boolean;
}

/**
 * zx-style tagged template bound to the host: interpolations are quoted.
 * `$` changes things: it rejects on a non-zero exit; in check mode it does not run, the step reports
 * it as `would run: <command>` (changed) and gets empty output back.
 * `$({ stdin: token })\`kubeadm ...\`` passes options.
 */
export interface Shell {
  (strings: TemplateStringsArray, ...values: ShellValue[]): Promise<Output>;
  (options: CommandOptions): (strings: TemplateStringsArray, ...values: ShellValue[]) => Promise<Output>;
}

export interface RoleContext<V = Record<string, unknown>> {
  /** The inventory name of the host. */
  host: string;
  /** The role's variables: defaults, overridden by inventory, play, role params and extra vars. */
  vars: V;
  /** Facts of this host (refreshed after a reboot). */
  readonly facts: Facts;
  /** True under --check. */
  check: boolean;
  /** A named step: shown live, counted in the recap, filtered by tags. */
  step(name: string, body: StepBody): Promise<StepResult>;
  step(name: string, options: StepOptions, body: StepBody): Promise<StepResult>;
  step(name: string, optionsOrBody: StepOptions | StepBody, body?: StepBody): Promise<StepResult>;
  /** Commands that change the host (in check mode: not run, reported as "would run"). */
  $: Shell;
  /** Read-only commands: run in check mode too, never reject (look at `code`/`ok`). */
  probe: Shell;
  /** The modules, bound to this host (file, apt, systemd, sysctl …). */
  m: ModuleCalls;
  /** Renders roles/NAME/templates/FILE with the role's vars (Jinja syntax, nunjucks). */
  template(file: string, extraVars?: Record<string, unknown>): string;
  /** Reads roles/NAME/files/FILE. */
  file(file: string): string;
  /** Queues a handler as if a changed step had notified it. */
  notify(handler: string): void;
  /** Runs the handlers notified so far, now. */
  flushHandlers(): Promise<void>;
  /**
   * Reboots the host now, inside a step, and waits until it is back with a new boot id (facts are
   * gathered again) — Ansible's reboot module as a task; the built-in `reboot` handler does the same
   * at flush time. For work that must hold a place around the reboot, e.g. drain, reboot, uncordon
   * in one `throttle: 1` step. In check mode nothing reboots: the step reports "would reboot".
   * Rejects when the host does not come back within `reboot_timeout` seconds.
   */
  reboot(): Promise<void>;
  /** Publishes a value for other hosts (like Ansible's hostvars / set_fact). */
  publish(key: string, value: unknown, options?: { secret?: boolean }): void;
  /** Variables and published values of any host of the inventory, by name. */
  hostvars: Record<string, Record<string, unknown>>;
  /** Hosts of the inventory by group name. */
  groups: Record<string, string[]>;
  /** The hosts running this role now (this play's batch, without failed ones), like ansible_play_batch. */
  playHosts: string[];
  /** Stops this host with a clear message (counted as failed; a step's ignoreErrors covers it). */
  fail(message: string): never;
  /** A warning shown in the output. */
  warn(message: string): void;
  /** Information for the user, shown under the step (e.g. the cluster's nodes at the end). */
  note(message: string): void;
  /**
   * Commands on another host of the inventory (like Ansible's delegate_to), over that host's
   * connection — opened on first use when the host is not part of the run (e.g. the control plane
   * when --limit names only a new worker): e.g. a worker labelling its node through the control
   * plane's kubectl. When that host cannot be reached, the step fails (this host is not unreachable).
   */
  on(host: string): { $: Shell; probe: Shell };
  /**
   * The controller itself (Ansible's delegate_to: localhost), as the user running steer: commands
   * and modules there, inside the current step, check mode honoured — e.g. writing a fetched
   * kubeconfig with `local.m.file({ path, content, mode: '0600' })`.
   */
  local: { $: Shell; probe: Shell; m: ModuleCalls };
  /** Command values for building bigger commands: sh`…` quotes every interpolation. */
  sh(strings: TemplateStringsArray, ...values: ShellValue[]): Command;
}

export interface StepResult {
  status: StepStatus | 'failed';
  /** Results of modules called inside the step. */
  results: ModuleResult[];
}

export type HandlerBody<V> = (ctx: RoleContext<V>) => Promise<StepReturn>;

export interface RoleDefinition<V = Record<string, unknown>> {
  /** Handlers, run once each at the end of the role in the order written here, when notified. */
  handlers?: Record<string, HandlerBody<V>>;
  run(ctx: RoleContext<V>): Promise<void>;
}

export function defineRole<V = Record<string, unknown>>(definition: RoleDefinition<V>): RoleDefinition<V> {
  return definition;
}
