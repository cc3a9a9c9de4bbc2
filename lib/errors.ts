// One error hierarchy for the whole tool. The CLI's single top-level catch maps it to an exit code;
// the runner decides what happens to a host by the class of what a step threw (never by its fields):
//
//   SteerError                 anything steer raises on purpose (code, exitCode, location)
//   ├─ UserError               a mistake in the user's input: one line, exit 5
//   ├─ HostError               something failed on one host: that host is "failed", exit 2
//   │  ├─ ModuleError          a module refused its arguments or its actions failed
//   │  ├─ CommandFailed        a `$` command exited non-zero
//   │  ├─ BecomeError          sudo refused to start the become shell
//   │  ├─ CommandTimeoutError  a command outlived its timeout and was killed
//   │  ├─ TransferError        put/get failed (permissions, disk full …)
//   │  └─ UnreachableError     the host cannot be reached: "unreachable", exit 4
//   │     └─ HostKeyError      the host presented a key known_hosts does not accept
//   ├─ HostFailed              control flow: a host failed a step (already reported); it stops
//   └─ RunStopped              control flow: the run is stopping (signal, any_errors_fatal …)

/** Exit codes, as documented in README and compatible with ansible-playbook's. */
export const ExitCode = {
  ok: 0,
  hostFailed: 2,
  hostUnreachable: 4,
  invalidInput: 5,
  interrupted: 99,
  internal: 250,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Where in a user's file something is wrong. Line and column are 1-based. */
export interface SourceLocation {
  file: string;
  line?: number;
  col?: number;
}

export function formatLocation(loc: SourceLocation): string {
  if (loc.line === undefined) return loc.file;
  return loc.col === undefined ? `${loc.file}:${loc.line}` : `${loc.file}:${loc.line}:${loc.col}`;
}

/** Base of every error the tool raises on purpose. `code` is stable, for tests and --json. */
export class SteerError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly exitCode: ExitCode = ExitCode.internal,
    readonly location?: SourceLocation,
  ) {
    super(message);
    this.name = 'SteerError';
  }
}

/**
 * A mistake in the user's input (bad YAML, unknown role, wrong variable type, bad option).
 * Printed as one line `path:line:col: message`, exit code 5, no stack trace.
 */
export class UserError extends SteerError {
  constructor(message: string, code = 'INVALID_INPUT', location?: SourceLocation) {
    super(message, code, ExitCode.invalidInput, location);
    this.name = 'UserError';
  }
}

/** Something failed on one host; the host stops, the others go on (Ansible's "failed"). */
export class HostError extends SteerError {
  constructor(
    message: string,
    code = 'HOST_FAILED',
    exitCode: ExitCode = ExitCode.hostFailed,
  ) {
    super(message, code, exitCode);
    this.name = 'HostError';
  }
}

/** Output of a command, as a failure carries it (stdout/stderr may be hidden by noLog). */
export interface CommandOutput {
  stdout: string;
  stderr: string;
  code: number;
}

/** A module refused its arguments or one of its actions failed; the message is what users see. */
export class ModuleError extends HostError {
  constructor(
    message: string,
    readonly result?: Partial<CommandOutput>,
  ) {
    super(message, 'MODULE_FAILED');
    this.name = 'ModuleError';
  }
}

/** A command run with a role's `$` exited non-zero. */
export class CommandFailed extends HostError {
  constructor(
    command: string,
    readonly result: CommandOutput,
  ) {
    const stderr = result.stderr.trim();
    super(`command failed (exit ${result.code}): ${command}${stderr ? `\n${stderr}` : ''}`, 'COMMAND_FAILED');
    this.name = 'CommandFailed';
  }
}

/** sudo refused to start the become shell (no password given, wrong password, user not allowed). */
export class BecomeError extends HostError {
  constructor(
    readonly host: string,
    message: string,
    /**
     * sudo said no (a rejected password, no password, a user not allowed): asking again cannot
     * succeed, and each wrong password counts towards pam_faillock's lock. The connection does not
     * ask again for that user.
     */
    readonly refused = false,
  ) {
    super(message, 'BECOME_FAILED');
    this.name = 'BecomeError';
  }
}

/** A command ran longer than its timeout and was killed (the connection stays usable). */
export class CommandTimeoutError extends HostError {
  constructor(
    readonly host: string,
    readonly timeoutMs: number,
    message: string,
  ) {
    super(message, 'COMMAND_TIMEOUT');
    this.name = 'CommandTimeoutError';
  }
}

/** put/get failed on the host (permissions, missing folder, disk full …). */
export class TransferError extends HostError {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message, 'FILE_TRANSFER_FAILED');
    this.name = 'TransferError';
  }
}

/** A command printed more than the output cap (OUTPUT_LIMIT_BYTES): it was stopped. */
export class OutputLimitError extends HostError {
  constructor(
    readonly host: string,
    readonly limitBytes: number,
    message: string,
  ) {
    super(message, 'OUTPUT_LIMIT');
    this.name = 'OutputLimitError';
  }
}

/** The host could not be reached or the connection dropped: counted as unreachable, not failed. */
export class UnreachableError extends HostError {
  constructor(
    readonly host: string,
    message: string,
    code = 'HOST_UNREACHABLE',
  ) {
    super(message, code, ExitCode.hostUnreachable);
    this.name = 'UnreachableError';
  }
}

/** The host presented a key that known_hosts does not accept (never retried: it may be an attack). */
export class HostKeyError extends UnreachableError {
  constructor(host: string, message: string) {
    super(host, message, 'HOST_KEY_MISMATCH');
    this.name = 'HostKeyError';
  }
}

/** A host failed a step, already reported: the role script unwinds and the host runs nothing more. */
export class HostFailed extends SteerError {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message, 'HOST_FAILED', ExitCode.hostFailed);
    this.name = 'HostFailed';
  }
}

/** The run is stopping (Ctrl-C, SIGTERM, any_errors_fatal, max_fail_percentage): no new step starts. */
export class RunStopped extends SteerError {
  constructor(readonly reason: string) {
    super(reason, 'RUN_STOPPED', ExitCode.hostFailed);
    this.name = 'RunStopped';
  }
}

/** The one-line form shown to users. */
export function formatUserMessage(err: SteerError): string {
  return err.location ? `${formatLocation(err.location)}: ${err.message}` : err.message;
}
