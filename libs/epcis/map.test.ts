import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError } from '../errors';
import type { SerializationEvent } from '../events';
import { eventHash, parseDocument, toSerializationEvent } from '.';
import type { EpcisEvent } from '.';

const conformance = path.join(__dirname, '../../test/fixtures/conformance');
const lineage = { topic: 'ut.raw.epcis.v1', partition: 0, offset: 42, schemaId: 1 };
const mapAll = (file: string): SerializationEvent[] =>
  parseDocument(readFileSync(path.join(conformance, file), 'utf8')).events.map((e) =>
    toSerializationEvent(e, { lineage }),
  );

describe('every conformance document maps to canonical events', () => {
  const files = [
    ...readdirSync(path.join(conformance, 'epcis-examples')).map((f) => `epcis-examples/${f}`),
    ...readdirSync(path.join(conformance, 'epcis-hash'))
      .filter((f) => /\.(jsonld|xml)$/.test(f))
      .map((f) => `epcis-hash/${f}`),
  ];
  it.each(files)('%s', (file) => {
    const mapped = mapAll(file);
    expect(mapped.length).toBeGreaterThan(0);
    for (const e of mapped) {
      expect(e.eventId).toMatch(/^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/);
      expect(e.sourceSystem).toBe('EPCIS');
      expect(e.lineage).toEqual(lineage);
      expect(Number.isInteger(e.eventTime)).toBe(true);
      expect(e.eventTimeZoneOffset).toMatch(/^[+-]\d{2}:\d{2}$/);
      for (const id of [...e.epcList, ...e.childEpcs, ...e.inputEpcList, ...e.outputEpcList]) {
        expect(id.uri).toMatch(/^https:\/\/id\.gs1\.org\//);
      }
    }
  });
});

describe('toSerializationEvent', () => {
  it('maps the example ObjectEvent field by field', () => {
    const [first, second] = mapAll('epcis-examples/Example_9.6.1-ObjectEvent.jsonld');
    const [event] = parseDocument(
      readFileSync(path.join(conformance, 'epcis-examples/Example_9.6.1-ObjectEvent.jsonld'), 'utf8'),
    ).events;
    expect(first).toEqual({
      eventId: eventHash(event),
      sourceEventId:
        'ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0',
      eventType: 'ObjectEvent',
      action: 'OBSERVE',
      epcList: [
        {
          uri: 'https://id.gs1.org/01/10614141073464/21/2017',
          scheme: 'sgtin',
          gtin: '10614141073464',
          serial: '2017',
          lot: null,
          sscc: null,
          original: 'urn:epc:id:sgtin:0614141.107346.2017',
        },
        {
          uri: 'https://id.gs1.org/01/10614141073464/21/2018',
          scheme: 'sgtin',
          gtin: '10614141073464',
          serial: '2018',
          lot: null,
          sscc: null,
          original: 'urn:epc:id:sgtin:0614141.107346.2018',
        },
      ],
      parentId: null,
      childEpcs: [],
      inputEpcList: [],
      outputEpcList: [],
      quantityList: [],
      eventTime: Date.UTC(2005, 3, 4, 2, 33, 31, 116),
      eventTimeZoneOffset: '-06:00',
      recordTime: null,
      sourceTimestamp: '2005-04-03T20:33:31.116000-06:00',
      readPoint: 'https://id.gs1.org/414/0614141073467/254/1234',
      bizLocation: null,
      bizStep: 'shipping',
      disposition: 'in_transit',
      sourceList: [],
      destinationList: [],
      bizTransactionList: [{ type: 'po', id: 'http://transaction.acme.com/po/12345678' }],
      sourceSystem: 'EPCIS',
      operatorId: null,
      machineId: null,
      geo: null,
      sensorElements: null,
      extensions: null,
      enrichment: null,
      lineage,
    });
    expect(JSON.parse(second.extensions ?? 'null')).toEqual({
      '@context': { example: 'http://ns.example.com/epcis/' },
      'example:myField': 'Example of a vendor/user extension',
    });
  });

  it('keeps CBV terms as bare words whatever their notation, other vocabularies as URIs', () => {
    const xml = mapAll('epcis-hash/epcisDocWithVariousEventTypes.xml');
    const json = mapAll('epcis-hash/epcisDocWithVariousEventTypes.jsonld');
    expect(xml.map((e) => e.bizStep)).toEqual(json.map((e) => e.bizStep));
    expect(xml[12].bizStep).toBe('http://epcis.example.com/user/vocab/bizstep/exampling');
    expect(xml[0].bizStep).toBe('departing');
    expect(mapAll('epcis-hash/epcisEventWithCURIEs.xml')[0]).toMatchObject({
      bizStep: 'receiving',
      disposition: 'in_progress',
      bizTransactionList: [{ type: 'desadv', id: 'urn:epcglobal:cbv:bt:4012345000009:ASN1099' }],
    });
  });

  it('the same event as XML and JSON-LD maps to the same canonical event', () => {
    const strip = (e: SerializationEvent) => ({ ...e, sourceTimestamp: null, extensions: null });
    const xml = mapAll('epcis-hash/epcisDocWithVariousEventTypes.xml').map(strip);
    const json = mapAll('epcis-hash/epcisDocWithVariousEventTypes.jsonld').map(strip);
    const originals = (e: ReturnType<typeof strip>) => ({ ...e, epcList: e.epcList.map((i) => i.uri) });
    expect(xml.map(originals)).toEqual(json.map(originals));
  });

  it('quantities with their role, locations and parties as Digital Links, ilmd kept', () => {
    const events = mapAll('epcis-hash/epcisDocWithVariousEventTypes.jsonld');
    expect(events[3].quantityList).toEqual([
      {
        role: 'epc',
        epcClass: 'https://id.gs1.org/01/04054739999148/10/20160711',
        quantity: 600,
        uom: 'KGM',
      },
    ]);
    expect(events[5].quantityList.map((q) => q.role)).toEqual(['child', 'child']);
    expect(events[11].quantityList).toContainEqual({
      role: 'input',
      epcClass: 'https://id.gs1.org/01/04012345666663',
      quantity: 220,
      uom: null,
    });
    expect(events[12].quantityList[0]).toMatchObject({ role: 'output', quantity: 9520 });
    expect(events[8].bizLocation).toBe('https://id.gs1.org/414/4012345000009');
    expect(events[0].destinationList).toEqual([
      { type: 'possessing_party', id: 'https://id.gs1.org/417/4000001987658' },
      { type: 'location', id: 'https://id.gs1.org/414/4012345000122' },
    ]);
    expect(events[4].parentId?.sscc).toBe('040470231111111229');
    expect(JSON.parse(events[10].extensions ?? '{}')).toEqual({
      '@context': { example: 'https://ns.example.com/epcis/' },
      transformationID: 'urn:epc:id:gdti:4012345.55555.1234',
      ilmd: { 'example:bestBeforeDate': '2020-11-10', 'example:batch': '4711' },
    });
    expect(events[10].action).toBeNull();
  });

  it('a readPoint with more than its id is kept whole in extensions, with user extensions', () => {
    const [e] = mapAll('epcis-hash/ReferenceEventHashAlgorithm3.xml');
    expect(e.readPoint).toBe('https://id.gs1.org/414/4012345000115');
    expect(JSON.parse(e.extensions ?? '{}')).toEqual({
      '@context': { example: 'https://ns.example.com/epcis/' },
      readPoint: { id: 'urn:epc:id:sgln:4012345.00011.0', 'example:myField1': 'AB-12' },
      'example:userExt': 'CD-34',
    });
  });

  it('sensor data whole, geo read points as positions', () => {
    const [sensor] = mapAll('epcis-hash/ReferenceEventHashAlgorithm2.jsonld');
    expect(JSON.parse(sensor.sensorElements ?? '[]')[0].sensorReport).toHaveLength(4);
    const [, transport] = mapAll('epcis-hash/epcisDocWithShippingAndTransportingEvent.jsonld');
    expect(transport.geo).toEqual({ latitude: 47.506694, longitude: 11.104301 });
    expect(transport.readPoint).toBe('geo:47.506694,11.104301');
  });

  it('eventId is the hash even when the document carries its own eventID', () => {
    const [e] = mapAll('epcis-examples/Example_9.6.2-ObjectEvent.jsonld');
    expect(e.sourceEventId).toMatch(/^ni:/);
    expect(e.eventId).not.toBe(e.sourceEventId);
  });

  it('a broken GS1 key names the field', () => {
    const event: EpcisEvent = {
      type: 'ObjectEvent',
      eventTime: '2024-01-01T00:00:00Z',
      eventTimeZoneOffset: '+00:00',
      action: 'OBSERVE',
      epcList: ['urn:epc:id:sgtin:4012345.011111.1', 'https://id.gs1.org/01/04012345111119/21/1'],
    };
    expect(() => toSerializationEvent(event, { lineage })).toThrow(InvalidInputError);
    expect(() => toSerializationEvent(event, { lineage })).toThrow(/epcList\[1\]: .*check digit/i);
  });

  it('checks events that did not come through parseDocument', () => {
    const event = { type: 'ObjectEvent', eventTime: '2024-01-01T00:00:00Z' } as EpcisEvent;
    expect(() => toSerializationEvent(event, { lineage })).toThrow('event.action is required on ObjectEvent');
  });
});
