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
