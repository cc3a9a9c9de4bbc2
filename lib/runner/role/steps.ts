// What `step()` means: a named unit of a role on one host, shown live, counted in the recap,
// filtered by tags, skipped by `when: false`. Its status falls out of what ran inside it: modules
// that changed something, `$` commands (which change by definition), or what the body returns.
// In check mode a `$` command is not run: the step reports it as "would run" (changed), and an error
// the body raises afterwards (it read the command's unknown output) does not fail the preview.
import { HostError, HostFailed, RunStopped, UnreachableError } from '../../errors.js';
import type { ModuleResult } from '../../modules/module.js';
import type { HostState } from '../host-state.js';
import type { Reporter } from '../reporter.js';
import type { StepBody, StepOptions, StepResult, StepReturn } from '../role-api.js';
import { shouldRunTags, type StepTags, type TagFilter } from '../tags.js';

/** The step a role is inside now: what ran in it so far. */
export interface OpenStep {
  results: ModuleResult[];
  /** A `$` command ran (real run): the step changed something. */
  mutated: boolean;
  /** Check mode: the `$` commands the real run would run, as displayed (secrets masked). */
  wouldRun: string[];
}

export interface StepsEnv {
  role: string;
  /** A step's tags from its own: play tags, role entry tags, its own, and the role name (tags.ts). */
  tagsOf(own: readonly string[]): StepTags;
  tags: TagFilter;
  check: boolean;
  reporter: Reporter;
  /** Throws RunStopped when the run is stopping. */
  checkStopped(): void;
  /** Called when a step fails the host (the play checks its stop rules at once). */
  onFailure?(): void;
  /** --start-at-step: steps before the first one whose name matches are not run (nor shown). */
  startAt?: (step: string) => boolean;
  /** run_once steps of this role on this batch: the first host to reach one runs it for all. */
  once?: OnceSteps;
  /** `throttle`: runs `body` once fewer than `limit` hosts are inside this step (see throttle.ts). */
  throttle?(step: string, limit: number, body: () => Promise<StepResult>): Promise<StepResult>;
}

export type StepKind = 'step' | 'handler';

const NOT_SELECTED: StepResult = { status: 'skipped', results: [] };

export class Steps {
  readonly counts = { ok: 0, changed: 0, skipped: 0 };
  private open: OpenStep | undefined;
  private started: boolean;
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly host: HostState,
    private readonly env: StepsEnv,
    /** Called with the handlers a changed step notifies. */
    private readonly onChanged: (notify: string[]) => void,
  ) {
    this.started = env.startAt === undefined;
  }

  /** The step running now; throws when called outside one (e.g. `$` between steps). */
  current(what: string): OpenStep {
    if (!this.open) throw new Error(`${what} must run inside step()`);
    return this.open;
  }

  /** Runs one step (or handler) and reports it; throws HostFailed when it fails the host. */
  async run(name: string, options: StepOptions, body: StepBody, kind: StepKind = 'step'): Promise<StepResult> {
    this.env.checkStopped();
    if (this.open) throw new Error(`step('${name}') cannot be nested inside another step`);
    if (kind === 'handler') return this.execute(name, options, body, kind);
    // The n-th step of this name: the same step on every host, for run_once.
    const occurrence = (this.seen.get(name) ?? 0) + 1;
    this.seen.set(name, occurrence);
    if (!this.started) this.started = this.env.startAt!(name);
    if (!this.started || !shouldRunTags(this.env.tagsOf(options.tags ?? []), this.env.tags)) return NOT_SELECTED;
    if (options.throttle !== undefined && options.when !== false && this.env.throttle) {
      const { throttle, ...rest } = options;
      return this.env.throttle(name, throttle, () => this.gated(name, rest, body, occurrence));
    }
    return this.gated(name, options, body, occurrence);
  }

  /** The step once selected: run_once shares it across the batch, else it runs here. */
  private async gated(name: string, options: StepOptions, body: StepBody, occurrence: number): Promise<StepResult> {
    const kind: StepKind = 'step';
    this.env.checkStopped(); // a throttled step may have waited while the run began to stop
    if (!options.runOnce || !this.env.once) return this.execute(name, options, body, kind);
    try {
      return await this.env.once.run(`${name}\u0000${occurrence}`, this.host.name, () => this.execute(name, options, body, kind));
    } catch (err) {
      if (err instanceof RunOnceFailed) this.failWith(name, err.message);
      throw err;
    }
  }

  private async execute(name: string, options: StepOptions, body: StepBody, kind: StepKind): Promise<StepResult> {
    const base = { host: this.host.name, role: this.env.role, step: name, handler: kind === 'handler' || undefined };
    if (options.when === false) {
      this.counts.skipped++;
      this.env.reporter.emit({ type: 'step-result', ...base, status: 'skipped', message: 'condition is false', durationMs: 0 });
      return { status: 'skipped', results: [] };
    }
    const started = Date.now();
    this.env.reporter.emit({ type: 'step-start', ...base });
    const open: OpenStep = { results: [], mutated: false, wouldRun: [] };
    this.open = open;
    try {
      const ret = await body();
      return this.finish(base, options, open, collect(open, ret), started);
    } catch (err) {
      if (err instanceof RunStopped) throw err;
      // Check mode: past a command that did not run, the body works on made-up output.
      if (this.env.check && open.wouldRun.length > 0) return this.finish(base, options, open, 'changed', started);
      return this.fail(base, options, open, err, started);
    } finally {
      this.open = undefined;
    }
  }

  /** Fails this host with the failure of a run_once step that ran on another host. */
  private failWith(name: string, message: string): never {
    this.host.status = 'failed';
    this.env.reporter.emit({ type: 'step-result', host: this.host.name, role: this.env.role, step: name, status: 'failed', message, durationMs: 0 });
    this.env.onFailure?.();
    throw new HostFailed(this.host.name, message);
  }

  private finish(base: StepBase, options: StepOptions, open: OpenStep, status: StepResult['status'], started: number): StepResult {
    const summary = [...open.wouldRun.map((c) => `would run: ${c}`), ...open.results.map((r) => r.summary).filter(Boolean)].join('; ');
    const diffs = open.results.flatMap((r) => r.diffs ?? []);
    if (status === 'skipped') this.counts.skipped++;
    else this.counts.ok++;
    if (status === 'changed') {
      this.counts.changed++;
      this.onChanged([options.notify ?? []].flat());
    }
    this.env.reporter.emit({
      type: 'step-result',
      ...base,
      status: status as 'ok' | 'changed' | 'skipped',
      checkOnly: this.env.check && status === 'changed' ? true : undefined,
      message: status === 'changed' ? summary || undefined : undefined,
      wouldRun: open.wouldRun.length ? open.wouldRun : undefined,
      diffs: diffs.length ? diffs : undefined,
      durationMs: Date.now() - started,
    });
    return { status, results: open.results };
  }

  private fail(base: StepBase, options: StepOptions, open: OpenStep, err: unknown, started: number): StepResult {
    const message = (err as Error).message;
    const durationMs = Date.now() - started;
    if (err instanceof UnreachableError) {
      this.host.status = 'unreachable';
      this.env.reporter.emit({ type: 'step-result', ...base, status: 'unreachable', message, durationMs });
      this.env.onFailure?.();
      throw new HostFailed(this.host.name, message);
    }
    // Ansible's ignore_errors covers failed results, not mistakes in the role script itself.
    if (options.ignoreErrors && err instanceof HostError) {
      this.env.reporter.emit({ type: 'step-result', ...base, status: 'ignored', message, durationMs });
      return { status: 'failed', results: open.results };
    }
    this.host.status = 'failed';
    this.env.reporter.emit({ type: 'step-result', ...base, status: 'failed', message, durationMs });
    this.env.onFailure?.();
    throw new HostFailed(this.host.name, message);
  }
}

/**
 * run_once, as Ansible's: a step marked runOnce runs on one host of the batch — here the first to
 * reach it, so a host that failed earlier never holds the others up — and its result is every
 * host's. When it fails there, the other hosts fail with it.
 */
export class OnceSteps {
  private readonly runs = new Map<string, { host: string; result: Promise<StepResult> }>();

  async run(key: string, host: string, execute: () => Promise<StepResult>): Promise<StepResult> {
    const first = this.runs.get(key);
    if (!first) {
      const result = execute();
      this.runs.set(key, { host, result });
      return result;
    }
    try {
      return await first.result;
    } catch (err) {
      if (err instanceof HostFailed) throw new RunOnceFailed(first.host, err.message);
      throw err;
    }
  }
}

/** A run_once step failed on the host that ran it: the hosts that share its result fail too. */
export class RunOnceFailed extends Error {
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(`run_once step failed on ${host}: ${reason}`);
    this.name = 'RunOnceFailed';
  }
}

type StepBase = { host: string; role: string; step: string; handler?: boolean };

/** The step's status from what its body returned and what ran inside it. */
function collect(open: OpenStep, ret: StepReturn): StepResult['status'] {
  // Results returned (not only called through m.*) count too, e.g. { changed: true, summary }.
  if (Array.isArray(ret)) open.results.push(...ret.filter((r) => !open.results.includes(r)));
  else if (ret && typeof ret === 'object' && !open.results.includes(ret)) open.results.push(ret);
  if (ret === 'ok' || ret === 'changed' || ret === 'skipped') return ret;
  return open.mutated || open.wouldRun.length > 0 || open.results.some((r) => r.changed) ? 'changed' : 'ok';
}
