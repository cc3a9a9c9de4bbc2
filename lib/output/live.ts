// The terminal view: under the current role, one live line per host showing the step it is on,
// drawn by listr2. Diffs, failures and warnings are printed as plain lines once the role ends.
import { Listr, type ListrTaskWrapper } from 'listr2';
import { maskSecrets } from '../secrets/masker.js';
import type { Renderer, RunEvent } from './events.js';
import { eventLines, type TextRendererOptions } from './plain.js';

interface HostLine {
  resolve: () => void;
  reject: (err: Error) => void;
  task?: ListrTaskWrapper<unknown, any, any>;
  done: Promise<void>;
}

export class LiveRenderer implements Renderer {
  private hosts = new Map<string, HostLine>();
  private running: Promise<unknown> | undefined;
  private deferred: string[] = [];

  constructor(private readonly options: TextRendererOptions) {}

  private print(lines: string[]): void {
    for (const line of lines) this.options.write(maskSecrets(line) + '\n');
  }

  event(event: RunEvent): void {
    switch (event.type) {
      case 'role-start':
        this.print(eventLines(event, this.options));
        this.startRole(event.role, event.hosts);
        return;
      case 'step-start': {
        const line = this.hosts.get(event.host);
        if (line?.task) line.task.title = maskSecrets(`${event.host}: ${event.handler ? 'handler ' : ''}${event.step}`);
        return;
      }
      case 'step-result': {
        const line = this.hosts.get(event.host);
        if (line?.task && event.status !== 'ok') line.task.output = maskSecrets(`${event.status}: ${event.step}`);
        if (event.status === 'failed' || event.status === 'unreachable' || event.status === 'ignored' || (this.options.diff && event.diffs?.length) || event.status === 'changed')
          this.deferred.push(...eventLines(event, this.options));
        return;
      }
      case 'role-host-end': {
        const line = this.hosts.get(event.host);
        if (!line) return;
        const summary = `${event.host}: ${event.counts.changed} changed, ${event.counts.ok - event.counts.changed} ok${event.counts.skipped ? `, ${event.counts.skipped} skipped` : ''}`;
        if (line.task) line.task.title = summary;
        if (event.status === 'failed' || event.status === 'unreachable') line.reject(new Error(`${event.host}: ${event.status}`));
        else line.resolve();
        return;
      }
      case 'role-end':
        return;
      case 'note':
      case 'warning':
        if (this.running) this.deferred.push(...eventLines(event, this.options));
        else this.print(eventLines(event, this.options));
        return;
      case 'command':
      case 'log':
        this.deferred.push(...eventLines(event, this.options));
        return;
      default:
        this.print(eventLines(event, this.options));
    }
  }

  private startRole(role: string, hosts: string[]): void {
    this.hosts.clear();
    const tasks = hosts.map((host) => {
      let resolve!: () => void;
      let reject!: (err: Error) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const line: HostLine = { resolve, reject, done };
      this.hosts.set(host, line);
      return {
        title: `${host}: starting ${role}`,
        task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, any, any>) => {
          line.task = task;
          await done;
        },
      };
    });
    const list = new Listr(tasks, {
      concurrent: true,
      exitOnError: false,
      collectErrors: false,
      // Ctrl-C is the engine's to handle (clean stop, recap, exit 99), not listr2's.
      registerSignalListeners: false,
      rendererOptions: { collapseErrors: false },
    });
    this.running = list.run().catch(() => undefined);
  }

  /** Waits for the current role's view to settle, then prints what was deferred. */
  async flush(): Promise<void> {
    if (this.running) await this.running;
    this.running = undefined;
    // The role's view is settled: events after it (facts of the next play …) must not redraw it.
    this.hosts.clear();
    this.print(this.deferred);
    this.deferred = [];
  }

  async end(): Promise<void> {
    await this.flush();
  }
}
