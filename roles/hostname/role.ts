// A unique hostname per board (the second article: "important because many nodes are added");
// the node's name in the cluster follows it.
import { defineRole } from 'steer';
import type { Vars } from './variables.js';

export default defineRole<Vars>({
  async run({ step, m, vars }) {
    await step('Hostname', () => m.hostname({ name: vars.node_hostname }));
  },
});
