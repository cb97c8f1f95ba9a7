import { route } from './handler';
import {
  createScopeMemory,
  indexRecalls,
  RECALL_BIZ_TRANSACTION_TYPE,
  type Recall,
  withDefaults,
} from '../../libs/recalls';
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
const recall = (over: Partial<Recall> = {}): Recall =>
  withDefaults({ recallId: 'R1', reason: 'test', gtin: '04012345100019', lots: ['L1'], ...over });

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
  it('keys a surge record by its first unit and a journey record as it came', () => {
    const caseId: Identifier = {
      ...unit('x', null),
      uri: 'https://id.gs1.org/00/340123450000000011',
      scheme: 'sscc',
    };
    const pack = record({
      eventType: 'AggregationEvent',
      action: 'ADD',
      epcList: [],
      parentId: caseId,
      childEpcs: [unit('001', 'L1')],
    });
    expect(route(pack, [recall()])[0]).toMatchObject({
      topic: topics.journeySurge.name,
      key: unit('001', 'L1').uri,
    });
    expect(route(pack, [])[0]).toMatchObject({ topic: topics.journey.name, key: 'k' });
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

  describe('containers of units in scope', () => {
    const sscc = (ref: string) => ({
      uri: `https://id.gs1.org/00/${ref}`,
      scheme: 'sscc',
      gtin: null,
      serial: null,
      lot: null,
      sscc: ref,
      original: null,
    });
    const caseId = sscc('240123450000000011');
    const palletId = sscc('140123450000000004');
    const pack = record({
      eventType: 'AggregationEvent',
      action: 'ADD',
      epcList: [],
      parentId: caseId,
      childEpcs: [unit('001', 'L1'), unit('002', 'L1')],
    });
    const palletize = record({
      eventType: 'AggregationEvent',
      action: 'ADD',
      epcList: [],
      parentId: palletId,
      childEpcs: [caseId],
      machineId: 'scanner',
    });
    const ship = record({ epcList: [palletId], bizStep: 'shipping', machineId: 'scanner' });
    const topicOf = (out: ReturnType<typeof route>) => (out[0]!.kind === 'produce' ? out[0]!.topic : null);

    it('routes the events of a container named in the recall record to surge', () => {
      const ctx = { recalls: indexRecalls([recall({ containers: [palletId.uri] })]) };
      expect(route(ship, ctx)[0]).toMatchObject({
        topic: topics.journeySurge.name,
        headers: { 'ut-recall-id': 'R1' },
      });
    });
    it('learns a case packed with recalled units and the pallet built from it', () => {
      const ctx = { recalls: indexRecalls([recall()]), memory: createScopeMemory() };
      expect(topicOf(route(pack, ctx))).toBe(topics.journeySurge.name);
      expect(topicOf(route(palletize, ctx))).toBe(topics.journeySurge.name);
      expect(topicOf(route(ship, ctx))).toBe(topics.journeySurge.name);
      expect([...ctx.memory.inScope].filter(([uri]) => uri.includes('/00/'))).toEqual([
        [caseId.uri, 'R1'],
        [palletId.uri, 'R1'],
      ]);
    });
    it('learns the units of a declared scope, so a later event naming one without its lot is in scope', () => {
      const ctx = { recalls: indexRecalls([recall()]), memory: createScopeMemory() };
      route(record({}), ctx);
      const partnerScan = record({ epcList: [unit('001', null)], machineId: 'partner-scanner' });
      expect(topicOf(route(partnerScan, ctx))).toBe(topics.journeySurge.name);
      expect(topicOf(route(record({ epcList: [unit('002', null)] }), ctx))).toBe(topics.journey.name);
    });
    it('learns the pallet even when it was built before its case was known to be in scope', () => {
      const ctx = { recalls: indexRecalls([recall()]), memory: createScopeMemory() };
      expect(topicOf(route(palletize, ctx))).toBe(topics.journey.name);
      route(pack, ctx);
      expect(topicOf(route(ship, ctx))).toBe(topics.journeySurge.name);
    });
    it('forgets nothing of another recall and learns nothing from units out of scope', () => {
      const ctx = { recalls: indexRecalls([recall({ lots: ['L9'] })]), memory: createScopeMemory() };
      route(pack, ctx);
      expect(ctx.memory.inScope.size).toBe(0);
      expect(topicOf(route(ship, ctx))).toBe(topics.journey.name);
    });
    it('keeps at most maxParents child → parent links', () => {
      const memory = createScopeMemory({ maxParents: 1 });
      route(pack, { recalls: indexRecalls([]), memory });
      expect(memory.parents.size).toBe(1);
    });
    it('puts an event naming the recall as a business transaction in its scope', () => {
      const quarantine = record({
        epcList: [unit('001', null)],
        bizStep: 'holding',
        bizTransactionList: [{ type: RECALL_BIZ_TRANSACTION_TYPE, id: 'urn:unitrail:recall:R1' }],
      });
      expect(route(quarantine, [recall()])[0]).toMatchObject({ headers: { 'ut-recall-id': 'R1' } });
      expect(route(quarantine, [recall({ status: 'closed' })])[0]).toMatchObject({
        topic: topics.journey.name,
      });
    });
  });

  describe('quarantine breaches', () => {
    const dc = 'https://id.gs1.org/414/4012345000023';
    const quarantined = recall({ quarantinedAt: 5000, quarantineSites: [] });
    const alerts = (out: ReturnType<typeof route>) =>
      out.filter((o) => o.kind === 'produce' && o.topic === topics.alerts.name);
    const moving = (over: Partial<SerializationEvent> = {}) =>
      record({ eventTime: 6000, bizStep: 'shipping', disposition: 'in_transit', bizLocation: dc, ...over });

    it('raises a quarantine_breach alert when quarantined goods move after the quarantine', () => {
      const out = alerts(route(moving(), [quarantined]));
      expect(out).toHaveLength(1);
      expect(out[0]).toMatchObject({
        key: 'R1',
        value: {
          kind: 'quarantine_breach',
          recallId: 'R1',
          severity: 'critical',
          alertId: expect.stringContaining('R1'),
        },
      });
    });
    it('stays quiet before the quarantine, for goods standing still, and for returns under the recall', () => {
      expect(alerts(route(moving({ eventTime: 4000 }), [quarantined]))).toHaveLength(0);
      expect(
        alerts(route(moving({ bizStep: 'storing', disposition: 'sellable_accessible' }), [quarantined])),
      ).toHaveLength(0);
      expect(alerts(route(moving({ disposition: 'recalled' }), [quarantined]))).toHaveLength(0);
      expect(alerts(route(moving(), [recall()]))).toHaveLength(0);
    });
    it('only watches the quarantined sites when the quarantine named some', () => {
      const atPlant = recall({ quarantinedAt: 5000, quarantineSites: ['4012345000016'] });
      expect(alerts(route(moving(), [atPlant]))).toHaveLength(0);
      const atDc = recall({ quarantinedAt: 5000, quarantineSites: ['4012345000023'] });
      expect(alerts(route(moving(), [atDc]))).toHaveLength(1);
    });
  });
});
