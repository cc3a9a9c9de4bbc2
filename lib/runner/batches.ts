// `serial`: the play runs on batches of hosts in turn. Sizes are numbers or percentages of all the
// play's hosts (rounded down, at least 1); the last size repeats, as in Ansible.
export function serialBatches(hosts: string[], serial: readonly (number | string)[]): string[][] {
  if (serial.length === 0 || hosts.length === 0) return hosts.length ? [hosts] : [];
  const batches: string[][] = [];
  let start = 0;
  for (let k = 0; start < hosts.length; k++) {
    const spec = serial[Math.min(k, serial.length - 1)]!;
    const size =
      typeof spec === 'number' ? spec : Math.floor((hosts.length * parseFloat(spec)) / 100);
    const n = Math.max(1, size);
    batches.push(hosts.slice(start, start + n));
    start += n;
  }
  return batches;
}
