// Control flow inside a host's run: a step that fails, a host that drops, a check-mode skip, or a
// stop requested by the user unwinds the role script with one of these.

/** The host failed a step; it runs nothing more in this run. */
export class HostFailed extends Error {
  constructor(readonly host: string, message: string) {
    super(message);
    this.name = 'HostFailed';
  }
}

/** Thrown by `$` in check mode: the step is reported skipped (it would have run the command). */
export class CheckModeSkip extends Error {
  constructor(readonly command: string) {
    super(`check mode: would run \`${command}\``);
    this.name = 'CheckModeSkip';
  }
}

/** The run is stopping (Ctrl-C, SIGTERM, any_errors_fatal): no new steps start. */
export class RunStopped extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'RunStopped';
  }
}
