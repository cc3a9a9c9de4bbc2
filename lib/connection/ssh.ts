// The ssh connection: one ssh2 Client per host, opened once and reused for every command. Commands
// run through persistent remote shells (see shell-session.ts, framing.ts), at most `maxChannels`
// channels at once (below sshd's MaxSessions), large uploads over one lazily opened SFTP session.
import { existsSync, readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import ssh2, { type AnyAuthMethod, type Client, type ClientChannel, type ConnectConfig, type SFTPWrapper, type ServerHostKeyAlgorithm } from 'ssh2';
import { sh, type Command } from '../command/command.js';
import { maskSecrets } from '../secrets/masker.js';
import type { Connection, GetOptions, PutOptions, RunOptions, RunResult } from './connection.js';
import { BecomeError, HostKeyError, TransferError, UnreachableError } from './errors.js';
import { randomToken } from './framing.js';
import { HostLockError, awaitHostLock, hostLockCommand, type HostLock } from './host-lock.js';
import { KnownHosts, checkHostKey, knownHostsName, type HostKeyChecking } from './known-hosts.js';
import { startProxyCommand, type ProxyProcess } from './proxy-command.js';
import { ShellPool, type PoolStats } from './shell-pool.js';
import { probeOpOf } from './host-ops.js';
import { HELPER_PROGRAM, ProbeHelpers, type HelperTransport } from './probe-helper.js';
import { ShellSession, shellStartCommand, sudoHandshake, type RawResult } from './shell-session.js';
import type { SshEndpoint, SshTarget } from './ssh-target.js';
import {
  GET_MISSING_CODE,
  INLINE_PUT_LIMIT,
  PUT_TEMP_PREFIX,
  SweptFolders,
  checkPutOptions,
  getCommand,
  putFromStdinCommand,
  putFromUploadCommand,
  putRenameCommand,
  siblingTempPath,
  sweepCommand,
  transferMessage,
} from './transfer.js';

// ssh2 is CommonJS: its named exports are only reachable through the default export under ESM.
const { Client: SshClient, utils } = ssh2;

export interface SshOptions {
  hostKeyChecking: HostKeyChecking;
  connectTimeoutMs?: number;
  /** Keepalive probes: a host that answers none of `keepaliveCountMax` in a row is unreachable. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Channels (shells + SFTP) open at once on the connection; keep below sshd's MaxSessions (10). */
  maxChannels?: number;
  /** The ssh agent socket; default $SSH_AUTH_SOCK. */
  agentSocket?: string;
  verbose?: (line: string) => void;
  /**
   * Hold the run's host lock (host-lock.ts) on a channel of its own while connected: taken again on
   * every (re)connect, so a reboot or a dropped connection never leaves the run acting unlocked.
   */
  hostLock?: HostLock;
}

type State = 'idle' | 'connecting' | 'ready' | 'lost' | 'closed';

/** Host key algorithms ssh2 offers, in its own default order. */
const HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** Key types in known_hosts and the host key algorithms that present them. */
function algorithmsFor(keyType: string): ServerHostKeyAlgorithm[] {
  return keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : HOST_KEY_ALGORITHMS.filter((a) => a === keyType);
}

export class SshConnection implements Connection {
  readonly host: string;
  private state: State = 'idle';
  private connecting: Promise<void> | undefined;
  private client: Client | undefined;
  private jumpClients: Client[] = [];
  /** The running ProxyCommand of the first hop, if the config asks for one. */
  private proxy: ProxyProcess | undefined;
  private lostError: UnreachableError | undefined;
  private sftpSession: Promise<SFTPWrapper> | undefined;
  private readonly pool: ShellPool;
  private readonly helpers: ProbeHelpers;
  /** Channels held by probe helpers now. */
  private helperChannels = 0;
  private readonly lostWaiters: (() => void)[] = [];
  private readonly swept = new SweptFolders();

  constructor(
    readonly target: SshTarget,
    private readonly options: SshOptions,
  ) {
    this.host = target.label;
    this.pool = new ShellPool({ maxChannels: options.maxChannels ?? 8, open: (key) => this.openShell(key) });
    this.helpers = new ProbeHelpers({ host: this.host, start: (key) => this.openHelper(key), log: (l) => this.log(l) });
  }

  /** Channel counts, for tests and -vvv. */
  get stats(): PoolStats {
    return this.pool.stats;
  }

  /** Probe helpers started and probes they answered. */
  get helperStats(): ProbeHelpers['stats'] {
    return this.helpers.stats;
  }

  connect(): Promise<void> {
    return this.ensureConnected(this.options.connectTimeoutMs ?? 20_000);
  }

  /** One connection attempt, shared by everyone asking meanwhile. */
  private ensureConnected(timeoutMs: number): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new UnreachableError(this.host, 'connection is closed'));
    if (this.connecting) return this.connecting;
    this.state = 'connecting';
    this.connecting = this.open(timeoutMs).then(
      () => {
        this.connecting = undefined;
      },
      (error: Error) => {
        this.connecting = undefined;
        if (this.state === 'connecting') this.state = 'idle';
        throw error;
      },
    );
    return this.connecting;
  }

  async run(command: Command, options: RunOptions = {}): Promise<RunResult> {
    this.log(`${this.host}: $ ${command.display}`);
    const become = options.become ? (options.becomeUser ?? this.target.becomeUser) : undefined;
    const probe = options.stdin === undefined ? probeOpOf(command) : undefined;
    let raw = probe && this.state === 'ready' ? await this.helpers.run(this.shellKey(become), probe, options.timeoutMs) : undefined;
    if (!raw) {
      raw = await this.runRaw(command.text, become, toBuffer(options.stdin), options.timeoutMs);
      if (probe && raw.code === 0) this.helpers.warm(this.shellKey(become));
    }
    const result = { stdout: raw.stdout.toString('utf8'), stderr: raw.stderr.toString('utf8'), code: raw.code };
    this.logResult(result);
    return result;
  }

  async put(remotePath: string, content: string | Buffer, options: PutOptions = {}): Promise<void> {
    checkPutOptions(options);
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    const become = options.become ? (options.becomeUser ?? this.target.becomeUser) : undefined;
    const key = this.shellKey(become);
    const extra = { sweep: this.swept.first(key, remotePath) };
    this.log(`${this.host}: put ${remotePath} (${data.length} bytes${options.mode ? `, mode ${options.mode}` : ''})`);
    let result: RawResult;
    if (data.length <= INLINE_PUT_LIMIT) {
      result = await this.runRaw(putFromStdinCommand(remotePath, options, extra).text, become, data);
    } else {
      const asLogin = key === '';
      // SFTP writes as the login user: beside the target when that user writes it, else in /tmp
      // (swept of this user's stale uploads the first time), from where the become user copies it.
      const upload = asLogin ? siblingTempPath(remotePath, randomToken()) : `/tmp/${PUT_TEMP_PREFIX}${randomToken()}`;
      await this.usable();
      if (!asLogin && this.swept.first('', '/tmp/x')) await this.runRaw(sweepCommand('/tmp').text, undefined);
      const sftp = await this.sftp();
      try {
        await new Promise<void>((resolve, reject) => sftp.writeFile(upload, data, { mode: 0o600 }, (err) => (err ? reject(err) : resolve())));
      } catch (error) {
        await new Promise<void>((resolve) => sftp.unlink(upload, () => resolve()));
        const hint = await this.uploadFailureHint(upload, data.length).catch(() => undefined);
        throw new TransferError(this.host, `put ${remotePath}: upload over SFTP failed: ${(error as Error).message}${hint ? ` (${hint})` : ''}`);
      }
      const finish = asLogin ? putRenameCommand(upload, remotePath, options, extra) : putFromUploadCommand(upload, remotePath, options, extra);
      result = await this.runRaw(finish.text, become);
      if (result.code !== 0) sftp.unlink(upload, () => {});
    }
    if (result.code !== 0) throw new TransferError(this.host, `put ${remotePath}: ${transferMessage(result.stderr.toString('utf8'), result.code)}`);
  }

  async get(remotePath: string, options: GetOptions = {}): Promise<Buffer | undefined> {
    this.log(`${this.host}: get ${remotePath}`);
    const become = options.become ? (options.becomeUser ?? this.target.becomeUser) : undefined;
    const result = await this.runRaw(getCommand(remotePath, options.range).text, become);
    if (result.code === GET_MISSING_CODE) return undefined;
    if (result.code !== 0) throw new TransferError(this.host, `get ${remotePath}: ${transferMessage(result.stderr.toString('utf8'), result.code)}`);
    return result.stdout;
  }

  async reconnect(options: { timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 600_000);
    this.drop(new UnreachableError(this.host, 'connection dropped for reconnect'));
    this.state = 'idle';
    let delay = 500;
    for (;;) {
      const left = deadline - Date.now();
      try {
        await this.ensureConnected(Math.max(1000, Math.min(left, this.options.connectTimeoutMs ?? 20_000)));
        return;
      } catch (error) {
        if (error instanceof HostKeyError || error instanceof HostLockError || Date.now() + delay >= deadline) throw error;
        this.log(`${this.host}: not reachable yet (${(error as Error).message}); retrying in ${delay} ms`);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const client = this.client;
    this.drop(new UnreachableError(this.host, 'connection is closed'));
    this.state = 'closed';
    if (client) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        client.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  // ---- internals -------------------------------------------------------------------------

  private async runRaw(text: string, becomeUser: string | undefined, stdin?: Buffer, timeoutMs?: number): Promise<RawResult> {
    await this.usable();
    return this.pool.run(this.shellKey(becomeUser), text, stdin, timeoutMs);
  }

  /**
   * Connects on first use. After the connection was lost, the next command reconnects once (one
   * attempt): that command was never sent, so sending it on a new connection is safe. A command
   * that was running when the connection dropped is never sent again (it may have run): it fails
   * with UnreachableError, and so does its step.
   */
  private async usable(): Promise<void> {
    if (this.state === 'lost' && this.lostError) {
      const lost = this.lostError;
      this.log(`${this.host}: ${lost.message}; reconnecting once`);
      this.state = 'idle';
      try {
        await this.connect();
      } catch (error) {
        if (this.state === 'idle') this.state = 'lost';
        if (error instanceof HostKeyError) throw error;
        this.lostError = new UnreachableError(this.host, `${lost.message}; reconnecting failed: ${(error as Error).message}`);
        throw this.lostError;
      }
      return;
    }
    await this.connect();
  }

  /** SFTP reports a full disk as a bare "Failure": say so when the upload's folder lacks the space. */
  private async uploadFailureHint(upload: string, bytes: number): Promise<string | undefined> {
    const df = await this.runRaw(sh`df -Pk -- "$(dirname -- ${upload})" | awk 'NR == 2 { print $4 }'`.text, undefined);
    const freeKiB = Number(df.stdout.toString('utf8').trim());
    if (df.code !== 0 || !Number.isFinite(freeKiB) || freeKiB * 1024 >= bytes) return undefined;
    return `No space left on device: ${freeKiB} KiB free, ${Math.ceil(bytes / 1024)} KiB needed`;
  }

  /** '' for the login user (also when the become user is the login user). */
  private shellKey(becomeUser: string | undefined): string {
    return becomeUser === undefined || becomeUser === this.target.user ? '' : becomeUser;
  }

  /** Opens the jump hops (if any) and the target; resolves when logged in. */
  private async open(timeoutMs: number): Promise<void> {
    const hops: SshEndpoint[] = [...this.target.jumps, this.target];
    const opened: Client[] = [];
    this.stopProxy();
    try {
      let sock: Duplex | undefined;
      for (const [i, hop] of hops.entries()) {
        const via = i > 0 ? ` via ${hops[i - 1]!.hostName}` : hop.proxyCommand ? ` via ProxyCommand ${hop.proxyCommand}` : '';
        this.log(`${this.host}: connecting to ${hop.user}@${hop.hostName}:${hop.port}${via}`);
        if (i === 0 && hop.proxyCommand) {
          this.proxy = startProxyCommand(hop.proxyCommand);
          sock = this.proxy.sock;
        }
        const client = await this.openClient(hop, timeoutMs, sock);
        opened.push(client);
        const next = hops[i + 1];
        if (next) sock = await this.forward(client, hop, next);
      }
    } catch (error) {
      for (const c of opened) c.end();
      this.stopProxy();
      throw error;
    }
    const client = opened.pop()!;
    if (this.state === 'closed') {
      client.end();
      for (const c of opened) c.end();
      throw new UnreachableError(this.host, 'connection is closed');
    }
    try {
      if (this.options.hostLock) await this.takeLock(client, this.options.hostLock);
    } catch (error) {
      client.end();
      for (const c of opened) c.end();
      this.stopProxy();
      throw error;
    }
    this.client = client;
    this.jumpClients = opened;
    this.lostError = undefined;
    this.pool.reset();
    this.state = 'ready';
    let lastError: Error | undefined;
    client.on('error', (err) => (lastError = err));
    client.on('close', () => {
      if (this.client !== client) return;
      const why = lastError ? `: ${lastError.message}` : '';
      this.drop(new UnreachableError(this.host, `connection to ${this.target.hostName}:${this.target.port} lost${why}`));
      if (this.state !== 'closed') this.state = 'lost';
    });
  }

  /**
   * Opens the lock channel: one exec channel beside the shells (the pool keeps maxChannels below
   * sshd's MaxSessions with room for it). It lives as long as the ssh connection does.
   */
  private async takeLock(client: Client, lock: HostLock): Promise<void> {
    const token = randomToken();
    this.log(`${this.host}: taking the host lock`);
    const channel = await new Promise<ClientChannel>((resolve, reject) =>
      client.exec(hostLockCommand(lock, token).text, (err, ch) => (err ? reject(new UnreachableError(this.host, `cannot open the lock channel: ${err.message}`)) : resolve(ch))),
    );
    let closed = false;
    channel.once('close', () => (closed = true));
    const onClose = (listener: () => void) => (closed ? listener() : channel.once('close', listener));
    try {
      await awaitHostLock(this.host, lock, token, { stdout: channel, stderr: channel.stderr, onClose });
    } catch (error) {
      channel.close();
      throw error;
    }
  }

  private forward(client: Client, hop: SshEndpoint, next: SshEndpoint): Promise<ClientChannel> {
    return new Promise((resolve, reject) =>
      client.forwardOut('127.0.0.1', 0, next.hostName, next.port, (err, stream) =>
        err ? reject(new UnreachableError(this.host, `jump host ${hop.hostName} could not reach ${next.hostName}:${next.port}: ${err.message}`)) : resolve(stream),
      ),
    );
  }

  private stopProxy(): void {
    this.proxy?.stop();
    this.proxy = undefined;
  }

  private openClient(hop: SshEndpoint, timeoutMs: number, sock?: Duplex): Promise<Client> {
    const client = new SshClient();
    const knownHosts = this.options.hostKeyChecking === 'off' ? undefined : KnownHosts.load(this.target.knownHostsPath);
    const knownTypes = knownHosts?.knownKeyTypes(knownHostsName(hop.hostName, hop.port)) ?? [];
    const preferred = [...new Set(knownTypes.flatMap(algorithmsFor))];
    let keyError: HostKeyError | undefined;
    const config: ConnectConfig = {
      host: hop.hostName,
      port: hop.port,
      username: hop.user,
      sock,
      readyTimeout: timeoutMs,
      keepaliveInterval: this.options.keepaliveIntervalMs ?? 5000,
      keepaliveCountMax: this.options.keepaliveCountMax ?? 3,
      authHandler: this.authMethods(hop),
      // Ask for a key type known_hosts already holds, as OpenSSH does, so a host with several keys
      // is checked against the one on record.
      algorithms: preferred.length > 0 ? { serverHostKey: [...preferred, ...HOST_KEY_ALGORITHMS.filter((a) => !preferred.includes(a))] } : undefined,
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        keyError = checkHostKey(
          { host: this.host, hostName: hop.hostName, port: hop.port, mode: this.options.hostKeyChecking, knownHostsPath: this.target.knownHostsPath, verbose: (l) => this.log(l) },
          key,
          knownHosts,
        );
        verify(keyError === undefined);
      },
    };
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (message: string) => {
        if (settled) return;
        settled = true;
        client.end();
        const failed = (proxy: string) => reject(keyError ?? new UnreachableError(this.host, `cannot connect to ${hop.user}@${hop.hostName}:${hop.port}${proxy}: ${message}`));
        const proxy = hop.proxyCommand ? this.proxy : undefined;
        if (!proxy) failed('');
        else void proxy.said().then((said) => failed(` (through ProxyCommand ${hop.proxyCommand}${said ? `, which said: ${said}` : ''})`));
      };
      client.once('ready', () => {
        settled = true;
        resolve(client);
      });
      client.on('error', (err) => fail(describe(err)));
      client.once('close', () => fail('connection closed during login'));
      try {
        client.connect(config);
      } catch (error) {
        fail((error as Error).message);
      }
    });
  }

  /** Key files, then the agent, then the password (also as keyboard-interactive). */
  private authMethods(hop: SshEndpoint): AnyAuthMethod[] {
    const methods: AnyAuthMethod[] = [];
    for (const file of hop.identityFiles) {
      if (!existsSync(file)) continue;
      const text = readFileSync(file);
      const parsed = utils.parseKey(text);
      if (parsed instanceof Error) {
        this.log(`${this.host}: skipping key ${file}: ${parsed.message}`);
        continue;
      }
      methods.push({ type: 'publickey', username: hop.user, key: text });
    }
    const agent = this.options.agentSocket ?? process.env.SSH_AUTH_SOCK;
    if (agent && existsSync(agent)) methods.push({ type: 'agent', username: hop.user, agent });
    const password = hop.password;
    if (password !== undefined) {
      methods.push({ type: 'password', username: hop.user, password });
      methods.push({
        type: 'keyboard-interactive',
        username: hop.user,
        prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => password)),
      });
    }
    if (methods.length === 0) methods.push({ type: 'none', username: hop.user });
    return methods;
  }

  private openShell(key: string): Promise<ShellSession> {
    const client = this.client;
    if (!client || this.state !== 'ready') return Promise.reject(this.lostError ?? new UnreachableError(this.host, 'not connected'));
    const becomeUser = key === '' ? undefined : key;
    const start = shellStartCommand(becomeUser, this.target.becomePassword !== undefined);
    return new Promise<ClientChannel>((resolve, reject) =>
      client.exec(start.command, (err, channel) => (err ? reject(err) : resolve(channel))),
    ).then(
      (channel) =>
        ShellSession.start(
          {
            stdin: channel,
            stdout: channel,
            stderr: channel.stderr,
            destroy: () => channel.close(),
            onClose: (listener) => channel.once('close', listener),
          },
          start,
          { host: this.host, becomeUser, becomePassword: this.target.becomePassword, explainLoss: () => this.explainLoss(), log: (l) => this.log(l) },
        ).catch(async (error: Error) => {
          if (this.state !== 'ready') throw await this.explainLoss();
          // sudo exiting looks like a dropped connection for a moment: a refusal is only recorded
          // (and never asked again) when the connection is still there.
          if (error instanceof BecomeError && error.refused) {
            const loss = await this.explainLoss();
            if (loss instanceof UnreachableError) throw loss;
          }
          throw error;
        }),
      async (error: Error) => {
        if (this.state !== 'ready') throw await this.explainLoss();
        throw new UnreachableError(this.host, `cannot open a session channel: ${error.message}`);
      },
    );
  }

  /**
   * Starts the probe helper of `key` on a channel of its own (a slot of the pool's budget, held
   * while it lives), through the same sudo mechanism as the shells.
   */
  private async openHelper(key: string): Promise<HelperTransport> {
    // Each helper holds a channel for good: at most one per 4 channels, so shells always have room
    // (2 helpers, login user and root, with the default 8).
    if (this.helperChannels >= Math.floor((this.options.maxChannels ?? 8) / 4)) throw new Error('no channel to spare for it');
    this.helperChannels++;
    let ticket: number;
    try {
      ticket = await this.pool.acquireSlot();
    } catch (error) {
      this.helperChannels--;
      throw error;
    }
    const client = this.client;
    const becomeUser = key === '' ? undefined : key;
    let channel: ClientChannel | undefined;
    try {
      if (!client || this.state !== 'ready') throw this.lostError ?? new UnreachableError(this.host, 'not connected');
      const start = shellStartCommand(becomeUser, this.target.becomePassword !== undefined, HELPER_PROGRAM);
      channel = await new Promise<ClientChannel>((resolve, reject) => client.exec(start.command, (err, ch) => (err ? reject(err) : resolve(ch))));
      channel.once('close', () => {
        if (this.client === client) this.helperChannels--; // drop() zeroes it for a gone client
        this.pool.releaseSlot(ticket);
      });
      const ch = channel;
      const transport = { stdin: ch, stdout: ch, stderr: ch.stderr, destroy: () => ch.close(), onClose: (l: () => void) => ch.once('close', l) };
      await sudoHandshake(transport, start, { host: this.host, becomeUser, becomePassword: this.target.becomePassword, explainLoss: () => this.explainLoss() });
      return transport;
    } catch (error) {
      if (!channel) {
        this.helperChannels--;
        this.pool.releaseSlot(ticket);
      }
      throw error;
    }
  }

  /** Why a shell vanished: the connection died (unreachable), or just that shell. */
  private explainLoss(): Promise<Error> {
    const now = (): Error | undefined => (this.state === 'ready' ? undefined : (this.lostError ?? new UnreachableError(this.host, 'connection is closed')));
    const known = now();
    if (known) return Promise.resolve(known);
    // A channel can close a moment before the connection's own close event arrives.
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(now() ?? new Error(`${this.host}: the remote shell exited unexpectedly`)), 300);
      this.lostWaiters.push(() => {
        clearTimeout(timer);
        resolve(now()!);
      });
    });
  }

  private sftp(): Promise<SFTPWrapper> {
    if (this.sftpSession) return this.sftpSession;
    const session = (async () => {
      const ticket = await this.pool.acquireSlot();
      const client = this.client;
      try {
        if (!client || this.state !== 'ready') throw this.lostError ?? new UnreachableError(this.host, 'not connected');
        const sftp = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s))));
        sftp.once('close', () => {
          if (this.sftpSession === session) this.sftpSession = undefined;
          this.pool.releaseSlot(ticket);
        });
        return sftp;
      } catch (error) {
        this.sftpSession = undefined;
        this.pool.releaseSlot(ticket);
        throw error;
      }
    })();
    this.sftpSession = session;
    return session;
  }

  /** Ends the ssh2 clients and fails whatever is queued or running with `error`. */
  private drop(error: UnreachableError): void {
    const client = this.client;
    this.client = undefined;
    this.lostError = error;
    this.sftpSession = undefined;
    this.helpers.closeAll();
    this.helperChannels = 0;
    this.pool.fail(error);
    client?.end();
    for (const c of this.jumpClients.splice(0)) c.end();
    this.stopProxy();
    if (this.state === 'ready' || this.state === 'connecting') this.state = 'lost';
    for (const w of this.lostWaiters.splice(0)) w();
  }

  private log(line: string): void {
    this.options.verbose?.(maskSecrets(line));
  }

  private logResult(result: RunResult): void {
    if (!this.options.verbose) return;
    this.log(`${this.host}: rc=${result.code}`);
    for (const [tag, text] of [['out', result.stdout], ['err', result.stderr]] as const) {
      if (text === '') continue;
      const masked = maskSecrets(text); // whole, before it is cut and split into lines
      const shown = masked.length > 4000 ? `${masked.slice(0, 4000)}… (${text.length} bytes)` : masked;
      for (const line of shown.replace(/\n$/, '').split('\n')) this.log(`${this.host}: ${tag}| ${line}`);
    }
  }
}

function toBuffer(stdin: string | Buffer | undefined): Buffer | undefined {
  return stdin === undefined ? undefined : Buffer.isBuffer(stdin) ? stdin : Buffer.from(stdin, 'utf8');
}

function describe(err: Error & { level?: string; code?: string }): string {
  if (err.level === 'client-authentication') return 'authentication failed (no key, agent identity or password was accepted)';
  if (err.level === 'client-timeout') return 'timed out';
  return err.code ? `${err.message}` : err.message;
}
