// Connecting a batch's hosts (all at once, each connection opened once per run and reused by every
// play) and gathering their facts (Ansible's implicit setup step). A host that cannot be reached is
// "unreachable" and runs nothing more; a user mistake in its connection variables stops the run.
import type { Connection } from '../connection/connection.js';
import { HostLockError } from '../connection/host-lock.js';
import { createConnection } from '../connection/open.js';
import { UnreachableError, UserError } from '../errors.js';
import { gatherFacts } from '../facts/gather.js';
import type { HostState } from './host-state.js';
import type { RunState } from './run-state.js';

/** Opens connections for hosts that have none yet; failures make hosts unreachable. */
export async function connectHosts(run: RunState, hosts: HostState[]): Promise<void> {
  const o = run.plan.input.options;
  const verbose = o.verbosity >= 3 ? (host: string) => (line: string) => run.reporter.emit({ type: 'log', host, message: line }) : undefined;
  await Promise.all(
    hosts
      .filter((h) => h.active && !h.connection)
      .map(async (h) => {
        const started = Date.now();
        let connection: Connection | undefined;
        try {
          connection = createConnection(h.name, run.vars.connectionVars(h.name), {
            hostKeyChecking: o.hostKeyChecking,
            ...(run.hostLock ? { hostLock: run.hostLock } : {}),
            ...(o.becomePassword !== undefined ? { becomePassword: o.becomePassword } : {}),
            ...(verbose ? { verbose: verbose(h.name) } : {}),
          });
          await connection.connect();
          h.connection = connection;
        } catch (err) {
          await connection?.close().catch(() => {});
          // A mistake in the host's connection variables is the user's; anything else, the host's.
          if (err instanceof UserError) throw err;
          // Another run holding the host's lock: reachable, but this run must not act on it.
          h.status = err instanceof HostLockError ? 'failed' : 'unreachable';
          run.reporter.emit({ type: 'step-result', host: h.name, role: 'connect', step: 'Connect', status: h.status, message: (err as Error).message, durationMs: Date.now() - started });
        }
      }),
  );
}

/** Gathers a host's facts as a step of its own ("Gathering Facts"), like Ansible's setup task. */
export async function gatherFactsStep(run: RunState, h: HostState): Promise<void> {
  if (!h.active || !h.connection) return;
  const started = Date.now();
  const base = { host: h.name, role: 'setup', step: 'Gathering Facts' };
  run.reporter.emit({ type: 'step-start', ...base });
  try {
    h.facts = await gatherFacts(h.connection);
    run.reporter.emit({ type: 'step-result', ...base, status: 'ok', durationMs: Date.now() - started });
  } catch (err) {
    const unreachable = err instanceof UnreachableError;
    h.status = unreachable ? 'unreachable' : 'failed';
    run.reporter.emit({ type: 'step-result', ...base, status: h.status === 'unreachable' ? 'unreachable' : 'failed', message: (err as Error).message, durationMs: Date.now() - started });
  }
}
