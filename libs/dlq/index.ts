/**
 * The dead-letter store (ut.dlq, written by dlq-sink) as people read it: counts by reason and
 * source, the newest records, one record in full, and the replay of records back to the topic they
 * came from. `unitrail dlq ...` and the console's Data quality view both use these.
 */
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import type { Codec } from '../avro';
import { UsageError } from '../errors';
import { db } from '../store';
import { REPLAY_CLAIMANT_HEADER } from '../seenset';
import type { DlqCount } from './types';

export interface DlqFilter {
  reason?: string;
  source?: string;
  since?: Date;
  /** Only these records (the console's replay of one record). */
  ids?: string[];
}

/** An ISO time or an age such as 30m, 2h, 7d. */
export function parseSince(
  since: string,
  now = Date.now(),
  { label = 'since' }: { label?: string } = {},
): Date {
  const d = new Date(
    /^\d+[smhd]$/.test(since)
      ? now - Number(since.slice(0, -1)) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[since.slice(-1) as 's']!
      : since,
  );
  if (Number.isNaN(d.getTime()))
    throw new UsageError(
      `${label} ${since}: give an ISO time (2026-03-01T12:00:00Z) or an age (30m, 2h, 7d)`,
    );
  return d;
}

const filterSql = `($1::text IS NULL OR $1 = ANY(reason_codes)) AND ($2::text IS NULL OR upper(source_system) = $2)
  AND ($3::timestamptz IS NULL OR failed_at >= $3) AND ($4::text[] IS NULL OR dlq_id = ANY($4))`;
const filterArgs = (f: DlqFilter) => [
  f.reason ?? null,
  f.source?.toUpperCase() ?? null,
  f.since ?? null,
  f.ids ?? null,
];

export type { DlqCount } from './types';

export interface DlqRecordSummary {
  dlq_id: string;
  stage: string;
  reasons: { code: string; message: string }[];
  source_system: string | null;
  device_id: string | null;
  failed_at: Date;
  replayed: number;
}

/** Counts by reason and source, then each record with its reasons (`unitrail dlq list`). */
export function formatDlqList(counts: DlqCount[], records: DlqRecordSummary[]): string {
  return [
    'reason                     source  records',
    ...counts.map((c) => `${c.reason.padEnd(26)} ${(c.source ?? '-').padEnd(7)} ${c.n}`),
    '',
    ...records.flatMap((r) => [
      `${r.dlq_id}  ${r.failed_at.toISOString()}  ${r.source_system ?? '-'}  ${r.device_id ?? '-'}${r.replayed ? `  (replayed ×${r.replayed})` : ''}`,
      ...r.reasons.map((reason) => `    ${reason.code}: ${reason.message}`),
    ]),
  ].join('\n');
}

export async function dlqCounts(pool: pg.Pool, f: DlqFilter = {}): Promise<DlqCount[]> {
  const r = await db('dlq counts', () =>
    pool.query<{ reason: string; source: string | null; n: string }>(
      `SELECT r AS reason, source_system AS source, count(*) AS n FROM ut.dlq, unnest(reason_codes) r
        WHERE ${filterSql} GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`,
      filterArgs(f),
    ),
  );
  return r.rows.map((c) => ({ ...c, n: Number(c.n) }));
}

export async function dlqRecords(
  pool: pg.Pool,
  f: DlqFilter = {},
  { limit = 20 }: { limit?: number } = {},
): Promise<DlqRecordSummary[]> {
  const r = await db('dlq records', () =>
    pool.query<DlqRecordSummary>(
      `SELECT dlq_id, stage, reasons, source_system, device_id, failed_at,
              (SELECT count(*)::int FROM ut.dlq_replays p WHERE p.dlq_id = d.dlq_id) AS replayed
         FROM ut.dlq d WHERE ${filterSql} ORDER BY failed_at DESC, dlq_id LIMIT $5`,
      [...filterArgs(f), limit],
    ),
  );
  return r.rows;
}

/** DLQ records per minute, reason and source, since a time (the Data quality chart). */
export async function dlqPerMinute(
  pool: pg.Pool,
  since: Date,
): Promise<{ minute: string; reason: string; source: string | null; n: number }[]> {
  const r = await db('dlq per minute', () =>
    pool.query<{ minute: Date; reason: string; source: string | null; n: string }>(
      `SELECT date_trunc('minute', failed_at) AS minute, r AS reason, source_system AS source, count(*) AS n
         FROM ut.dlq, unnest(reason_codes) r WHERE failed_at >= $1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [since],
    ),
  );
  return r.rows.map((x) => ({
    minute: x.minute.toISOString(),
    reason: x.reason,
    source: x.source,
    n: Number(x.n),
  }));
}

export interface DlqDetail {
  dlqId: string;
  stage: string;
  reasons: { code: string; message: string }[];
  source: { topic: string; partition: number; offset: number; schemaId: number | null };
  sourceSystem: string | null;
  deviceId: string | null;
  eventId: string | null;
  failedAt: Date;
  replayOf: string | null;
  original: unknown;
  replays: {
    target_topic: string;
    target_partition: number;
    target_offset: string;
    replayed_by: string | null;
    replayed_at: Date;
  }[];
  failedAgainAs: { dlq_id: string; failed_at: Date; reason_codes: string[] }[];
}

/** One record in full, its original bytes decoded when the registry knows their schema; null when unknown. */
export async function dlqDetail(
  pool: pg.Pool,
  codec: Pick<Codec, 'decode'>,
  id: string,
): Promise<DlqDetail | null> {
  const r = await db('dlq record', () => pool.query('SELECT * FROM ut.dlq WHERE dlq_id = $1', [id]));
  if (r.rowCount === 0) return null;
  const row = r.rows[0];
  let decoded: unknown = null;
  if (row.original_value) {
    try {
      decoded = (await codec.decode(row.original_value)).value;
    } catch (err) {
      decoded = {
        undecodable: (err as Error).message,
        text: Buffer.from(row.original_value).toString('utf8').slice(0, 200),
      };
    }
  }
  const replays = await pool.query(
    'SELECT target_topic, target_partition, target_offset, replayed_by, replayed_at FROM ut.dlq_replays WHERE dlq_id = $1 ORDER BY replay_id',
    [id],
  );
  const history = await pool.query(
    'SELECT dlq_id, failed_at, reason_codes FROM ut.dlq WHERE replay_of = $1 ORDER BY failed_at',
    [id],
  );
  return {
    dlqId: row.dlq_id,
    stage: row.stage,
    reasons: row.reasons,
    source: {
      topic: row.source_topic,
      partition: row.source_partition,
      offset: Number(row.source_offset),
      schemaId: row.schema_id,
    },
    sourceSystem: row.source_system,
    deviceId: row.device_id,
    eventId: row.event_id,
    failedAt: row.failed_at,
    replayOf: row.replay_of,
    original: decoded,
    replays: replays.rows,
    failedAgainAs: history.rows,
  };
}

/** Records the filter selects that were never replayed (replaying twice would only make a duplicate). */
export async function replayCandidates(pool: pg.Pool, f: DlqFilter): Promise<number> {
  const r = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM ut.dlq d WHERE ${filterSql} AND original_value IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ut.dlq_replays p WHERE p.dlq_id = d.dlq_id)`,
    filterArgs(f),
  );
  return Number(r.rows[0]!.n);
}

/** Sends the selected, never-replayed records back to their source topic, each marked ut-replay-of. */
export async function replayDlq(
  pool: pg.Pool,
  kafka: Kafka,
  f: DlqFilter,
  { replayedBy, onProgress }: { replayedBy: string; onProgress?: (done: number, total: number) => void },
): Promise<number> {
  const rows = await pool.query<{
    dlq_id: string;
    source_topic: string;
    source_partition: number;
    source_offset: string;
    original_key: Buffer | null;
    original_value: Buffer | null;
    original_headers: Record<string, string>;
  }>(
    `SELECT dlq_id, source_topic, source_partition, source_offset, original_key, original_value, original_headers FROM ut.dlq d
      WHERE ${filterSql} AND original_value IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ut.dlq_replays p WHERE p.dlq_id = d.dlq_id)
      ORDER BY source_topic, source_partition, source_offset`,
    filterArgs(f),
  );
  if (rows.rowCount === 0) return 0;
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let done = 0;
  try {
    for (const r of rows.rows) {
      const headers = Object.fromEntries(
        Object.entries(r.original_headers ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
      );
      const [meta] = await producer.send({
        topic: r.source_topic,
        acks: -1,
        messages: [
          {
            key: r.original_key,
            value: r.original_value,
            headers: {
              ...headers,
              'ut-replay-of': r.dlq_id,
              // The failed record's claimant: a claim it took before failing passes to the replay.
              [REPLAY_CLAIMANT_HEADER]: `${r.source_topic}/${r.source_partition}/${r.source_offset}`,
            },
          },
        ],
      });
      await pool.query(
        'INSERT INTO ut.dlq_replays (dlq_id, target_topic, target_partition, target_offset, replayed_by) VALUES ($1, $2, $3, $4, $5)',
        [r.dlq_id, r.source_topic, meta!.partition, Number(meta!.baseOffset), replayedBy],
      );
      if (++done % 1000 === 0) onProgress?.(done, rows.rowCount ?? 0);
    }
  } finally {
    await producer.disconnect();
  }
  return done;
}
