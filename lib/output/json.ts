// --json: one JSON object per line, for machines. Secrets are masked in every field.
import { maskValue } from '../secrets/masker.js';
import type { Renderer, RunEvent } from './events.js';

export class JsonRenderer implements Renderer {
  constructor(private readonly write: (text: string) => void) {}
  event(event: RunEvent): void {
    this.write(JSON.stringify(maskValue({ ...event, time: new Date().toISOString() })) + '\n');
  }
  async end(): Promise<void> {}
}
