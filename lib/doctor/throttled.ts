// `vcgencmd get_throttled` on a Raspberry Pi: `throttled=0x50005`, a bit field the firmware keeps
// (Raspberry Pi documentation, "vcgencmd": get_throttled). The low bits say what is happening now,
// bits 16-19 what has happened since boot. Under-voltage (a weak power supply or cable) is the
// classic cause of SD-card corruption and of a control plane that stalls.

const BITS: [bit: number, now: boolean, text: string][] = [
  [0, true, 'under-voltage now'],
  [1, true, 'ARM frequency capped now'],
  [2, true, 'throttled now'],
  [3, true, 'soft temperature limit active now'],
  [16, false, 'under-voltage has occurred since boot'],
  [17, false, 'ARM frequency capping has occurred since boot'],
  [18, false, 'throttling has occurred since boot'],
  [19, false, 'soft temperature limit has occurred since boot'],
];

export interface Throttled {
  /** The raw value. */
  value: number;
  /** One phrase per set bit, in bit order. */
  conditions: string[];
  /** Some under-voltage bit (0 or 16) is set: the power supply is the cause. */
  underVoltage: boolean;
}

/** Reads `throttled=0xN`; undefined when the output is not that (no firmware, another tool). */
export function parseThrottled(text: string): Throttled | undefined {
  const m = /^throttled=0x([0-9a-fA-F]{1,8})\s*$/.exec(text.trim());
  if (!m) return undefined;
  const value = parseInt(m[1]!, 16);
  const conditions = BITS.filter(([bit]) => (value & (1 << bit)) !== 0).map(([, , text]) => text);
  return { value, conditions, underVoltage: (value & 0x10001) !== 0 };
}
