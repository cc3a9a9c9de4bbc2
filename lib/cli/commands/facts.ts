import type { Command } from 'commander';

// Placeholder until the owning issue lands: registers nothing yet.
export function registerFactsCommand(_program: Command): void {}
