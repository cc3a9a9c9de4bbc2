// The one quoter: zx's `quote`, required on its first use rather than imported. zx/core loads zx's
// whole vendored bundle (~0.1 s on a 2-core machine, the largest single cost of starting), which
// commands that build no shell command (--version, --syntax-check, --list-hosts) should not pay.
import { createRequire } from 'node:module';
import type { quote as zxQuoteType } from 'zx/core';

const require = createRequire(import.meta.url);
let zxQuote: typeof zxQuoteType | undefined;

/**
 * zx's `quote` (zx/core): a word of safe characters ([\w/.\-@:=]) as is, anything else in bash's
 * ANSI-C quoting (`$'…'`, newlines and quotes escaped), the empty string as `$''`.
 */
export function quote(arg: string): string {
  zxQuote ??= (require('zx/core') as typeof import('zx/core')).quote;
  return zxQuote(arg);
}
