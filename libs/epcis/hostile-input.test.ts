/**
 * Silently wrong data (issue 13 §2) and input that crashed stages (§1), on our own small
 * documents: each is refused with a reason code and a message naming where, never altered.
 */
import { InvalidInputError } from '../errors';
import {
  checkJsonDepth,
  checkValue,
  checkXmlCharacters,
  checkXmlDepth,
  inputLimits,
  textProblem,
} from './guard';
import { readTimestamp } from './canonical-values';
import { parseDocument, toSerializationEvent } from '.';

const ctx = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';
const event = (extra: Record<string, unknown> = {}) => ({
  type: 'ObjectEvent',
  eventTime: '2025-06-01T10:00:00.000+02:00',
  eventTimeZoneOffset: '+02:00',
  epcList: ['urn:epc:id:sgtin:4012345.011111.1001'],
  action: 'OBSERVE',
  ...extra,
});
const json = (e: unknown) =>
  JSON.stringify({
    '@context': [ctx, { ex: 'https://example.com/ns/' }],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2025-06-01T10:00:00Z',
    epcisBody: { eventList: [e] },
  });
const xml = (inner: string, eventTime = '2025-06-01T10:00:00Z') =>
  `<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:ex="https://example.com/ns/" schemaVersion="2.0" creationDate="2025-06-01T10:00:00Z">
  <EPCISBody><EventList><ObjectEvent>
    <eventTime>${eventTime}</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
    <epcList><epc>urn:epc:id:sgtin:4012345.011111.1001</epc></epcList><action>OBSERVE</action>${inner}
  </ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>`;

function refused(text: string): { code: string; message: string } {
  try {
    parseDocument(text);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as InvalidInputError).reasons[0]!;
  }
  throw new Error('document was accepted');
}

describe('impossible date-times are refused, not rolled over', () => {
  it.each([
    ['0000-01-01T00:00:00Z', /year 0 is outside 1583-9999/],
    ['0099-06-01T00:00:00Z', /year 99 is outside/],
    ['2025-02-31T10:00:00Z', /day 31 does not exist \(2025-02 has 28 days\)/],
    ['2024-02-30T10:00:00.000+01:00', /day 30 does not exist \(2024-02 has 29 days\)/],
    ['2025-06-01T25:00:00Z', /hour 25/],
    ['2025-06-01T10:00:60Z', /second 60/],
    ['2025-06-01T10:00:00+15:00', /offset \+15:00/],
  ])('%s in JSON', (time, why) => {
    const reason = refused(json(event({ eventTime: time })));
    expect(reason.code).toBe('TIME_INVALID');
    expect(reason.message).toMatch(/^\$\.epcisBody\.eventList\[0\]\.eventTime: /);
    expect(reason.message).toMatch(why);
  });

  it('in XML, with the line', () => {
    const reason = refused(xml('', '2025-02-31T10:00:00Z'));
    expect(reason).toMatchObject({ code: 'TIME_INVALID' });
    expect(reason.message).toMatch(/eventTime of <ObjectEvent> #1 at line 2/);
  });

  it('in recordTime and sensor times too', () => {
    expect(refused(json(event({ recordTime: '0099-06-01T00:00:00Z' }))).code).toBe('TIME_INVALID');
    const sensor = {
      sensorElementList: [{ sensorReport: [{ type: 'gs1:Temperature', time: '2025-02-29T00:00:00Z' }] }],
    };
    expect(refused(json(event(sensor))).message).toMatch(/sensorReport\[0\]\.time/);
  });

  it('real instants still read exactly (leap day, 24:00, offsets)', () => {
    expect(readTimestamp('2024-02-29T23:59:59.999Z')).toEqual({
      epochMs: Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      offset: '+00:00',
    });
    expect(readTimestamp('2025-06-01T24:00:00Z')).toEqual({
      epochMs: Date.UTC(2025, 5, 2),
      offset: '+00:00',
    });
    expect(readTimestamp('1583-01-01T00:00:00-14:00')).toMatchObject({ epochMs: Date.UTC(1583, 0, 1, 14) });
  });
});

describe('text that cannot be stored as sent is refused', () => {
  it('NUL anywhere in JSON: bizStep, an EPC, a user extension, a key', () => {
    expect(refused(json(event({ bizStep: 'ship\u0000ping' })))).toEqual({
      code: 'INPUT_TEXT_INVALID',
      message: '$.epcisBody.eventList[0].bizStep contains NUL (U+0000) at character 5',
    });
    expect(refused(json(event({ epcList: ['urn:epc:id:sgtin:4012345.011111.\u00001'] }))).code).toBe(
      'INPUT_TEXT_INVALID',
    );
    expect(refused(json(event({ 'ex:note': { deep: ['a\u0000'] } }))).message).toMatch(/ex:note\.deep\[0\]/);
    expect(refused(json(event({ 'ex:\u0000': 'x' }))).message).toMatch(/the key/);
  });

  it('a lone surrogate written as \\ud800 in JSON (it used to be stored as U+FFFD)', () => {
    const text = json(event({ readPoint: { id: 'urn:epc:id:sgln:4012345.00001.X' } })).replace(
      '.X"',
      '.\\ud800"',
    );
    expect(refused(text)).toEqual({
      code: 'INPUT_TEXT_INVALID',
      message:
        '$.epcisBody.eventList[0].readPoint.id contains a lone surrogate U+D800 at character 31 (not Unicode text)',
    });
    // A correct pair is text.
    expect(textProblem('\ud83d\ude00')).toBeNull();
    expect(textProblem('\ude00')).toMatch(/U\+DE00/);
  });

  it.each(['&#0;', '&#x0;', '&#xD800;', '&#55296;', '&#x1F;', '&#xFFFE;'])(
    'XML character reference %s (parsers drop it)',
    (ref) => {
      const reason = refused(xml(`<ex:note>a${ref}b</ex:note>`));
      expect(reason.code).toBe('INPUT_TEXT_INVALID');
      expect(reason.message).toContain(ref);
      expect(reason.message).toMatch(/line 4/);
    },
  );

  it('a control character written literally in XML', () => {
    expect(() => checkXmlCharacters('<a>\u0001</a>')).toThrow(/U\+0001 at line 1/);
    expect(() => checkXmlCharacters('<a>&#x9;&#10;&#x1F600;\u00e9\ud83d\ude00</a>')).not.toThrow();
  });
});

describe('impossible numbers', () => {
  it('a negative quantity', () => {
    const q = {
      quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.011111.L1', quantity: -5, uom: 'KGM' }],
    };
    expect(refused(json(event(q)))).toEqual({
      code: 'QUANTITY_NEGATIVE',
      message: '$.epcisBody.eventList[0].quantityList[0].quantity -5 is negative',
    });
    const xmlQ = `<quantityList><quantityElement><epcClass>urn:epc:class:lgtin:4012345.011111.L1</epcClass><quantity>-5</quantity><uom>KGM</uom></quantityElement></quantityList>`;
    expect(refused(xml(xmlQ)).code).toBe('QUANTITY_NEGATIVE');
  });

  it('a number that overflows a double (1e400 parses to Infinity)', () => {
    const text = json(event({ 'ex:reading': 1 })).replace('"ex:reading":1', '"ex:reading":1e400');
    expect(refused(text)).toEqual({
      code: 'INPUT_NUMBER_INVALID',
      message: '$.epcisBody.eventList[0].ex:reading is not a finite number (it overflows a double)',
    });
  });
});

describe('sizes checked before the expensive work', () => {
  it(`an identifier longer than ${inputLimits.maxIdentifierChars} characters`, () => {
    const long = `urn:example:unit:${'x'.repeat(20_000)}`;
    const reason = refused(json(event({ epcList: [long] })));
    expect(reason.code).toBe('IDENTIFIER_TOO_LONG');
    expect(reason.message).toMatch(
      /epcList\[0\] is 20017 characters long; identifiers may have at most 2000/,
    );
    expect(refused(json(event({ readPoint: { id: long } }))).message).toMatch(/readPoint\.id/);
    expect(refused(json(event({ eventID: long }))).message).toMatch(/eventID/);
  });

  it('one event with 100,000 EPCs: refused while reading, before any EPC is parsed', () => {
    const epcs = Array.from({ length: 100_000 }, (_, i) => `urn:epc:id:sgtin:4012345.011111.${i}`);
    const reason = refused(json(event({ epcList: epcs })));
    expect(reason.code).toBe('INPUT_TOO_LARGE');
    expect(reason.message).toMatch(/epcList lists 100000 items; at most 10000/);
    const xmlEpcs = epcs.map((e) => `<epc>${e}</epc>`).join('');
    const inXml = xml('').replace(/<epcList>.*<\/epcList>/, `<epcList>${xmlEpcs}</epcList>`);
    expect(refused(inXml)).toMatchObject({ code: 'INPUT_TOO_LARGE' });
  });

  it('EPCs spread over several lists of one event count together', () => {
    const epcs = (n: number, p: string) =>
      Array.from({ length: n }, (_, i) => `urn:epc:id:sgtin:4012345.011111.${p}${i}`);
    const e = { ...event({ epcList: epcs(6_000, 'a') }), type: 'ObjectEvent' };
    const transformation = {
      type: 'TransformationEvent',
      eventTime: '2025-06-01T10:00:00Z',
      eventTimeZoneOffset: '+00:00',
      inputEPCList: epcs(6_000, 'i'),
      outputEPCList: epcs(6_000, 'o'),
    };
    expect(() => parseDocument(json(e))).not.toThrow();
    expect(refused(json(transformation))).toMatchObject({ code: 'INPUT_TOO_LARGE' });
  });

  it('5,000 nested objects in a JSON user extension: refused before parsing (no stack overflow)', () => {
    const deep = '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000);
    const text = json(event({ 'ex:deep': 0 })).replace('"ex:deep":0', `"ex:deep":${deep}`);
    const reason = refused(text);
    expect(reason.code).toBe('INPUT_TOO_DEEP');
    expect(reason.message).toMatch(/more than 64 levels/);
  });

  it('50,000 nested XML elements: refused before the XML parser runs', () => {
    const deep = '<ex:d>'.repeat(50_000) + '</ex:d>'.repeat(50_000);
    expect(refused(xml(deep))).toMatchObject({ code: 'INPUT_TOO_DEEP' });
  });

  it('the depth scanners skip strings, comments, CDATA and quoted attributes', () => {
    expect(() => checkJsonDepth('{"a":"[[[[[[{{{{","b":[1]}', 2)).not.toThrow();
    expect(() => checkJsonDepth('[[[1]]]', 2)).toThrow(/more than 2 levels/);
    expect(() =>
      checkXmlDepth('<a x="<b><c>"><!-- <d><e> --><![CDATA[<f><g>]]><?pi <h>?><i/></a>', 2),
    ).not.toThrow();
    expect(() => checkXmlDepth('<a>\n<b>\n<c/></b></a>', 1)).toThrow(/line 2/);
  });

  it('checkValue walks any depth the limit allows without recursion', () => {
    let v: unknown = 'x\u0000';
    for (let i = 0; i < 60; i++) v = { a: v };
    expect(() => checkValue(v as never)).toThrow(/contains NUL/);
  });
});

describe('source adapters’ events meet the same rules in the mapping', () => {
  it('toSerializationEvent refuses an event that never went through parseDocument', () => {
    const lineage = { topic: 't', partition: 0, offset: 0, schemaId: 0 };
    expect(() => toSerializationEvent(event({ bizStep: 'a\u0000' }) as never, { lineage })).toThrow(
      /INPUT_TEXT_INVALID: event\.bizStep contains NUL/,
    );
    expect(() =>
      toSerializationEvent(event({ eventTime: '0000-01-01T00:00:00Z' }) as never, { lineage }),
    ).toThrow(/TIME_INVALID/);
  });
});
