// A float as Python keeps it. JavaScript has one number type, so the INI value `v=2.0` (a Python
// float) would become 2 and print as "2" — in `steer inventory --list`, in templates, in messages —
// where Ansible prints 2.0. Inventory loaders wrap every float literal in a PythonFloat: arithmetic
// and comparisons see the number (valueOf), text sees Python's repr ("2.0", "1e-05"), and messages
// can quote the literal as the user wrote it ("1.30").

/** A Python float read from an inventory or vars file. */
export class PythonFloat {
  constructor(
    readonly value: number,
    /** The literal as written ("1.30"), for messages; Python's repr when not known. */
    readonly written: string = pythonFloatRepr(value),
  ) {}

  valueOf(): number {
    return this.value;
  }

  /** Python's str(float): "2.0", "1.3", "1e-05", "inf". */
  toString(): string {
    return pythonFloatRepr(this.value);
  }

  /** JSON.stringify cannot write "2.0": JSON consumers get the number (ansibleJson writes the repr). */
  toJSON(): number {
    return this.value;
  }
}

/** True for a PythonFloat. */
export function isPythonFloat(value: unknown): value is PythonFloat {
  return value instanceof PythonFloat;
}

/** The number of a value that may be a PythonFloat; anything else unchanged. */
export function plainNumber<T>(value: T): T | number {
  return value instanceof PythonFloat ? value.value : value;
}

/** A copy of a JSON-like value with every PythonFloat replaced by its number (for JSON Schema checks). */
export function withPlainNumbers(value: unknown): unknown {
  if (value instanceof PythonFloat) return value.value;
  if (Array.isArray(value)) return value.map(withPlainNumbers);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withPlainNumbers(v)]));
  }
  return value;
}

/**
 * Python's repr() of a float: the shortest digits that read back the same (as JavaScript's), in
 * fixed notation when the decimal exponent is in [-4, 16), else scientific with a two-digit
 * exponent; an integral value keeps ".0".
 */
export function pythonFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const [mantissa, exp] = n.toExponential().split('e') as [string, string];
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 16) {
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace(/^-/, '').replace('.', '');
  const point = exponent + 1;
  let text: string;
  if (point <= 0) text = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) text = `${digits}${'0'.repeat(point - digits.length)}.0`;
  else text = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return sign + text;
}
