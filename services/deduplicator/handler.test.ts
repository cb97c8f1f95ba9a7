import { claimsOf, handleClaimed } from './handler';
import type { InputRecord } from '../../libs/runtime';
import type { SerializationEvent } from '../../libs/events';
import { topics } from '../../libs/topics';

const hex = 'a'.repeat(64);
const rec = (offset: number): InputRecord<SerializationEvent> => ({
  topic: topics.validated.name,
  partition: 1,
  offset: String(offset),
  key: Buffer.from('unit-1'),
  headers: {},
  schemaId: 3,
  raw: null,
  value: {
    eventId: `ni:///sha-256;${hex}?ver=CBV2.0`,
    sourceSystem: 'WMS',
    machineId: 'scanner-7',
    lineage: { topic: 'ut.raw.wms.v1', partition: 2, offset: 40 + offset, schemaId: 2 },
  } as SerializationEvent,
});

describe('deduplicator handler', () => {
  it('claims by hash with the raw record as claimant, stable across upstream replays', () => {
    expect(claimsOf([rec(5)])).toEqual([
      { eventHash: hex, claimant: 'ut.raw.wms.v1/2/45', label: 'WMS|scanner-7', replayOf: null },
    ]);
  });
  it('names the claimant a DLQ replay replays, from the header the validator hands on', () => {
    const replayed = { ...rec(5), headers: { 'ut-replay-claimant': 'ut.raw.wms.v1/2/7' } };
    expect(claimsOf([replayed])[0]).toMatchObject({
      claimant: 'ut.raw.wms.v1/2/45',
      replayOf: 'ut.raw.wms.v1/2/7',
    });
  });
  it('forwards first sightings and replays, keyed as they came', () => {
    for (const result of ['first', 'replay'] as const) {
      expect(handleClaimed(rec(1), result)).toEqual([
        expect.objectContaining({ kind: 'produce', topic: topics.unique.name, key: 'unit-1' }),
      ]);
    }
  });
  it('drops a true duplicate, labelled by source and device', () => {
    expect(handleClaimed(rec(1), 'duplicate')).toEqual([
      expect.objectContaining({ kind: 'drop', reason: 'duplicate', source: 'WMS', device: 'scanner-7' }),
    ]);
  });
});
