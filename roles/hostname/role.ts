// A unique hostname per board (the second article: "important because many nodes are added");
// the node's name in the cluster follows it.
import { defineRole } from 'steer';

export default defineRole<{ node_hostname: string }>({
  async run({ step, m, vars }) {
    await step('Hostname', () => m.hostname({ name: vars.node_hostname }));
  },
});
