// Ansible's magic variables (docs: reference_appendices/special_variables), per phase. A name whose
// value cannot be known in a phase is absent there, and `phaseOf` says when it is known, so an
// undefined-variable error can say "… is only known while a play runs" instead of "undefined".
import { OMIT } from './omit.js';
import { magicVars as inventoryMagic } from '../inventory/magic.js';
import type { Inventory, Vars } from '../inventory/inventory.js';

/**
 * Where variables are computed:
 * - `inventory`: `steer inventory --host`, from the inventory alone;
 * - `connection`: opening a host's connection (`steer run`, `steer facts`), run options known;
 * - `pre-run`: the check of every role's variables before anything runs (no facts, nothing published);
 * - `play`: a role running on a host.
 */
export type VarsPhase = 'inventory' | 'connection' | 'pre-run' | 'play';

/** The options of the run that Ansible exposes as variables. */
export interface RunSettings {
  check: boolean;
  diff: boolean;
  forks: number;
  /** The --limit pattern, when given. */
  limit?: string;
  tags: string[];
  skipTags: string[];
  verbosity: number;
  /** The folder of the playbook, when there is one. */
  playbookDir?: string;
  /** The -i arguments, as given. */
  inventorySources: string[];
}

export const DEFAULT_SETTINGS: RunSettings = {
  check: false,
  diff: false,
  forks: 10,
  tags: [],
  skipTags: [],
  verbosity: 0,
  inventorySources: [],
};

/** What the plan knows of the play a host is in (pre-run and play phases). */
export interface PlayScope {
  name: string;
  /** Every host the play targets (ansible_play_hosts_all). */
  hosts: readonly string[];
  /** The hosts still running the play: failed ones removed (ansible_play_hosts). */
  activeHosts(): readonly string[];
  /** The host's serial batch, failed hosts removed (ansible_play_batch). */
  batchOf(host: string): readonly string[];
  /** The play's roles by name, in order (ansible_play_role_names). */
  roleNames: readonly string[];
}

/** The role whose variables are computed (role_name, role_path). */
export interface RoleScope {
  name: string;
  dir: string;
}


/** Names known from the play on (not in `steer inventory` nor while connecting). */
const PLAY_NAMES = [
  'ansible_play_hosts',
  'ansible_play_hosts_all',
  'ansible_play_batch',
  'play_hosts',
  'ansible_play_name',
  'ansible_play_role_names',
  'ansible_role_names',
  'role_name',
  'role_path',
] as const;

/** Names known only while a role runs on a host. */
const RUNTIME_NAMES = ['ansible_facts', 'facts'] as const;

/** The phase from which a magic variable is known, or undefined for a name that is not magic. */
export function phaseOf(name: string): VarsPhase | undefined {
  if ((RUNTIME_NAMES as readonly string[]).includes(name)) return 'play';
  if ((PLAY_NAMES as readonly string[]).includes(name)) return 'pre-run';
  return undefined;
}

/** The magic variables of `host` known in every phase (inventory-derived and run options). */
export function baseMagic(inv: Inventory, host: string, settings: RunSettings, hostvars: Record<string, Vars>, groups: Record<string, string[]>): Vars {
  return {
    ...inventoryMagic(inv, host),
    groups,
    hostvars,
    omit: OMIT,
    ansible_check_mode: settings.check,
    ansible_diff_mode: settings.diff,
    ansible_forks: settings.forks,
    ansible_verbosity: settings.verbosity,
    ansible_run_tags: settings.tags.length ? settings.tags : ['all'],
    ansible_skip_tags: settings.skipTags,
    ansible_inventory_sources: settings.inventorySources,
    ...(settings.limit !== undefined ? { ansible_limit: settings.limit } : {}),
    ...(settings.playbookDir !== undefined ? { playbook_dir: settings.playbookDir } : {}),
  };
}

/** The magic variables a play adds for `host` (pre-run and play phases). */
export function playMagic(play: PlayScope, host: string, role?: RoleScope): Vars {
  const active = [...play.activeHosts()];
  return {
    ansible_play_name: play.name,
    ansible_play_hosts_all: [...play.hosts],
    ansible_play_hosts: active,
    play_hosts: active,
    ansible_play_batch: [...play.batchOf(host)],
    ansible_play_role_names: [...play.roleNames],
    ansible_role_names: [...play.roleNames],
    ...(role ? { role_name: role.name, role_path: role.dir } : {}),
  };
}
