// One persistent bash (over an ssh2 channel or a local child process) fed framed commands, one at a
// time. Starting it is a small handshake: sudo may ask for the become password (its prompt is a
// random token, so it is recognised on stderr); the shell then announces itself with a ready token.
import type { Readable, Writable } from 'node:stream';
import { BecomeError, CommandTimeoutError, OutputLimitError } from './errors.js';
import { KILL_GRACE_SECONDS, MarkerScanner, OUTPUT_LIMIT_BYTES, SHELL_PRELUDE, frameCommand, randomToken } from './framing.js';

/** The pipes of a started shell, whatever carries them. */
export interface ShellTransport {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Ends the shell and its channel or process. */
  destroy(): void;
  /** Called once when the channel or process is gone. */
  onClose(listener: () => void): void;
}

export interface RawResult {
  stdout: Buffer;
  stderr: Buffer;
  code: number;
}

export interface ShellStart {
  /** The POSIX sh command line that starts the shell (see shellStartCommand). */
  command: string;
  ready: string;
  prompt: string;
}

const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/;

/**
 * The command that starts a persistent shell (or `program`: a trusted constant without single
 * quotes, e.g. the probe helper's python3), as the login user or through sudo. It goes through
 * the login user's shell, so it stays plain POSIX sh: tokens are hex, the user name is checked.
 */
export function shellStartCommand(becomeUser: string | undefined, hasPassword: boolean, program = 'bash --noprofile --norc'): ShellStart {
  const ready = `STEERREADY${randomToken()}`;
  const prompt = `STEERPROMPT${randomToken()}`;
  const bash = `bash --noprofile --norc -c 'echo ${ready} >&2; exec ${program}'`;
  if (becomeUser === undefined) return { command: `exec ${bash}`, ready, prompt };
  if (!USER_NAME.test(becomeUser)) throw new Error(`invalid become user name: ${JSON.stringify(becomeUser)}`);
  const sudo = hasPassword ? `sudo -H -S -p ${prompt} -u ${becomeUser}` : `sudo -H -n -u ${becomeUser}`;
  return { command: `exec ${sudo} -- ${bash}`, ready, prompt };
}

export interface SessionOptions {
  host: string;
  /** The user this shell runs as, for messages; undefined = the login user. */
  becomeUser?: string;
  becomePassword?: string;
  /** How long the handshake may take. */
  startTimeoutMs?: number;
  /** Explains why the shell vanished mid-command (e.g. UnreachableError when the connection died). */
  explainLoss(): Promise<Error>;
  /** Bytes each stream of one command may print (default OUTPUT_LIMIT_BYTES). */
  outputLimit?: number;
  /** Told why a shell is retired (for -v output). */
  log?(line: string): void;
}

interface InFlight {
  out: MarkerScanner;
  err: MarkerScanner;
  timeoutToken: Buffer;
  timeoutMs?: number;
  timers: NodeJS.Timeout[];
  resolve(result: RawResult): void;
  reject(error: Error): void;
}

export class ShellSession {
  private current: InFlight | undefined;
  private closed = false;
  private readonly closeListeners: (() => void)[] = [];

  private constructor(
    private readonly transport: ShellTransport,
    private readonly options: SessionOptions,
  ) {
    transport.stdout.on('data', (chunk: Buffer) => this.onData('out', chunk));
    transport.stderr.on('data', (chunk: Buffer) => this.onData('err', chunk));
    transport.onClose(() => this.onTransportClose());
  }

  /** Completes the handshake on a freshly opened transport. */
  static async start(transport: ShellTransport, start: ShellStart, options: SessionOptions): Promise<ShellSession> {
    await sudoHandshake(transport, start, options);
    transport.stdin.write(SHELL_PRELUDE);
    return new ShellSession(transport, options);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get isBusy(): boolean {
    return this.current !== undefined;
  }

  /** Called once the shell is closed or retired (it then takes no more commands). */
  onClosed(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /** Runs one command; the caller (the pool) makes sure only one runs at a time. */
  run(command: string, stdin?: Buffer, timeoutMs?: number): Promise<RawResult> {
    if (this.current) throw new Error('shell session is busy');
    if (this.closed) return this.options.explainLoss().then((e) => Promise.reject(e));
    const frame = frameCommand(command, stdin, timeoutMs);
    return new Promise<RawResult>((resolve, reject) => {
      const limit = this.options.outputLimit ?? OUTPUT_LIMIT_BYTES;
      const flight: InFlight = {
        out: new MarkerScanner(frame.marker, limit),
        err: new MarkerScanner(frame.marker, limit),
        timeoutToken: Buffer.from(`\n${frame.timeoutToken}\n`),
        timeoutMs,
        timers: [],
        resolve,
        reject,
      };
      if (timeoutMs !== undefined) {
        // The shell's watchdog kills the command at timeoutMs; this side only gives up on the
        // whole shell if even that does not bring the end marker back.
        flight.timers.push(
          setTimeout(() => {
            if (this.current !== flight) return;
            this.settle(undefined, this.timeoutError(timeoutMs));
            this.transport.destroy();
          }, timeoutMs + KILL_GRACE_SECONDS * 1000 + 10_000),
        );
      }
      this.current = flight;
      this.transport.stdin.write(frame.text);
    });
  }

  /** Ends the shell; it takes no more commands from now on (listeners hear of it right after). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.stdin.end();
    this.transport.destroy();
    queueMicrotask(() => this.notifyClosed());
  }

  /** Fails the running command at once with `error` and ends the shell. */
  abort(error: Error): void {
    this.settle(undefined, error);
    this.close();
  }

  private onData(stream: 'out' | 'err', chunk: Buffer): void {
    if (this.closed) return;
    const flight = this.current;
    if (!flight) {
      // Output while no command runs: a process an earlier command left behind. It could land in
      // the next command's output, so this shell takes no more commands.
      this.retire(`${chunk.length} bytes arrived between commands`);
      return;
    }
    const scanner = stream === 'out' ? flight.out : flight.err;
    scanner.push(chunk);
    if (scanner.overflow) {
      const limit = this.options.outputLimit ?? OUTPUT_LIMIT_BYTES;
      const name = stream === 'out' ? 'stdout' : 'stderr';
      this.abort(
        new OutputLimitError(this.options.host, limit, `the command printed more than ${limit / 1024 / 1024} MiB on ${name} and was stopped (steer caps the output it captures per command)`),
      );
      return;
    }
    const out = flight.out.result;
    const err = flight.err.result;
    if (!out || !err) return;
    if (flight.timeoutMs !== undefined && err.data.includes(flight.timeoutToken)) {
      this.settle(undefined, this.timeoutError(flight.timeoutMs));
    } else {
      this.settle({ stdout: out.data, stderr: err.data, code: out.code });
    }
    if (out.stray || err.stray || flight.out.trailing > 0 || flight.err.trailing > 0) {
      this.retire('the command left processes running that may still write to its output');
    }
  }

  /** Closes a shell whose output can no longer be trusted to belong to the next command. */
  private retire(why: string): void {
    this.options.log?.(`${this.options.host}: retiring a shell: ${why}`);
    this.close();
  }

  private settle(result: RawResult | undefined, error?: Error): void {
    const flight = this.current;
    if (!flight) return;
    this.current = undefined;
    for (const t of flight.timers) clearTimeout(t);
    if (error) flight.reject(error);
    else flight.resolve(result!);
  }

  private timeoutError(timeoutMs: number): Error {
    return new CommandTimeoutError(this.options.host, timeoutMs, `command timed out after ${timeoutMs} ms and was killed`);
  }

  private onTransportClose(): void {
    const flight = this.current;
    if (flight) {
      void this.options.explainLoss().then((error) => {
        if (this.current === flight) this.settle(undefined, error);
      });
    }
    if (this.closed) return;
    this.closed = true;
    this.notifyClosed();
  }

  private notifyClosed(): void {
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}

/**
 * Waits until the program started by shellStartCommand announces itself (its ready token on
 * stderr), answering sudo's password prompt once on the way. Rejects with BecomeError when sudo
 * refuses or the program exits first; the transport is destroyed then.
 */
export function sudoHandshake(transport: ShellTransport, start: ShellStart, options: SessionOptions): Promise<void> {
  // Writes to a pipe whose reader is gone fail with EPIPE; the close handler reports that.
  transport.stdin.on('error', () => {});
  return new Promise<void>((resolve, reject) => {
    let stderr = '';
    let prompts = 0;
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      transport.stderr.off('data', onData);
      transport.stdout.off('data', onOut);
      if (error) {
        transport.destroy();
        reject(error);
        return;
      }
      resolve();
    };
    const who = options.becomeUser === undefined ? 'the login user' : `user ${options.becomeUser} (sudo)`;
    const timer = setTimeout(
      () => finish(startError(options, `starting a shell as ${who} timed out; sudo said: ${clean(stderr, start)}`)),
      options.startTimeoutMs ?? 30_000,
    );
    const onOut = () => {};
    const onData = (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      while (stderr.includes(start.prompt)) {
        stderr = stderr.replace(start.prompt, '');
        prompts++;
        if (prompts > 1 || options.becomePassword === undefined) {
          finish(new BecomeError(options.host, `sudo did not accept the become password for ${who}; steer will not try it again on this host`, true));
          return;
        }
        transport.stdin.write(options.becomePassword + '\n');
      }
      if (stderr.includes(start.ready)) finish();
    };
    transport.stderr.on('data', onData);
    transport.stdout.on('data', onOut);
    transport.onClose(() => {
      // sudo exited before the shell started: it refused (the connection's loss is told apart
      // by the caller, which asks explainLoss).
      const said = clean(stderr, start);
      finish(startError(options, `could not start a shell as ${who}${said ? `: ${said}` : ''}`, true));
    });
  });
}

function startError(options: SessionOptions, message: string, refused = false): Error {
  return options.becomeUser === undefined ? new Error(message) : new BecomeError(options.host, message, refused);
}

/** sudo's last words, without our tokens. */
function clean(stderr: string, start: ShellStart): string {
  return stderr.replaceAll(start.prompt, '').replaceAll(start.ready, '').trim().split('\n').slice(-3).join(' ');
}
