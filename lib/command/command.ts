// Commands are values. Every interpolated value is quoted by zx's quote (the one quoter), so host
// names, variables and file contents reach the host as data, never as shell. The same value also
// carries its display form, in which secrets are masked.
import { quote } from './quote.js';
import { MASK, Secret } from '../secrets/masker.js';
import type { HostOp } from '../connection/host-ops.js';

export class Command {
  constructor(
    /** What the remote bash runs. */
    readonly text: string,
    /** What users see in -v output and logs: secrets masked. */
    readonly display: string,
    /**
     * The same read as an op of the resident probe helper (host-ops.ts), which answers it without
     * forking; `text` stays what runs when there is no helper, and what -v and --check show.
     */
    readonly op?: HostOp,
  ) {}
  toString(): string {
    return this.display;
  }
}

/** A trusted shell fragment inserted unquoted (operators, redirections written by the tool). */
export class RawShell {
  constructor(readonly text: string) {}
}
export const raw = (text: string): RawShell => new RawShell(text);

export type ShellValue = string | number | boolean | Secret | Command | RawShell | readonly ShellValue[];

function render(value: ShellValue): [text: string, display: string] {
  if (value instanceof Command) return [value.text, value.display];
  if (value instanceof RawShell) return [value.text, value.text];
  if (value instanceof Secret) return [quote(value.value), MASK];
  if (Array.isArray(value)) {
    const parts = value.map(render);
    return [parts.map((p) => p[0]).join(' '), parts.map((p) => p[1]).join(' ')];
  }
  const s = quote(String(value));
  return [s, s];
}

/** Builds a Command: `sh\`apt-get install -y ${packages}\`` quotes each package. */
export function sh(strings: TemplateStringsArray, ...values: ShellValue[]): Command {
  let text = strings[0]!;
  let display = strings[0]!;
  values.forEach((value, i) => {
    const [t, d] = render(value);
    text += t + strings[i + 1]!;
    display += d + strings[i + 1]!;
  });
  return new Command(text, display);
}

/** Joins commands with a shell operator, e.g. joinCommands([a, b], ' && '). */
export function joinCommands(commands: readonly Command[], separator: string): Command {
  return new Command(
    commands.map((c) => c.text).join(separator),
    commands.map((c) => c.display).join(separator),
  );
}

export { quote };
