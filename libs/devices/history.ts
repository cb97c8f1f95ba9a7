/**
 * Device health history (migration 096): what the stage saw of each device per 5-minute bucket of
 * broker time, so that the incidents model (libs/incidents) can read a device's condition as it was
 * known at a past time. ut.device_health holds the latest state alone: read for a past window, it
 * would leak the future. Counts, not the detectors' statistics: sums do not depend on the order the
 * records were read in, and a bucket's row is the same whatever the batches were.
 */
import type { Observation } from './detect';

/** The bucket's length: a third of the shortest window the incidents model judges in (15 min). */
export const HISTORY_BUCKET_MS = 5 * 60_000;

/** One device's counts in one bucket (a row of ut.device_health_history). */
export interface HistoryBucket {
  device: string;
  /** Epoch ms, the bucket's start (a multiple of HISTORY_BUCKET_MS); it ends HISTORY_BUCKET_MS later. */
  start: number;
  verifications: number;
  noReads: number;
  graded: number;
  /** The sum of the graded reads' grades (A=4 .. F=0). */
  gradeSum: number;
  /** Graded reads at D or F (the grades a line's end-of-line check may not read). */
  lowGrades: number;
  events: number;
}

export const bucketStart = (at: number) => Math.floor(at / HISTORY_BUCKET_MS) * HISTORY_BUCKET_MS;

/** A bucket of a device with nothing counted yet. */
export const emptyBucket = (device: string, start: number): HistoryBucket => ({
  device,
  start,
  verifications: 0,
  noReads: 0,
  graded: 0,
  gradeSum: 0,
  lowGrades: 0,
  events: 0,
});

/** Grade D (1) or F (0). */
const LOW_GRADE = 1;

/**
 * Adds an observation to the buckets of a batch (keyed `device|start`). A DLQ entry has no broker
 * time and no measure here, so it adds nothing.
 */
export function addToHistory(buckets: Map<string, HistoryBucket>, o: Observation): void {
  if (o.kind === 'dlq') return;
  const start = bucketStart(o.receivedAt);
  const key = `${o.device}|${start}`;
  let b = buckets.get(key);
  if (!b) {
    b = emptyBucket(o.device, start);
    buckets.set(key, b);
  }
  if (o.kind === 'event') {
    b.events++;
    return;
  }
  b.verifications++;
  if (!o.read) b.noReads++;
  else if (o.grade !== null) {
    b.graded++;
    b.gradeSum += o.grade;
    if (o.grade <= LOW_GRADE) b.lowGrades++;
  }
}
