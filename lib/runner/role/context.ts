// The object a role script receives (RoleContext, see role-api.ts), assembled from its parts. The
// same assembly serves a real host (role-on-host.ts) and the plan's walk of a role (plan/walk.ts):
// only the parts differ, so a listing sees exactly the API a run does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sh } from '../../command/command.js';
import { HostError } from '../../errors.js';
import type { Facts } from '../../facts/facts.js';
import type { Vars } from '../../inventory/inventory.js';
import type { ModuleCalls } from '../../modules/index.js';
import type { RoleRef } from '../../playbook/playbook.js';
import { registerSecretsIn } from '../../secrets/masker.js';
import { renderTemplateString } from '../../vars/template.js';
import { dataScope } from '../../vars/unsafe.js';
import type { RoleContext, Shell, StepBody, StepOptions, StepResult } from '../role-api.js';

export interface RoleParts {
  host: string;
  ref: RoleRef;
  vars: Vars;
  facts(): Facts;
  check: boolean;
  step(name: string, options: StepOptions, body: StepBody): Promise<StepResult>;
  $: Shell;
  probe: Shell;
  m: ModuleCalls;
  notify(handler: string): void;
  flushHandlers(): Promise<void>;
  reboot(): Promise<void>;
  /** Stores a value this host publishes (its secrecy is registered here). */
  publish(key: string, value: unknown): void;
  hostvars: Record<string, Vars>;
  groups: Record<string, string[]>;
  playHosts: string[];
  warn(message: string): void;
  note(message: string): void;
  on(host: string): { $: Shell; probe: Shell };
  local: { $: Shell; probe: Shell; m: ModuleCalls };
}

/** A facts object for plays that do not gather facts: any read explains why it is empty. */
export const NO_FACTS = new Proxy({} as Facts, {
  get(_t, key) {
    if (key === 'then' || typeof key === 'symbol') return undefined;
    throw new HostError(`facts.${String(key)} is not available: facts were not gathered (gather_facts: false)`, 'NO_FACTS');
  },
});

export function createRoleContext(parts: RoleParts): RoleContext<any> {
  const templateVars = (): Vars => ({
    ...parts.vars,
    facts: parts.facts(),
    ansible_facts: parts.facts(),
    hostvars: parts.hostvars,
    groups: parts.groups,
    inventory_hostname: parts.host,
  });
  return {
    host: parts.host,
    vars: parts.vars,
    get facts() {
      return parts.facts();
    },
    check: parts.check,
    step: ((name: string, a: StepOptions | StepBody, b?: StepBody) =>
      typeof a === 'function' ? parts.step(name, {}, a) : parts.step(name, a, b!)) as RoleContext['step'],
    $: parts.$,
    probe: parts.probe,
    m: parts.m,
    template: (file, extra) => renderTemplateString(readFileSync(join(parts.ref.dir, 'templates', file), 'utf8'), dataScope({ ...templateVars(), ...extra }), { what: `template ${file}` }),
    file: (file) => readFileSync(join(parts.ref.dir, 'files', file), 'utf8'),
    notify: parts.notify,
    flushHandlers: parts.flushHandlers,
    reboot: parts.reboot,
    publish(key, value, options) {
      if (options?.secret) registerSecretsIn(value);
      parts.publish(key, value);
    },
    hostvars: parts.hostvars,
    groups: parts.groups,
    playHosts: parts.playHosts,
    fail(message): never {
      throw new HostError(message, 'ROLE_FAILED');
    },
    warn: parts.warn,
    note: parts.note,
    on: parts.on,
    local: parts.local,
    sh,
  };
}
