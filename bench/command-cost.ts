// The cost of one command on a persistent shell, over ssh to a loopback sshd: wall time and the
// processes it forks on the host. The sshd runs in its own PID namespace, so the namespace's last
// pid (/proc/loadavg, read by a shell builtin) counts forks exactly on a shared, busy machine.
// Probes are measured on the shell and through the resident probe helper (probe-helper.ts).
//   node --import tsx bench/command-cost.ts [N]      (default N = 200; root not needed)
import { join } from 'node:path';
import { Command, sh } from '../lib/command/command.js';
import type { Connection } from '../lib/connection/connection.js';
import { PROBE_TIMEOUT_MS, probeCommand } from '../lib/modules/probe.js';
import { fileSections } from '../lib/modules/file-state.js';
import { aptSections } from '../lib/modules/apt.js';
import { startSshd } from '../test/support/sshd.js';
import { sshTo } from '../test/connection/helpers.js';

const N = Number(process.argv[2] ?? 200);
const LAST_PID = new Command('read -r _ _ _ _ l </proc/loadavg; printf %s "$l"', 'last pid');

interface Cost {
  name: string;
  msPerCommand: number;
  forksPerCommand: number;
}

async function lastPid(c: Connection): Promise<number> {
  return Number((await c.run(LAST_PID)).stdout);
}

/** Runs `make(i)` N times in a row; forks are counted between two last-pid reads. */
async function measure(c: Connection, name: string, make: (i: number) => Promise<unknown>): Promise<Cost> {
  const idle = (await lastPid(c)) - (await lastPid(c)); // the read itself forks too
  const before = await lastPid(c);
  const started = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await make(i);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const after = await lastPid(c);
  return { name, msPerCommand: ms / N, forksPerCommand: (after - before + idle) / N };
}

const sshd = await startSshd({ pidNamespace: true });
const conn = sshTo(sshd);
try {
  await conn.connect();
  for (let i = 0; i < 20; i++) await conn.run(sh`true`); // warm up
  const target = join(sshd.dir, 'probed.conf');
  await conn.put(target, 'key=value\n');
  const probe = probeCommand(fileSections('file', target, { content: true }));
  const aptProbe = probeCommand(aptSections(['bash', 'coreutils']));
  // The same probes as shell text only (what runs on a host without python3).
  const onShell = (c: Command) => new Command(c.text, c.display);
  // The first probe runs on the shell and starts the probe helper; wait for it.
  await conn.run(probe, { timeoutMs: PROBE_TIMEOUT_MS });
  for (let i = 0; i < 200 && conn.helperStats.started === 0; i++) await new Promise((r) => setTimeout(r, 25));
  const costs = [
    await measure(conn, '`true`', () => conn.run(sh`true`)),
    await measure(conn, '`true` with a timeout', () => conn.run(sh`true`, { timeoutMs: 60_000 })),
    await measure(conn, 'file probe (stat + content) on the shell', () => conn.run(onShell(probe), { timeoutMs: PROBE_TIMEOUT_MS })),
    await measure(conn, 'file probe (stat + content) by the probe helper, as modules run it', () => conn.run(probe, { timeoutMs: PROBE_TIMEOUT_MS })),
    await measure(conn, 'apt probe (2 installed packages) on the shell', () => conn.run(onShell(aptProbe), { timeoutMs: PROBE_TIMEOUT_MS })),
    await measure(conn, 'apt probe (2 installed packages) by the probe helper', () => conn.run(aptProbe, { timeoutMs: PROBE_TIMEOUT_MS })),
    await measure(conn, 'put (inline, 10 bytes)', (i) => conn.put(target, `key=${i}\n`)),
  ];
  console.log(`| command (${N} in a row, loopback sshd) | ms per command | processes forked on the host |`);
  console.log('|---|---:|---:|');
  for (const c of costs) console.log(`| ${c.name} | ${c.msPerCommand.toFixed(2)} | ${c.forksPerCommand.toFixed(2)} |`);
} finally {
  await conn.close();
  await sshd.stop();
}
