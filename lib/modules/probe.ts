// Probes batch everything a module needs to read into ONE command (one round trip). Each named
// section runs in its own subshell; its output travels base64-encoded on one line with its exit
// status, so file contents without a trailing newline, binary keyrings and odd bytes survive intact
// and one section can never be confused with the next.
import { Command, sh, joinCommands } from '../command/command.js';
import type { ModuleContext } from './module.js';
import type { ProbeOp } from '../connection/host-ops.js';

export interface SectionOutput {
  /** Exit status of the section's command (its stderr is discarded). */
  code: number;
  /** What it printed, as bytes. */
  bytes: Buffer;
  /** What it printed, as UTF-8 text. */
  text: string;
}

export type Sections = Record<string, Command>;
export type SectionOutputs = Record<string, SectionOutput>;

const sectionName = /^[A-Za-z0-9_.-]+$/;

/**
 * Builds the one command that runs every section and frames its output. When every section carries
 * a helper op (host-ops.ts), so does the probe: a connection with a probe helper then answers it in
 * the same `NAME BASE64 CODE` lines without running the shell text.
 */
export function probeCommand(sections: Sections): Command {
  const parts = Object.entries(sections).map(([name, command]) => {
    if (!sectionName.test(name)) throw new Error(`bad probe section name ${name}`);
    // PIPESTATUS[0] is the section's own status, not base64's.
    return sh`printf '%s ' ${name}; ( ${command} ) 2>/dev/null </dev/null | base64 -w0; printf ' %s\\n' "\${PIPESTATUS[0]}"`;
  });
  // A subshell with errexit/pipefail off, whatever the surrounding shell has set.
  const shell = joinCommands([sh`( set +e +o pipefail`, ...parts, sh`exit 0 )`], '; ');
  const ops: ProbeOp['sections'] = [];
  for (const [name, command] of Object.entries(sections)) {
    if (command.op === undefined || command.op.op === 'probe') return shell;
    ops.push([name, command.op]);
  }
  return new Command(shell.text, shell.display, { op: 'probe', sections: ops });
}

const PROBE_LINE = /^([A-Za-z0-9_.-]+) ([A-Za-z0-9+/=]*) (\d+)$/;

/** Parses probeCommand's output: one `NAME BASE64 CODE` line per section. */
export function parseProbeOutput(stdout: string): SectionOutputs {
  const out: SectionOutputs = {};
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const m = PROBE_LINE.exec(line);
    if (!m) continue;
    const bytes = Buffer.from(m[2]!, 'base64');
    out[m[1]!] = { code: Number(m[3]), bytes, text: bytes.toString('utf8') };
  }
  return out;
}

/** Encodes section outputs as a probe would print them (tests, recorded fixtures). */
export function formatProbeOutput(outputs: Record<string, { code?: number; text: string }>): string {
  return Object.entries(outputs)
    .map(([name, o]) => `${name} ${Buffer.from(o.text).toString('base64')} ${o.code ?? 0}\n`)
    .join('');
}

/**
 * How long a probe may run before it is killed (2 minutes): probes only read, and a read that
 * blocks (a FIFO planted where a file was expected, a hung mount) must not hold a run forever.
 * Role scripts pass their own `timeoutMs` for probes that wait on purpose (kubectl wait).
 */
export const PROBE_TIMEOUT_MS = 120_000;

/**
 * Runs the sections on the host in one command and returns each one's output. The output must be
 * exactly the sections asked for, each once: any other line means something else wrote to the
 * command's output, and the probe fails rather than plan from it.
 */
export async function runProbe(ctx: ModuleContext, sections: Sections): Promise<SectionOutputs> {
  if (Object.keys(sections).length === 0) return {};
  const result = await ctx.run(probeCommand(sections), { timeoutMs: PROBE_TIMEOUT_MS });
  const outputs = parseProbeOutput(result.stdout);
  for (const name of Object.keys(sections)) {
    if (!outputs[name]) {
      throw new Error(`probe on ${ctx.host} returned no "${name}" section (exit ${result.code}): ${result.stderr.trim()}`);
    }
  }
  const lines = result.stdout.split('\n').filter((l) => l !== '');
  const names = lines.map((l) => l.slice(0, l.indexOf(' ')));
  const unexpected = lines.findIndex((l, i) => !Object.hasOwn(sections, names[i]!) || names.indexOf(names[i]!) !== i || !PROBE_LINE.test(l));
  if (unexpected >= 0) {
    throw new Error(`probe on ${ctx.host}: its output holds a line the probe did not print (line ${unexpected + 1}); not planning from it`);
  }
  return outputs;
}

/** A section's text, or '' when it is missing (parsers take partial outputs in tests). */
export function sectionText(outputs: SectionOutputs, name: string): string {
  return outputs[name]?.text ?? '';
}

export function sectionOk(outputs: SectionOutputs, name: string): boolean {
  return outputs[name] !== undefined && outputs[name].code === 0;
}
