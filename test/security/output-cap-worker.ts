// Runs one command that prints without end on a fresh process (so its peak memory is its own) and
// prints a JSON line: the error, the peak resident set before and after (kB), and whether the
// connection still runs commands. argv: local|ssh COMMAND; ssh reads the sshd from $STEER_TEST_SSHD.
import { Command, sh } from '../../lib/command/command.js';
import type { Connection } from '../../lib/connection/connection.js';
import { LocalConnection } from '../../lib/connection/local.js';
import { sshTo } from '../connection/helpers.js';

const [kind, command] = process.argv.slice(2) as [string, string];
const connection: Connection = kind === 'ssh' ? sshTo(JSON.parse(process.env.STEER_TEST_SSHD!)) : new LocalConnection('local');
await connection.connect();
await connection.run(sh`true`);
const before = process.resourceUsage().maxRSS;
const started = Date.now();
let error: string | undefined;
let code: string | undefined;
try {
  await connection.run(new Command(command, command));
} catch (e) {
  error = (e as Error).message;
  code = (e as { code?: string }).code;
}
const elapsedMs = Date.now() - started;
const peak = process.resourceUsage().maxRSS;
const next = await connection.run(sh`echo still here`);
await connection.close();
console.log(JSON.stringify({ error, code, beforeKb: before, peakKb: peak, elapsedMs, next: next.stdout }));
