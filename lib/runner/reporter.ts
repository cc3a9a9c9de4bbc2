// Sends events to the renderer and keeps the recap counters, so counting happens in one place.
import { emptyCounters, type HostCounters, type Renderer, type ResultStatus, type RunEvent } from '../output/events.js';

export class Reporter {
  readonly counters = new Map<string, HostCounters>();

  constructor(private readonly renderer: Renderer) {}

  track(host: string): HostCounters {
    let c = this.counters.get(host);
    if (!c) this.counters.set(host, (c = emptyCounters()));
    return c;
  }

  emit(event: RunEvent): void {
    if (event.type === 'step-result') this.count(event.host, event.status);
    this.renderer.event(event);
  }

  private count(host: string, status: ResultStatus): void {
    const c = this.track(host);
    // As in Ansible's recap, "ok" counts every successful result, changed ones included.
    if (status === 'ok' || status === 'changed') c.ok++;
    if (status === 'changed') c.changed++;
    if (status === 'skipped') c.skipped++;
    if (status === 'failed') c.failed++;
    if (status === 'unreachable') c.unreachable++;
    if (status === 'ignored') c.ignored++;
  }

  async flush(): Promise<void> {
    await this.renderer.flush?.();
  }

  async end(): Promise<void> {
    await this.renderer.end();
  }
}
