// What the engine knows about one host across the whole run.
import type { Connection } from '../connection/connection.js';
import type { Facts } from '../facts/facts.js';
import type { Vars } from '../inventory/inventory.js';

export type HostStatus = 'ok' | 'failed' | 'unreachable';

export class HostState {
  connection?: Connection;
  facts?: Facts;
  status: HostStatus = 'ok';
  /** Values published by roles on this host (like set_fact), visible to every host as hostvars. */
  readonly published: Vars = {};

  constructor(readonly name: string) {}

  get active(): boolean {
    return this.status === 'ok';
  }
}
