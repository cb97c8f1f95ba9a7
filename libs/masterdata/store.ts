/** Master data in PostgreSQL (ut.masterdata): loaded there and onto the compacted topic, listed. */
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Codec } from '../avro';
import { db } from '../store';
import { topics } from '../topics';
import { masterdataKey, type MasterdataRecord } from './records';

export async function loadMasterdata(
  pool: Pool,
  kafka: Kafka,
  codec: Codec,
  records: MasterdataRecord[],
): Promise<number> {
  if (records.length === 0) return 0;
  await db('masterdata load', () =>
    pool.query(
      `INSERT INTO ut.masterdata (kind, id, name, attributes, deleted, updated_at)
       SELECT k, i, n, a::jsonb, false, to_timestamp(u / 1000.0)
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[]) AS t(k, i, n, a, u)
       ON CONFLICT (kind, id) DO UPDATE SET name = excluded.name, attributes = excluded.attributes,
         deleted = false, updated_at = excluded.updated_at`,
      [
        records.map((r) => r.kind),
        records.map((r) => r.id),
        records.map((r) => r.name),
        records.map((r) => JSON.stringify(r.attributes)),
        records.map((r) => r.updatedAt),
      ],
    ),
  );
  // PostgreSQL first, then the topic: a crash between the two is healed by loading again.
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const messages = [];
    for (const r of records)
      messages.push({
        key: masterdataKey(r.kind, r.id),
        value: await codec.encode(topics.masterdata.name, r),
      });
    await producer.send({ topic: topics.masterdata.name, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
  return records.length;
}

export interface MasterdataRow {
  kind: string;
  id: string;
  name: string;
  attributes: Record<string, string>;
}

/** What is loaded now (deleted records left out), of one kind or all, by kind and id. */
export async function listMasterdata(pool: Pool, kind?: string): Promise<MasterdataRow[]> {
  const r = await db('masterdata list', () =>
    pool.query<MasterdataRow>(
      'SELECT kind, id, name, attributes FROM ut.masterdata WHERE deleted = false AND ($1::text IS NULL OR kind = $1) ORDER BY kind, id',
      [kind ?? null],
    ),
  );
  return r.rows;
}

export const formatMasterdata = (rows: MasterdataRow[]): string =>
  rows
    .map(
      (r) =>
        `${r.kind.padEnd(9)} ${r.id.padEnd(16)} ${r.name}${Object.keys(r.attributes).length ? `  ${JSON.stringify(r.attributes)}` : ''}`,
    )
    .join('\n');

/** `loaded 12 records: 3 product, 4 site, ...` */
export function formatLoaded(records: MasterdataRecord[]): string {
  const byKind = new Map<string, number>();
  for (const r of records) byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1);
  return `loaded ${records.length} records: ${[...byKind].map(([k, c]) => `${c} ${k}`).join(', ')}`;
}
