// The shells of one connection. Commands queue per user (login user, or a become user); a command
// goes to an idle shell of its user, else a new shell is opened while the connection has channel
// slots left (sshd's MaxSessions caps sessions per connection), else it waits. The SFTP session
// takes a slot from the same budget. An idle shell of another user is closed to make room.
//
// sudo is asked once at a time per user until a shell of that user has started, and never again
// after it refused (BecomeError.refused): a wrong become password costs one failed attempt per
// host and run, not one per step (pam_faillock locks an account after three).
import { BecomeError } from './errors.js';
import type { RawResult, ShellSession } from './shell-session.js';

interface Waiter {
  /** '' = the login user, else the become user; undefined = a bare slot (SFTP). */
  key: string | undefined;
  resolve(value: ShellSession | undefined): void;
  reject(error: Error): void;
}

interface Entry {
  key: string;
  session: ShellSession;
  busy: boolean;
}

export interface PoolOptions {
  /** Channels this connection may hold open at once (shells + SFTP). */
  maxChannels: number;
  /** Opens a new shell for a key ('' = login user). */
  open(key: string): Promise<ShellSession>;
}

export interface PoolStats {
  /** Channels open or opening now. */
  channels: number;
  /** The most channels ever open at once. */
  peakChannels: number;
  /** Shells started so far. */
  shellsStarted: number;
}

export class ShellPool {
  private entries: Entry[] = [];
  private waiters: Waiter[] = [];
  private opening = new Map<string, number>();
  private slots = 0;
  /** Bumped by fail(): slots handed out before belong to a dead connection. */
  private generation = 0;
  private failure: Error | undefined;
  /** Users whose shell has started once on this connection (more may open in parallel). */
  private readonly proven = new Set<string>();
  /** Users sudo refused: every later request fails at once with the same error. */
  private readonly refused = new Map<string, BecomeError>();
  readonly stats: PoolStats = { channels: 0, peakChannels: 0, shellsStarted: 0 };

  constructor(private readonly options: PoolOptions) {}

  /** Runs a command on a shell of `key`, waiting for one when all are busy. */
  async run(key: string, command: string, stdin?: Buffer, timeoutMs?: number): Promise<RawResult> {
    const session = (await this.acquire(key))!;
    try {
      return await session.run(command, stdin, timeoutMs);
    } finally {
      this.release(session);
    }
  }

  /** Takes one channel slot outside the shells (for SFTP); give it back with releaseSlot(ticket). */
  async acquireSlot(): Promise<number> {
    await this.acquire(undefined);
    return this.generation;
  }

  releaseSlot(ticket: number): void {
    if (ticket !== this.generation) return; // fail() already dropped it
    this.slots--;
    this.count();
    this.dispatch();
  }

  /** Rejects everything waiting and closes every shell (the connection is gone or closing). */
  fail(error: Error): void {
    this.failure = error;
    this.generation++;
    this.slots = 0;
    for (const w of this.waiters.splice(0)) w.reject(error);
    for (const e of this.entries.splice(0)) e.session.abort(error);
    this.count();
  }

  /** Accepts work again after fail() (a new connection). */
  reset(): void {
    this.failure = undefined;
  }

  private acquire(key: string | undefined): Promise<ShellSession | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    const refused = key === undefined ? undefined : this.refused.get(key);
    if (refused) return Promise.reject(refused);
    return new Promise((resolve, reject) => {
      this.waiters.push({ key, resolve, reject });
      this.dispatch();
    });
  }

  private release(session: ShellSession): void {
    const entry = this.entries.find((e) => e.session === session);
    if (entry) entry.busy = false;
    this.dispatch();
  }

  private used(): number {
    let opening = 0;
    for (const n of this.opening.values()) opening += n;
    return this.entries.length + opening + this.slots;
  }

  private count(): void {
    this.stats.channels = this.used();
    this.stats.peakChannels = Math.max(this.stats.peakChannels, this.stats.channels);
  }

  private dispatch(): void {
    if (this.failure) return;
    // Shells being opened are already promised to the first waiters of their key.
    const promised = new Map(this.opening);
    for (const w of [...this.waiters]) {
      if (w.key === undefined) {
        if (this.used() < this.options.maxChannels || this.evictIdle(undefined)) {
          this.slots++;
          this.count();
          this.take(w);
          w.resolve(undefined);
        }
        continue;
      }
      // A retired shell stays listed until its close is heard of; it is never handed out again.
      const idle = this.entries.find((e) => e.key === w.key && !e.busy && !e.session.isClosed);
      if (idle) {
        idle.busy = true;
        this.take(w);
        w.resolve(idle.session);
        continue;
      }
      const pending = promised.get(w.key) ?? 0;
      if (pending > 0) {
        promised.set(w.key, pending - 1);
        continue;
      }
      // Until sudo has let one shell of this user in, ask it only once at a time.
      if (w.key !== '' && !this.proven.has(w.key) && (this.opening.get(w.key) ?? 0) > 0) continue;
      if (this.used() < this.options.maxChannels || this.evictIdle(w.key)) this.startOpen(w.key);
    }
  }

  private take(w: Waiter): void {
    this.waiters.splice(this.waiters.indexOf(w), 1);
  }

  /** Closes one idle shell of another key to free its slot. */
  private evictIdle(forKey: string | undefined): boolean {
    const victim = this.entries.find((e) => !e.busy && e.key !== forKey && !e.session.isClosed);
    if (!victim) return false;
    this.remove(victim.session);
    victim.session.close();
    return true;
  }

  private remove(session: ShellSession): void {
    this.entries = this.entries.filter((e) => e.session !== session);
    this.count();
  }

  private startOpen(key: string): void {
    this.opening.set(key, (this.opening.get(key) ?? 0) + 1);
    this.count();
    const done = () => this.opening.set(key, this.opening.get(key)! - 1);
    this.options.open(key).then(
      (session) => {
        done();
        this.proven.add(key);
        this.stats.shellsStarted++;
        if (this.failure) {
          session.close();
          return;
        }
        this.entries.push({ key, session, busy: false });
        session.onClosed(() => {
          this.remove(session);
          this.dispatch();
        });
        this.count();
        this.dispatch();
      },
      (error: Error) => {
        done();
        this.count();
        if (error instanceof BecomeError && error.refused) this.refused.set(key, error);
        // Everyone waiting for this user would fail the same way (e.g. a wrong sudo password).
        for (const w of this.waiters.filter((x) => x.key === key)) {
          this.take(w);
          w.reject(error);
        }
        this.dispatch();
      },
    );
  }
}
