// Host names, addresses, ports and ranges as Ansible reads them (ansible.parsing.utils.addresses and
// ansible.inventory.helpers' expand_hostname_range): `web1:2222`, `[::1]:22`, `node[01:04]`,
// `db-[a:c]`, `node[01:10:2]`.

const numericRange = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const hexRange = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const alnumRange = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const ipv6Part = `(?:[0-9a-f]{1,4}|${hexRange})`;
const ipv4Part = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${numericRange})`;
const word = String.raw`[\p{L}\p{N}_\p{Mn}\p{Pc}]`;
const label = `(?:${word}|${alnumRange})(?:${word}|[_-]|${alnumRange})*(?<![_-])`;
const p6 = ipv6Part;
const v4in6 = `(?:${p6}\\.){3}${p6}`;

const ipv6Forms = [
  `(?:${p6}:){7}${p6}`,
  `(?:${p6}:){1,6}:`,
  `(?:${p6}:)(?::${p6}){1,6}`,
  `(?:${p6}:){2}(?::${p6}){1,5}`,
  `(?:${p6}:){3}(?::${p6}){1,4}`,
  `(?:${p6}:){4}(?::${p6}){1,3}`,
  `(?:${p6}:){5}(?::${p6}){1,2}`,
  `(?:${p6}:){6}(?::${p6})`,
  `:(?::${p6}){1,6}`,
  `${p6}?::`,
  `(?:0:){6}${v4in6}`,
  `::(?:ffff:)?${v4in6}`,
  `(?:0:){5}ffff:${v4in6}`,
];

const patterns = {
  bracketedHostPort: /^\[(.+)\]:([0-9]+)$/,
  hostPort: /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/,
  ipv4: new RegExp(`^(?:${ipv4Part}\\.){3}${ipv4Part}$`, 'i'),
  // Ansible's own regex (addresses.py) is `^A|B|…|M$` under re.match: every form is anchored at the
  // start, only the last at the end, so `fe80::1%eth0` (a zone id) "is" an IPv6 address. Same here,
  // so that names and patterns split as Ansible splits them.
  ipv6: new RegExp(`^(?:${ipv6Forms.slice(0, -1).join('|')}|${ipv6Forms[ipv6Forms.length - 1]}$)`, 'iu'),
  ipv6Exact: new RegExp(`^(?:${ipv6Forms.join('|')})$`, 'iu'),
  hostname: new RegExp(`^${label}(?:\\.${label})*$`, 'iu'),
};

/** Whether `text` is exactly an IPv6 address (a zone id `%eth0` allowed), ranges allowed. */
export function isExactIpv6(text: string): boolean {
  return patterns.ipv6Exact.test(text.replace(/%[\w.-]+$/, ''));
}

/** Whether `name` is an IPv4 or IPv6 address (ranges allowed), as Ansible decides it. */
export function isIpAddress(name: string): boolean {
  return patterns.ipv4.test(name) || patterns.ipv6.test(name);
}

/**
 * parse_address(text, allow_ranges=True): the host part and an optional port, or undefined when the
 * text is not a host identifier at all.
 */
export function parseAddress(text: string): { host: string; port?: number } | undefined {
  let address = text;
  let port: number | undefined;
  for (const re of [patterns.bracketedHostPort, patterns.hostPort]) {
    const m = re.exec(address);
    if (m) {
      address = m[1]!;
      port = Number.parseInt(m[2]!, 10);
    }
  }
  if (patterns.ipv4.test(address) || patterns.ipv6.test(address) || patterns.hostname.test(address)) {
    return port === undefined ? { host: address } : { host: address, port };
  }
  return undefined;
}

/** A range Ansible cannot expand; the message is the reason, the caller adds the location. */
export class HostRangeError extends Error {}

/** More hosts than any inventory steer can drive; a bigger range is a typo. */
export const MAX_RANGE_HOSTS = 100_000;

const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

function pyInt(text: string): number {
  const t = text.trim();
  if (!/^[-+]?[0-9](?:_?[0-9])*$/.test(t)) throw new HostRangeError(`'${text}' is not a number`);
  return Number.parseInt(t.replace(/_/g, ''), 10);
}

/** expand_hostname_range: every name a `head[beg:end:step]tail` pattern stands for. */
export function expandHostRange(pattern: string): string[] {
  if (!pattern.includes('[')) return [pattern];
  const parts = pattern.replace('[', '|').replace(']', '|').split('|');
  if (parts.length !== 3) {
    throw new HostRangeError(`invalid host range in '${pattern}' (expected name[begin:end] or name[begin:end:step])`);
  }
  const [head, range, tail] = parts as [string, string, string];
  const bounds = range.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new HostRangeError('host range must be begin:end or begin:end:step');
  const beg = bounds[0] || '0';
  const end = bounds[1]!;
  const step = bounds.length === 3 ? pyInt(bounds[2]!) : 1;
  if (!end) throw new HostRangeError('host range must specify end value');
  let fill = (x: string | number) => String(x);
  if (beg[0] === '0' && beg.length > 1) {
    if (beg.length !== end.length) throw new HostRangeError('host range must specify equal-length begin and end formats');
    fill = (x) => String(x).padStart(beg.length, '0');
  }
  if (step === 0) throw new HostRangeError('host range step must not be zero');
  let seq: (string | number)[];
  const iBeg = letters.indexOf(beg);
  const iEnd = letters.indexOf(end);
  if (iBeg >= 0 && iEnd >= 0) {
    if (iBeg > iEnd) throw new HostRangeError('host range must have begin <= end');
    if (step < 0) throw new HostRangeError('host range step must be positive');
    seq = [];
    for (let i = iBeg; i <= iEnd; i += step) seq.push(letters[i]!);
  } else {
    const b = pyInt(beg);
    const e = pyInt(end) + 1;
    // A typo like node[1:30000000] would otherwise take all memory before anything is reported.
    if (Math.abs(e - b) / Math.abs(step) > MAX_RANGE_HOSTS)
      throw new HostRangeError(`host range '${pattern}' stands for more than ${MAX_RANGE_HOSTS} hosts`);
    seq = [];
    // Python's range(): an empty sequence when begin is past end, as Ansible silently allows.
    if (step > 0) for (let i = b; i < e; i += step) seq.push(i);
    else for (let i = b; i > e; i += step) seq.push(i);
  }
  return seq.flatMap((x) => expandHostRange(`${head}${fill(x)}${tail}`));
}
