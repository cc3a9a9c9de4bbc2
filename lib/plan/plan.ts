// The plan: what a run will do, computed before anything connects. `steer run` goes
// load → plan → execute → report; the listing options (--list-hosts, --list-tasks, --list-tags)
// print the plan, the runner consumes it. A plan is data: no connections, no functions of hosts.
import type { HostKeyChecking } from '../connection/known-hosts.js';
import type { Inventory } from '../inventory/inventory.js';
import type { Play, Playbook, RoleRef } from '../playbook/playbook.js';
import type { ExtraVars } from '../vars/extra-vars.js';

/** What the user asked for on the command line, beyond the files that were loaded. */
export interface RunOptions {
  /** The --limit pattern with @files expanded, joined with commas. */
  limit?: string;
  tags: string[];
  skipTags: string[];
  check: boolean;
  diff: boolean;
  /** Hosts running a role at the same time. */
  forks: number;
  verbosity: number;
  /** 'auto': live view on a terminal, plain lines otherwise; 'json': one JSON event per line. */
  output: 'auto' | 'plain' | 'json';
  hostKeyChecking: HostKeyChecking;
  becomePassword?: string;
  /** Where failed/unreachable hosts are written (default: PLAYBOOK.retry in the current folder; false: nowhere, as `steer exec`). */
  retryFile?: string | false;
  /** The -i arguments, as given (ansible_inventory_sources). */
  inventorySources: string[];
  /** Run notified handlers even on hosts that failed (--force-handlers). */
  forceHandlers?: boolean;
  /** Start at the first step matching this (--start-at-step). */
  startAtStep?: string;
}

/** The loaded inputs of a run (the load stage's result). */
export interface RunInput {
  playbook: Playbook;
  inventory: Inventory;
  extra: ExtraVars;
  options: RunOptions;
}

/** A step as found by walking a role script (--list-tasks, --list-tags, tag selection). */
export interface ListedStep {
  role: string;
  name: string;
  /** The step's own tags with the role's (play, role entry, role name). */
  tags: string[];
  /** The step's own tags alone (selection: tags.ts stepTags). */
  own: string[];
}

export interface RolePlan {
  ref: RoleRef;
  /** Play tags, the role entry's tags and the role's name: every step of the role has them. */
  tags: string[];
  /** Whether --tags/--skip-tags let at least one of its steps run. */
  selected: boolean;
  /** Its steps, when the role was walked (listings, or tag selection that needs step tags). */
  steps?: ListedStep[];
  /** --start-at-step: this role holds the first matching step; its steps before it do not run. */
  startAt?: { pattern: string; role: string };
}

export interface PlayPlan {
  play: Play;
  /** 0-based position in the playbook. */
  index: number;
  /** The hosts of the play's pattern narrowed by --limit, in inventory order. */
  hosts: string[];
  /** `serial` batches of those hosts (one batch without serial). */
  batches: string[][];
  roles: RolePlan[];
  /** --start-at-step: the step is in a later play, so this one does not run. */
  skippedByStartAt?: boolean;
}

export interface RunPlan {
  input: RunInput;
  plays: PlayPlan[];
  /** Ansible's warnings found while planning (host patterns matching nothing). */
  warnings: string[];
}
