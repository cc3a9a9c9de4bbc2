// Append-only lines for CI logs and pipes: one line per state change, nothing redrawn.
import { maskSecrets, maskValue } from '../secrets/masker.js';
import { formatDiff } from './diff.js';
import type { Renderer, RunEvent } from './events.js';
import { banner, formatRecap } from './recap.js';

export interface TextRendererOptions {
  verbosity: number;
  diff: boolean;
  colour: boolean;
  write: (text: string) => void;
}

const STATUS_COLOUR: Record<string, string> = {
  ok: '\x1b[32m',
  changed: '\x1b[33m',
  skipped: '\x1b[36m',
  failed: '\x1b[31m',
  unreachable: '\x1b[31m',
  ignored: '\x1b[35m',
};

/**
 * Lines for one event, shared by the plain renderer and the live renderer's log above the view.
 * Secrets are masked in the event first, before its values are split into lines, prefixed or diffed.
 */
export function eventLines(unmasked: RunEvent, options: Omit<TextRendererOptions, 'write'>): string[] {
  const event = maskValue(unmasked);
  const paint = (status: string, text: string) => (options.colour ? `${STATUS_COLOUR[status] ?? ''}${text}\x1b[0m` : text);
  switch (event.type) {
    case 'playbook-start':
      return event.check ? ['CHECK MODE: nothing on any host will change', ''] : [];
    case 'play-start':
      return ['', banner(`PLAY [${event.play}]`), `hosts (${event.hosts.length}): ${event.hosts.join(', ')}`];
    case 'role-start':
      return ['', banner(`ROLE [${event.role}]`)];
    case 'step-result': {
      const label = event.checkOnly && event.status === 'changed' ? 'would change' : event.status;
      const kind = event.handler ? 'handler ' : '';
      const head = `${paint(event.status, `${label}: [${event.host}]`)} ${kind}${event.role} : ${event.step}`;
      const lines = [event.message ? `${head} => ${event.message}` : head];
      if (options.diff && event.diffs) for (const d of event.diffs) lines.push(formatDiff(d));
      return lines;
    }
    case 'command':
      if (options.verbosity < 1) return [];
      return [
        `  [${event.host}] $ ${event.command}  (exit ${event.code}, ${event.durationMs} ms)`,
        ...(options.verbosity >= 2 || event.code !== 0
          ? [...indent(event.stdout, '    | '), ...indent(event.stderr, '    ! ')]
          : []),
      ];
    case 'log':
      return options.verbosity >= 1 ? [`  [${event.host}] ${event.message}`] : [];
    case 'warning':
      return [paint('ignored', `[WARNING]${event.host ? ` [${event.host}]` : ''}: ${event.message}`)];
    case 'note':
      return [`[${event.host}]`, ...event.message.replace(/\n$/, '').split('\n').map((l) => `  ${l}`)];
    case 'recap': {
      const lines = ['', ...formatRecap(event.hosts, options.colour)];
      if (event.interrupted) lines.push('', 'Interrupted: no new steps were started after the signal.');
      if (event.retryFile) lines.push('', `to retry, use: --limit @${event.retryFile}`);
      return lines;
    }
    default:
      return [];
  }
}

function indent(text: string, prefix: string): string[] {
  const t = text.replace(/\n$/, '');
  return t ? t.split('\n').map((l) => prefix + l) : [];
}

export class PlainRenderer implements Renderer {
  constructor(private readonly options: TextRendererOptions) {}
  event(event: RunEvent): void {
    for (const line of eventLines(event, this.options)) this.options.write(maskSecrets(line) + '\n');
  }
  async end(): Promise<void> {}
}
