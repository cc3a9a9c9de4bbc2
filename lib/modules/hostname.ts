// hostname: the host's name (static and running) and its `127.0.1.1 NAME` line in /etc/hosts, as
// Debian's installer writes it. hostnamectl when the host has it, else /etc/hostname and `hostname`.
import { sh } from '../command/command.js';
import { argError } from './args.js';
import { describeChanges, fileSections, parseFileState, planContent, type FileState } from './file-state.js';
import type { Action, Module, Plan } from './module.js';
import { runProbe, sectionText, type SectionOutputs } from './probe.js';
import { joinLines, splitLines } from './text.js';

export interface HostnameArgs {
  name: string;
  /** Default /etc/hosts. */
  hostsFile?: string;
}

export interface HostnameState {
  /** The static name (/etc/hostname). */
  static: string;
  /** The running kernel's name (`hostname`). */
  running: string;
  hostnamectl: boolean;
  hosts: FileState;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The pure /etc/hosts edit: a 127.0.1.1 line naming the host. */
export function editHosts(content: string, name: string): string {
  const text = splitLines(content);
  const isLoopback1 = (l: string): boolean => /^127\.0\.1\.1\s/.test(l.trim());
  const short = name.split('.')[0]!;
  const names = (l: string): string[] => l.replace(/#.*/, '').trim().split(/\s+/).slice(1);
  if (text.lines.some((l) => isLoopback1(l) && names(l)[0] === name)) return content;
  const wanted = name === short ? `127.0.1.1\t${name}` : `127.0.1.1\t${name} ${short}`;
  const index = text.lines.findIndex(isLoopback1);
  const lines = [...text.lines];
  if (index >= 0) lines[index] = wanted;
  else {
    // After the 127.0.0.1 line when there is one, as Debian has it.
    const lo = lines.findIndex((l) => /^127\.0\.0\.1\s/.test(l.trim()));
    lines.splice(lo >= 0 ? lo + 1 : lines.length, 0, wanted);
  }
  return joinLines({ lines, trailingNewline: text.trailingNewline || index < 0 });
}

export const hostname: Module<HostnameArgs, HostnameState> = {
  name: 'hostname',
  args: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      hostsFile: { type: 'string' },
    },
    required: ['name'],
    additionalProperties: false,
  },
  validate(args) {
    if (!HOSTNAME.test(args.name)) argError('hostname', `"${args.name}" is not a valid host name`);
  },
  async probe(args, ctx) {
    return parseHostnameProbe(
      await runProbe(ctx, {
        static: sh`cat /etc/hostname`,
        running: sh`hostname`,
        hostnamectl: sh`command -v hostnamectl`,
        ...fileSections('hosts', args.hostsFile ?? '/etc/hosts', { content: true }),
      }),
    );
  },
  plan(args, state): Plan {
    const actions: Action[] = [];
    const notes: string[] = [];
    const diffs: NonNullable<Plan['diffs']> = [];
    if (state.static !== args.name || state.running !== args.name) {
      if (state.hostnamectl) {
        actions.push({ kind: 'run', command: sh`hostnamectl set-hostname ${args.name}` });
      } else {
        if (state.static !== args.name) actions.push({ kind: 'put', path: '/etc/hostname', content: `${args.name}\n`, mode: '0644' });
        if (state.running !== args.name) actions.push({ kind: 'run', command: sh`hostname ${args.name}` });
      }
      notes.push(`hostname ${state.running || state.static || '?'} -> ${args.name}`);
    }
    const hostsFile = args.hostsFile ?? '/etc/hosts';
    const before = state.hosts.content ?? '';
    const after = editHosts(before, args.name);
    if (after !== before) {
      const content = planContent(hostsFile, after, state.hosts, {});
      actions.push(...content.actions);
      diffs.push(...content.diffs);
      notes.push(describeChanges(hostsFile, content.changes)!);
    }
    return { actions, diffs, summary: notes.join('; ') || undefined };
  },
};

export function parseHostnameProbe(outputs: SectionOutputs): HostnameState {
  return {
    static: sectionText(outputs, 'static').trim(),
    running: sectionText(outputs, 'running').trim(),
    hostnamectl: outputs['hostnamectl']?.code === 0,
    hosts: parseFileState(outputs, 'hosts'),
  };
}
