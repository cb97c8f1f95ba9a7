/**
 * The GS1 mod-10 check digit (GS1 General Specifications 7.9): weights 3 and 1 alternate from the
 * rightmost digit before the check digit, so the same rule serves GTIN-8 to SSCC. Read by character
 * codes: every identifier of every event is checked, and the fast paths of `toIdentifier` use it.
 */
export function gs1CheckDigit(digitsWithoutCheck: string): number {
  const sum = weightedSum(digitsWithoutCheck, digitsWithoutCheck.length);
  if (sum < 0) {
    throw new TypeError(`gs1CheckDigit needs digits only, got ${JSON.stringify(digitsWithoutCheck)}`);
  }
  return (10 - (sum % 10)) % 10;
}

/** True when the last digit is the GS1 check digit of the digits before it. */
export function hasValidCheckDigit(digits: string): boolean {
  const n = digits.length;
  if (n < 2) return false;
  const sum = weightedSum(digits, n - 1);
  const check = digits.charCodeAt(n - 1) - 48;
  return sum >= 0 && check >= 0 && check <= 9 && (10 - (sum % 10)) % 10 === check;
}

/** The weighted sum of the first `length` characters, or -1 when there are none or one is not 0-9. */
function weightedSum(digits: string, length: number): number {
  if (length === 0) return -1;
  let sum = 0;
  for (let i = length - 1, weight = 3; i >= 0; i--, weight = 4 - weight) {
    const digit = digits.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    sum += digit * weight;
  }
  return sum;
}
