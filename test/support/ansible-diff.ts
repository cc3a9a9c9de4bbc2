// Differential runs: the same scenario — an inventory, roles whose steps only report, plays that
// use them with tags, `when` and role parameters — written once as an Ansible playbook (debug
// tasks) and once as a steer playbook (role scripts), run under both, and reduced to which steps
// ran on which hosts (and what the steps that show a value showed).
//
// Three ways to get Ansible's answer:
//   - ansiblePlaybook(): the real `ansible-playbook` (json callback). The truth, but it forks a
//     worker per task and host: about a second per cell on a busy 2-core machine.
//   - oracle(): ansible_oracle.py, which loads the same files with ansible-core's classes and makes
//     the calls a real run makes for tags, `when` and templating, without the workers: thousands of
//     cells in seconds. Tests run every matrix through it and check it against ansiblePlaybook() on
//     a sample, so a difference between the two fails the test too.
// and two ways to get steer's: steer() (the CLI, as a user runs it) or steerInProcess() (the same
// engine in this process, for large matrices).
//
// Hosts use the local connection and steps run no command: nothing connects anywhere.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { LineCounter, Scalar, isSeq, parseDocument, stringify } from 'yaml';
import { registerRunCommand, type RunEngine } from '../../lib/cli/commands/run.js';
import { SteerError, UserError, formatUserMessage } from '../../lib/errors.js';
import { loadInventory } from '../../lib/inventory/load.js';
import { loadPlaybook } from '../../lib/playbook/load.js';
import { parseExtraVars } from '../../lib/vars/extra-vars.js';
import { setLookupFolders } from '../../lib/vars/lookups.js';
import { buildPlan } from '../../lib/plan/build.js';
import { checkPlanVariables } from '../../lib/plan/check-variables.js';
import type { Renderer } from '../../lib/output/events.js';
import { runPlaybook } from '../../lib/runner/run.js';
import { PythonFloat } from '../../lib/vars/python-float.js';
import { repoRoot, runSteer } from './steer-cli.js';

const exec = promisify(execFile);

export interface DiffStep {
  name: string;
  tags?: string[];
  /** A Jinja template the step renders and shows (Ansible: `debug: msg=…`; steer: a role template). */
  show?: string;
  /** Hosts the step fails on (Ansible: `failed_when: inventory_hostname in […]`; steer: `fail()`). */
  failOn?: string[];
}

export interface DiffRole {
  /** Role defaults (Ansible: defaults/main.yml; steer: variables.yaml, declared with every type). */
  defaults?: Record<string, unknown>;
  steps: DiffStep[];
}

export interface DiffRoleEntry {
  role: string;
  tags?: string[];
  vars?: Record<string, unknown>;
  when?: string | boolean | (string | boolean)[];
  any_errors_fatal?: boolean;
}

export interface DiffPlay {
  hosts: string;
  /** The failure policy: play keys, written the same for both tools. */
  serial?: number | string;
  max_fail_percentage?: number;
  any_errors_fatal?: boolean;
  vars?: Record<string, unknown>;
  tags?: string[];
  roles: DiffRoleEntry[];
}

export interface DiffScenario {
  /** The inventory file (its name picks the format: hosts.ini, hosts.yaml) and its text. */
  inventory: { file: string; text: string };
  /** More files, relative to the inventory's folder: group_vars/web.yaml, host_vars/h1.yaml … */
  files?: Record<string, string>;
  /** Files next to both playbooks (what lookup('file', …) reads): files/motd.txt … */
  playbookFiles?: Record<string, string>;
  /** Role names must differ within a play: Ansible runs a role listed twice with equal params once. */
  roles: Record<string, DiffRole>;
  plays: DiffPlay[];
}

export interface DiffRun {
  tags?: string[];
  skipTags?: string[];
  limit?: string;
  /** Each one an `-e` argument, given to both tools alike. */
  extraVars?: string[];
}

export type CellStatus = 'ran' | 'skipped' | 'failed';

export interface Cell {
  status: CellStatus;
  /** What a `show` step showed, or why the host failed. */
  msg?: string;
  /** The oracle only: the Python type of each `when` condition's value ('bool', 'str', 'error' …). */
  types?: string[];
}

/** One run's result: cells keyed `play|role|step|host` (a step not listed did not run). */
export interface Outcome {
  /** The run was refused or crashed before running (steer's exit 5, ansible-playbook's parse errors). */
  error?: string;
  cells: Map<string, Cell>;
  /** steerInProcess only: what the command printed besides events (warnings). */
  messages?: string[];
  /** ansiblePlaybook() and steer(): the exit status, and the recap's hosts with their failed count. */
  exitCode?: number;
  recap?: Record<string, { failed: number }>;
}

export const cellKey = (play: number, role: string, step: string, host: string): string => `${play}|${role}|${step}|${host}`;

/** The Python that runs ansible-playbook (its shebang), so ansible-core imports whatever `python3` is first on PATH. */
function ansiblePython(): string {
  const first = readFileSync(ansibleBin('ansible-playbook'), 'utf8').split('\n', 1)[0]!;
  return first.replace(/^#!\s*/, '').split(/\s+/)[0]!;
}

function ansibleBin(name: string): string {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    try {
      readFileSync(join(dir, name));
      return join(dir, name);
    } catch {
      // not in this folder
    }
  }
  throw new Error(`${name} not found on PATH (install Debian's ansible package)`);
}

/** Ansible's task name for a step: the role is part of it, so results map back to the role. */
const taskName = (role: string, step: string) => `${role}|${step}`;

/** [role, step] from a task name as Ansible reports it ("r1 : r1|step"), or undefined for other tasks. */
function fromTaskName(name: string): [string, string] | undefined {
  const own = name.split(' : ').pop()!;
  if (!own.includes('|')) return undefined;
  return own.split('|') as [string, string];
}

export class AnsibleDiff {
  readonly dir: string;
  private readonly inventoryPath: string;

  constructor(readonly scenario: DiffScenario) {
    this.dir = mkdtempSync(join(tmpdir(), 'steer-ansible-diff-'));
    const inventoryDir = join(this.dir, 'inventory');
    this.inventoryPath = join(inventoryDir, scenario.inventory.file);
    this.write(this.inventoryPath, scenario.inventory.text);
    for (const [path, text] of Object.entries(scenario.files ?? {})) this.write(join(inventoryDir, path), text);
    for (const [path, text] of Object.entries(scenario.playbookFiles ?? {})) {
      for (const tool of ['ansible', 'steer']) this.write(join(this.dir, tool, path), text);
    }
    for (const play of scenario.plays) {
      const names = play.roles.map((r) => r.role);
      if (new Set(names).size !== names.length) throw new Error(`a play lists a role twice (${names.join(', ')}): Ansible would run it once`);
    }
    this.writeAnsible();
    this.writeSteer();
  }

  private write(path: string, text: string): void {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }

  private writeAnsible(): void {
    const base = join(this.dir, 'ansible');
    for (const [name, role] of Object.entries(this.scenario.roles)) {
      const tasks = role.steps.map((s) => ({
        name: taskName(name, s.name),
        'ansible.builtin.debug': { msg: s.show ?? 'ran' },
        ...(s.failOn ? { failed_when: `inventory_hostname in ${JSON.stringify(s.failOn)}` } : {}),
        ...(s.tags ? { tags: s.tags } : {}),
      }));
      this.write(join(base, 'roles', name, 'tasks', 'main.yml'), yamlText(tasks));
      this.write(join(base, 'roles', name, 'defaults', 'main.yml'), yamlText(role.defaults ?? {}));
    }
    this.write(join(base, 'site.yml'), playbookText(this.scenario));
    // An empty configuration: nothing from the machine's ansible.cfg or ~/.ansible changes the result.
    this.write(join(base, 'ansible.cfg'), '');
  }

  private writeSteer(): void {
    const base = join(this.dir, 'steer');
    // Role scripts are ES modules, as in a steer project.
    this.write(join(base, 'package.json'), '{ "type": "module" }\n');
    for (const [name, role] of Object.entries(this.scenario.roles)) {
      const dir = join(base, 'roles', name);
      const variables: Record<string, unknown> = {};
      for (const [v, value] of Object.entries(role.defaults ?? {})) {
        variables[v] = { type: ['string', 'number', 'boolean', 'array', 'object', 'null'], default: value, description: `${v} (differential test)` };
      }
      this.write(join(dir, 'variables.yaml'), Object.keys(variables).length > 0 ? yamlText(variables) : '{}\n');
      const body = role.steps.map((s, i) => {
        const options = JSON.stringify({ tags: s.tags ?? [] });
        if (s.failOn) return `    await step(${JSON.stringify(s.name)}, ${options}, async () => (${JSON.stringify(s.failOn)}.includes(host) ? fail('failed on purpose') : 'ok'));`;
        if (s.show === undefined) return `    await step(${JSON.stringify(s.name)}, ${options}, async () => 'ok');`;
        this.write(join(dir, 'templates', `show${i}.njk`), s.show);
        return `    await step(${JSON.stringify(s.name)}, ${options}, async () => { note('SHOW ' + JSON.stringify([${JSON.stringify(s.name)}, template('show${i}.njk')])); return 'ok'; });`;
      });
      this.write(join(dir, 'role.ts'), `export default {\n  async run({ step, note, template, fail, host }: any) {\n${body.join('\n')}\n  },\n};\n`);
    }
    this.write(join(base, 'site.yaml'), playbookText(this.scenario));
  }

  private ansibleEnv(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      ANSIBLE_CONFIG: join(this.dir, 'ansible', 'ansible.cfg'),
      ANSIBLE_HOME: join(this.dir, 'ansible-home'),
      ANSIBLE_LOCAL_TEMP: join(this.dir, 'ansible-tmp'),
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_DEPRECATION_WARNINGS: 'False',
      ANSIBLE_RETRY_FILES_ENABLED: 'False',
      ANSIBLE_INVENTORY_UNPARSED_FAILED: 'True',
    };
  }

  /** Ansible's answer for every run, from ansible-core's classes (one process for all runs with the same -e). */
  async oracle(runs: DiffRun[]): Promise<Outcome[]> {
    const groups = new Map<string, number[]>();
    runs.forEach((r, i) => {
      const k = JSON.stringify(r.extraVars ?? []);
      groups.set(k, [...(groups.get(k) ?? []), i]);
    });
    const out: Outcome[] = new Array(runs.length);
    for (const [extra, indexes] of groups) {
      const request = {
        inventory: [this.inventoryPath],
        playbook: join(this.dir, 'ansible', 'site.yml'),
        extra_vars: JSON.parse(extra),
        runs: indexes.map((i) => ({ tags: runs[i]!.tags ?? [], skip_tags: runs[i]!.skipTags ?? [], limit: runs[i]!.limit ?? null })),
      };
      const stdout = await this.python(JSON.stringify(request));
      const answer = JSON.parse(stdout) as {
        runs: { error: string | null; results: { play: number; task: string; host: string; status: CellStatus; types: string[]; msg?: string }[] }[];
      };
      answer.runs.forEach((r, j) => {
        const cells = new Map<string, Cell>();
        for (const x of r.results) {
          const task = fromTaskName(x.task);
          if (!task) continue;
          const [role, step] = task;
          cells.set(cellKey(x.play, role, step, x.host), { status: x.status, types: x.types, ...(x.msg !== undefined ? { msg: String(x.msg) } : {}) });
        }
        out[indexes[j]!] = { ...(r.error ? { error: r.error } : {}), cells };
      });
    }
    return out;
  }

  private python(input: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(ansiblePython(), [join(repoRoot, 'test/support/ansible_oracle.py')], { cwd: join(this.dir, 'ansible'), env: this.ansibleEnv() });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`ansible_oracle.py exited ${code}: ${stderr}`))));
      child.stdin.end(input);
    });
  }

  /** A real ansible-playbook run (json callback). */
  async ansiblePlaybook(run: DiffRun): Promise<Outcome> {
    const args = ['-i', this.inventoryPath, 'site.yml', ...runArgs(run)];
    let stdout: string;
    let exitCode = 0;
    try {
      ({ stdout } = await exec(ansibleBin('ansible-playbook'), args, {
        cwd: join(this.dir, 'ansible'),
        env: { ...this.ansibleEnv(), ANSIBLE_STDOUT_CALLBACK: 'json' },
        maxBuffer: 64 * 1024 * 1024,
      }));
    } catch (err) {
      stdout = (err as { stdout?: string }).stdout ?? '';
      exitCode = (err as { code?: number }).code ?? 1;
      if (!stdout.trimStart().startsWith('{')) return { error: ((err as { stderr?: string }).stderr ?? String(err)).trim(), cells: new Map(), exitCode };
    }
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
      plays: { play: { path: string }; tasks: { task: { name: string }; hosts: Record<string, { skipped?: boolean; failed?: boolean; msg?: unknown }> }[] }[];
      stats: Record<string, { failures: number }>;
    };
    const recap = Object.fromEntries(Object.entries(report.stats).map(([host, s]) => [host, { failed: s.failures }]));
    const cells = new Map<string, Cell>();
    // The json callback reports each serial batch as a play of its own: its path (site.yml:LINE) says which.
    const playLines = playStartLines(readFileSync(join(this.dir, 'ansible', 'site.yml'), 'utf8'));
    for (const play of report.plays) {
      const i = playLines.indexOf(Number(play.play.path.split(':').pop()));
      if (i < 0) throw new Error(`ansible-playbook reported a play at ${play.play.path}, not the start of a play`);
      for (const t of play.tasks) {
        const task = fromTaskName(t.task.name);
        if (!task) continue;
        const [role, step] = task;
        for (const [host, r] of Object.entries(t.hosts)) {
          const status: CellStatus = r.failed ? 'failed' : r.skipped ? 'skipped' : 'ran';
          const msg = status === 'skipped' ? undefined : typeof r.msg === 'string' ? r.msg : r.msg === undefined ? undefined : JSON.stringify(r.msg);
          cells.set(cellKey(i, role, step, host), { status, ...(msg !== undefined ? { msg } : {}) });
        }
      }
    }
    return { cells, exitCode, recap };
  }

  /** steer's answer: `steer run --json`, as a user runs it. */
  async steer(run: DiffRun): Promise<Outcome> {
    const r = await runSteer(['run', join(this.dir, 'steer', 'site.yaml'), '-i', this.inventoryPath, '--json', '--retry-file', join(this.dir, 'steer.retry'), ...runArgs(run)]);
    if (r.code === 5 || (r.events.length === 0 && r.code !== 0)) return { error: r.stderr.trim(), cells: new Map() };
    const events = r.events as unknown as SteerEvent[];
    return { cells: steerCells(events, this.scenario), exitCode: r.code, ...steerRecap(events) };
  }

  /**
   * steer's answer from the same CLI code in this process (the run command with its preflight,
   * then the engine), without a node start-up per run: for matrices of hundreds of runs.
   */
  async steerInProcess(run: DiffRun): Promise<Outcome> {
    const events: SteerEvent[] = [];
    const renderer: Renderer = { event: (e) => void events.push(e as SteerEvent), end: async () => {} };
    const engine: RunEngine = (plan) => runPlaybook(plan, renderer);
    const program = new Command('steer').exitOverride();
    const lines: string[] = [];
    registerRunCommand(program, engine, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    const args = ['run', join(this.dir, 'steer', 'site.yaml'), '-i', this.inventoryPath, '--retry-file', join(this.dir, 'steer.retry'), ...runArgs(run)];
    const exitCode = process.exitCode;
    let code: number;
    try {
      process.exitCode = 0;
      await program.parseAsync(['node', 'steer', ...args]);
      code = Number(process.exitCode ?? 0);
    } catch (err) {
      if (err instanceof SteerError) return { error: `steer: ${formatUserMessage(err)}`, cells: new Map(), messages: lines };
      throw err;
    } finally {
      process.exitCode = exitCode;
    }
    return { cells: steerCells(events, this.scenario), messages: lines, exitCode: code, ...steerRecap(events) };
  }

  /**
   * steer's verdict before running, host by host: undefined when the run would start, else the
   * refusal (`path:line:col: message`). Calls the run command's own pre-run check
   * (checkPlanVariables) on a plan narrowed to one host — as `--limit HOST` does — loading the files once.
   */
  async steerRefusals(run: DiffRun, hosts: string[]): Promise<Map<string, string | undefined>> {
    const playbook = await loadPlaybook(join(this.dir, 'steer', 'site.yaml'), { cwd: this.dir, rolesPath: [] });
    const inventory = await loadInventory([this.inventoryPath], { playbookDir: playbook.dir });
    const extra = parseExtraVars(run.extraVars ?? [], this.dir);
    setLookupFolders([playbook.dir]);
    const verdicts = new Map<string, string | undefined>();
    for (const host of hosts) {
      try {
        const plan = await buildPlan({
          playbook,
          inventory,
          extra,
          options: { limit: host, tags: run.tags ?? [], skipTags: run.skipTags ?? [], check: false, diff: false, forks: 10, verbosity: 0, output: 'json', hostKeyChecking: 'off', inventorySources: [this.inventoryPath] },
        });
        checkPlanVariables(plan);
        verdicts.set(host, undefined);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        verdicts.set(host, formatUserMessage(err));
      }
    }
    return verdicts;
  }

  /** ansible-inventory's warnings about the scenario's inventory ("[WARNING]: …" lines). */
  async ansibleInventoryWarnings(): Promise<string[]> {
    const { stderr } = await exec(ansibleBin('ansible-inventory'), ['-i', this.inventoryPath, '--list'], { cwd: join(this.dir, 'ansible'), env: this.ansibleEnv() });
    return stderr.split('\n').filter((l) => l.startsWith('[WARNING]'));
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * YAML both tools read alike: YAML 1.1 quoting (so the string "yes" is written quoted and not read
 * as a boolean by PyYAML), and a PythonFloat written as a float (2.0).
 */
export function yamlText(value: unknown): string {
  const floats = (_key: unknown, v: unknown) => (v instanceof PythonFloat ? Object.assign(new Scalar(v.value), { minFractionDigits: 1 }) : v);
  return stringify(value, floats, { version: '1.1' });
}

/** The line (from 1) where each play of a playbook's text starts, as Ansible reports a play's path. */
function playStartLines(text: string): number[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, version: '1.1' });
  if (!isSeq(doc.contents)) throw new Error('a playbook is a list of plays');
  return doc.contents.items.map((play) => lines.linePos(play.range![0]).line);
}

/** The plays, the same text for both tools (steer's playbook keys are Ansible's). */
function playbookText(scenario: DiffScenario): string {
  const plays = scenario.plays.map((p) => ({
    hosts: p.hosts,
    gather_facts: false,
    ...(p.serial !== undefined ? { serial: p.serial } : {}),
    ...(p.max_fail_percentage !== undefined ? { max_fail_percentage: p.max_fail_percentage } : {}),
    ...(p.any_errors_fatal !== undefined ? { any_errors_fatal: p.any_errors_fatal } : {}),
    ...(p.vars ? { vars: p.vars } : {}),
    ...(p.tags ? { tags: p.tags } : {}),
    roles: p.roles.map(entry),
  }));
  return yamlText(plays);
}

function entry(e: DiffRoleEntry): Record<string, unknown> {
  return {
    role: e.role,
    ...(e.tags ? { tags: e.tags } : {}),
    ...(e.vars ? { vars: e.vars } : {}),
    ...(e.when !== undefined ? { when: e.when } : {}),
    ...(e.any_errors_fatal !== undefined ? { any_errors_fatal: e.any_errors_fatal } : {}),
  };
}

function runArgs(run: DiffRun): string[] {
  return [
    ...(run.tags?.length ? ['--tags', run.tags.join(',')] : []),
    ...(run.skipTags?.length ? ['--skip-tags', run.skipTags.join(',')] : []),
    ...(run.limit !== undefined ? ['--limit', run.limit] : []),
    ...(run.extraVars ?? []).flatMap((e) => ['-e', e]),
  ];
}

type SteerEvent =
  | { type: 'play-start' }
  | { type: 'recap'; hosts: Record<string, { failed: number }> }
  | { type: 'step-result'; host: string; role: string; step: string; status: string; message?: string; handler?: boolean }
  | { type: 'note'; host: string; message: string }
  | { type: string };

/** The recap's hosts and their failed counts, from steer's events. */
function steerRecap(events: SteerEvent[]): Pick<Outcome, 'recap'> {
  const recap = events.find((e): e is Extract<SteerEvent, { type: 'recap' }> => e.type === 'recap');
  return recap ? { recap: Object.fromEntries(Object.entries(recap.hosts).map(([host, c]) => [host, { failed: c.failed }])) } : {};
}

/** Cells from steer's --json events; a role skipped by its `when` skips each of its steps. */
export function steerCells(events: SteerEvent[], scenario: DiffScenario): Map<string, Cell> {
  const cells = new Map<string, Cell>();
  let play = -1;
  const shown = new Map<string, string>();
  for (const e of events) {
    if (e.type === 'play-start') play++;
    if (e.type === 'note' && 'message' in e && e.message.startsWith('SHOW ')) {
      const [step, text] = JSON.parse(e.message.slice(5)) as [string, string];
      shown.set(`${(e as { host: string }).host}|${step}`, text);
    }
    if (e.type !== 'step-result') continue;
    const r = e as Extract<SteerEvent, { type: 'step-result' }>;
    if (r.handler) continue;
    if (r.step === '(role)' || r.step === '(variables)') {
      const status: CellStatus = r.status === 'failed' ? 'failed' : 'skipped';
      for (const s of scenario.roles[r.role]?.steps ?? []) cells.set(cellKey(play, r.role, s.name, r.host), { status, ...(r.message ? { msg: r.message } : {}) });
      continue;
    }
    const status: CellStatus = r.status === 'failed' ? 'failed' : r.status === 'skipped' ? 'skipped' : 'ran';
    // Ansible's debug task shows "ran" when it has nothing else to show.
    const msg = status === 'failed' ? r.message : status === 'ran' ? (shown.get(`${r.host}|${r.step}`) ?? 'ran') : undefined;
    cells.set(cellKey(play, r.role, r.step, r.host), { status, ...(msg !== undefined ? { msg } : {}) });
  }
  return cells;
}

/**
 * `play|role|step|host` → "ran" (with what the step showed) or "failed", for the cells that ran or
 * failed: a skipped step and a step left out by the tags are the same "did not run".
 */
export function ranCells(outcome: Outcome, withMessages = false): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, c] of outcome.cells) {
    if (c.status === 'failed') out.set(k, 'failed');
    else if (c.status === 'ran') out.set(k, withMessages && c.msg !== undefined ? `ran: ${c.msg}` : 'ran');
  }
  return out;
}

/** Differences between two outcomes' ran cells, one line each ("key: a ≠ b"). */
export function differences(a: Outcome, b: Outcome, withMessages = false): string[] {
  const x = ranCells(a, withMessages);
  const y = ranCells(b, withMessages);
  const keys = [...new Set([...x.keys(), ...y.keys()])].sort();
  return keys.filter((k) => x.get(k) !== y.get(k)).map((k) => `${k}: ${x.get(k) ?? 'not run'} ≠ ${y.get(k) ?? 'not run'}`);
}
