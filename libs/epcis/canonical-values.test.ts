import { toDigitalLink } from '../gs1';
import {
  canonicalGs1Uri,
  canonicalNumber,
  canonicalTimestamp,
  canonicalValue,
  isoUtc,
  parseTimestamp,
  pythonNumber,
} from './canonical-values';

describe('canonicalTimestamp', () => {
  it.each([
    ['2020-03-04T11:00:30.000+01:00', '2020-03-04T10:00:30.000Z'],
    ['2020-04-01T15:00:00+01:00', '2020-04-01T14:00:00.000Z'],
    ['2022-02-16T20:33:31.116000-06:00', '2022-02-17T02:33:31.116Z'],
    ['2023-03-27T11:30:00.0Z', '2023-03-27T11:30:00.000Z'],
    // Sub-millisecond digits round half to even (as the reference's Python round does).
    ['2023-02-02T11:04:03.1415Z', '2023-02-02T11:04:03.142Z'],
    ['2023-02-02T11:04:03.1425Z', '2023-02-02T11:04:03.142Z'],
    ['2023-02-02T11:04:03.1414Z', '2023-02-02T11:04:03.141Z'],
    // Digits past the microsecond are dropped before rounding.
    ['2022-02-16T08:40:21.3142715Z', '2022-02-16T08:40:21.314Z'],
    // Rounding carries into the next second, minute, day.
    ['2023-12-31T23:59:59.9996Z', '2024-01-01T00:00:00.000Z'],
    ['2020-01-01T00:30:00+0530', '2019-12-31T19:00:00.000Z'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalTimestamp(input)).toBe(expected);
  });

  it('formats like Date.toISOString across years, leap days and the epoch', () => {
    const step = 7_919_993_777; // about 92 days and an odd number of milliseconds
    for (let ms = Date.UTC(1, 0, 1); ms < Date.UTC(9999, 11, 31); ms += step) {
      expect(isoUtc(ms)).toBe(new Date(ms).toISOString());
    }
    for (const ms of [
      0,
      -1,
      Date.UTC(2000, 1, 29, 23, 59, 59, 999),
      Date.UTC(2100, 2, 1),
      Date.UTC(1900, 1, 28),
    ]) {
      expect(isoUtc(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('leaves what is not a date-time alone', () => {
    expect(canonicalTimestamp('P3Y')).toBe('P3Y');
    expect(parseTimestamp('2020-13-01T00:00:00Z')).toBeNull();
  });

  it('keeps the offset it read', () => {
    expect(parseTimestamp('2020-01-01T00:00:00Z')?.offset).toBe('+00:00');
    expect(parseTimestamp('2020-01-01T00:00:00-06:00')?.offset).toBe('-06:00');
    expect(parseTimestamp('2020-01-01T00:00:00')?.offset).toBeNull();
  });
});

describe('numbers in one lexical form', () => {
  it.each([
    [26, '26'],
    [12.1, '12.1'],
    [0.05, '0.05'],
    [200.5, '200.5'],
    [1e-5, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [0.0001, '0.0001'],
    [1e21, '1000000000000000000000'],
  ])('number %p → %s (Python repr)', (n, expected) => {
    expect(pythonNumber(n)).toBe(expected);
  });

  it.each([
    ['452.0', '452'],
    ['0600', '600'],
    ['+5', '5'],
    ['.5', '0.5'],
    ['1e3', '1000'],
    ['1_000', '1000'],
    ['2019-10-21', '2019-10-21'],
    ['+01:00', '+01:00'],
    ['KGM', 'KGM'],
    ['nan', 'nan'],
  ])('text %p → %s', (text, expected) => {
    expect(canonicalNumber(text)).toBe(expected);
  });
});

describe('canonicalValue', () => {
  it('rewrites CBV 1.x URNs to web URIs', () => {
    expect(canonicalValue('urn:epcglobal:cbv:bizstep:shipping')).toBe(
      'https://ref.gs1.org/cbv/BizStep-shipping',
    );
    expect(canonicalValue('urn:epcglobal:cbv:sdt:owning_party')).toBe(
      'https://ref.gs1.org/cbv/SDT-owning_party',
    );
    expect(canonicalValue('urn:epcglobal:cbv:bt:4012345000009:ASN1099')).toBe(
      'urn:epcglobal:cbv:bt:4012345000009:ASN1099',
    );
  });

  it('turns GS1 keys into canonical Digital Links and leaves other URIs alone', () => {
    expect(canonicalValue('urn:epc:id:sgln:4012345.00011.0')).toBe('https://id.gs1.org/414/4012345000115');
    expect(canonicalValue('https://id.example.org/8004/401234599999')).toBe(
      'https://id.gs1.org/8004/401234599999',
    );
    expect(canonicalValue('geo:47.506694,11.104301')).toBe('geo:47.506694,11.104301');
    expect(canonicalValue('http://transaction.acme.com/po/12345678')).toBe(
      'http://transaction.acme.com/po/12345678',
    );
    expect(canonicalValue('http://www.opengis.net/def/crs/EPSG/0/27700')).toBe(
      'http://www.opengis.net/def/crs/EPSG/0/27700',
    );
    // Element strings are not URIs: the hash leaves them as written, as the reference does.
    expect(canonicalValue('(414)4023333000000')).toBe('(414)4023333000000');
  });

  it('hashes a trade item at its finest level: serial over lot, no consumer product variant', () => {
    expect(canonicalValue('https://id.gs1.org/01/09506000134352/10/LOT1/21/SER1')).toBe(
      'https://id.gs1.org/01/09506000134352/21/SER1',
    );
    expect(canonicalValue('https://example.com/01/09506000134352/22/CPV1/10/LOT1')).toBe(
      'https://id.gs1.org/01/09506000134352/10/LOT1',
    );
    expect(canonicalValue('https://id.gs1.org/01/09506000134352/10/L2/21/9')).toBe(
      'https://id.gs1.org/01/09506000134352/21/9',
    );
    expect(canonicalValue('https://id.gs1.org/414/9506000134352/254/7')).toBe(
      'https://id.gs1.org/414/9506000134352/254/7',
    );
  });

  it('a broken GS1 key is hashed as written', () => {
    expect(canonicalGs1Uri('urn:epc:id:sgtin:4012345.011111')).toBe('urn:epc:id:sgtin:4012345.011111');
  });
});

describe('the per-GTIN shortcut agrees with libs/gs1', () => {
  const serials = ['1', '0', '00042', 'ABC123', 'a1B2c3D4e5F6g7H8i9J0', '9876543210987654321'];
  const gtins = ['4012345.011111', '0614141.107346', '4047023.077551', '952005385.0123'];
  for (const gtin of gtins) {
    for (const serial of serials) {
      const urn = `urn:epc:id:sgtin:${gtin}.${serial}`;
      it(urn, () => {
        const dl = toDigitalLink(urn);
        expect(canonicalGs1Uri(urn)).toBe(dl);
        expect(canonicalGs1Uri(dl)).toBe(dl);
      });
    }
  }

  it('serials that need escaping or are too long go to libs/gs1', () => {
    for (const urn of ['urn:epc:id:sgtin:4012345.011111.A%2FB', 'urn:epc:id:sgtin:4012345.011111.x-y_z']) {
      expect(canonicalGs1Uri(urn)).toBe(toDigitalLink(urn));
    }
    const tooLong = 'urn:epc:id:sgtin:4012345.011111.123456789012345678901';
    expect(canonicalGs1Uri(tooLong)).toBe(tooLong);
  });
});
