/**
 * Every EPC URI and Digital Link in the conformance documents (test/fixtures/conformance) (GS1's EPCIS examples and the
 * event-hash vectors) survives a trip through each notation and back unchanged.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseGs1, toDigitalLink, toElementString, toEpcUrn, toIdentifier } from '.';

const root = join(__dirname, '../../test/fixtures/conformance');

function documents(): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(jsonld|xml)$/.test(f))
    .map((f) => readFileSync(join(root, f), 'utf8'));
}

function all(pattern: RegExp): string[] {
  return [...new Set(documents().flatMap((text) => text.match(pattern) ?? []))].sort();
}

const epcUris = all(/urn:epc:(?:id|class|idpat):[^"<\s]+/g);
const digitalLinks = all(/https:\/\/id\.gs1\.org\/[^"<\s]+/g);

describe('round trips over the conformance documents', () => {
  it('finds identifiers to try', () => {
    expect(epcUris.length).toBeGreaterThan(50);
    expect(digitalLinks.length).toBeGreaterThan(3);
  });

  it.each(epcUris)('%s', (epc) => {
    const companyPrefixLength = epc.split(':')[4].indexOf('.');
    const opts = { companyPrefixLength };
    const dl = toDigitalLink(epc);
    expect(dl).toMatch(/^https:\/\/id\.gs1\.org\/\d{2,4}\//);
    expect(toEpcUrn(dl, opts)).toBe(epc);
    expect(toEpcUrn(toElementString(epc), opts)).toBe(epc);
    expect(toEpcUrn(toElementString(epc, { brackets: false }), opts)).toBe(epc);
    expect(toDigitalLink(dl)).toBe(dl);
    expect(toIdentifier(epc)).toMatchObject({ uri: dl, original: epc, scheme: parseGs1(epc).scheme });
  });

  it.each(digitalLinks)('%s is already canonical', (dl) => {
    expect(toDigitalLink(dl)).toBe(dl);
    expect(toIdentifier(dl).original).toBeNull();
    expect(toDigitalLink(toElementString(dl))).toBe(dl);
  });
});

describe('Digital Link path forms', () => {
  it.each([
    ['https://example.com/sscc/106141412345678908', 'https://id.gs1.org/00/106141412345678908'],
    ['https://example.com/gln/9520123456788/glnx/5678', 'https://id.gs1.org/414/9520123456788/254/5678'],
    [
      'https://example.com/gtin/09506000134352/lot/L1/ser/S1',
      'https://id.gs1.org/01/09506000134352/10/L1/21/S1',
    ],
    ['https://example.com/grai/09520123456788ABC', 'https://id.gs1.org/8003/09520123456788ABC'],
    ['https://example.com/giai/9520123ABC', 'https://id.gs1.org/8004/9520123ABC'],
    ['https://example.com/gsrn/952012345678901233', 'https://id.gs1.org/8018/952012345678901233'],
    ['https://example.com/gdti/9520123456788XY', 'https://id.gs1.org/253/9520123456788XY'],
    ['https://example.com/414/9520123456788/254/0', 'https://id.gs1.org/414/9520123456788'],
    ['http://id.gs1.org/01/09506000134352/21/1#frag', 'https://id.gs1.org/01/09506000134352/21/1'],
    ['  https://id.gs1.org/00/106141412345678908\n', 'https://id.gs1.org/00/106141412345678908'],
  ])('%s -> %s', (input, canonical) => {
    expect(toDigitalLink(input)).toBe(canonical);
  });

  it('keeps the lot beside a serial, except in the event-hash form', () => {
    const dl = 'https://id.gs1.org/01/09506000134352/22/V1/10/L1/21/S1';
    expect(toDigitalLink(dl)).toBe(dl);
    expect(toDigitalLink(dl, { eventHash: true })).toBe('https://id.gs1.org/01/09506000134352/21/S1');
    expect(toDigitalLink('https://id.gs1.org/01/09506000134352/10/L1', { eventHash: true })).toBe(
      'https://id.gs1.org/01/09506000134352/10/L1',
    );
  });

  it('refuses a key qualifier in the query string', () => {
    expect(() => parseGs1('https://example.com/01/09506000134352?21=1')).toThrow(/belongs in the path/);
  });
});
