// One error hierarchy for the whole tool; the CLI's single top-level catch maps it to an exit code.

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

/** The one-line form shown to users. */
export function formatUserMessage(err: SteerError): string {
  return err.location ? `${formatLocation(err.location)}: ${err.message}` : err.message;
}
