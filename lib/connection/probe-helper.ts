// The resident probe helper (probe-helper.py): one python3 process per connection and user that
// answers probes without forking anything on the host. ssh.ts and local.ts start it after the first
// probe of a user ran on the shell (sudo has then let that user in once: a wrong become password is
// never tried a second time by the helper), and send it the probes whose every section has an op.
//
// Anything that goes wrong with a helper makes the probe run on the shell instead: no python3, a
// bad handshake or a helper that died turns the helper off for that user for the rest of the
// connection; a probe not answered within its timeout kills the helper and is run on the shell.
import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { packagePath } from '../package-root.js';
import type { ProbeOp } from './host-ops.js';
import { OutputLimitError } from './errors.js';
import { OUTPUT_LIMIT_BYTES } from './framing.js';
import type { RawResult } from './shell-session.js';

/** The helper's source, sent on its stdin at start (nothing is installed on the host). */
const SOURCE = readFileSync(packagePath('lib', 'connection', 'probe-helper.py'));

/**
 * What shellStartCommand runs in place of bash: python3 reading the program from stdin (a length
 * line, then the source), so the command line holds no quotes and the host needs no file. `-I`
 * (isolated): neither the current folder (the login user's home, when it runs as root) nor
 * PYTHON* variables nor user site-packages can put a module of someone else's in its imports;
 * `-S`: no site module either (standard library only, and a faster start).
 */
export const HELPER_PROGRAM = 'python3 -I -S -c "import sys;exec(sys.stdin.buffer.read(int(sys.stdin.buffer.readline())))"';

const HELLO = 'steer-probe-helper 1\n';
/** How long python3 may take to start and say hello (a Pi with a cold disk). */
const START_TIMEOUT_MS = 20_000;

/** The pipes of a started helper (after sudo's handshake), whatever carries them. */
export interface HelperTransport {
  stdin: Writable;
  stdout: Readable;
  /** Ends the helper and its channel or process. */
  destroy(): void;
  onClose(listener: () => void): void;
}

export interface HelpersOptions {
  host: string;
  /** Starts python3 (HELPER_PROGRAM) as `key`'s user ('' = the login user) through the become mechanism. */
  start(key: string): Promise<HelperTransport>;
  log(line: string): void;
}

type Slot = { state: 'starting' } | { state: 'ready'; helper: Helper } | { state: 'off' };

/** The helpers of one connection, one per user. */
export class ProbeHelpers {
  private slots = new Map<string, Slot>();
  private generation = 0;
  /** Helpers started and probes they answered (tests, -vvv). */
  readonly stats = { started: 0, answered: 0 };

  constructor(private readonly options: HelpersOptions) {}

  /**
   * The probe's output (exactly what the shell probe prints, exit 0) from `key`'s helper, or
   * undefined when there is none (yet) or it cannot answer: then run the probe on the shell.
   * Throws OutputLimitError when the answer exceeds the shell's output cap.
   */
  async run(key: string, probe: ProbeOp, timeoutMs: number | undefined): Promise<RawResult | undefined> {
    const slot = this.slots.get(key);
    if (slot?.state !== 'ready') return undefined;
    try {
      const stdout = await slot.helper.request(JSON.stringify({ sections: probe.sections }) + '\n', timeoutMs);
      if (stdout === undefined) return undefined;
      this.stats.answered++;
      return { stdout: Buffer.from(stdout, 'utf8'), stderr: Buffer.alloc(0), code: 0 };
    } catch (error) {
      this.off(key, `the probe helper failed: ${(error as Error).message}`);
      if (error instanceof OutputLimitError) throw error;
      return undefined;
    }
  }

  /** After a probe ran on the shell as `key`: starts that user's helper for the next ones (once). */
  warm(key: string): void {
    if (this.slots.has(key)) return;
    this.slots.set(key, { state: 'starting' });
    const generation = this.generation;
    void this.startHelper(key).then(
      (helper) => {
        if (this.generation !== generation || this.slots.get(key)?.state !== 'starting') return helper.close();
        this.slots.set(key, { state: 'ready', helper });
        this.stats.started++;
        helper.onClosed(() => {
          if (this.generation === generation) this.off(key, 'the probe helper exited');
        });
      },
      (error: Error) => {
        if (this.generation === generation) this.off(key, `no probe helper (${error.message}); probes use the shell`);
      },
    );
  }

  /** Ends every helper (reconnect, close); a new connection starts them again. */
  closeAll(): void {
    this.generation++;
    const slots = [...this.slots.values()];
    this.slots.clear();
    for (const slot of slots) if (slot.state === 'ready') slot.helper.close();
  }

  private off(key: string, why: string): void {
    const slot = this.slots.get(key);
    if (slot?.state === 'off') return;
    this.options.log(`${this.options.host}: ${why}`);
    if (slot?.state === 'ready') slot.helper.close();
    this.slots.set(key, { state: 'off' });
  }

  private async startHelper(key: string): Promise<Helper> {
    const transport = await this.options.start(key);
    const helper = new Helper(transport, this.options.host);
    transport.stdin.write(`${SOURCE.length}\n`);
    transport.stdin.write(SOURCE);
    await helper.hello();
    return helper;
  }
}

/** One helper process: requests one at a time, each answered by lines ending in `end`. */
class Helper {
  private buffer = '';
  private closed = false;
  /** The helper printed more than the shell's output cap: it was stopped. */
  private overflowed = false;
  private queue: Promise<unknown> = Promise.resolve();
  private waiter: ((line: string | undefined) => void) | undefined;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    private readonly transport: HelperTransport,
    private readonly host: string,
  ) {
    transport.stdin.on('error', () => {});
    transport.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    transport.onClose(() => this.onClose());
  }

  /** Resolves on the helper's hello line; rejects when it says anything else or exits. */
  async hello(): Promise<void> {
    const answer = await this.next(START_TIMEOUT_MS);
    if (answer !== HELLO) throw new Error(answer === undefined ? 'python3 did not start' : 'unexpected handshake');
  }

  /** The answer lines to one request line; undefined when the helper asks for the shell. */
  request(line: string, timeoutMs: number | undefined): Promise<string | undefined> {
    const run = this.queue.then(async () => {
      if (this.closed) throw new Error('the probe helper is closed');
      this.transport.stdin.write(line);
      const answer = await this.next(timeoutMs);
      if (this.overflowed) {
        throw new OutputLimitError(this.host, OUTPUT_LIMIT_BYTES, `the probe printed more than ${OUTPUT_LIMIT_BYTES / 1024 / 1024} MiB and was stopped (steer caps the output it captures per command)`);
      }
      if (answer === undefined) throw new Error(this.closed ? 'it exited' : `no answer within ${timeoutMs} ms`);
      if (answer === 'shell\n') return undefined;
      if (!answer.endsWith('end\n')) throw new Error(`malformed answer: ${JSON.stringify(answer.slice(0, 80))}`);
      return answer.slice(0, -'end\n'.length);
    });
    this.queue = run.catch(() => {});
    return run;
  }

  onClosed(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  close(): void {
    if (this.closed) return;
    this.transport.stdin.end();
    this.transport.destroy();
    this.onClose();
  }

  /** The next whole answer (through `end`, `shell`, `error …` or the hello line), or undefined on timeout or exit. */
  private next(timeoutMs: number | undefined): Promise<string | undefined> {
    return new Promise((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => finish(undefined), timeoutMs);
      const finish = (answer: string | undefined) => {
        clearTimeout(timer);
        this.waiter = undefined;
        if (answer === undefined) this.close();
        resolve(answer);
      };
      this.waiter = finish;
      this.deliver();
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer += chunk.toString('latin1');
    if (this.buffer.length > OUTPUT_LIMIT_BYTES) {
      this.overflowed = true;
      this.close();
      return;
    }
    this.deliver();
  }

  /** Hands the waiter a complete answer: its last line is one that ends an answer. */
  private deliver(): void {
    if (!this.waiter) return;
    const lines = this.buffer.split('\n');
    for (let i = 0; i < lines.length - 1; i++) {
      const l = lines[i]!;
      if (l === 'end' || l === 'shell' || l.startsWith('error ') || l.startsWith('steer-probe-helper ')) {
        const answer = lines.slice(0, i + 1).join('\n') + '\n';
        this.buffer = lines.slice(i + 1).join('\n');
        this.waiter(answer);
        return;
      }
    }
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.waiter?.(undefined);
    for (const l of this.closeListeners.splice(0)) l();
  }
}
