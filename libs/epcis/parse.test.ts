import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError } from '../errors';
import { eventHash, parseDocument, preHash } from '.';

const examples = path.join(__dirname, '../../test/fixtures/conformance/epcis-examples');
const example = (file: string) => readFileSync(path.join(examples, file), 'utf8');

/** The InvalidInputError a document raises: its reason code and message. */
function rejection(text: string): { code: string; message: string } {
  try {
    parseDocument(text);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return { code: (err as InvalidInputError).code, message: (err as Error).message };
  }
  throw new Error('document was accepted');
}

describe('GS1 example documents', () => {
  const expected: Record<string, string[]> = {
    'Example-TransactionEvent-2020_07_03y.xml': ['TransactionEvent', 'TransactionEvent'],
    'Example-TransactionEvents-2020_07_03y.jsonld': ['TransactionEvent', 'TransactionEvent'],
    'Example_9.6.1-ObjectEvent-2020_06_18a.xml': ['ObjectEvent', 'ObjectEvent'],
    'Example_9.6.1-ObjectEvent.jsonld': ['ObjectEvent', 'ObjectEvent'],
    'Example_9.6.1-ObjectEventWithDigitalLink.jsonld': ['ObjectEvent', 'ObjectEvent'],
    'Example_9.6.2-ObjectEvent.jsonld': ['ObjectEvent'],
    'Example_9.6.3-AggregationEvent.jsonld': ['AggregationEvent'],
    'Example_9.6.3-AggregationEventWithDigitalLink.jsonld': ['AggregationEvent'],
    'Example_9.6.4-TransformationEvent.jsonld': ['TransformationEvent'],
  };

  it('covers every example', () => {
    expect(readdirSync(examples).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s parses', (file, types) => {
    const { events, format } = parseDocument(example(file));
    expect(format).toBe(file.endsWith('.xml') ? 'xml' : 'json');
    expect(events.map((e) => e.type)).toEqual(types);
  });

  it('reads XML user extensions with their namespace, repeated elements as lists', () => {
    const [, rail] = parseDocument(example('Example-TransactionEvent-2020_07_03y.xml')).events;
    expect(rail['@context']).toEqual([
      'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
      { rail: 'urn:gs1:epcisapp:rail:' },
    ]);
    expect(rail['rail:trainAxleCount']).toBe('12');
    expect(rail['rail:vehicle']).toHaveLength(3);
    expect(rail.bizTransactionList).toEqual([
      {
        type: 'urn:gs1:epcisapp:rail:btt:passage',
        bizTransaction: 'http://transaction.examplerail.com/passage/xyz12345',
      },
    ]);
    expect(rail.sourceList).toEqual([
      { type: 'urn:epcglobal:cbv:sdt:location', source: 'urn:epc:id:sgln:952005385.481.0' },
    ]);
  });

  it('meets the JSON-LD notation of the same events where the content is the same', () => {
    const xml = parseDocument(example('Example_9.6.1-ObjectEvent-2020_06_18a.xml')).events.map(eventHash);
    const json = parseDocument(example('Example_9.6.1-ObjectEvent.jsonld')).events.map(eventHash);
    expect(xml[0]).toBe(json[0]);
    // The second events differ for real: the XML's example namespace has no trailing slash.
    expect(xml[1]).not.toBe(json[1]);
    const railXml = parseDocument(example('Example-TransactionEvent-2020_07_03y.xml')).events.map(eventHash);
    const railJson = parseDocument(example('Example-TransactionEvents-2020_07_03y.jsonld')).events.map(
      eventHash,
    );
    expect(railXml[0]).toBe(railJson[0]);
  });
});

describe('documents a partner might send', () => {
  const epcis12 = `<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" xmlns:acme="http://acme.example.com/epcis"
    schemaVersion="1.2" creationDate="2019-03-01T10:00:00Z">
  <EPCISBody>
    <EventList>
      <ObjectEvent>
        <eventTime>2019-03-01T10:00:00.000+01:00</eventTime>
        <eventTimeZoneOffset>+01:00</eventTimeZoneOffset>
        <baseExtension>
          <eventID>urn:uuid:1b3ff0b4-6c5a-4e0e-b1a2-1a0e5f4d3c2b</eventID>
          <errorDeclaration>
            <declarationTime>2019-03-02T10:00:00Z</declarationTime>
            <reason>urn:epcglobal:cbv:er:incorrect_data</reason>
            <correctiveEventIDs><correctiveEventID>urn:uuid:0d6e8e1c-6c4b-4d0a-9b7e-2c1f0e9d8c7b</correctiveEventID></correctiveEventIDs>
          </errorDeclaration>
        </baseExtension>
        <epcList/>
        <action>ADD</action>
        <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
        <disposition>urn:epcglobal:cbv:disp:active</disposition>
        <readPoint><id>urn:epc:id:sgln:4012345.00001.0</id></readPoint>
        <extension>
          <quantityList>
            <quantityElement>
              <epcClass>urn:epc:class:lgtin:4012345.012345.LOT42</epcClass>
              <quantity>100</quantity>
              <uom>EA</uom>
            </quantityElement>
          </quantityList>
          <ilmd><acme:bestBefore>2020-03-01</acme:bestBefore></ilmd>
        </extension>
        <acme:line>L7</acme:line>
      </ObjectEvent>
      <extension>
        <TransformationEvent>
          <eventTime>2019-03-01T11:00:00.000+01:00</eventTime>
          <eventTimeZoneOffset>+01:00</eventTimeZoneOffset>
          <inputEPCList><epc>urn:epc:id:sgtin:4012345.011122.25</epc></inputEPCList>
          <outputEPCList><epc>urn:epc:id:sgtin:4012345.077889.25</epc></outputEPCList>
          <transformationID>urn:epc:id:gdti:4012345.55555.1234</transformationID>
          <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
        </TransformationEvent>
      </extension>
    </EventList>
  </EPCISBody>
</epcis:EPCISDocument>`;

  it('EPCIS 1.2 XML with extension and baseExtension wrappers', () => {
    const { events, format } = parseDocument(epcis12);
    expect(format).toBe('xml');
    expect(events.map((e) => e.type)).toEqual(['ObjectEvent', 'TransformationEvent']);
    const [object, transformation] = events;
    expect(object.eventID).toBe('urn:uuid:1b3ff0b4-6c5a-4e0e-b1a2-1a0e5f4d3c2b');
    expect(object.quantityList).toEqual([
      { epcClass: 'urn:epc:class:lgtin:4012345.012345.LOT42', quantity: 100, uom: 'EA' },
    ]);
    expect(object.ilmd).toEqual({ 'acme:bestBefore': '2020-03-01' });
    expect(object['acme:line']).toBe('L7');
    expect(object.errorDeclaration).toEqual({
      declarationTime: '2019-03-02T10:00:00Z',
      reason: 'urn:epcglobal:cbv:er:incorrect_data',
      correctiveEventIDs: ['urn:uuid:0d6e8e1c-6c4b-4d0a-9b7e-2c1f0e9d8c7b'],
    });
    expect(transformation.inputEPCList).toEqual(['urn:epc:id:sgtin:4012345.011122.25']);
    // The error declaration, eventID and an empty epcList do not change the hash.
    expect(preHash(object)).toBe(
      'eventType=ObjectEventeventTime=2019-03-01T09:00:00.000ZeventTimeZoneOffset=+01:00' +
        'quantityListquantityElementepcClass=https://id.gs1.org/01/04012345123456/10/LOT42quantity=100uom=EA' +
        'action=ADDbizStep=https://ref.gs1.org/cbv/BizStep-commissioningdisposition=https://ref.gs1.org/cbv/Disp-active' +
        'readPointid=https://id.gs1.org/414/4012345000016' +
        'ilmd{http://acme.example.com/epcis}bestBefore=2020-03-01{http://acme.example.com/epcis}line=L7',
    );
  });

  it('a bare event, with its own context', () => {
    const { events } = parseDocument(
      JSON.stringify({
        '@context': [
          'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
          { ex: 'https://ex.example/' },
        ],
        type: 'AssociationEvent',
        eventTime: '2024-01-01T00:00:00Z',
        eventTimeZoneOffset: '+00:00',
        parentID: 'urn:epc:id:grai:4012345.55555.987',
        childEPCs: ['urn:epc:id:giai:4000001.12345'],
        action: 'ADD',
        'ex:note': 'sensor fitted',
      }),
    );
    expect(events).toHaveLength(1);
    expect(preHash(events[0])).toBe(
      'eventType=AssociationEventeventTime=2024-01-01T00:00:00.000ZeventTimeZoneOffset=+00:00' +
        'parentID=https://id.gs1.org/8003/04012345555554987childEPCsepc=https://id.gs1.org/8004/400000112345' +
        'action=ADD{https://ex.example/}note=sensor fitted',
    );
  });

  it('an EPCIS query document (JSON) and a list of bare events', () => {
    const event = {
      type: 'ObjectEvent',
      eventTime: '2024-01-01T00:00:00Z',
      eventTimeZoneOffset: '+00:00',
      action: 'OBSERVE',
      epcList: ['urn:epc:id:sscc:4012345.0000000333'],
    };
    const query = parseDocument(
      JSON.stringify({
        type: 'EPCISQueryDocument',
        epcisBody: { queryResults: { resultsBody: { eventList: [event] } } },
      }),
    );
    expect(query.events).toHaveLength(1);
    expect(parseDocument(JSON.stringify([event, event])).events).toHaveLength(2);
  });

  it('an XML query document, namespaces declared on the event, a default EPCIS namespace', () => {
    const xml = `\ufeff<?xml version="1.0"?>
<EPCISQueryDocument xmlns="urn:epcglobal:epcis-query:xsd:2">
  <EPCISBody><QueryResults><queryName>SimpleEventQuery</queryName><resultsBody><EventList>
    <AggregationEvent xmlns:x="https://x.example/ns/">
      <eventTime>2024-01-01T00:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
      <parentID>urn:epc:id:sscc:4012345.0000000333</parentID>
      <childEPCs><epc>urn:epc:id:sgtin:4012345.011111.1</epc><epc>urn:epc:id:sgtin:4012345.011111.2</epc></childEPCs>
      <action>ADD</action>
      <x:crate id="7"/>
    </AggregationEvent>
  </EventList></resultsBody></QueryResults></EPCISBody>
</EPCISQueryDocument>`;
    const [event] = parseDocument(xml).events;
    expect(event.childEPCs).toEqual([
      'urn:epc:id:sgtin:4012345.011111.1',
      'urn:epc:id:sgtin:4012345.011111.2',
    ]);
    expect(event['x:crate']).toEqual({ id: '7' });
    expect(preHash(event)).toContain('{https://x.example/ns/}crateid=7');
  });

  it('sensor data in XML: attributes become numbers and booleans as in JSON-LD', () => {
    const xml = `<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:gs1="https://gs1.org/voc/">
  <EPCISBody><EventList><ObjectEvent>
    <eventTime>2024-01-01T00:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
    <epcList><epc>urn:epc:id:sgtin:4012345.011111.1</epc></epcList><action>OBSERVE</action>
    <sensorElementList><sensorElement>
      <sensorMetadata time="2024-01-01T00:00:00Z" deviceID="urn:epc:id:giai:4000001.111"/>
      <sensorReport type="gs1:Temperature" value="4.0" uom="CEL"/>
      <sensorReport type="gs1:Count" booleanValue="true"/>
    </sensorElement></sensorElementList>
    <persistentDisposition><set>urn:epcglobal:cbv:disp:recalled</set></persistentDisposition>
  </ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>`;
    const [event] = parseDocument(xml).events;
    expect(event.sensorElementList).toEqual([
      {
        sensorMetadata: { time: '2024-01-01T00:00:00Z', deviceID: 'urn:epc:id:giai:4000001.111' },
        sensorReport: [
          { type: 'gs1:Temperature', value: 4, uom: 'CEL' },
          { type: 'gs1:Count', booleanValue: true },
        ],
      },
    ]);
    expect(event.persistentDisposition).toEqual({ set: ['urn:epcglobal:cbv:disp:recalled'] });
    const json = { ...event, persistentDisposition: { set: ['recalled'] } };
    expect(preHash(json)).toBe(preHash(event));
  });
});

describe('what is wrong, and where', () => {
  it('JSON that does not parse: line and column', () => {
    const { code, message } = rejection(
      '{\n  "type": "EPCISDocument",\n  "epcisBody": { "eventList": [ }\n}',
    );
    expect(code).toBe('EPCIS_MALFORMED');
    expect(message).toMatch(/JSON is not well-formed at line 3, column \d+/);
  });

  it('XML that is not well-formed: line and column', () => {
    const { code, message } = rejection(
      '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2">\n<EPCISBody>\n</epcis:EPCISDocument>',
    );
    expect(code).toBe('EPCIS_MALFORMED');
    expect(message).toMatch(/XML is not well-formed at line 3/);
  });

  it('neither JSON nor XML, or empty', () => {
    expect(rejection('hello').message).toMatch(/not an EPCIS document/);
    expect(rejection('  ').message).toMatch(/empty/);
  });

  it('an unknown event type: JSON path', () => {
    const doc = {
      type: 'EPCISDocument',
      epcisBody: { eventList: [{ type: 'QuantityEvent', eventTime: '2024-01-01T00:00:00Z' }] },
    };
    const { code, message } = rejection(JSON.stringify(doc));
    expect(code).toBe('EPCIS_UNSUPPORTED_TYPE');
    expect(message).toContain('$.epcisBody.eventList[0].type: "QuantityEvent"');
  });

  it('an unknown event type: XML line', () => {
    const xml =
      '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1">\n<EPCISBody>\n<EventList>\n\n<QuantityEvent/>\n</EventList></EPCISBody></epcis:EPCISDocument>';
    const { code, message } = rejection(xml);
    expect(code).toBe('EPCIS_UNSUPPORTED_TYPE');
    expect(message).toContain('event #1 at line 5: <QuantityEvent>');
  });

  it('a missing or bad field: JSON path / XML line', () => {
    const doc = {
      type: 'EPCISDocument',
      epcisBody: { eventList: [{ type: 'ObjectEvent', action: 'OBSERVE', eventTime: 'yesterday' }] },
    };
    expect(rejection(JSON.stringify(doc)).message).toBe(
      'EPCIS_MALFORMED: $.epcisBody.eventList[0].eventTime "yesterday" is not an ISO 8601 date-time',
    );
    const xml =
      '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"><EPCISBody><EventList>\n<ObjectEvent>\n<eventTime>2024-01-01T00:00:00Z</eventTime></ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>';
    expect(rejection(xml).message).toBe(
      'EPCIS_MALFORMED: action of <ObjectEvent> #1 at line 2 is required on ObjectEvent',
    );
    const noList = { type: 'EPCISDocument', epcisBody: {} };
    expect(rejection(JSON.stringify(noList)).message).toMatch(/\$\.epcisBody has no eventList/);
    const badEpc = { ...doc.epcisBody.eventList[0], eventTime: '2024-01-01T00:00:00Z', epcList: ['ok', 7] };
    expect(rejection(JSON.stringify(badEpc)).message).toContain('$.epcList[1] must be an identifier');
  });

  it('a document of another kind, and XML with a DOCTYPE', () => {
    expect(rejection('{"type":"Invoice"}').code).toBe('EPCIS_UNSUPPORTED_TYPE');
    expect(rejection('<html><body/></html>').message).toContain('root element <html> at line 1');
    expect(rejection('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>').message).toContain('DOCTYPE');
  });
});
