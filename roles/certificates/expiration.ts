// What `kubeadm certs check-expiration` prints, read: its two tables (certificates, then certificate
// authorities), laid out by Go's tabwriter (cmd/kubeadm/app/cmd/certs.go, newExpirationInfo and
// printExpiration). Columns are separated by at least three spaces; EXPIRES is Go's
// "Jan 02, 2006 15:04 MST" in UTC; a missing file is the row `!MISSING! NAME`. Used by doctor, the
// warning of site.yaml and renew-certs.yaml.

/** One row of either table. */
export interface CertificateExpiry {
  name: string;
  /** 'authority' for the second table (ca, etcd-ca, front-proxy-ca). */
  kind: 'certificate' | 'authority';
  /** The file is missing (`!MISSING!`). */
  missing: boolean;
  /** When it expires (absent when missing). */
  expires?: Date;
  /** Whole days left at `now` (negative: expired), absent when missing. */
  daysLeft?: number;
  /** kubeadm's RESIDUAL TIME as printed (`364d`, `9d`, `<invalid>`). */
  residual: string;
  /** The signing CA (certificates only). */
  authority?: string;
  externallyManaged: boolean;
}

/** A kubeadm with a thousand certificates is not one: the table is bounded. */
const MAX_ROWS = 64;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's "Jan 02, 2006 15:04 UTC" as a Date; undefined when it is not that. */
export function parseKubeadmDate(text: string): Date | undefined {
  const m = /^([A-Z][a-z]{2}) (\d{2}), (\d{4}) (\d{2}):(\d{2}) UTC$/.exec(text.trim());
  const month = m ? MONTHS.indexOf(m[1]!) : -1;
  if (!m || month < 0) return undefined;
  return new Date(Date.UTC(Number(m[3]), month, Number(m[2]), Number(m[4]), Number(m[5])));
}

/**
 * Rows of both tables of `kubeadm certs check-expiration` (text output; the log lines before them
 * are skipped). Days left are counted from `now`. Throws when no table is found (not kubeadm's output).
 */
export function parseCheckExpiration(text: string, now = new Date()): CertificateExpiry[] {
  const rows: CertificateExpiry[] = [];
  let kind: CertificateExpiry['kind'] | undefined;
  for (const line of text.slice(0, 64 * 1024).split('\n')) {
    const cells = line.trim().split(/\s{2,}/);
    if (cells[0] === 'CERTIFICATE' && cells[1] === 'EXPIRES') kind = 'certificate';
    else if (cells[0] === 'CERTIFICATE AUTHORITY' && cells[1] === 'EXPIRES') kind = 'authority';
    else if (!kind || line.trim() === '') continue;
    else if (rows.length < MAX_ROWS) rows.push(parseRow(cells, kind, now));
  }
  if (rows.length === 0) throw new Error('no certificate table in the output of kubeadm certs check-expiration');
  return rows;
}

function parseRow(cells: string[], kind: CertificateExpiry['kind'], now: Date): CertificateExpiry {
  const missing = /^!MISSING! (\S+)/.exec(cells[0]!);
  if (missing) return { name: missing[1]!, kind, missing: true, residual: '', externallyManaged: false };
  const expires = parseKubeadmDate(cells[1] ?? '');
  const row: CertificateExpiry = {
    name: cells[0]!,
    kind,
    missing: false,
    residual: cells[2] ?? '',
    externallyManaged: cells[cells.length - 1] === 'yes',
  };
  if (kind === 'certificate' && cells.length >= 5) row.authority = cells[3]!;
  if (expires) {
    row.expires = expires;
    row.daysLeft = Math.floor((expires.getTime() - now.getTime()) / 86_400_000);
  }
  return row;
}

/** The rows expiring within `days` (or expired), soonest first; missing files are not among them. */
export function expiringWithin(rows: CertificateExpiry[], days: number): CertificateExpiry[] {
  return rows.filter((r) => r.daysLeft !== undefined && r.daysLeft < days).sort((a, b) => a.daysLeft! - b.daysLeft!);
}

/** The fewest days any present certificate or CA has left; undefined when none could be read. */
export function fewestDaysLeft(rows: CertificateExpiry[]): number | undefined {
  const days = rows.map((r) => r.daysLeft).filter((d): d is number => d !== undefined);
  return days.length ? Math.min(...days) : undefined;
}
