/**
 * Conformance round two (issue 11 §3), on our own small documents: XML user extensions with
 * attributes, xsi:nil, a bare DOCTYPE, CURIEs of the document's own prefixes, and the reference
 * implementation's ignoreFields extension.
 */
import { InvalidInputError } from '../errors';
import { eventHash, parseDocument, preHash } from '.';

const ns = 'https://example.com/ns/';
const xsi = 'http://www.w3.org/2001/XMLSchema-instance';
const ctx = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

const xmlEvent = (inner: string) => `<ObjectEvent>
      <eventTime>2025-06-01T10:00:00.000+02:00</eventTime>
      <eventTimeZoneOffset>+02:00</eventTimeZoneOffset>
      <epcList><epc>urn:epc:id:sgtin:4012345.011111.1001</epc></epcList>
      <action>OBSERVE</action>
      ${inner}
    </ObjectEvent>`;
const xmlDocument = (
  events: string,
  { head = '', prolog = '' } = {},
) => `<?xml version="1.0" encoding="UTF-8"?>
${prolog}<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:xsi="${xsi}"
    xmlns:ex="${ns}" xmlns:repository-x="https://repository-x.example.com/" schemaVersion="2.0" creationDate="2025-06-01T10:00:00Z">
  ${head}
  <EPCISBody><EventList>${events}</EventList></EPCISBody>
</epcis:EPCISDocument>`;
const jsonEvent = (extra: Record<string, unknown> = {}) => ({
  type: 'ObjectEvent',
  eventTime: '2025-06-01T10:00:00.000+02:00',
  eventTimeZoneOffset: '+02:00',
  epcList: ['urn:epc:id:sgtin:4012345.011111.1001'],
  action: 'OBSERVE',
  ...extra,
});
const jsonDocument = (events: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    '@context': [ctx, { ex: ns, 'repository-x': 'https://repository-x.example.com/' }],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2025-06-01T10:00:00Z',
    ...extra,
    epcisBody: { eventList: events },
  });
const only = (text: string) => parseDocument(text).events[0]!;

function refusal(text: string): string {
  try {
    parseDocument(text);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as Error).message;
  }
  throw new Error('document was accepted');
}

describe('XML user-extension elements with attributes keep their value', () => {
  const withTemp = (value: string, attributes = 'unit="CEL"') =>
    only(xmlDocument(xmlEvent(`<ex:temperature ${attributes}>${value}</ex:temperature>`)));

  it('keeps the text in the event beside the attributes, and in the pre-hash', () => {
    const event = withTemp('20.5');
    expect(event['ex:temperature']).toEqual({ unit: 'CEL', '#text': '20.5' });
    expect(preHash(event)).toContain(`{${ns}}temperature=20.5unit=CEL`);
  });

  it('changing the value changes the Event Hash ID (tamper evidence)', () => {
    expect(eventHash(withTemp('20.5'))).not.toBe(eventHash(withTemp('99')));
    expect(eventHash(withTemp('20.5', 'unit="CEL"'))).not.toBe(eventHash(withTemp('20.5', 'unit="FAR"')));
  });

  it('xsi:* attributes carry no data: with or without xsi:type the hash is the same', () => {
    const typed = only(xmlDocument(xmlEvent('<ex:lot xsi:type="xsd:string">L42</ex:lot>')));
    const plain = only(xmlDocument(xmlEvent('<ex:lot>L42</ex:lot>')));
    expect(typed['ex:lot']).toBe('L42');
    expect(eventHash(typed)).toBe(eventHash(plain));
    const changed = only(xmlDocument(xmlEvent('<ex:lot xsi:type="xsd:string">L43</ex:lot>')));
    expect(eventHash(changed)).not.toBe(eventHash(typed));
  });

  it('hashes the same as the JSON-LD event written with #text', () => {
    const json = only(jsonDocument([jsonEvent({ 'ex:temperature': { '#text': '20.5', unit: 'CEL' } })]));
    expect(eventHash(json)).toBe(eventHash(withTemp('20.5')));
  });

  it('keeps the text of a nested user-extension element with attributes', () => {
    const event = only(xmlDocument(xmlEvent('<ex:reading><ex:value scale="2">1234</ex:value></ex:reading>')));
    expect(event['ex:reading']).toEqual({ 'ex:value': { scale: '2', '#text': '1234' } });
    expect(preHash(event)).toContain(`{${ns}}reading{${ns}}value=1234scale=2`);
  });
});

describe('xsi:nil="true" elements are accepted as absent', () => {
  it('a nil quantity: the quantity element stays, without a quantity', () => {
    const event = only(
      xmlDocument(
        xmlEvent(`<quantityList><quantityElement>
          <epcClass>urn:epc:class:lgtin:4012345.011111.L1</epcClass><quantity xsi:nil="true"/><uom>KGM</uom>
        </quantityElement></quantityList>`),
      ),
    );
    expect(event.quantityList).toEqual([{ epcClass: 'urn:epc:class:lgtin:4012345.011111.L1', uom: 'KGM' }]);
  });

  it('a nil user extension and a nil standard field are left out, and hash as if absent', () => {
    const nil = only(xmlDocument(xmlEvent('<ex:note xsi:nil="true"/><disposition xsi:nil="1"/>')));
    const absent = only(xmlDocument(xmlEvent('')));
    expect(nil['ex:note']).toBeUndefined();
    expect(nil.disposition).toBeUndefined();
    expect(eventHash(nil)).toBe(eventHash(absent));
  });
});

describe('DOCTYPE', () => {
  it('accepts a bare <!DOCTYPE name>, as GS1 examples have', () => {
    const text = xmlDocument(xmlEvent(''), { prolog: '<!DOCTYPE EPCISDocument>\n' });
    expect(parseDocument(text).events).toHaveLength(1);
    expect(eventHash(only(text))).toBe(eventHash(only(xmlDocument(xmlEvent('')))));
  });

  it.each([
    ['an internal subset', '<!DOCTYPE EPCISDocument [ ]>'],
    ['an ENTITY declaration', '<!DOCTYPE EPCISDocument [<!ENTITY x "boom">]>'],
    ['a SYSTEM identifier', '<!DOCTYPE EPCISDocument SYSTEM "file:///etc/passwd">'],
    ['a PUBLIC identifier', '<!DOCTYPE EPCISDocument PUBLIC "-//x//y" "http://example.com/x.dtd">'],
    ['two DOCTYPEs', '<!DOCTYPE EPCISDocument>\n<!DOCTYPE EPCISDocument [<!ENTITY x "y">]>'],
  ])('refuses a DOCTYPE with %s', (_what, doctype) => {
    expect(refusal(xmlDocument(xmlEvent(''), { prolog: `${doctype}\n` }))).toMatch(/DOCTYPE/);
  });
});

describe('CURIEs with prefixes the document declares are expanded for the hash', () => {
  it('in a user extension value and a bizTransaction type', () => {
    const event = only(
      jsonDocument([
        jsonEvent({
          'ex:colour': 'ex:red',
          bizTransactionList: [{ type: 'ex:contract', bizTransaction: 'urn:example:c:1' }],
        }),
      ]),
    );
    const pre = preHash(event);
    expect(pre).toContain(`{${ns}}colour=${ns}red`);
    expect(pre).toContain(`type=${ns}contract`);
  });

  it('a CURIE and its full IRI are one event', () => {
    const curie = only(jsonDocument([jsonEvent({ 'ex:colour': 'ex:red' })]));
    const full = only(jsonDocument([jsonEvent({ 'ex:colour': `${ns}red` })]));
    expect(eventHash(curie)).toBe(eventHash(full));
  });

  it('leaves values whose prefix nobody declared as written', () => {
    const event = only(jsonDocument([jsonEvent({ 'ex:colour': 'undeclared:red' })]));
    expect(preHash(event)).toContain(`{${ns}}colour=undeclared:red`);
  });
});

describe('ignoreFields (the reference implementation’s extension, not the standard)', () => {
  const ignore = { 'repository-x:ignoreFields': ['ex:captureID', 'ex:hash'] };
  const plain = eventHash(only(jsonDocument([jsonEvent({ 'ex:keep': 'k' })])));

  it('leaves the listed top-level fields out of the hash of every event of a JSON-LD document', () => {
    const events = parseDocument(
      jsonDocument(
        [
          jsonEvent({ 'ex:keep': 'k', 'ex:captureID': 'c-1', 'ex:hash': 'h' }),
          jsonEvent({ 'ex:keep': 'k', 'ex:captureID': 'c-2' }),
        ],
        ignore,
      ),
    ).events;
    expect(events.map(eventHash)).toEqual([plain, plain]);
    // Kept in the event (nothing a partner sent is dropped), with the list that says why.
    expect(events[0]!['ex:captureID']).toBe('c-1');
    expect(events[0]!['repository-x:ignoreFields']).toEqual(ignore['repository-x:ignoreFields']);
  });

  it('reads the list from queryResults in a query document', () => {
    const text = JSON.stringify({
      '@context': [ctx, { ex: ns, 'repository-x': 'https://repository-x.example.com/' }],
      type: 'EPCISQueryDocument',
      schemaVersion: '2.0',
      creationDate: '2025-06-01T10:00:00Z',
      epcisBody: {
        queryResults: {
          queryName: 'SimpleEventQuery',
          ...ignore,
          resultsBody: { eventList: [jsonEvent({ 'ex:keep': 'k', 'ex:captureID': 'c-3' })] },
        },
      },
    });
    expect(eventHash(only(text))).toBe(plain);
  });

  it('does nothing when the key is not in the reference’s namespace', () => {
    const text = jsonDocument([jsonEvent({ 'ex:keep': 'k', 'ex:captureID': 'c-1' })], {
      'ex:ignoreFields': ['ex:captureID'],
    });
    expect(eventHash(only(text))).not.toBe(plain);
  });

  it('in XML: the root’s <repository-x:ignoreFields> children name the fields', () => {
    const head = '<repository-x:ignoreFields><ex:captureID/></repository-x:ignoreFields>';
    const xml = parseDocument(
      xmlDocument(
        xmlEvent('<ex:keep>k</ex:keep><ex:captureID>c-1</ex:captureID>') +
          xmlEvent('<ex:keep>k</ex:keep><ex:captureID>c-2</ex:captureID>'),
        { head },
      ),
    ).events;
    expect(xml.map(eventHash)).toEqual([plain, plain]);
    expect(xml[0]!['ex:captureID']).toBe('c-1');
  });
});
