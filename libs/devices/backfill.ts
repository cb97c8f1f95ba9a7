/**
 * Backfill of the device health history (`unitrail devices history --backfill`, docs/devices.md).
 *
 * A store that ran device-health before migration 096 has no history for the records applied then.
 * What the stage counts is kept nowhere in PostgreSQL: the verifications live only in
 * ut.signals.v1, and the ledger (ut.events) holds each event once after the deduplicator, while the
 * stage counted every record of ut.events.validated.v1 (duplicates too) or of ut.devices.clock.v1.
 * So the backfill reads those topics again, below the positions the stage has applied, and counts
 * every record the way the stage does (observationsOf, addToHistory): the *recount*.
 *
 * The boundary is per bucket, not per time: the history counts a subset of the records below the
 * stage's positions (those applied since 096), so for every device and bucket the records it lacks
 * are exactly `recount − stored`, a bucket the stage partly counted included. That holds when the
 * recount is the set of records the stage applied, which each device's own counters
 * (ut.device_health.state.counts, kept since its first record) check: a device's recount must sum to
 * them. Where it does not (retention deleted records the stage applied, or the topics hold records
 * below the positions the stage never applied: its group started later), that device's counts are
 * not touched and the reason is reported. Everything is read in one snapshot and written in one
 * transaction that adds the differences, so the stage may run meanwhile (it adds only records above
 * the snapshot's positions), and a second run finds nothing missing and changes nothing.
 */
import crypto from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type pg from 'pg';
import type { Codec } from '../avro';
import { ORIGIN_TS_HEADER, headersToStrings, type InputRecord } from '../runtime';
import { db } from '../store';
import { topics } from '../topics';
import { addToHistory, emptyBucket, type HistoryBucket } from './history';
import { observationsOf } from './observe';
import { addHistory, positionKey, type Positions } from './store';

/** The inputs whose records the history counts (a DLQ entry adds nothing, so ut.dlq.v1 is not read). */
export const HISTORY_INPUTS: string[] = [topics.signals.name, topics.validated.name, topics.deviceClock.name];

/** A device's counters of all it applied (DeviceState.counts), the check of a recount. */
export interface AppliedCounts {
  verifications: number;
  noReads: number;
  graded: number;
  events: number;
}

/** The two kinds of records a bucket counts, each checked and written on its own. */
type Family = 'verifications' | 'events';
/** A bucket's counts. */
type Count = 'verifications' | 'noReads' | 'graded' | 'gradeSum' | 'lowGrades' | 'events';
const FIELDS: Record<Family, Count[]> = {
  verifications: ['verifications', 'noReads', 'graded', 'gradeSum', 'lowGrades'],
  events: ['events'],
};
/** The fields the device's own counters keep (grade sums and D/F counts come with the graded reads). */
const CHECKED: Record<Family, (keyof AppliedCounts)[]> = {
  verifications: ['verifications', 'noReads', 'graded'],
  events: ['events'],
};

/** What the backfill found and did for one device and one kind of record. */
export interface FamilyReport {
  /** In the history before (the stage's own counts, and any earlier backfill's). */
  stored: number;
  /** Read again from the topics below the stage's positions. */
  recount: number;
  /** The device's own counter of what the stage applied. */
  applied: number;
  /** Added by this run. */
  added: number;
  status: 'complete' | 'backfilled' | 'incomplete';
  /** Why an incomplete one was not written. */
  reason?: string;
}

export interface DeviceBackfill {
  device: string;
  verifications: FamilyReport;
  events: FamilyReport;
}

export interface BackfillPlan {
  /** The differences to add (only of complete families; no all-zero bucket). */
  add: HistoryBucket[];
  devices: DeviceBackfill[];
}

const keyOf = (b: { device: string; start: number }) => `${b.device}|${b.start}`;

/**
 * The differences between the recount and the stored history, per device and kind of record, and
 * whether each may be written: only when the device's recount sums to its own counters (the recount
 * is then the set of records the stage applied) and no stored bucket holds more than the recount
 * (the stage's records are still all in the topics). Pure: the test of the boundary's logic.
 */
export function planBackfill(
  recount: Iterable<HistoryBucket>,
  stored: Iterable<HistoryBucket>,
  applied: Map<string, AppliedCounts>,
): BackfillPlan {
  const re = new Map<string, HistoryBucket>();
  const st = new Map<string, HistoryBucket>();
  for (const b of recount) re.set(keyOf(b), b);
  for (const b of stored) st.set(keyOf(b), b);
  const keys = new Set([...re.keys(), ...st.keys()]);
  // Every device with a count anywhere: one whose records the topics lost entirely is reported too.
  const devices = [
    ...new Set([...[...keys].map((k) => k.slice(0, k.lastIndexOf('|'))), ...applied.keys()]),
  ].sort();
  const byDevice = new Map<string, string[]>(devices.map((d) => [d, []]));
  for (const k of keys) byDevice.get(k.slice(0, k.lastIndexOf('|')))!.push(k);

  const add = new Map<string, HistoryBucket>();
  const reports: DeviceBackfill[] = [];
  for (const device of devices) {
    const counts = applied.get(device) ?? { verifications: 0, noReads: 0, graded: 0, events: 0 };
    const report = { device } as DeviceBackfill;
    for (const family of ['verifications', 'events'] as Family[]) {
      const sum = (m: Map<string, HistoryBucket>, f: keyof AppliedCounts) =>
        byDevice.get(device)!.reduce((n, k) => n + (m.get(k)?.[f] ?? 0), 0);
      const lead = CHECKED[family][0]!;
      const r: FamilyReport = {
        stored: sum(st, lead),
        recount: sum(re, lead),
        applied: counts[lead],
        added: 0,
        status: 'complete',
      };
      const short = byDevice
        .get(device)!
        .filter((k) => FIELDS[family].some((f) => (re.get(k)?.[f] ?? 0) < (st.get(k)?.[f] ?? 0)));
      const differs = CHECKED[family].filter((f) => sum(re, f) !== counts[f]);
      if (short.length > 0 || differs.length > 0) {
        r.status = 'incomplete';
        r.reason = whyIncomplete(family, differs, short.length, (f) => sum(re, f) - counts[f]);
      } else {
        for (const k of byDevice.get(device)!) {
          const from = re.get(k) ?? emptyBucket(device, st.get(k)!.start);
          const d = (add.get(k) ?? add.set(k, emptyBucket(device, from.start)).get(k))!;
          for (const f of FIELDS[family]) d[f] = from[f] - (st.get(k)?.[f] ?? 0);
        }
        r.added = r.recount - r.stored;
        if (r.added > 0) r.status = 'backfilled';
      }
      report[family] = r;
    }
    reports.push(report);
  }
  const nonZero = (b: HistoryBucket) => [...FIELDS.verifications, ...FIELDS.events].some((f) => b[f] !== 0);
  return { add: [...add.values()].filter(nonZero), devices: reports };
}

/** The one-line reason a device's counts are not written. */
function whyIncomplete(
  family: Family,
  differs: (keyof AppliedCounts)[],
  shortBuckets: number,
  excess: (f: keyof AppliedCounts) => number,
): string {
  if (shortBuckets > 0)
    return `${shortBuckets} bucket(s) of the history hold more ${family} than the topics still do (records the stage counted were deleted, by retention or with their topic): left as they are`;
  const f = differs[0]!;
  const n = excess(f);
  return n < 0
    ? `the topics no longer hold ${-n} of the ${f} the stage applied (retention deleted them): left as they are`
    : `the topics hold ${n} ${f} below the stage's positions that it never applied (its group started after them): left as they are`;
}

/** A snapshot of what the stage has applied: its positions, each device's counters, the history. */
export interface AppliedSnapshot {
  positions: Positions;
  applied: Map<string, AppliedCounts>;
  stored: HistoryBucket[];
}

/**
 * Reads the positions, the devices' counters and the history in one snapshot (the stage writes the
 * three in one transaction, so they agree).
 */
export async function readApplied(client: pg.PoolClient): Promise<AppliedSnapshot> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const pos = await client.query<{ topic: string; partition: number; next_offset: string }>(
      'SELECT topic, partition, next_offset FROM ut.device_health_positions WHERE topic = ANY($1)',
      [HISTORY_INPUTS],
    );
    const counts = await client.query<{ device: string; counts: AppliedCounts }>(
      `SELECT device, state->'counts' AS counts FROM ut.device_health`,
    );
    const rows = await client.query<Record<string, string>>(
      `SELECT device, (extract(epoch FROM bucket_start) * 1000)::bigint AS start, verifications, no_reads,
              graded, grade_sum, low_grades, events
         FROM ut.device_health_history`,
    );
    await client.query('COMMIT');
    return {
      positions: new Map(pos.rows.map((r) => [positionKey(r.topic, r.partition), Number(r.next_offset)])),
      applied: new Map(counts.rows.map((r) => [r.device, r.counts])),
      stored: rows.rows.map((r) => ({
        device: r.device!,
        start: Number(r.start),
        verifications: Number(r.verifications),
        noReads: Number(r.no_reads),
        graded: Number(r.graded),
        gradeSum: Number(r.grade_sum),
        lowGrades: Number(r.low_grades),
        events: Number(r.events),
      })),
    };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/**
 * Counts every record the topics still hold below `positions`, as the stage counted them: decoded
 * with the same codec (a record it cannot decode went to the DLQ and counted nothing there either),
 * with the broker time the runtime gives it (the ut-origin-ts header, else the record's timestamp).
 */
export async function recountHistory(
  kafka: Kafka,
  codec: Codec,
  positions: Positions,
): Promise<Map<string, HistoryBucket>> {
  const buckets = new Map<string, HistoryBucket>();
  const ends = await rangesToRead(kafka, positions);
  if (ends.size === 0) return buckets;
  const consumer = kafka.consumer({ groupId: `ut.device-history-backfill.${crypto.randomUUID()}` });
  let finish!: () => void;
  let fail!: (err: unknown) => void;
  const done = new Promise<void>((resolve, reject) => ([finish, fail] = [resolve, reject]));
  const open = new Set(ends.keys());
  await consumer.connect();
  try {
    for (const topic of new Set([...ends.keys()].map((k) => k.slice(0, k.lastIndexOf(':')))))
      await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        try {
          const key = positionKey(batch.topic, batch.partition);
          const end = ends.get(key);
          if (end === undefined || !open.has(key)) return;
          for (const m of batch.messages) {
            if (Number(m.offset) >= end) break;
            const record = await decoded(codec, batch.topic, batch.partition, m);
            if (record) for (const o of observationsOf(record)) addToHistory(buckets, o);
          }
          await heartbeat();
          if (Number(batch.lastOffset()) + 1 >= end) {
            open.delete(key);
            consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
            if (open.size === 0) finish();
          }
        } catch (err) {
          fail(err);
        }
      },
    });
    await done;
  } finally {
    await consumer.disconnect();
  }
  return buckets;
}

/** topic:partition → the end to read to (the stage's position), for partitions holding records below it. */
async function rangesToRead(kafka: Kafka, positions: Positions): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map<string, number>();
    for (const topic of HISTORY_INPUTS) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const key = positionKey(topic, p.partition);
        const end = Math.min(positions.get(key) ?? 0, Number(p.high));
        if (end > Number(p.low)) ends.set(key, end);
      }
    }
    return ends;
  } finally {
    await admin.disconnect();
  }
}

/** A consumed message as the runtime hands it to the stage, or null if it cannot be decoded. */
async function decoded(
  codec: Codec,
  topic: string,
  partition: number,
  m: KafkaMessage,
): Promise<InputRecord<unknown> | null> {
  try {
    const { value, schemaId } = await codec.decode<unknown>(m.value);
    return {
      topic,
      partition,
      offset: m.offset,
      key: m.key,
      raw: m.value,
      headers: { [ORIGIN_TS_HEADER]: m.timestamp, ...headersToStrings(m.headers) },
      value,
      schemaId,
    };
  } catch (err) {
    if ((err as { retriable?: boolean }).retriable) throw err;
    return null;
  }
}

/** The advisory lock that keeps two backfills from adding the same differences twice. */
const BACKFILL_LOCK = 96_097;

/**
 * The backfill: under an advisory lock (one backfill at a time), a snapshot of what the stage has
 * applied, the recount from the topics, and the differences of every complete device added in one
 * transaction. `write: false` plans without writing.
 */
export async function backfillHistory(
  pool: pg.Pool,
  kafka: Kafka,
  codec: Codec,
  { write = true }: { write?: boolean } = {},
): Promise<BackfillPlan> {
  const what = 'device history backfill';
  const client = await db(what, () => pool.connect());
  try {
    await db(what, () => client.query('SELECT pg_advisory_lock($1)', [BACKFILL_LOCK]));
    try {
      const snapshot = await db(what, () => readApplied(client));
      const recount = await recountHistory(kafka, codec, snapshot.positions);
      const plan = planBackfill(recount.values(), snapshot.stored, snapshot.applied);
      if (write && plan.add.length > 0) await db(what, () => addInOneTransaction(client, plan.add));
      return plan;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [BACKFILL_LOCK]).catch(() => {});
    }
  } finally {
    client.release();
  }
}

/** Adds the differences in one transaction: all of them or, after a failure, none. */
async function addInOneTransaction(client: pg.PoolClient, add: HistoryBucket[]): Promise<void> {
  await client.query('BEGIN');
  try {
    await addHistory(client, add);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** One device's history against its own counters: how much of what the stage applied it lacks. */
export interface DeviceCoverage {
  device: string;
  verifications: { stored: number; applied: number };
  events: { stored: number; applied: number };
}

/**
 * Each device's history totals against its counters (`unitrail devices history`): PostgreSQL only,
 * so it says cheaply whether a backfill has anything to do.
 */
export async function historyCoverage(pool: pg.Pool): Promise<DeviceCoverage[]> {
  const what = 'device history';
  const client = await db(what, () => pool.connect());
  try {
    const { stored, applied } = await db(what, () => readApplied(client));
    const devices = [...new Set([...stored.map((b) => b.device), ...applied.keys()])].sort();
    return devices.map((device) => {
      const mine = stored.filter((b) => b.device === device);
      const sum = (f: Count) => mine.reduce((n, b) => n + b[f], 0);
      const counts = applied.get(device);
      return {
        device,
        verifications: { stored: sum('verifications'), applied: counts?.verifications ?? 0 },
        events: { stored: sum('events'), applied: counts?.events ?? 0 },
      };
    });
  } finally {
    client.release();
  }
}
