import { InvalidInputError } from '../errors';
import {
  GS,
  Gs1Error,
  isGs1Key,
  parsedIdentifier,
  parseGs1,
  toDigitalLink,
  toElementString,
  toEpcUrn,
  toIdentifier,
} from '.';

/** The code of the Gs1Error that `fn` throws, or a failure naming what happened instead. */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof Gs1Error) return err.code;
    throw err;
  }
  return 'no error';
}

// Examples from the EPC Tag Data Standard (sections 6.3 and 7): the EPC URI and the GS1 element
// string it stands for. The Digital Link is the element string's AIs as path segments.
const tdsExamples: [string, string, string][] = [
  [
    'urn:epc:id:sgtin:0614141.812345.6789',
    '(01)80614141123458(21)6789',
    'https://id.gs1.org/01/80614141123458/21/6789',
  ],
  [
    'urn:epc:id:sgtin:0614141.712345.32a%2Fb',
    '(01)70614141123451(21)32a/b',
    'https://id.gs1.org/01/70614141123451/21/32a%2Fb',
  ],
  [
    'urn:epc:id:sscc:0614141.1234567890',
    '(00)106141412345678908',
    'https://id.gs1.org/00/106141412345678908',
  ],
  [
    'urn:epc:id:sgln:0614141.12345.400',
    '(414)0614141123452(254)400',
    'https://id.gs1.org/414/0614141123452/254/400',
  ],
  ['urn:epc:id:sgln:0614141.12345.0', '(414)0614141123452', 'https://id.gs1.org/414/0614141123452'],
  [
    'urn:epc:id:grai:0614141.12345.400',
    '(8003)00614141123452400',
    'https://id.gs1.org/8003/00614141123452400',
  ],
  ['urn:epc:id:giai:0614141.12345400', '(8004)061414112345400', 'https://id.gs1.org/8004/061414112345400'],
  [
    'urn:epc:id:gsrn:0614141.1234567890',
    '(8018)061414112345678902',
    'https://id.gs1.org/8018/061414112345678902',
  ],
  ['urn:epc:id:gdti:0614141.12345.400', '(253)0614141123452400', 'https://id.gs1.org/253/0614141123452400'],
  [
    'urn:epc:class:lgtin:4012345.012345.998877',
    '(01)04012345123456(10)998877',
    'https://id.gs1.org/01/04012345123456/10/998877',
  ],
  ['urn:epc:idpat:sgtin:0614141.812345.*', '(01)80614141123458', 'https://id.gs1.org/01/80614141123458'],
];

describe('EPC URI, element string and Digital Link agree (TDS examples)', () => {
  it.each(tdsExamples)('%s', (epc, elementString, dl) => {
    expect(toDigitalLink(epc)).toBe(dl);
    expect(toElementString(epc)).toBe(elementString);
    expect(toDigitalLink(elementString)).toBe(dl);
    expect(toElementString(dl)).toBe(elementString);
    const prefixLength = epc.split(':')[4].indexOf('.');
    expect(toEpcUrn(dl, { companyPrefixLength: prefixLength })).toBe(epc);
    expect(toEpcUrn(elementString, { gcpLengthFor: () => prefixLength })).toBe(epc);
    // The prefix length comes with an EPC URI, and wins over options meant for keys without one.
    expect(toEpcUrn(epc)).toBe(epc);
    expect(toEpcUrn(epc, { companyPrefixLength: prefixLength === 7 ? 9 : 7 })).toBe(epc);
  });
});

describe('parseGs1', () => {
  it('reads an SGTIN in every notation to the same key', () => {
    const inputs = [
      'urn:epc:id:sgtin:9506000.013435.12345',
      'urn:epc:tag:sgtin-96:3.9506000.013435.12345',
      'https://id.gs1.org/01/09506000134352/21/12345',
      'https://example.com/01/09506000134352/21/12345',
      'HTTPS://brand.example/some/prefix/01/9506000134352/21/12345/',
      'https://example.com/gtin/09506000134352/ser/12345',
      '(01)09506000134352(21)12345',
      '01095060001343522112345',
      ']d201095060001343522112345',
      `]C12112345${GS}0109506000134352`,
    ];
    for (const input of inputs) {
      const key = parseGs1(input);
      expect({ input, scheme: key.scheme, gtin: key.gtin, serial: key.serial }).toEqual({
        input,
        scheme: 'sgtin',
        gtin: '09506000134352',
        serial: '12345',
      });
    }
  });

  it('fills the fields of each scheme', () => {
    expect(parseGs1('https://id.gs1.org/00/106141412345678908')).toMatchObject({
      scheme: 'sscc',
      sscc: '106141412345678908',
      ai: { '00': '106141412345678908' },
    });
    expect(parseGs1('urn:epc:id:sgln:9520123.45678.5678')).toMatchObject({
      scheme: 'sgln',
      gln: '9520123456788',
      extension: '5678',
    });
    expect(parseGs1('urn:epc:class:lgtin:9506000.013435.LOT1')).toMatchObject({
      scheme: 'lgtin',
      gtin: '09506000134352',
      lot: 'LOT1',
    });
    expect(parseGs1('urn:epc:id:grai:0614141.12345.400')).toMatchObject({
      scheme: 'grai',
      keyDigits: '00614141123452',
      serial: '400',
    });
    expect(parseGs1('urn:epc:idpat:grai:0614141.12345.*')).toMatchObject({
      scheme: 'idpat',
      patternOf: 'grai',
    });
    expect(parseGs1('https://id.gs1.org/01/09506000134352')).toMatchObject({
      scheme: 'idpat',
      patternOf: 'sgtin',
    });
    expect(parseGs1('(01)09506000134352(10)AB-1(21)X')).toMatchObject({
      scheme: 'sgtin',
      lot: 'AB-1',
      serial: 'X',
    });
  });

  it('normalises GTIN-8, GTIN-12 and GTIN-13 in a Digital Link to GTIN-14', () => {
    expect(parseGs1('https://example.com/01/96385074').gtin).toBe('00000096385074');
    expect(parseGs1('https://example.com/01/036000291452').gtin).toBe('00036000291452');
    expect(parseGs1('https://example.com/01/4006381333931').gtin).toBe('04006381333931');
  });

  it('keeps Digital Link query AIs as data attributes, outside the canonical URI', () => {
    const key = parseGs1('https://example.com/01/09506000134352/10/ABC?17=261231&utm_source=x&linkType=all');
    expect(key.ai).toEqual({ '01': '09506000134352', '10': 'ABC', '17': '261231' });
    expect(toDigitalLink(key)).toBe('https://id.gs1.org/01/09506000134352/10/ABC');
    expect(toDigitalLink(key, { attributes: true })).toBe(
      'https://id.gs1.org/01/09506000134352/10/ABC?17=261231',
    );
    expect(toElementString(key)).toBe('(01)09506000134352(10)ABC(17)261231');
  });

  it('puts qualifiers in the standard order whatever order they came in', () => {
    expect(toDigitalLink('https://example.com/01/09506000134352/21/S1/10/L1/22/V')).toBe(
      'https://id.gs1.org/01/09506000134352/22/V/10/L1/21/S1',
    );
    expect(toDigitalLink('(21)S1(10)L1(01)09506000134352')).toBe(
      'https://id.gs1.org/01/09506000134352/10/L1/21/S1',
    );
  });

  it('reads the element string forms a scanner sends', () => {
    // Fixed-length (01) and (17) need no separator; variable (10) does, unless it is last.
    const scanned = `]d201095060001343521726123110ABC${GS}21XYZ`;
    expect(parseGs1(scanned).ai).toEqual({
      '01': '09506000134352',
      '17': '261231',
      '10': 'ABC',
      '21': 'XYZ',
    });
    expect(toElementString(scanned, { brackets: false })).toBe(
      `010950600013435210ABC${GS}21XYZ${GS}17261231`,
    );
    expect(toElementString(scanned)).toBe('(01)09506000134352(10)ABC(21)XYZ(17)261231');
    // A "(" inside a bracketed value is data, not a new AI.
    expect(parseGs1('(01)09506000134352(21)A(B)C').serial).toBe('A(B)C');
  });

  it('reads SGLN, GRAI, GIAI, GSRN, GDTI Digital Links and element strings', () => {
    for (const [dl, es] of [
      ['https://id.gs1.org/414/9520123456788/254/5678', '(414)9520123456788(254)5678'],
      ['https://id.gs1.org/8003/09520123456788ABC', '(8003)09520123456788ABC'],
      ['https://id.gs1.org/8004/9520123ABC-1', '(8004)9520123ABC-1'],
      ['https://id.gs1.org/8018/952012345678901233', '(8018)952012345678901233'],
      ['https://id.gs1.org/253/9520123456788XY', '(253)9520123456788XY'],
    ]) {
      expect(toDigitalLink(es)).toBe(dl);
      expect(toElementString(dl)).toBe(es);
      expect(toElementString(toElementString(dl, { brackets: false }))).toBe(es);
    }
  });

  it('reads EPC tag URIs, dropping the filter value', () => {
    expect(toDigitalLink('urn:epc:tag:sscc-96:0.0614141.1234567890')).toBe(
      'https://id.gs1.org/00/106141412345678908',
    );
    expect(toEpcUrn('urn:epc:tag:grai-96:1.0614141.12345.400')).toBe('urn:epc:id:grai:0614141.12345.400');
  });
});

describe('edge cases of the EPC layout', () => {
  it('handles a 12-digit company prefix, whose location or asset reference is empty', () => {
    expect(toDigitalLink('urn:epc:id:sgln:952012345678..0')).toBe('https://id.gs1.org/414/9520123456788');
    expect(toEpcUrn('(414)9520123456788(254)X', { companyPrefixLength: 12 })).toBe(
      'urn:epc:id:sgln:952012345678..X',
    );
    expect(toEpcUrn('(8003)09520123456788A', { companyPrefixLength: 12 })).toBe(
      'urn:epc:id:grai:952012345678..A',
    );
  });

  it('keeps dots inside a serial', () => {
    expect(parseGs1('urn:epc:id:sgtin:9506000.013435.a.b.c').serial).toBe('a.b.c');
    expect(toEpcUrn('(01)09506000134352(21)a.b', { companyPrefixLength: 7 })).toBe(
      'urn:epc:id:sgtin:9506000.013435.a.b',
    );
  });

  it('writes an FNC1 after every field without a predefined length, fixed or not', () => {
    // (8006) is fixed at 18 digits but its prefix 80 is not in the predefined-length table.
    expect(toElementString('urn:epc:id:itip:4012345.012345.01.02.999', { brackets: false })).toBe(
      `8006040123451234560102${GS}21999`,
    );
  });

  it.each([
    ['urn:epc:tag:sgtin-96:0614141.812345.6789', 'GS1_SYNTAX'],
    ['urn:epc:id:sgtin-96:3.0614141.812345.6789', 'GS1_SYNTAX'],
    ['urn:epc:id:itip:4012345.012345.1.02.999', 'GS1_LENGTH'],
    ['urn:epc:id:giai:0614141', 'GS1_SYNTAX'],
    ['urn:epc:id:sscc:0614141.1234567890.1', 'GS1_SYNTAX'],
    ['urn:epc:id:sgtin:06141A1.812345.1', 'GS1_CHARSET'],
    ['urn:epc:class:sgtin:0614141.812345.1', 'GS1_UNSUPPORTED'],
    ['urn:epc:id:lgtin:0614141.812345.1', 'GS1_SYNTAX'],
  ])('%s -> %s', (input, code) => {
    expect(codeOf(() => parseGs1(input))).toBe(code);
  });
});

describe('percent-encoding of serials and lots', () => {
  it('decodes EPC escapes and re-encodes what a Digital Link path needs', () => {
    expect(toDigitalLink('urn:epc:id:sgtin:9506000.013435.a%2Fb%22c%25d%26e%3Cf%3Eg%3Fh')).toBe(
      'https://id.gs1.org/01/09506000134352/21/a%2Fb%22c%25d%26e%3Cf%3Eg%3Fh',
    );
    // Characters legal in an EPC URN but reserved in a URI path: !()*+,: are percent-encoded.
    expect(toDigitalLink("urn:epc:id:sgtin:9506000.013435.!(x)*+,:';=-._")).toBe(
      "https://id.gs1.org/01/09506000134352/21/%21%28x%29%2A%2B%2C%3A';=-._",
    );
    expect(parseGs1('urn:epc:id:sgtin:9506000.013435.a%2fb').serial).toBe('a/b');
    expect(toDigitalLink('(01)09506000134352(21)azAZ09-._sS')).toBe(
      'https://id.gs1.org/01/09506000134352/21/azAZ09-._sS',
    );
  });

  it('escapes the # and / of a CPI part reference (set 39)', () => {
    const cpi = 'urn:epc:id:cpi:0614141.5PQ7%2FZ43%23.12345';
    expect(toDigitalLink(cpi)).toBe('https://id.gs1.org/8010/06141415PQ7%2FZ43%23/8011/12345');
    expect(toElementString(cpi)).toBe('(8010)06141415PQ7/Z43#(8011)12345');
    expect(toEpcUrn(toDigitalLink(cpi), { companyPrefixLength: 7 })).toBe(cpi);
  });

  it('round-trips every set-82 character through each notation', () => {
    const serial = `!"%&'()*+,-./:;<=>?_Az9`.slice(0, 20);
    const key = parseGs1(`(01)09506000134352(21)${serial}`);
    expect(key.serial).toBe(serial);
    for (const text of [
      toDigitalLink(key),
      toEpcUrn(key, { companyPrefixLength: 7 }),
      toElementString(key),
    ]) {
      expect(parseGs1(text).serial).toBe(serial);
    }
    expect(toEpcUrn(key, { companyPrefixLength: 7 })).toBe(
      `urn:epc:id:sgtin:9506000.013435.!%22%25%26'()*+,-.%2F:;%3C=%3E%3F_`,
    );
  });
});

describe('toEpcUrn', () => {
  it('needs the company prefix length when the input did not carry it', () => {
    expect(codeOf(() => toEpcUrn('https://id.gs1.org/01/09506000134352/21/1'))).toBe(
      'GS1_PREFIX_LENGTH_UNKNOWN',
    );
    expect(codeOf(() => toEpcUrn('(00)106141412345678908', { gcpLengthFor: () => undefined }))).toBe(
      'GS1_PREFIX_LENGTH_UNKNOWN',
    );
    expect(codeOf(() => toEpcUrn('(414)9520123456788', { companyPrefixLength: 13 }))).toBe(
      'GS1_PREFIX_LENGTH_UNKNOWN',
    );
    expect(codeOf(() => toEpcUrn('(414)9520123456788', { companyPrefixLength: 5 }))).toBe(
      'GS1_PREFIX_LENGTH_UNKNOWN',
    );
  });

  it('asks the table with the digits that start with the company prefix', () => {
    const asked: string[] = [];
    const gcpLengthFor = (digits: string) => (
      asked.push(digits),
      digits.startsWith('952012') ? 7 : undefined
    );
    expect(toEpcUrn('https://id.gs1.org/01/09520123456788/21/7', { gcpLengthFor })).toBe(
      'urn:epc:id:sgtin:9520123.045678.7',
    );
    expect(toEpcUrn('https://id.gs1.org/414/9520123456788', { gcpLengthFor })).toBe(
      'urn:epc:id:sgln:9520123.45678.0',
    );
    expect(asked).toEqual(['952012345678', '952012345678']);
  });

  it('writes classes and patterns', () => {
    const opts = { companyPrefixLength: 7 };
    expect(toEpcUrn('https://id.gs1.org/01/09506000134352/10/LOT1', opts)).toBe(
      'urn:epc:class:lgtin:9506000.013435.LOT1',
    );
    expect(toEpcUrn('https://id.gs1.org/01/09506000134352', opts)).toBe(
      'urn:epc:idpat:sgtin:9506000.013435.*',
    );
    expect(toEpcUrn('https://id.gs1.org/8003/09506000134376', opts)).toBe(
      'urn:epc:idpat:grai:9506000.13437.*',
    );
  });

  it('refuses what has no EPC URI', () => {
    expect(
      codeOf(() => toEpcUrn('https://id.gs1.org/01/09506000134352/22/V1/21/1', { companyPrefixLength: 7 })),
    ).toBe('GS1_UNSUPPORTED');
  });
});

describe('errors', () => {
  it.each([
    ['https://id.gs1.org/01/09506000134353/21/1', 'GS1_CHECK_DIGIT'],
    ['(00)106141412345678907', 'GS1_CHECK_DIGIT'],
    ['https://id.gs1.org/414/9520123456787', 'GS1_CHECK_DIGIT'],
    ['https://id.gs1.org/8003/09520123456787ABC', 'GS1_CHECK_DIGIT'],
    ['https://id.gs1.org/8018/952012345678901236', 'GS1_CHECK_DIGIT'],
    ['https://id.gs1.org/253/9520123456787XY', 'GS1_CHECK_DIGIT'],
    ['https://id.gs1.org/01/09506000134/21/1', 'GS1_LENGTH'],
    ['(01)0950600013435', 'GS1_LENGTH'],
    ['0109506000134', 'GS1_LENGTH'],
    ['https://id.gs1.org/01/09506000134352/21/123456789012345678901', 'GS1_LENGTH'],
    ['urn:epc:id:sgtin:9506000.01343.1', 'GS1_LENGTH'],
    ['urn:epc:id:sscc:95060.000000000001', 'GS1_LENGTH'],
    ['https://id.gs1.org/01/0950600013435A/21/1', 'GS1_CHARSET'],
    ['https://id.gs1.org/01/09506000134352/21/a%20b', 'GS1_CHARSET'],
    ['https://id.gs1.org/01/09506000134352/21/caf%C3%A9', 'GS1_CHARSET'],
    ['urn:epc:id:sgtin:9506000.013435.a#b', 'GS1_CHARSET'],
    ['urn:epc:id:sgtin:9506000.013435.a%2', 'GS1_SYNTAX'],
    ['urn:epc:id:sgtin:9506000.013435', 'GS1_SYNTAX'],
    ['https://example.com/products/123', 'GS1_SYNTAX'],
    ['hello', 'GS1_SYNTAX'],
    ['(99', 'GS1_SYNTAX'],
    ['https://id.gs1.org/8003/19520123456788ABC', 'GS1_SYNTAX'],
    ['urn:epc:id:gid:95100000.12345.400', 'GS1_UNSUPPORTED'],
    ['urn:epc:idpat:sgtin:9506000.*.*', 'GS1_UNSUPPORTED'],
    ['urn:uuid:8b0d1f2c-1111-4a2b-9c3d-000000000000', 'GS1_UNSUPPORTED'],
    ['(7777)1', 'GS1_UNSUPPORTED'],
  ])('%s -> %s', (input, code) => {
    expect(codeOf(() => parseGs1(input))).toBe(code);
    expect(isGs1Key(input)).toBe(false);
  });

  it('is an InvalidInputError with one reason and a one-line message naming the input', () => {
    const input = 'https://id.gs1.org/01/09506000134353';
    let caught: unknown;
    try {
      parseGs1(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    const err = caught as Gs1Error;
    expect(err.retriable).toBe(false);
    expect(err.reasons).toHaveLength(1);
    expect(err.reasons[0].code).toBe('GS1_CHECK_DIGIT');
    expect(err.message).toContain(input);
    expect(err.message).not.toContain('\n');
  });
});

describe('toIdentifier', () => {
  it('gives the canonical Digital Link and the parsed parts', () => {
    expect(toIdentifier('urn:epc:id:sgtin:9506000.013435.12345')).toEqual({
      uri: 'https://id.gs1.org/01/09506000134352/21/12345',
      scheme: 'sgtin',
      gtin: '09506000134352',
      serial: '12345',
      lot: null,
      sscc: null,
      original: 'urn:epc:id:sgtin:9506000.013435.12345',
    });
    expect(toIdentifier('https://id.gs1.org/00/106141412345678908')).toEqual({
      uri: 'https://id.gs1.org/00/106141412345678908',
      scheme: 'sscc',
      gtin: null,
      serial: null,
      lot: null,
      sscc: '106141412345678908',
      original: null,
    });
    expect(toIdentifier('urn:epc:class:lgtin:9506000.013435.LOT1')).toMatchObject({
      uri: 'https://id.gs1.org/01/09506000134352/10/LOT1',
      scheme: 'lgtin',
      lot: 'LOT1',
    });
  });

  it.each([
    'https://example.com/some/page',
    'https://blog.example.com/2020/01/15/post',
    'urn:uuid:8b0d1f2c-1111-4a2b-9c3d-000000000000',
    'urn:epc:id:gid:95100000.12345.400',
    'geo:50.94,6.92',
    'not a uri',
  ])('keeps %s as scheme other', (input) => {
    expect(toIdentifier(input)).toEqual({
      uri: input,
      scheme: 'other',
      gtin: null,
      serial: null,
      lot: null,
      sscc: null,
      original: null,
    });
  });

  it.each([
    ['https://example.com/01/09506000134353/21/1', 'GS1_CHECK_DIGIT'],
    ['urn:epc:id:sgtin:9506000.0134.1', 'GS1_LENGTH'],
    ['(01)09506000134353', 'GS1_CHECK_DIGIT'],
  ])('throws for %s, a broken GS1 key', (input, code) => {
    expect(codeOf(() => toIdentifier(input))).toBe(code);
  });
});

describe('toIdentifier identity', () => {
  it('gives a serialised unit one URI whether or not a lot is written with it, keeping the lot', () => {
    const plain = toIdentifier('(01)04012345100013(21)S1');
    const withLot = toIdentifier('https://id.gs1.org/01/04012345100013/10/L1/21/S1');
    expect(withLot.uri).toBe(plain.uri);
    expect(withLot.uri).toBe('https://id.gs1.org/01/04012345100013/21/S1');
    expect(withLot.lot).toBe('L1');
    expect(toIdentifier('urn:epc:id:sgtin:4012345.010001.S1').uri).toBe(plain.uri);
  });
  it('keeps the lot in the URI of a lot-level class (LGTIN)', () => {
    expect(toIdentifier('urn:epc:class:lgtin:4012345.010001.L1').uri).toBe(
      'https://id.gs1.org/01/04012345100013/10/L1',
    );
  });
});

describe('the memos of toIdentifier and toDigitalLink', () => {
  // Heads of every notation, with and without a lot, a variant or a short GTIN; serials plain and not.
  const heads = [
    '(01)04012345100013(21)',
    '(01)09506000134352(10)LOT%7(21)',
    'https://id.gs1.org/01/04012345100013/21/',
    'https://id.gs1.org/01/04012345100013/10/L1/21/',
    'https://id.gs1.org/01/09506000134352/22/V2/10/AB-1/21/',
    'https://id.gs1.org/01/9506000134352/21/',
    'https://example.com/shop/01/04012345100013/21/',
    'urn:epc:id:sgtin:4012345.010001.',
    'urn:epc:id:sgtin:9506000.013435.',
  ];
  const serials = ['0', 'S1', '12345', 'A'.repeat(20), 'A'.repeat(21), 'a%2Fb', 'x y', 'Z9z9', '00001'];
  const inputs = [
    ...heads.flatMap((h) => serials.map((s) => h + s)),
    'https://id.gs1.org/00/106141412345678908',
    '(414)4012345000009(254)L1',
    'urn:epc:id:sscc:4012345.0000000001',
    'urn:epc:class:lgtin:4012345.010001.L1',
    'https://example.com/not-a-key',
    'urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8',
  ];
  const full = (f: () => unknown) => {
    try {
      return { value: f() };
    } catch (err) {
      return { error: (err as Gs1Error).code };
    }
  };

  it('give what the full parse gives, first time and again', () => {
    for (let round = 0; round < 2; round++) {
      for (const input of inputs) {
        expect([input, full(() => toIdentifier(input))]).toEqual([
          input,
          full(() => parsedIdentifier(input)),
        ]);
        expect([input, full(() => toDigitalLink(input))]).toEqual([
          input,
          full(() => toDigitalLink(parseGs1(input))),
        ]);
      }
    }
  });

  it('hand out identifiers a caller may change without changing the next answer', () => {
    for (const input of ['(414)4012345000009(254)L1', '(01)04012345100013(21)S1']) {
      const first = toIdentifier(input);
      first.lot = 'changed';
      first.uri = 'changed';
      expect(toIdentifier(input)).toEqual(parsedIdentifier(input));
    }
  });
});
