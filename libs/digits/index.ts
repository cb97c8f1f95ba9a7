/**
 * Decimal digits read by character codes, for the parsers on hot paths (an event's timestamps, the
 * store's `timestamptz` values) that read fixed-width numbers without a regular expression.
 */

/** The number written in `count` ASCII digits at `from`, or -1 when one of them is not 0-9. */
export function digitsAt(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}
