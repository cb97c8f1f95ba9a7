/**
 * What device-health reads from each input record: a verification (ut.signals.v1), an event with
 * its device clock against the broker's receive time (ut.events.validated.v1: the raw record's
 * Kafka timestamp travels in the ut-origin-ts header), or a refused record of a device (ut.dlq.v1).
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
    const e = record.value as SerializationEvent;
    const receivedAt = Number(record.headers[ORIGIN_TS_HEADER]);
    if (!e.machineId || !Number.isFinite(receivedAt) || receivedAt <= 0) return [];
    return [
      {
        kind: 'event',
        device: e.machineId,
        site: glnOf(e.bizLocation) ?? glnOf(e.readPoint) ?? '',
        receivedAt,
        eventTime: e.eventTime,
        id: messageId(e.sourceEventId, e.eventId),
        // The raw record's partition and offset: with the input partition, the stream in which the
        // broker times are in order (libs/devices/detect.ts, clock).
        origin: { stream: `${e.lineage.topic}:${e.lineage.partition}`, offset: e.lineage.offset },
      },
    ];
  }
  if (record.topic === topics.dlq.name) {
    const d = record.value as { stage: string; deviceId: string | null; dlqId: string };
    if (d.stage !== 'validator' || !d.deviceId) return [];
    return [{ kind: 'dlq', device: d.deviceId, id: d.dlqId }];
  }
  return [];
}
