import { avroType } from '../avro';
import { eventKey, surgeKey, touchedIdentifiers, type SerializationEvent } from '.';

const id = (uri: string, over = {}) => ({
  uri,
  scheme: 'sgtin',
  gtin: '04012345100019',
  serial: '1',
  lot: 'L1',
  sscc: null,
  original: null,
  ...over,
});

export const fullEvent: SerializationEvent = {
  eventId: 'ni:///sha-256;' + 'b'.repeat(64) + '?ver=CBV2.0',
  sourceEventId: 'mes:42',
  eventType: 'AggregationEvent',
  action: 'ADD',
  epcList: [],
  parentId: id('https://id.gs1.org/00/140123450000000017', {
    scheme: 'sscc',
    gtin: null,
    serial: null,
    lot: null,
    sscc: '140123450000000017',
  }),
  childEpcs: [id('https://id.gs1.org/01/04012345100019/21/1')],
  inputEpcList: [],
  outputEpcList: [],
  quantityList: [
    { role: 'child', epcClass: 'https://id.gs1.org/01/04012345100019/10/L1', quantity: 2.5, uom: 'KGM' },
  ],
  eventTime: Date.UTC(2026, 0, 5, 6),
  eventTimeZoneOffset: '+01:00',
  recordTime: null,
  sourceTimestamp: '1767596400000 Europe/Berlin',
  readPoint: 'https://id.gs1.org/414/4012345000016/254/1',
  bizLocation: 'https://id.gs1.org/414/4012345000016',
  bizStep: 'packing',
  disposition: 'in_progress',
  sourceList: [],
  destinationList: [{ type: 'location', id: 'https://id.gs1.org/414/4012345000023' }],
  bizTransactionList: [{ type: 'po', id: 'urn:x:1' }],
  sourceSystem: 'MES',
  operatorId: 'op-1',
  machineId: 'line-1-printer',
  geo: { latitude: 52.5, longitude: 13.4 },
  sensorElements: null,
  extensions: '{"ilmd":{}}',
  enrichment: {
    productName: 'Widget',
    siteName: 'Plant',
    siteCountry: 'DE',
    deviceName: null,
    operatorName: null,
  },
  lineage: { topic: 'ut.raw.mes.v1', partition: 1, offset: 99, schemaId: 4 },
};

describe('canonical event', () => {
  it('round-trips every field through avro/serialization-event.avsc', () => {
    const type = avroType('serialization-event');
    expect(type.isValid(fullEvent)).toBe(true);
    expect({ ...type.fromBuffer(type.toBuffer(fullEvent)) }).toEqual(fullEvent);
  });
  it('lists every identifier with its role', () => {
    expect(touchedIdentifiers(fullEvent).map((t) => t.role)).toEqual(['parent', 'child']);
  });
  it('keys an event by its container or first unit, so one unit stays in order', () => {
    expect(eventKey(fullEvent)).toBe('https://id.gs1.org/00/140123450000000017');
  });
  it('keys an event on the surge by its first unit, so a pack goes where its units were commissioned', () => {
    const unit = fullEvent.childEpcs[0]!;
    const commission: SerializationEvent = {
      ...fullEvent,
      eventType: 'ObjectEvent',
      parentId: null,
      childEpcs: [],
      epcList: [unit],
    };
    expect(surgeKey(fullEvent)).toBe(unit.uri);
    expect(surgeKey(commission)).toBe(surgeKey(fullEvent));
    // a container's own event (DELETE of every child, a shipment) goes by the container
    expect(surgeKey({ ...fullEvent, action: 'DELETE', childEpcs: [] })).toBe(fullEvent.parentId!.uri);
  });
});
