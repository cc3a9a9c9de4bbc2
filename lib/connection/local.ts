// ansible_connection: local — the controller itself. Commands go through the same persistent,
// framed bash shells as over ssh (child processes instead of channels), so stdout/stderr/exit
// status, stdin, timeouts and become behave identically. Plain put/get use the file system.
import { spawn } from 'node:child_process';
import { chmod, chown, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { Command } from '../command/command.js';
import { maskSecrets } from '../secrets/masker.js';
import type { Connection, PutOptions, RunOptions, RunResult } from './connection.js';
import { TransferError, UnreachableError } from './errors.js';
import { randomToken } from './framing.js';
import { ShellPool, type PoolStats } from './shell-pool.js';
import { ShellSession, shellStartCommand, type RawResult } from './shell-session.js';
import { GET_MISSING_CODE, checkPutOptions, getCommand, putFromStdinCommand, siblingTempPath } from './transfer.js';

export interface LocalOptions {
  becomeUser?: string;
  becomePassword?: string;
  /** Shells open at once. */
  maxShells?: number;
  /** Environment of the shells (default: this process's). */
  env?: NodeJS.ProcessEnv;
  verbose?: (line: string) => void;
}

export class LocalConnection implements Connection {
  private readonly pool: ShellPool;
  private closed = false;
  private readonly user = userInfo().username;

  constructor(
    readonly host: string,
    private readonly options: LocalOptions = {},
  ) {
    this.pool = new ShellPool({ maxChannels: options.maxShells ?? 8, open: (key) => this.openShell(key) });
  }

  get stats(): PoolStats {
    return this.pool.stats;
  }

  async connect(): Promise<void> {
    if (this.closed) throw new UnreachableError(this.host, 'connection is closed');
  }

  async run(command: Command, options: RunOptions = {}): Promise<RunResult> {
    this.log(`${this.host}: $ ${command.display}`);
    const stdin = options.stdin === undefined ? undefined : Buffer.isBuffer(options.stdin) ? options.stdin : Buffer.from(options.stdin, 'utf8');
    const raw = await this.runRaw(command.text, this.becomeOf(options), stdin, options.timeoutMs);
    return { stdout: raw.stdout.toString('utf8'), stderr: raw.stderr.toString('utf8'), code: raw.code };
  }

  async put(path: string, content: string | Buffer, options: PutOptions = {}): Promise<void> {
    checkPutOptions(options);
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    this.log(`${this.host}: put ${path} (${data.length} bytes)`);
    const key = this.becomeOf(options);
    if (key !== '' || options.owner !== undefined || options.group !== undefined) {
      const r = await this.runRaw(putFromStdinCommand(path, options).text, key, data);
      if (r.code !== 0) throw new TransferError(this.host, `put ${path}: ${r.stderr.toString('utf8').trim() || `exit ${r.code}`}`);
      return;
    }
    const temp = siblingTempPath(path, randomToken());
    try {
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      const old = await stat(path).catch(() => undefined);
      const umask = process.umask();
      const mode = options.mode ? parseInt(options.mode, 8) : old ? old.mode & 0o7777 : 0o666 & ~umask;
      await chmod(temp, mode);
      // Like the shell path: a replaced file keeps its owner when root writes it.
      if (old && process.getuid?.() === 0) await chown(temp, old.uid, old.gid);
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw new TransferError(this.host, `put ${path}: ${(error as Error).message}`);
    }
  }

  async get(path: string, options: { become?: boolean; becomeUser?: string } = {}): Promise<Buffer | undefined> {
    const key = this.becomeOf(options);
    if (key !== '') {
      const r = await this.runRaw(getCommand(path).text, key);
      if (r.code === GET_MISSING_CODE) return undefined;
      if (r.code !== 0) throw new TransferError(this.host, `get ${path}: ${r.stderr.toString('utf8').trim()}`);
      return r.stdout;
    }
    try {
      return await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new TransferError(this.host, `get ${path}: ${(error as Error).message}`);
    }
  }

  async reconnect(): Promise<void> {
    this.pool.fail(new UnreachableError(this.host, 'shells restarted'));
    this.pool.reset();
    this.closed = false;
  }

  async close(): Promise<void> {
    this.closed = true;
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
    const child = spawn('/bin/sh', ['-c', start.command], { stdio: 'pipe', env: this.options.env ?? process.env });
    let exited = false;
    const listeners: (() => void)[] = [];
    const onExit = () => {
      if (exited) return;
      exited = true;
      for (const l of listeners.splice(0)) l();
    };
    child.once('close', onExit);
    child.once('error', onExit);
    return ShellSession.start(
      {
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
      },
      start,
      {
        host: this.host,
        becomeUser,
        becomePassword: this.options.becomePassword,
        explainLoss: async () => new Error(`${this.host}: the local shell exited unexpectedly`),
        log: (l) => this.log(l),
      },
    );
  }

  private log(line: string): void {
    this.options.verbose?.(maskSecrets(line));
  }
}
