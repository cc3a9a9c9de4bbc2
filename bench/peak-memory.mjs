// Preloaded into the timed steer process (node --import): at exit, writes the process's peak
// resident set size (VmHWM, kB) to $BENCH_PEAK_FILE. Exact, unlike sampling from outside.
import { readFileSync, writeFileSync } from 'node:fs';

const out = process.env.BENCH_PEAK_FILE;
if (out) {
  process.on('exit', () => {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) writeFileSync(out, match[1]);
  });
}
