import fs from 'node:fs';
import path from 'node:path';
import { eventHash, parseDocument } from '../../libs/epcis';
import { InvalidInputError } from '../../libs/errors';
import { normalize } from '../../libs/sources';
import { topics } from '../../libs/topics';
import { checkDocument } from './document';

const conformance = path.join(__dirname, '../../test/fixtures/conformance');
const documents = ['epcis-examples', 'epcis-hash'].flatMap((dir) =>
  fs
    .readdirSync(path.join(conformance, dir))
    .filter((f) => /\.(jsonld|xml)$/.test(f))
    .map((f) => path.join(conformance, dir, f)),
);

const now = Date.parse('2026-01-01T00:00:00Z');
const anyAge = {
  rules: { now, clockSkewMs: 300_000, horizonMs: 100 * 365 * 86_400_000, ownSources: ['MES', 'WMS', 'TMS'] },
};
// With EPCIS counted among our own sources, the ten-year horizon applies to partner documents too.
const tenYears = {
  rules: { now, clockSkewMs: 300_000, horizonMs: 3650 * 86_400_000, ownSources: ['EPCIS'] },
};
const lineage = { topic: topics.rawEpcis.name, partition: 0, offset: 0, schemaId: 1 };

const ctx = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';
const objectEvent = (serial: string, extra: Record<string, unknown> = {}) => ({
  type: 'ObjectEvent',
  eventTime: '2025-06-01T10:00:00.000+02:00',
  eventTimeZoneOffset: '+02:00',
  epcList: [`urn:epc:id:sgtin:4012345.011111.${serial}`],
  action: 'OBSERVE',
  bizStep: 'shipping',
  ...extra,
});
const jsonDocument = (events: unknown[], context: unknown = ctx) =>
  JSON.stringify({
    '@context': context,
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2025-06-01T10:00:00Z',
    epcisBody: { eventList: events },
  });

describe('checkDocument on the conformance documents', () => {
  it.each(documents.map((f) => [path.basename(f), f]))(
    '%s: accepts every event, with its hash',
    (_n, file) => {
      const text = fs.readFileSync(file, 'utf8');
      const doc = checkDocument(text, anyAge);
      expect(doc.rejected).toEqual([]);
      expect(doc.accepted.map((e) => e.eventId)).toEqual(parseDocument(text).events.map(eventHash));
    },
  );

  it.each(documents.map((f) => [path.basename(f), f]))(
    '%s: the envelope maps in the validator to the same event, extensions and all',
    (_n, file) => {
      const text = fs.readFileSync(file, 'utf8');
      const doc = checkDocument(text, anyAge);
      for (const e of doc.accepted) {
        const envelope = {
          captureId: 'c',
          eventIndex: e.index,
          documentFormat: doc.format,
          event: e.json,
          namespaces: doc.namespaces,
          receivedAt: 0,
          producer: 'p',
        };
        const mapped = normalize(topics.rawEpcis.name, envelope, lineage);
        expect(mapped.eventId).toBe(e.eventId);
        const inDocument = parseDocument(text).events[e.index]!;
        expect(mapped.extensions).toBe(
          normalize(topics.rawEpcis.name, { ...envelope, event: JSON.stringify(inDocument) }, lineage)
            .extensions,
        );
      }
    },
  );

  it('applies the validator rules: events older than the horizon are listed, not accepted', () => {
    const text = fs.readFileSync(
      path.join(conformance, 'epcis-examples/Example_9.6.2-ObjectEvent.jsonld'),
      'utf8',
    );
    const doc = checkDocument(text, tenYears);
    expect(doc.accepted).toEqual([]);
    expect(doc.rejected).toEqual([
      expect.objectContaining({
        index: 0,
        where: '$.epcisBody.eventList[0]',
        reasons: [expect.objectContaining({ code: 'TIME_TOO_OLD' })],
      }),
    ]);
  });
});

describe('checkDocument, event by event', () => {
  it('takes the good events of a document and lists the bad one with its path and reasons', () => {
    const doc = checkDocument(
      jsonDocument([
        objectEvent('1'),
        objectEvent('2'),
        objectEvent('3', { epcList: ['urn:epc:id:sgtin:4012345.011111'] }),
        objectEvent('4'),
      ]),
      anyAge,
    );
    expect(doc.accepted.map((e) => e.index)).toEqual([0, 1, 3]);
    expect(doc.rejected).toHaveLength(1);
    expect(doc.rejected[0]).toMatchObject({ index: 2, where: '$.epcisBody.eventList[2]' });
    expect(doc.rejected[0]!.reasons[0]!.message).toMatch(/epcList\[0\]/);
  });

  it('refuses a document that GS1s JSON Schema refuses, naming the path and the reason', () => {
    const refusal = (events: unknown[]) => {
      try {
        checkDocument(jsonDocument(events), anyAge);
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidInputError);
        return (err as InvalidInputError).reasons[0]!;
      }
      throw new Error('document was accepted');
    };
    expect(refusal([objectEvent('1'), objectEvent('2', { eventTime: 'yesterday' })])).toEqual({
      code: 'SCHEMA_VIOLATION',
      message: '$.epcisBody.eventList[1].eventTime must match format "date-time" (GS1 EPCIS 2.0 JSON Schema)',
    });
    expect(refusal([{ type: 'PartyEvent' }]).message).toMatch(/^\$\.epcisBody\.eventList\[0\]/);
    expect(refusal([objectEvent('1', { action: undefined })]).message).toBe(
      "$.epcisBody.eventList[0] must have required property 'action' (GS1 EPCIS 2.0 JSON Schema)",
    );
    expect(refusal([7]).code).toBe('SCHEMA_VIOLATION');
  });

  it('keeps the document context in each accepted event when another is listed, so the hash does not change', () => {
    const ext = { '@context': [ctx, { ex: 'https://example.com/ns/' }] };
    const good = objectEvent('9', { 'ex:temperature': '4' });
    const whole = checkDocument(jsonDocument([good], ext['@context']), anyAge);
    const bad = objectEvent('8', { epcList: ['urn:epc:id:sgtin:4012345.011111'] });
    const split = checkDocument(jsonDocument([good, bad], ext['@context']), anyAge);
    expect(split.rejected.map((r) => r.index)).toEqual([1]);
    expect(split.accepted[0]!.eventId).toBe(whole.accepted[0]!.eventId);
    expect(JSON.parse(split.accepted[0]!.json)['@context']).toEqual(
      JSON.parse(whole.accepted[0]!.json)['@context'],
    );
    expect(whole.namespaces).toEqual({ ex: 'https://example.com/ns/' });
  });

  it('names the line of a rejected XML event', () => {
    const event = (serial: string, action: string) => `
    <ObjectEvent>
      <eventTime>2025-06-01T10:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
      <epcList><epc>urn:epc:id:sgtin:4012345.011111.${serial}</epc></epcList><action>${action}</action>
    </ObjectEvent>`;
    const xml = `<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0">
  <EPCISBody><EventList>${event('1', 'OBSERVE')}${event('2', 'LOOK')}
  </EventList></EPCISBody>
</epcis:EPCISDocument>`;
    const doc = checkDocument(xml, anyAge);
    expect(doc.format).toBe('xml');
    expect(doc.accepted.map((e) => e.index)).toEqual([0]);
    expect(doc.rejected).toEqual([
      expect.objectContaining({
        index: 1,
        where: '<ObjectEvent> #2 at line 7',
        reasons: [expect.objectContaining({ code: 'EPCIS_MALFORMED' })],
      }),
    ]);
    expect(doc.rejected[0]!.reasons[0]!.message).toMatch(/action of <ObjectEvent> #2 at line 7/);
  });

  it('refuses a document whose events cannot be found, naming the place', () => {
    const expectInvalid = (text: string, message: RegExp) => {
      let err: unknown;
      try {
        checkDocument(text, anyAge);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as Error).message).toMatch(message);
    };
    expectInvalid('{"type": "EPCISDocument",\n "epcisBody": {"eventList": [}\n}', /line 2/);
    expectInvalid(
      '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2">\n<EPCISBody>\n</epcis:EPCISDocument>',
      /line \d/,
    );
    expectInvalid('{"type": "EPCISDocument"}', /required property/);
    expectInvalid('hello', /not an EPCIS document/);
  });

  it('takes a document with no events: nothing to capture, nothing lost', () => {
    expect(checkDocument(jsonDocument([]), anyAge)).toMatchObject({
      eventCount: 0,
      accepted: [],
      rejected: [],
    });
  });
});
