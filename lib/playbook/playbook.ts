// The playbook model, after loading and validation: a list of plays, each running roles on hosts.
import type { SourceLocation } from '../errors.js';
import type { Vars } from '../inventory/inventory.js';

export interface RoleVariable {
  name: string;
  /** JSON Schema of the value (type, enum, items, properties …). */
  schema: Record<string, unknown>;
  default?: unknown;
  description: string;
  /** Masked in every output. */
  secret: boolean;
  /** Must be set somewhere (inventory, play, -e) when it has no default. */
  required?: boolean;
}

/** One condition of a `when` (a list means all of them must hold), with where it is written. */
export interface Condition {
  /** A bare Jinja expression (`x == 'y'`), or "true"/"false" for a YAML boolean. */
  expression: string;
  location?: SourceLocation;
}

export interface RoleRef {
  name: string;
  /** roles/NAME, absolute. */
  dir: string;
  /** Tags given in the playbook for this role (the role's own name is added by the runner). */
  tags: string[];
  /** Role parameters from the playbook (`vars:` of the role entry). */
  params: Vars;
  /** The role entry's `when`: conditions evaluated per host, all must hold. */
  when?: Condition[];
  /** A host failing in this role stops the run (Ansible's any_errors_fatal on a role entry). */
  anyErrorsFatal?: boolean;
  /** The role runs on one host of each batch (the first to start it), as Ansible's run_once. */
  runOnce?: boolean;
  /** The role's declared variables (roles/NAME/variables.yaml). */
  variables: RoleVariable[];
  location: SourceLocation;
}

export interface Play {
  name: string;
  /** The host pattern. */
  hosts: string;
  roles: RoleRef[];
  vars: Vars;
  /** Paths of vars_files, resolved relative to the playbook; their content is loaded into varsFromFiles. */
  varsFiles: string[];
  varsFromFiles: Vars;
  /** Where each play var and vars_files var was set (for messages). */
  varSources?: Record<string, SourceLocation>;
  tags: string[];
  /** Batch sizes: numbers or percentages ("30%"); the last repeats. Empty: all hosts at once. */
  serial: (number | string)[];
  gatherFacts: boolean;
  become: boolean;
  becomeUser?: string;
  anyErrorsFatal: boolean;
  /** Notified handlers run even on hosts that failed later in the role (Ansible's force_handlers). */
  forceHandlers: boolean;
  maxFailPercentage?: number;
  location: SourceLocation;
}

export interface Playbook {
  /** Absolute path of the playbook file. */
  path: string;
  /** The folder holding it (for playbook-side group_vars/host_vars and roles/). */
  dir: string;
  plays: Play[];
}
