/**
 * The GS1 mod-10 check digit (GS1 General Specifications 7.9): weights 3 and 1 alternate from the
 * rightmost digit before the check digit, so the same rule serves GTIN-8 to SSCC.
 */
export function gs1CheckDigit(digitsWithoutCheck: string): number {
  if (!/^\d+$/.test(digitsWithoutCheck)) {
    throw new TypeError(`gs1CheckDigit needs digits only, got ${JSON.stringify(digitsWithoutCheck)}`);
  }
  let sum = 0;
  for (let i = digitsWithoutCheck.length - 1, weight = 3; i >= 0; i--, weight = 4 - weight) {
    sum += Number(digitsWithoutCheck[i]) * weight;
  }
  return (10 - (sum % 10)) % 10;
}

/** True when the last digit is the GS1 check digit of the digits before it. */
export function hasValidCheckDigit(digits: string): boolean {
  if (!/^\d{2,}$/.test(digits)) return false;
  return gs1CheckDigit(digits.slice(0, -1)) === Number(digits[digits.length - 1]);
}
