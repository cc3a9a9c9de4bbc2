// ssh's ProxyCommand: a local command whose stdin and stdout carry the connection to the host
// (`ssh -W %h:%p bastion`, `nc`, a corporate tunnel). steer runs it with /bin/sh as ssh does and
// hands its pipes to ssh2 as the socket.
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';

export interface ProxyProcess {
  /** The pipes as one stream, for ssh2's `sock`. */
  sock: Duplex;
  /**
   * The last lines the command wrote on stderr (for the error when the connection fails), once it
   * has exited or `waitMs` has passed.
   */
  said(waitMs?: number): Promise<string>;
  /** Ends the command (the connection is closed or failed). */
  stop(): void;
}

/** The stderr kept per proxy command, enough for a message. */
const STDERR_KEPT = 4096;

/** Starts `command` (tokens already expanded) with `sh -c`, like ssh's ProxyCommand. */
export function startProxyCommand(command: string): ProxyProcess {
  const child = spawn('/bin/sh', ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT);
  });
  const sock = Duplex.from({ readable: child.stdout, writable: child.stdin });
  // A command that cannot start (no such program) or exits early ends the stream; ssh2 then says
  // the connection closed, and said() tells why.
  child.once('error', (error) => {
    stderr += `\n${error.message}`;
    sock.destroy();
  });
  child.stdin.on('error', () => {});
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    sock,
    said: async (waitMs = 1000) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, waitMs)))]);
      clearTimeout(timer);
      return stderr.trim().split('\n').slice(-3).join(' ');
    },
    stop: () => {
      sock.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
