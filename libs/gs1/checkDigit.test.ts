import { gs1CheckDigit, hasValidCheckDigit } from '.';

describe('GS1 mod-10 check digit', () => {
  // Published examples: General Specifications 7.9.1 (GTIN-13 6291041500213), the GTIN-8, UPC-A and
  // EAN-13 examples printed on GS1 member-organisation pages, the Digital Link standard's GTIN and GLN.
  it.each([
    ['629104150021', 3],
    ['9638507', 4],
    ['03600029145', 2],
    ['400638133393', 1],
    ['0950600013435', 2],
    ['952012345678', 8],
    ['10614141234567890', 8],
  ])('%s -> %i', (digits, check) => {
    expect(gs1CheckDigit(digits)).toBe(check);
    expect(hasValidCheckDigit(`${digits}${check}`)).toBe(true);
    expect(hasValidCheckDigit(`${digits}${(check + 1) % 10}`)).toBe(false);
  });

  it('rejects what is not digits', () => {
    expect(() => gs1CheckDigit('12a4')).toThrow(TypeError);
    expect(hasValidCheckDigit('12a4')).toBe(false);
    expect(hasValidCheckDigit('')).toBe(false);
    expect(hasValidCheckDigit('7')).toBe(false);
  });
});
