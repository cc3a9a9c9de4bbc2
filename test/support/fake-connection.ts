// A Connection for unit tests: answers commands from a script of responses and records every run
// and put, so tests can assert what a module sent to a host without a host.
import type { Command } from '../../lib/command/command.js';
import type { Connection, PutOptions, RunOptions, RunResult } from '../../lib/connection/connection.js';
import type { Facts } from '../../lib/facts/facts.js';
import type { ModuleContext } from '../../lib/modules/module.js';
import { formatProbeOutput } from '../../lib/modules/probe.js';

export type CommandMatcher = string | RegExp | ((text: string) => boolean);

export interface ScriptedResponse {
  /** A substring of the command's text, a regular expression, or a predicate. */
  match: CommandMatcher;
  result: Partial<RunResult>;
  /** Answer only the first matching command, then fall through to later responses. */
  once?: boolean;
}

export interface RecordedRun {
  command: Command;
  text: string;
  options?: RunOptions;
}

export interface RecordedPut {
  path: string;
  content: string | Buffer;
  options?: PutOptions;
}

function matches(matcher: CommandMatcher, text: string): boolean {
  if (typeof matcher === 'string') return text.includes(matcher);
  if (matcher instanceof RegExp) return matcher.test(text);
  return matcher(text);
}

export class FakeConnection implements Connection {
  readonly runs: RecordedRun[] = [];
  readonly puts: RecordedPut[] = [];
  /** Every run and put in order, for asserting the order of actions. */
  readonly log: string[] = [];
  readonly files = new Map<string, Buffer>();
  private readonly script: ScriptedResponse[];

  constructor(
    readonly host = 'fake-host',
    script: ScriptedResponse[] = [],
    /** Answer for commands no response matches; undefined: such a command throws. */
    private readonly fallback?: Partial<RunResult>,
  ) {
    this.script = [...script];
  }

  /** Adds a response (later responses are consulted after earlier ones). */
  respond(match: CommandMatcher, result: Partial<RunResult>, options: { once?: boolean } = {}): this {
    this.script.push({ match, result, once: options.once });
    return this;
  }

  /** Answers the module's probe (one command) with these section outputs. */
  respondToProbe(sections: Record<string, { code?: number; text: string }>, options: { once?: boolean } = {}): this {
    return this.respond(isProbe, { stdout: formatProbeOutput(sections) }, options);
  }

  async connect(): Promise<void> {}

  async run(command: Command, options?: RunOptions): Promise<RunResult> {
    this.runs.push({ command, text: command.text, ...(options ? { options } : {}) });
    this.log.push(`run ${command.text}`);
    const index = this.script.findIndex((r) => matches(r.match, command.text));
    if (index < 0) {
      if (this.fallback) return { stdout: '', stderr: '', code: 0, ...this.fallback };
      throw new Error(`FakeConnection: no scripted response for: ${command.text}`);
    }
    const response = this.script[index]!;
    if (response.once) this.script.splice(index, 1);
    return { stdout: '', stderr: '', code: 0, ...response.result };
  }

  async put(remotePath: string, content: string | Buffer, options?: PutOptions): Promise<void> {
    this.puts.push({ path: remotePath, content, ...(options ? { options } : {}) });
    this.log.push(`put ${remotePath}`);
    this.files.set(remotePath, Buffer.from(content));
  }

  async get(remotePath: string, options: { range?: { offset: number; length: number } } = {}): Promise<Buffer | undefined> {
    const data = this.files.get(remotePath);
    return data && options.range ? data.subarray(options.range.offset, options.range.offset + options.range.length) : data;
  }

  async reconnect(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Whether a command is a module probe (see lib/modules/probe.ts). */
export function isProbe(text: string): boolean {
  return text.startsWith('( set +e +o pipefail;');
}

export const fakeFacts: Facts = {
  hostname: 'fake-host',
  os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', codename: 'bookworm', family: 'debian' },
  machine: 'aarch64',
  dpkgArch: 'arm64',
  armVariant: 'arm64',
  userspaceBits: 64,
  kernel: '6.6.51+rpt-rpi-2712',
  cmdline: 'console=tty1 root=PARTUUID=abcd-02 rootwait',
  cgroup: { version: 2, controllers: ['cpuset', 'cpu', 'io', 'pids'] },
  memory: { totalMb: 8000, swapTotalMb: 0 },
  swapDevices: [],
  bootId: '00000000-0000-0000-0000-000000000000',
  defaultIpv4: '10.0.0.2',
  initSystem: 'systemd',
  packageManager: 'apt',
  piModel: 'Raspberry Pi 5 Model B Rev 1.0',
  cmdlineFile: '/boot/firmware/cmdline.txt',
  user: 'pi',
};

/** A ModuleContext over a FakeConnection. */
export function fakeContext(connection: FakeConnection, options: { check?: boolean; facts?: Partial<Facts> } = {}): ModuleContext & { logs: string[] } {
  const logs: string[] = [];
  return {
    host: connection.host,
    facts: { ...fakeFacts, ...options.facts },
    check: options.check ?? false,
    connection,
    run: (command, runOptions) => connection.run(command, runOptions),
    log: (message) => void logs.push(message),
    logs,
  };
}

/** A ModuleContext over a real connection (local or ssh), as the runner builds one, without check mode. */
export function realContext(connection: Connection): ModuleContext {
  return {
    host: connection.host,
    facts: { ...fakeFacts, initSystem: 'other' },
    check: false,
    connection,
    run: (command, options) => connection.run(command, options),
    log: () => {},
  };
}
