import type { Command } from 'commander';

// Placeholder until the owning issue lands: registers nothing yet.
export function registerLabCommand(_program: Command): void {}
