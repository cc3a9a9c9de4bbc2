// What `steer run` hands the engine once the inventory and playbook are loaded and validated.
import type { Inventory, Vars } from '../inventory/inventory.js';
import type { Playbook } from '../playbook/playbook.js';

export type HostKeyChecking = 'strict' | 'accept-new' | 'off';

export interface RunRequest {
  playbook: Playbook;
  inventory: Inventory;
  /** The --limit pattern (already expanded from @file), if any. */
  limit?: string;
  tags: string[];
  skipTags: string[];
  check: boolean;
  diff: boolean;
  forks: number;
  extraVars: Vars;
  /** 'auto': live view on a terminal, plain lines otherwise; 'json': one JSON event per line. */
  output: 'auto' | 'plain' | 'json';
  verbosity: number;
  becomePassword?: string;
  hostKeyChecking: HostKeyChecking;
  /** Where failed/unreachable hosts are written (default: next to the playbook, NAME.retry). */
  retryFile?: string;
}
