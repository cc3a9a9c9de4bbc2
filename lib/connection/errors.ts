import { ExitCode, SteerError } from '../errors.js';

/** The host could not be reached or the connection dropped: counted as unreachable, not failed. */
export class UnreachableError extends SteerError {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message, 'HOST_UNREACHABLE', ExitCode.hostUnreachable);
    this.name = 'UnreachableError';
  }
}

/** The host presented a key that known_hosts does not accept. */
export class HostKeyError extends SteerError {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message, 'HOST_KEY_MISMATCH', ExitCode.hostUnreachable);
    this.name = 'HostKeyError';
  }
}

/** sudo refused to start the become shell (no password given, wrong password, user not allowed). */
export class BecomeError extends SteerError {
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
    super(message, 'BECOME_FAILED', ExitCode.hostFailed);
    this.name = 'BecomeError';
  }
}

/** A command ran longer than its timeout and was killed (the connection stays usable). */
export class CommandTimeoutError extends SteerError {
  constructor(
    readonly host: string,
    readonly timeoutMs: number,
    message: string,
  ) {
    super(message, 'COMMAND_TIMEOUT', ExitCode.hostFailed);
    this.name = 'CommandTimeoutError';
  }
}

/** put/get failed on the host (permissions, missing folder, disk full …). */
export class TransferError extends SteerError {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message, 'FILE_TRANSFER_FAILED', ExitCode.hostFailed);
    this.name = 'TransferError';
  }
}

/** A command printed more than the output cap (OUTPUT_LIMIT_BYTES): it was stopped. */
export class OutputLimitError extends SteerError {
  constructor(
    readonly host: string,
    readonly limitBytes: number,
    message: string,
  ) {
    super(message, 'OUTPUT_LIMIT', ExitCode.hostFailed);
    this.name = 'OutputLimitError';
  }
}
