// ansible_connection: local — the controller itself. Commands go through the same persistent,
// framed bash shells as over ssh (child processes instead of channels), so stdout/stderr/exit
// status, stdin, timeouts, become and the rules for paths (put/get) behave identically.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../command/command.js';
import { maskSecrets } from '../secrets/masker.js';
import type { Connection, GetOptions, PutOptions, RunOptions, RunResult } from './connection.js';
import { TransferError, UnreachableError } from './errors.js';
import { randomToken } from './framing.js';
import { awaitHostLock, hostLockCommand, type HostLock } from './host-lock.js';
import { ShellPool, type PoolStats } from './shell-pool.js';
import { probeOpOf } from './host-ops.js';
import { HELPER_PROGRAM, ProbeHelpers, type HelperTransport } from './probe-helper.js';
import { ShellSession, shellStartCommand, sudoHandshake, type RawResult, type ShellTransport } from './shell-session.js';
import { GET_MISSING_CODE, INLINE_PUT_LIMIT, SweptFolders, checkPutOptions, getCommand, putFromStdinCommand, putFromUploadCommand, transferMessage } from './transfer.js';

export interface LocalOptions {
  becomeUser?: string;
  becomePassword?: string;
  /** Shells open at once. */
  maxShells?: number;
  /** Environment of the shells (default: this process's). */
  env?: NodeJS.ProcessEnv;
  verbose?: (line: string) => void;
  /** Hold the run's host lock (host-lock.ts) from connect() to close(). */
  hostLock?: HostLock;
}

export class LocalConnection implements Connection {
  private readonly pool: ShellPool;
  private readonly helpers: ProbeHelpers;
  private closed = false;
  private readonly user = userInfo().username;
  private readonly swept = new SweptFolders();
  private locking: Promise<void> | undefined;
  private lockProcess: ChildProcessWithoutNullStreams | undefined;

  constructor(
    readonly host: string,
    private readonly options: LocalOptions = {},
  ) {
    this.pool = new ShellPool({ maxChannels: options.maxShells ?? 8, open: (key) => this.openShell(key) });
    this.helpers = new ProbeHelpers({ host, start: (key) => this.openHelper(key), log: (l) => this.log(l) });
  }

  get stats(): PoolStats {
    return this.pool.stats;
  }

  /** Probe helpers started and probes they answered. */
  get helperStats(): ProbeHelpers['stats'] {
    return this.helpers.stats;
  }

  async connect(): Promise<void> {
    if (this.closed) throw new UnreachableError(this.host, 'connection is closed');
    const lock = this.options.hostLock;
    if (lock) await (this.locking ??= this.takeLock(lock));
  }

  /** Starts the lock process (a child of this one: it ends when this process dies, even by SIGKILL). */
  private async takeLock(lock: HostLock): Promise<void> {
    const token = randomToken();
    const command = hostLockCommand(lock, token);
    this.log(`${this.host}: taking the host lock`);
    // bash, as over ssh (a login shell): the one quoter writes bash's $'…' quoting.
    const child = spawn('bash', ['--noprofile', '--norc', '-c', command.text], { stdio: 'pipe', env: this.options.env ?? process.env });
    child.on('error', () => {});
    const onClose = (listener: () => void) => (child.exitCode !== null || child.signalCode !== null ? listener() : child.once('close', listener));
    try {
      await awaitHostLock(this.host, lock, token, { stdout: child.stdout, stderr: child.stderr, onClose });
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    if (this.closed) child.stdin.end();
    else this.lockProcess = child;
  }

  async run(command: Command, options: RunOptions = {}): Promise<RunResult> {
    this.log(`${this.host}: $ ${command.display}`);
    const stdin = options.stdin === undefined ? undefined : Buffer.isBuffer(options.stdin) ? options.stdin : Buffer.from(options.stdin, 'utf8');
    const key = this.becomeOf(options);
    const probe = stdin === undefined && !this.closed ? probeOpOf(command) : undefined;
    let raw = probe ? await this.helpers.run(key, probe, options.timeoutMs) : undefined;
    if (!raw) {
      raw = await this.runRaw(command.text, key, stdin, options.timeoutMs);
      if (probe && raw.code === 0) this.helpers.warm(key);
    }
    return { stdout: raw.stdout.toString('utf8'), stderr: raw.stderr.toString('utf8'), code: raw.code };
  }

  /**
   * Writes through the shell like the ssh connection (host-functions.sh __steer_put): the same
   * symlink rules hold on the controller, where other users may plant links too. Large content as
   * the shell's own user goes through a private temp file instead of stdin.
   */
  async put(path: string, content: string | Buffer, options: PutOptions = {}): Promise<void> {
    checkPutOptions(options);
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    this.log(`${this.host}: put ${path} (${data.length} bytes)`);
    const key = this.becomeOf(options);
    const extra = { sweep: this.swept.first(key, path) };
    let r: RawResult;
    if (key !== '' || data.length <= INLINE_PUT_LIMIT) {
      r = await this.runRaw(putFromStdinCommand(path, options, extra).text, key, data);
    } else {
      const dir = await mkdtemp(join(tmpdir(), 'steer-put-'));
      try {
        const upload = join(dir, 'content');
        await writeFile(upload, data, { mode: 0o600 });
        r = await this.runRaw(putFromUploadCommand(upload, path, options, extra).text, key);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    if (r.code !== 0) throw new TransferError(this.host, `put ${path}: ${transferMessage(r.stderr.toString('utf8'), r.code)}`);
  }

  async get(path: string, options: GetOptions = {}): Promise<Buffer | undefined> {
    const r = await this.runRaw(getCommand(path, options.range).text, this.becomeOf(options));
    if (r.code === GET_MISSING_CODE) return undefined;
    if (r.code !== 0) throw new TransferError(this.host, `get ${path}: ${transferMessage(r.stderr.toString('utf8'), r.code)}`);
    return r.stdout;
  }

  async reconnect(): Promise<void> {
    this.helpers.closeAll();
    this.pool.fail(new UnreachableError(this.host, 'shells restarted'));
    this.pool.reset();
    this.closed = false;
  }

  async close(): Promise<void> {
    this.closed = true;
    // Ending its stdin ends the lock process (exec cat), which releases the lock.
    this.lockProcess?.stdin.end();
    this.lockProcess = undefined;
    this.helpers.closeAll();
    this.pool.fail(new UnreachableError(this.host, 'connection is closed'));
  }

  private becomeOf(options: { become?: boolean; becomeUser?: string }): string {
    if (!options.become) return '';
    const user = options.becomeUser ?? this.options.becomeUser ?? 'root';
    return user === this.user ? '' : user;
  }

  private async runRaw(text: string, key: string, stdin?: Buffer, timeoutMs?: number): Promise<RawResult> {
    await this.connect();
    return this.pool.run(key, text, stdin, timeoutMs);
  }

  private openShell(key: string): Promise<ShellSession> {
    const becomeUser = key === '' ? undefined : key;
    const start = shellStartCommand(becomeUser, this.options.becomePassword !== undefined);
    return ShellSession.start(this.spawnStart(start.command), start, this.sessionOptions(becomeUser));
  }

  /** Starts the probe helper of `key` as a child process, through the same sudo mechanism as the shells. */
  private async openHelper(key: string): Promise<HelperTransport> {
    const becomeUser = key === '' ? undefined : key;
    const start = shellStartCommand(becomeUser, this.options.becomePassword !== undefined, HELPER_PROGRAM);
    const transport = this.spawnStart(start.command);
    await sudoHandshake(transport, start, this.sessionOptions(becomeUser));
    return transport;
  }

  private sessionOptions(becomeUser: string | undefined) {
    return {
      host: this.host,
      becomeUser,
      becomePassword: this.options.becomePassword,
      explainLoss: async () => new Error(`${this.host}: the local shell exited unexpectedly`),
      log: (l: string) => this.log(l),
    };
  }

  /** Runs a shellStartCommand under /bin/sh as a child process. */
  private spawnStart(command: string): ShellTransport {
    const child = spawn('/bin/sh', ['-c', command], { stdio: 'pipe', env: this.options.env ?? process.env });
    let exited = false;
    const listeners: (() => void)[] = [];
    const onExit = () => {
      if (exited) return;
      exited = true;
      for (const l of listeners.splice(0)) l();
    };
    child.once('close', onExit);
    child.once('error', onExit);
    return {
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      destroy: () => {
        child.stdin.end();
        // Background children of a command may hold the pipes: closing them makes their
        // writes fail (as sshd does when a channel closes) instead of feeding a dead session.
        child.stdout.destroy();
        child.stderr.destroy();
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      },
      onClose: (listener) => (exited ? listener() : listeners.push(listener)),
    };
  }

  private log(line: string): void {
    this.options.verbose?.(maskSecrets(line));
  }
}
