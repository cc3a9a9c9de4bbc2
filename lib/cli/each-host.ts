// The loop of the read-only commands (`steer facts`, `steer doctor`): open every host's connection
// (at most `forks` at once, as a run does), read each one that opened, close them all — also when
// reading throws. A host's outcome is what it returned or the error that stopped it; one host's
// failure never stops the others.
import pLimit from 'p-limit';
import type { Connection } from '../connection/connection.js';
import { connectAll } from '../connection/open.js';
import { SteerError, formatUserMessage } from '../errors.js';

/**
 * Connects, runs `read` on each connected host, closes. Returns host → value, or the Error of a host
 * that did not connect (UnreachableError, HostKeyError, …) or whose `read` rejected. Never rejects
 * for a host's failure.
 */
export async function readEachHost<T>(connections: Connection[], forks: number, read: (c: Connection) => Promise<T>): Promise<Map<string, T | Error>> {
  const outcomes = new Map<string, T | Error>();
  try {
    const opened = await connectAll(connections, forks);
    const limit = pLimit(forks);
    await Promise.all(
      connections.map((c) =>
        limit(async () => {
          const failure = opened.get(c.host);
          if (failure) return void outcomes.set(c.host, failure);
          try {
            outcomes.set(c.host, await read(c));
          } catch (error) {
            outcomes.set(c.host, error as Error);
          }
        }),
      ),
    );
  } finally {
    await Promise.all(connections.map((c) => c.close()));
  }
  return outcomes;
}

/** A host's error as one line of a report: a user error's message (with its file:line), else the error's own. */
export function errorText(error: Error): string {
  return error instanceof SteerError ? formatUserMessage(error) : error.message;
}
