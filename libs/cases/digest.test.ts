import { avroType } from '../avro';
import { canonicalEvent, type SerializationEvent } from '../events';
import { identifier } from './testing';
import { ORIGIN_TS_HEADER, type InputRecord } from '../runtime';
import { topics } from '../topics';
import { effectsOf, receivedAtOf, type Effect } from './detect';
import { digestRecordsOf, MAX_DIGEST_CHARS, type JourneyDigest } from './digest';

const id = identifier;
const P = 'https://id.gs1.org/00/140123450000000006';
const C = (n: number) => `https://id.gs1.org/01/04012345000009/21/S${n}`;

let seq = 0;
const event = (partition: number, fields: Partial<SerializationEvent>): SerializationEvent =>
  canonicalEvent({
    eventId: `ni:///sha-256;e${++seq}`,
    eventType: 'ObjectEvent',
    eventTime: 1_700_000_000_000 + seq,
    sourceSystem: 'MES',
    lineage: { topic: 'ut.raw.wms.v1', partition, offset: seq, schemaId: 1 },
    ...fields,
  });

interface Item {
  origin: { topic: string; partition: number };
  record: InputRecord<unknown>;
}
const item = (e: SerializationEvent): Item => ({
  origin: { topic: e.lineage.topic, partition: e.lineage.partition },
  record: {
    topic: topics.journey.name,
    partition: 0,
    offset: String(e.lineage.offset),
    key: null,
    headers: { [ORIGIN_TS_HEADER]: String(e.eventTime + 5) },
    value: e,
  } as unknown as InputRecord<unknown>,
});
const digestsOf = (items: Item[]) =>
  digestRecordsOf(
    items,
    (i) => i.record,
    (i) => `${i.origin.topic}:${i.origin.partition}`,
  );

// What the cases stage does with a batch, as a sorted list: the same from the journey or its digest.
const sorted = (effects: Effect[]) => effects.map((e) => JSON.stringify(e)).sort();

describe('the journey digest (the fused deployment’s stand-in for ut.journey.v1 in the cases stage)', () => {
  const packed = event(0, {
    eventType: 'AggregationEvent',
    action: 'ADD',
    sourceSystem: 'WMS',
    parentId: id(P, 'sscc'),
    childEpcs: [id(C(1)), id(C(2))],
  });
  const made = [1, 2, 3].map((n) => event(n % 2, { epcList: [id(C(10 + n))] }));
  const received = event(0, {
    sourceSystem: 'WMS',
    bizStep: 'receiving',
    epcList: [id(P, 'sscc'), id(C(1), 'sgtin'), id(C(3), 'sgtin')],
    machineId: 'wms-scanner-7',
    bizLocation: 'urn:epc:id:sgln:4012345.00001.0',
    operatorId: 'op-9',
  });
  const emptied = event(1, {
    eventType: 'AggregationEvent',
    action: 'DELETE',
    parentId: id(P, 'sscc'),
    childEpcs: [],
  });
  const items = [packed, ...made, received, emptied].map(item);

  it('holds, per raw partition, the ids of events that only land and the aggregations and receivings', () => {
    const digests = digestsOf(items);
    expect(digests.map((d) => d.key)).toEqual(['ut.raw.wms.v1:0', 'ut.raw.wms.v1:1']);
    const [p0, p1] = digests.map((d) => d.value);
    expect(p0!.landed).toEqual([made[1]!.eventId]);
    expect(p0!.events.map((f) => f.eventId)).toEqual([packed.eventId, received.eventId]);
    expect(p1!.landed).toEqual([made[0]!.eventId, made[2]!.eventId]);
    expect(p1!.events.map((f) => f.eventId)).toEqual([emptied.eventId]);
    // Each goes out with the last raw record it holds.
    expect(digests.map((d) => d.last)).toEqual([items[4], items[5]]);
  });

  it('gives the cases stage the same effects as the journey records, through its Avro schema', () => {
    const contents = new Map([[P, [C(1), C(2)]]]);
    const fromJourney = items.flatMap((i) =>
      effectsOf(topics.journey.name, i.record.value, contents, i.record.headers[ORIGIN_TS_HEADER]),
    );
    const type = avroType('journey-digest');
    const fromDigest = digestsOf(items).flatMap((d) =>
      effectsOf(topics.journeyDigest.name, type.fromBuffer(type.toBuffer(d.value)), contents),
    );
    expect(sorted(fromDigest)).toEqual(sorted(fromJourney));
    // The receiving opened its case, with the broker time of its raw record.
    const open = fromDigest.find((e) => e.type === 'open');
    expect(open).toMatchObject({
      incident: {
        kind: 'MISLABELED_PALLET',
        deviceId: 'wms-scanner-7',
        operatorId: 'op-9',
        detail: {
          missing: [C(2)],
          unexpected: [C(3)],
          receivedAt: receivedAtOf(String(received.eventTime + 5)),
        },
      },
    });
  });

  it('splits a batch too big for one record, and each stays far below Kafka’s 1 MB', () => {
    const many = Array.from({ length: 3000 }, (_, n) =>
      item(
        event(0, {
          sourceSystem: 'WMS',
          bizStep: 'receiving',
          epcList: [id(P, 'sscc'), ...[1, 2, 3, 4].map((k) => id(C(n * 10 + k)))],
        }),
      ),
    );
    const digests = digestsOf(many);
    expect(digests.length).toBeGreaterThan(1);
    const type = avroType('journey-digest');
    for (const d of digests) expect(type.toBuffer(d.value).length).toBeLessThan(MAX_DIGEST_CHARS * 1.5);
    const all = digests.flatMap((d) => (d.value as JourneyDigest).events.map((f) => f.eventId));
    expect(all).toEqual(many.map((i) => (i.record.value as SerializationEvent).eventId));
  });
});
