/**
 * What device-health reads from each input record: a verification (ut.signals.v1), an event with
 * its device clock against the broker's receive time (ut.events.validated.v1: the raw record's
 * Kafka timestamp travels in the ut-origin-ts header; or, from the fused deployment, the same
 * samples in bulk on ut.devices.clock.v1), or a refused record of a device (ut.dlq.v1).
 */
import type { SerializationEvent } from '../events';
import { glnOf } from '../masterdata';
import { ORIGIN_TS_HEADER, type InputRecord } from '../runtime';
import type { FloorSignal } from '../sources';
import { topics } from '../topics';
import type { Observation } from './detect';

/** Print grade as a number: A=4 .. F=0 (ISO/IEC 15415 grade levels). */
export const gradeValue: Record<string, number> = { A: 4, B: 3, C: 2, D: 1, F: 0 };

/** The source's own message id of an event (`mes:M1-7` → `M1-7`): what an alert's atRecord names. */
export const messageId = (sourceEventId: string | null, fallback: string) =>
  sourceEventId ? sourceEventId.replace(/^[a-z]+:/, '') : fallback;

/** A signal's raw record (`sourceRef`, topic:partition:offset) as a stream and offset. */
function originOf(sourceRef: string): { origin?: { stream: string; offset: number } } {
  const cut = sourceRef.lastIndexOf(':');
  const offset = Number(sourceRef.slice(cut + 1));
  return cut > 0 && Number.isInteger(offset) ? { origin: { stream: sourceRef.slice(0, cut), offset } } : {};
}

/** One record of ut.devices.clock.v1 (avro/device-clock.avsc). */
export interface DeviceClockSamples {
  deviceId: string;
  stream: string;
  samples: { rawOffset: number; receivedAt: number; eventTime: number; messageId: string; siteGln: string }[];
}

/** A clock record holds at most this many samples (a record is far below Kafka's 1 MB limit). */
export const MAX_CLOCK_SAMPLES = 2000;

type EventObservation = Extract<Observation, { kind: 'event' }>;

/** The clock observation of a validated event (as ut.events.validated.v1 delivers it), if it has one. */
function eventObservationOf(record: InputRecord<unknown>): EventObservation | null {
  const e = record.value as SerializationEvent;
  const receivedAt = Number(record.headers[ORIGIN_TS_HEADER]);
  if (!e.machineId || !Number.isFinite(receivedAt) || receivedAt <= 0) return null;
  return {
    kind: 'event',
    device: e.machineId,
    site: glnOf(e.bizLocation) ?? glnOf(e.readPoint) ?? '',
    receivedAt,
    eventTime: e.eventTime,
    id: messageId(e.sourceEventId, e.eventId),
    // The raw record's partition and offset: with the input partition, the stream in which the
    // broker times are in order (libs/devices/detect.ts, clock).
    origin: { stream: `${e.lineage.topic}:${e.lineage.partition}`, offset: e.lineage.offset },
  };
}

/**
 * The fused deployment's records for ut.devices.clock.v1 (it has no validated topic): the clock
 * observations of `items` (validated events, as that topic would deliver them, in their order:
 * `recordOf`), one record per device and raw stream, each with the last item it holds samples of
 * (the raw record it goes out with). Expanded by `observationsOf`, they give device-health the same
 * observations in the same order per stream as the validated events would.
 */
export function clockRecordsOf<T>(
  items: readonly T[],
  recordOf: (item: T) => InputRecord<unknown>,
): { last: T; key: string; value: DeviceClockSamples }[] {
  const open = new Map<string, { last: T; key: string; value: DeviceClockSamples }>();
  const out: { last: T; key: string; value: DeviceClockSamples }[] = [];
  for (const item of items) {
    const o = eventObservationOf(recordOf(item));
    if (!o) continue;
    const { stream, offset } = o.origin!;
    const at = `${o.device}\u0000${stream}`;
    let entry = open.get(at);
    if (!entry || entry.value.samples.length >= MAX_CLOCK_SAMPLES) {
      entry = { last: item, key: o.device, value: { deviceId: o.device, stream, samples: [] } };
      open.set(at, entry);
      out.push(entry);
    }
    entry.last = item;
    entry.value.samples.push({
      rawOffset: offset,
      receivedAt: o.receivedAt,
      eventTime: o.eventTime,
      messageId: o.id,
      siteGln: o.site,
    });
  }
  return out;
}

export function observationsOf(record: InputRecord<unknown>): Observation[] {
  if (record.topic === topics.signals.name) {
    const s = record.value as FloorSignal;
    if (s.kind !== 'VERIFICATION' || !s.verification) return [];
    return [
      {
        kind: 'verification',
        device: s.deviceId,
        site: s.siteGln,
        receivedAt: s.receivedAt,
        id: s.sourceEventId,
        read: s.verification.result === 'READ',
        grade: s.verification.grade === null ? null : (gradeValue[s.verification.grade] ?? null),
        ...originOf(s.sourceRef),
      },
    ];
  }
  if (record.topic === topics.validated.name) {
    const o = eventObservationOf(record);
    return o ? [o] : [];
  }
  if (record.topic === topics.deviceClock.name) {
    const c = record.value as DeviceClockSamples;
    return c.samples.map((s) => ({
      kind: 'event',
      device: c.deviceId,
      site: s.siteGln,
      receivedAt: s.receivedAt,
      eventTime: s.eventTime,
      id: s.messageId,
      origin: { stream: c.stream, offset: s.rawOffset },
    }));
  }
  if (record.topic === topics.dlq.name) {
    const d = record.value as { stage: string; deviceId: string | null; dlqId: string };
    if (d.stage !== 'validator' || !d.deviceId) return [];
    return [{ kind: 'dlq', device: d.deviceId, id: d.dlqId }];
  }
  return [];
}
