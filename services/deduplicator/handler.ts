/** deduplicator: forward an event the first time its hash is claimed (or when the same record replays); drop true duplicates. */
import type { SerializationEvent } from '../../libs/events';
import type { InputRecord, Output } from '../../libs/runtime';
import type { Claim, ClaimResult } from '../../libs/seenset';
import { hashKey, REPLAY_CLAIMANT_HEADER } from '../../libs/seenset';
import { topics } from '../../libs/topics';

/** The raw record an event came from: stable across replays of every stage before this one. */
export const claimantOf = (e: SerializationEvent) =>
  `${e.lineage.topic}/${e.lineage.partition}/${e.lineage.offset}`;

export function claimsOf(records: InputRecord<SerializationEvent>[]): Claim[] {
  return records.map((r) => ({
    eventHash: hashKey(r.value.eventId),
    claimant: claimantOf(r.value),
    label: `${r.value.sourceSystem}|${r.value.machineId ?? 'unknown'}`,
    replayOf: r.headers[REPLAY_CLAIMANT_HEADER] ?? null,
  }));
}

export function handleClaimed(
  record: InputRecord<SerializationEvent>,
  result: ClaimResult | undefined,
): Output<typeof topics.unique.name>[] {
  const e = record.value;
  if (result === 'duplicate') {
    return [
      { kind: 'drop', reason: 'duplicate', source: e.sourceSystem, device: e.machineId, eventId: e.eventId },
    ];
  }
  return [
    { kind: 'produce', topic: topics.unique.name, key: record.key?.toString('utf8') ?? e.eventId, value: e },
  ];
}
