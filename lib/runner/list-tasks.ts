// --list-tasks and step tags for --list-tags: role scripts are imperative, so each role is run
// against a recording context that executes nothing and notes every step it reaches.
import { sh } from '../command/command.js';
import type { Facts } from '../facts/facts.js';
import type { ModuleCalls } from '../modules/index.js';
import type { Play, Playbook } from '../playbook/playbook.js';
import type { Output, RoleContext, StepBody, StepOptions } from './role-api.js';
import { loadRole } from './role-loader.js';

export interface ListedStep {
  role: string;
  name: string;
  tags: string[];
}

const emptyOutput: Output = { stdout: '', stderr: '', code: 0, ok: true, text: () => '', lines: () => [] };

/** Any property of any depth reads as an empty string, so `facts.os.id` works while listing. */
const blank: any = new Proxy(() => blank, {
  get: (_t, key) => (key === Symbol.toPrimitive ? () => '' : key === 'then' ? undefined : blank),
  apply: () => blank,
});

export async function listPlaySteps(play: Play): Promise<ListedStep[]> {
  const steps: ListedStep[] = [];
  for (const ref of play.roles) {
    const role = await loadRole(ref);
    const defaults = Object.fromEntries(ref.variables.map((v) => [v.name, v.default]));
    const shell: any = (first: unknown) => (Array.isArray(first) ? Promise.resolve(emptyOutput) : () => Promise.resolve(emptyOutput));
    const ctx: RoleContext<any> = {
      host: '(listing)',
      vars: { ...defaults, ...play.vars, ...ref.params },
      facts: blank as Facts,
      // Not check mode: roles skip steps in check mode that a real run has, and those are listed too.
      check: false,
      step: (async (name: string, a: StepOptions | StepBody) => {
        const tags = typeof a === 'function' ? [] : (a.tags ?? []);
        steps.push({ role: ref.name, name, tags: [...new Set([...play.tags, ...ref.tags, ref.name, ...tags])] });
        return { status: 'skipped', results: [] };
      }) as RoleContext['step'],
      $: shell,
      probe: shell,
      m: new Proxy({} as ModuleCalls, { get: () => async () => ({ changed: false }) }),
      template: () => '',
      file: () => '',
      notify: () => {},
      flushHandlers: async () => {},
      publish: () => {},
      hostvars: blank,
      groups: blank,
      playHosts: [],
      fail: (message: string): never => {
        throw new Error(message);
      },
      warn: () => {},
      note: () => {},
      on: () => ({ $: shell, probe: shell }),
      sh,
    };
    try {
      await role.run(ctx);
    } catch {
      // A role that cannot be walked without a host lists the steps it reached.
    }
  }
  return steps;
}

export async function formatTaskList(playbook: Playbook, playbookLabel: string): Promise<string[]> {
  const lines = [`playbook: ${playbookLabel}`];
  for (const [i, play] of playbook.plays.entries()) {
    lines.push('', `  play #${i + 1} (${play.hosts}): ${play.name}\tTAGS: [${play.tags.join(', ')}]`, '    tasks:');
    for (const s of await listPlaySteps(play)) lines.push(`      ${s.role} : ${s.name}\tTAGS: [${s.tags.join(', ')}]`);
  }
  return lines;
}
