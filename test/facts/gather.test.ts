import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Command } from '../../lib/command/command.js';
import type { Connection, RunOptions, RunResult } from '../../lib/connection/connection.js';
import { LocalConnection } from '../../lib/connection/local.js';
import { gatherFacts } from '../../lib/facts/gather.js';

/** Counts round trips of the connection it wraps. */
function counting(inner: Connection): Connection & { calls: number } {
  const wrapper = {
    calls: 0,
    host: inner.host,
    connect: () => inner.connect(),
    run(command: Command, options?: RunOptions): Promise<RunResult> {
      wrapper.calls++;
      return inner.run(command, options);
    },
    put: inner.put.bind(inner),
    get: inner.get.bind(inner),
    reconnect: inner.reconnect.bind(inner),
    close: () => inner.close(),
  };
  return wrapper;
}

test('gatherFacts reads the controller in one command', async (t) => {
  const local = new LocalConnection('controller');
  t.after(() => local.close());
  const conn = counting(local);
  const facts = await gatherFacts(conn);
  assert.equal(conn.calls, 1);
  const { readFileSync } = await import('node:fs');
  assert.equal(facts.bootId, readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  assert.equal(facts.kernel, (await import('node:os')).release());
  assert.equal(facts.cmdline, readFileSync('/proc/cmdline', 'utf8').trim());
  assert.ok(facts.memory.totalMb > 0);
  assert.ok([1, 2].includes(facts.cgroup.version));
  assert.equal(facts.user, (await import('node:os')).userInfo().username);
  assert.equal(facts.machine, process.arch === 'x64' ? 'x86_64' : facts.machine);
  assert.notEqual(facts.os.id, '');
});

test('gatherFacts fails clearly when the script cannot run', async () => {
  const broken: Connection = {
    host: 'h',
    connect: async () => {},
    run: async () => ({ stdout: '', stderr: 'bash: fork: Resource temporarily unavailable', code: 254 }),
    put: async () => {},
    get: async () => undefined,
    reconnect: async () => {},
    close: async () => {},
  };
  await assert.rejects(gatherFacts(broken), /gathering facts failed \(exit 254\): bash: fork/);
});
