// Benchmark workload: 20 steps of "this line is in this file", one lineinfile each, like the 20
// lineinfile tasks of bench/ansible/lines.yaml.
import { defineRole } from 'steer';
import type { Vars } from './variables.js';

export default defineRole<Vars>({
  async run({ step, m, vars }) {
    for (let i = 1; i <= vars.bench_steps; i++) {
      await step(`line ${i}`, () => m.lineinfile({ path: vars.bench_file, line: `bench line ${i}`, create: true, mode: '0644' }));
    }
  },
});
