/**
 * The fused deployment's stand-in for the journey the cases stage reads (ut.journey.digest.v1,
 * avro/journey-digest.avsc). Of most journey events the cases stage needs only that they landed (a
 * MISSING_SKU case may wait for one); of aggregations and pallet receivings it needs a few fields. So
 * the fused process publishes, per raw partition and batch, one record with the ids of the first
 * and those fields of the second, instead of every journey record in full (docs/capacity.md).
 */
import type { InputRecord } from '../runtime';
import { ORIGIN_TS_HEADER } from '../runtime';
import type { SerializationEvent } from '../events';
import { receivedAtOf, receivedPallet, type JourneyFacts } from './detect';

/** One record of ut.journey.digest.v1. */
export interface JourneyDigest {
  stream: string;
  landed: string[];
  events: (JourneyFacts & { receivedAt: number | null })[];
}

/** A digest record stays far below Kafka's 1 MB limit: a new one starts past this many characters. */
export const MAX_DIGEST_CHARS = 256 * 1024;

/** Whether the cases stage reads more of a journey event than that it landed. */
const readsMoreOf = (e: SerializationEvent): boolean =>
  (e.eventType === 'AggregationEvent' && e.parentId !== null) || receivedPallet(e) !== null;

function factsOf(e: SerializationEvent, receivedAt: number | null): JourneyDigest['events'][number] {
  return {
    eventId: e.eventId,
    eventTime: e.eventTime,
    receivedAt,
    eventType: e.eventType,
    action: e.action,
    sourceSystem: String(e.sourceSystem),
    bizStep: e.bizStep,
    epcList: e.epcList.map(({ uri, scheme }) => ({ uri, scheme: String(scheme) })),
    parentId: e.parentId === null ? null : { uri: e.parentId.uri },
    childEpcs: e.childEpcs.map(({ uri }) => ({ uri })),
    machineId: e.machineId,
    bizLocation: e.bizLocation,
    operatorId: e.operatorId,
  };
}

const charsOf = (f: JourneyDigest['events'][number]): number =>
  200 +
  f.epcList.reduce((n, i) => n + i.uri.length + 8, 0) +
  f.childEpcs.reduce((n, i) => n + i.uri.length, 0);

/**
 * The digest records of `items` (journey records, as ut.journey.v1 would deliver them, in their
 * order: `recordOf`; `streamOf`: the raw topic:partition each was read from), one per raw stream
 * (more past MAX_DIGEST_CHARS), each with the last item it holds (the raw record it goes out with).
 */
export function digestRecordsOf<T>(
  items: readonly T[],
  recordOf: (item: T) => InputRecord<unknown>,
  streamOf: (item: T) => string,
): { last: T; key: string; value: JourneyDigest }[] {
  const open = new Map<string, { last: T; value: JourneyDigest; chars: number }>();
  const out: { last: T; value: JourneyDigest; chars: number }[] = [];
  for (const item of items) {
    const record = recordOf(item);
    const e = record.value as SerializationEvent;
    const stream = streamOf(item);
    const facts = readsMoreOf(e) ? factsOf(e, receivedAtOf(record.headers[ORIGIN_TS_HEADER])) : null;
    const chars = facts ? charsOf(facts) : e.eventId.length + 4;
    let entry = open.get(stream);
    if (!entry || entry.chars + chars > MAX_DIGEST_CHARS) {
      entry = { last: item, value: { stream, landed: [], events: [] }, chars: 0 };
      open.set(stream, entry);
      out.push(entry);
    }
    entry.last = item;
    entry.chars += chars;
    if (facts) entry.value.events.push(facts);
    else entry.value.landed.push(e.eventId);
  }
  return out.map(({ last, value }) => ({ last, key: value.stream, value }));
}
