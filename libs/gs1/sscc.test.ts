import { isDeepStrictEqual } from 'node:util';
import {
  gs1CheckDigit,
  GS,
  Gs1Error,
  parsedIdentifier,
  parseGs1,
  ssccIdentifier,
  toDigitalLink,
  toIdentifier,
} from '.';
import { formatDigitalLink } from './digitalLink';

/** What `f` gives, or what it throws (class, code and message), so two paths compare whole. */
function outcome(f: () => unknown): unknown {
  try {
    return { value: f() };
  } catch (err) {
    if (!(err instanceof Gs1Error)) throw err;
    return { error: [err.constructor.name, err.code, err.message] };
  }
}

/** The same pseudo-random digits every run (mulberry32), so a failure can be replayed. */
function digitsFrom(seed: number): (n: number) => string {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (n) => Array.from({ length: n }, () => String(Math.floor(next() * 10))).join('');
}

const digits = digitsFrom(0x55cc);
const valid = (body17: string) => body17 + gs1CheckDigit(body17);

// Every extension digit, each SSCC with its check digit and with the nine wrong ones.
const ssccs: string[] = [];
for (let extension = 0; extension <= 9; extension++) {
  for (let k = 0; k < 5; k++) {
    const body = `${extension}${digits(16)}`;
    for (let check = 0; check <= 9; check++) ssccs.push(`${body}${check}`);
  }
}
// 18 characters that are not all ASCII digits, in every position, and lengths around 18.
const notDigits = ['a', 'Z', ' ', '/', '.', '-', '+', '(', '%', '\u0663', '\uff13', '\x1d'];
const oddValues: string[] = [];
for (let at = 0; at < 18; at++) {
  const sscc = valid(digits(17));
  for (const c of notDigits) oddValues.push(sscc.slice(0, at) + c + sscc.slice(at + 1));
}
for (const n of [0, 1, 8, 13, 14, 16, 17, 19, 20, 21, 36]) {
  oddValues.push(digits(n), n > 1 ? valid(digits(n - 1)) : digits(n));
}
oddValues.push(`${valid(digits(17))}${valid(digits(17))}`, `%3${valid(digits(17)).slice(1)}`);

const shapes: ((v: string) => string)[] = [
  (v) => `(00)${v}`,
  (v) => `https://id.gs1.org/00/${v}`,
  // the same SSCC in the other shapes the full parse reads, or refuses
  (v) => `00${v}`,
  (v) => `]C100${v}`,
  (v) => `${GS}00${v}`,
  (v) => `(00)${v}(400)PO-1`,
  (v) => ` (00)${v} `,
  (v) => `(00)${v}\n`,
  (v) => `(0)${v}`,
  (v) => `(000)${v}`,
  (v) => `(01)${v}`,
  (v) => `http://id.gs1.org/00/${v}`,
  (v) => `HTTPS://ID.GS1.ORG/00/${v}`,
  (v) => `https://id.gs1.org/sscc/${v}`,
  (v) => `https://example.com/00/${v}`,
  (v) => `https://id.gs1.org/shop/00/${v}`,
  (v) => `https://id.gs1.org/00/${v}/`,
  (v) => `https://id.gs1.org/00/${v}?99=x`,
  (v) => `https://id.gs1.org/00/${v}#top`,
  (v) => `https://id.gs1.org//00/${v}`,
  (v) => `https://id.gs1.org/00//${v}`,
  (v) => `https://id.gs1.org/00/${v}/21/1`,
  (v) => `https://id.gs1.org/0/${v}`,
  // an EPC URN writes the SSCC without its check digit, the extension digit after the company prefix
  (v) => `urn:epc:id:sscc:${v.slice(1, 8)}.${v[0]}${v.slice(8, 17)}`,
  (v) => `urn:epc:id:sscc:${v.slice(1, 13)}.${v[0]}${v.slice(13, 17)}`,
  (v) => `urn:epc:id:sscc:${v.slice(1, 7)}.${v[0]}${v.slice(7)}`,
  (v) => `urn:epc:id:sscc:${v}`,
  (v) => `URN:EPC:ID:SSCC:${v.slice(1, 10)}.${v[0]}${v.slice(10, 17)}`,
];

const inputs = shapes.flatMap((shape) => [...ssccs, ...oddValues].map(shape));

it('has enough cases to mean something', () => {
  expect(inputs.length).toBeGreaterThan(20_000);
});

describe('ssccIdentifier', () => {
  it('reads the two shapes the sources write when the check digit is good, and nothing else', () => {
    const wrong = inputs.filter((input) => {
      const m = /^(?:\(00\)|https:\/\/id\.gs1\.org\/00\/)(\d{18})$/.exec(input);
      const read = m !== null && gs1CheckDigit(m[1]!.slice(0, 17)) === Number(m[1]![17]);
      return (ssccIdentifier(input) !== undefined) !== read;
    });
    expect(wrong).toEqual([]);
    expect(inputs.filter((input) => ssccIdentifier(input) !== undefined)).toHaveLength(2 * 10 * 5);
    expect(ssccIdentifier('(00)106141412345678908')).toEqual({
      uri: 'https://id.gs1.org/00/106141412345678908',
      scheme: 'sscc',
      gtin: null,
      serial: null,
      lot: null,
      sscc: '106141412345678908',
      original: '(00)106141412345678908',
    });
  });

  it('gives what the full parse gives, and toIdentifier gives or throws what it does', () => {
    const differ = inputs.flatMap((input) => {
      const full = outcome(() => parsedIdentifier(input));
      const fast = ssccIdentifier(input);
      const viaToIdentifier = outcome(() => toIdentifier(input));
      const same =
        (fast === undefined || isDeepStrictEqual({ value: fast }, full)) &&
        isDeepStrictEqual(viaToIdentifier, full);
      return same ? [] : [{ input, full, fast, viaToIdentifier }];
    });
    expect(differ).toEqual([]);
  });
});

describe('toDigitalLink of an SSCC', () => {
  it('gives or throws what the full parse and the formatter do', () => {
    const differ = inputs.flatMap((input) => {
      const full = outcome(() => formatDigitalLink(parseGs1(input)));
      const viaToDigitalLink = outcome(() => toDigitalLink(input));
      return isDeepStrictEqual(viaToDigitalLink, full) ? [] : [{ input, full, viaToDigitalLink }];
    });
    expect(differ).toEqual([]);
  });
});
