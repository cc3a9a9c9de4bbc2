// The PLAY RECAP, in Ansible's columns (callback/default.py): hosts sorted by name, "%-26s : "
// then "name=%-4s" per counter.
import type { HostCounters } from './events.js';

const COLUMNS: (keyof HostCounters)[] = ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'];
const RESET = '\x1b[0m';
const colours = { red: '\x1b[31m', yellow: '\x1b[33m', green: '\x1b[32m' };

export function banner(title: string, width = 80): string {
  const text = `${title} `;
  return text + '*'.repeat(Math.max(3, width - text.length));
}

export function formatRecap(hosts: Record<string, HostCounters>, colour = false): string[] {
  const lines = [banner('PLAY RECAP')];
  for (const name of Object.keys(hosts).sort()) {
    const c = hosts[name]!;
    const paint = !colour
      ? (s: string) => s
      : (s: string) => (c.failed || c.unreachable ? colours.red : c.changed ? colours.yellow : colours.green) + s + RESET;
    const counters = COLUMNS.map((k) => `${k}=${String(c[k]).padEnd(4)}`).join(' ');
    lines.push(`${paint(name.padEnd(26))} : ${counters}`.trimEnd());
  }
  return lines;
}
