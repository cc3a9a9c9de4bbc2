#!/usr/bin/env node
// The CLI is TypeScript run through tsx: no build step between a clone and a working `steer`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv);
