// `steer exec`: an ad-hoc command or module call on every host of a pattern, as one step of a
// role, so it gets everything a playbook run has (connections, become, check mode, live view,
// recap, exit codes). What the command prints is shown under each host.
import { defineRole, raw } from 'steer';
import type { ModuleResult } from 'steer';

interface Vars {
  adhoc_command: string;
  adhoc_module: string;
  adhoc_args: Record<string, unknown>;
}

export default defineRole<Vars>({
  async run({ step, $, m, vars, note, check }) {
    if (vars.adhoc_module) {
      const call = (m as unknown as Record<string, (args: unknown) => Promise<ModuleResult>>)[vars.adhoc_module]!;
      await step(`${vars.adhoc_module}`, () => call(vars.adhoc_args));
      return;
    }
    let printed: string | undefined;
    await step(`$ ${vars.adhoc_command}`, async () => {
      // The operator's own command line, given on steer's command line: run by the shell, as ssh does.
      const out = await $`${raw(vars.adhoc_command)}`.catch((err: Error & { result?: { stdout: string; stderr: string } }) => {
        if (err.result) printed = shown(err.result.stdout, err.result.stderr);
        throw err;
      });
      if (!check) printed = shown(out.stdout, out.stderr);
      return check ? 'changed' : { changed: true, summary: `rc=${out.code}` };
    }).finally(() => {
      if (printed !== undefined) note(printed);
    });
  },
});

function shown(stdout: string, stderr: string): string {
  const text = [stdout.replace(/\n$/, ''), stderr.replace(/\n$/, '')].filter((t) => t !== '').join('\n');
  return text === '' ? '(no output)' : text;
}
