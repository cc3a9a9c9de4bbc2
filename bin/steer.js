#!/usr/bin/env node
// The CLI is TypeScript run through tsx: no build step between a clone and a working `steer`.
import { register } from 'tsx/esm/api';

register();
// `steer … | head` closes the pipe early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
// A signal before the run has started (while loading) ends the process as interrupted; the engine
// replaces these handlers with its own clean stop while a playbook runs.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(99));
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv);
