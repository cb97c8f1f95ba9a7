import pg from 'pg';
import { arrayText, quoteLiteral } from './write';

const samples = [
  '',
  'urn:epc:id:sgtin:4012345.012345.1001',
  "it's",
  "''",
  'back\\slash',
  "both ' and \\",
  '\\',
  'line\nbreak\ttab',
  'ü ✓ 😀 \ud800',
];

describe('quoteLiteral', () => {
  it("gives what pg's escapeLiteral gives", () => {
    for (const s of samples) expect(quoteLiteral(s)).toBe(pg.escapeLiteral(s));
  });
  it('doubles quotes, and backslashes in an E literal', () => {
    expect(quoteLiteral("a'b")).toBe("'a''b'");
    expect(quoteLiteral("a\\'b")).toBe(" E'a\\\\''b'");
  });
});

describe('arrayText', () => {
  it('quotes every value, escapes quotes and backslashes, and writes NULL', () => {
    expect(arrayText(['a', null, 'say "x"', 'c:\\d', ''])).toBe('{"a",NULL,"say \\"x\\"","c:\\\\d",""}');
    expect(arrayText([])).toBe('{}');
  });
});
