// The connector contract: ssh (ssh2, one persistent connection per host) and local (the controller)
// both implement it; runner, facts and modules only ever talk to this interface.
import type { Command } from '../command/command.js';

export interface RunOptions {
  /** Bytes fed to the command's stdin (secrets travel this way, never in argv). */
  stdin?: string | Buffer;
  /** Run as this user through sudo (the connection's become settings); false = as the login user. */
  become?: boolean;
  /** The user to become (default: the host's ansible_become_user, else root). */
  becomeUser?: string;
  /** Kill the command and reject after this long. */
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit status of the command. */
  code: number;
}

export interface PutOptions {
  /** Octal mode string, e.g. '0644'. */
  mode?: string;
  owner?: string;
  group?: string;
  become?: boolean;
  becomeUser?: string;
}

export interface GetOptions {
  become?: boolean;
  becomeUser?: string;
  /** Only these bytes of the file (transfer.ts ByteRange). */
  range?: { offset: number; length: number };
}

export interface Connection {
  /** The inventory name of the host. */
  readonly host: string;
  /** Opens the connection (idempotent). Throws UnreachableError when the host cannot be reached. */
  connect(): Promise<void>;
  /** Runs one command; never rejects for a non-zero exit (that is in `code`). */
  run(command: Command, options?: RunOptions): Promise<RunResult>;
  /**
   * Writes a whole file atomically: the content goes to a temp file beside the target, which is
   * then renamed into place, so an interrupted write leaves the old file or the new one.
   */
  put(remotePath: string, content: string | Buffer, options?: PutOptions): Promise<void>;
  /**
   * Reads a whole remote file, or only `range` of it (what a command may print is capped, so files
   * larger than the cap are read range by range); undefined when it does not exist.
   */
  get(remotePath: string, options?: GetOptions): Promise<Buffer | undefined>;
  /** Drops and re-opens the connection (after a reboot or an sshd restart). */
  reconnect(options?: { timeoutMs?: number }): Promise<void>;
  close(): Promise<void>;
}
