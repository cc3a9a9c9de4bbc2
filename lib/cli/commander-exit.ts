// Commander ends a command by throwing (exitOverride); its exits map to steer's exit codes here.
import { CommanderError } from 'commander';
import { ExitCode } from '../errors.js';

/** The exit code for an exit of commander's, which has already printed its message (help, version, usage error). */
export function commanderExitCode(err: CommanderError): number {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return ExitCode.ok;
  return ExitCode.invalidInput;
}
