import { route } from './handler';
import type { Recall } from '../../libs/recalls';
import type { InputRecord } from '../../libs/runtime';
import type { Identifier, SerializationEvent } from '../../libs/events';
import { topics } from '../../libs/topics';

const unit = (serial: string, lot: string | null): Identifier => ({
  uri: `https://id.gs1.org/01/04012345100019/21/${serial}`,
  scheme: 'sgtin',
  gtin: '04012345100019',
  serial,
  lot,
  sscc: null,
  original: null,
});
const record = (e: Partial<SerializationEvent>): InputRecord<SerializationEvent> => ({
  topic: topics.enriched.name,
  partition: 0,
  offset: '7',
  key: Buffer.from('k'),
  headers: {},
  schemaId: 1,
  raw: null,
  value: {
    eventType: 'ObjectEvent',
    action: 'OBSERVE',
    epcList: [unit('001', 'L1')],
    childEpcs: [],
    inputEpcList: [],
    outputEpcList: [],
    parentId: null,
    eventTime: 1000,
    machineId: 'm1',
    disposition: 'in_transit',
    ...e,
  } as SerializationEvent,
});
const recall = (over: Partial<Recall> = {}): Recall => ({
  recallId: 'R1',
  status: 'active',
  reason: 'test',
  gtin: '04012345100019',
  lots: ['L1'],
  serials: [],
  fromTime: null,
  toTime: null,
  deviceId: null,
  declaredAt: 0,
  closedAt: null,
  declaredBy: null,
  ...over,
});

describe('router', () => {
  it('sends an event outside every recall to the journey topic', () => {
    const out = route(record({}), []);
    expect(out).toEqual([expect.objectContaining({ kind: 'produce', topic: topics.journey.name })]);
  });
  it('sends an event in a recalled lot to the surge topic with the recall id', () => {
    const out = route(record({}), [recall()]);
    expect(out).toEqual([
      expect.objectContaining({ topic: topics.journeySurge.name, headers: { 'ut-recall-id': 'R1' } }),
    ]);
  });
  it('leaves other lots, closed recalls, other devices and other time windows alone', () => {
    expect(route(record({ epcList: [unit('001', 'L2')] }), [recall()])[0]).toMatchObject({
      topic: topics.journey.name,
    });
    expect(route(record({}), [recall({ status: 'closed' })])[0]).toMatchObject({
      topic: topics.journey.name,
    });
    expect(route(record({}), [recall({ deviceId: 'other' })])[0]).toMatchObject({
      topic: topics.journey.name,
    });
    expect(route(record({}), [recall({ fromTime: 2000 })])[0]).toMatchObject({ topic: topics.journey.name });
  });
  it('matches an explicit serial list', () => {
    expect(route(record({}), [recall({ lots: [], serials: ['001'] })])[0]).toMatchObject({
      topic: topics.journeySurge.name,
    });
    expect(route(record({}), [recall({ lots: [], serials: ['002'] })])[0]).toMatchObject({
      topic: topics.journey.name,
    });
  });
  it('also sends damaged goods to the exceptions topic', () => {
    const out = route(record({ disposition: 'damaged' }), []);
    expect(out.map((o) => (o.kind === 'produce' ? o.topic : o.kind))).toEqual([
      topics.journey.name,
      topics.exceptions.name,
    ]);
  });
});
