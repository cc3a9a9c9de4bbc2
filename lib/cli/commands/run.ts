import type { Command } from 'commander';

// Placeholder until the owning issue lands: registers nothing yet.
export function registerRunCommand(_program: Command): void {}
