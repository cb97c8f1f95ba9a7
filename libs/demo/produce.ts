/** Sends demo records to the raw topics and accounts for each of them afterwards. */
import type { Kafka, Message } from 'kafkajs';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import type { Codec } from '../avro';
import type { DemoRecord } from './stream';
import { rawTopics } from '../topics';
import { withAdmin } from '../kafka';

export type OffsetRanges = Record<string, { partition: number; from: number; to: number }[]>;

/** End offsets of the raw topics, per partition. */
export async function rawEndOffsets(kafka: Kafka): Promise<Record<string, Map<number, number>>> {
  return withAdmin(kafka, async (admin) => {
    const out: Record<string, Map<number, number>> = {};
    for (const topic of rawTopics) {
      out[topic] = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
    }
    return out;
  });
}

export async function produceRecords(
  kafka: Kafka,
  codec: Codec,
  records: DemoRecord[],
  onProgress?: (sent: number) => void,
): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  // A floor demo replays the plant's hours: its records carry the time the broker received them,
  // which becomes their Kafka timestamp, shifted so that the last one is now (docs/devices.md).
  // A loop, not Math.max(...): a spread of 150,000 records overflows the call stack.
  const last = records.reduce((m, r) => Math.max(m, r.receivedAt ?? -Infinity), -Infinity);
  const shift = Number.isFinite(last) ? Date.now() - last : 0;
  await producer.connect();
  try {
    const chunk = 2000;
    for (let i = 0; i < records.length; i += chunk) {
      const byTopic = new Map<string, Message[]>();
      for (const r of records.slice(i, i + chunk)) {
        const value = Buffer.isBuffer(r.value) ? r.value : await codec.encode(r.topic, r.value);
        const list = byTopic.get(r.topic) ?? [];
        list.push({
          key: r.key,
          value,
          ...(r.receivedAt !== undefined ? { timestamp: String(r.receivedAt + shift) } : {}),
        });
        byTopic.set(r.topic, list);
      }
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      onProgress?.(Math.min(records.length, i + chunk));
    }
  } finally {
    await producer.disconnect();
  }
}

export interface Accounts {
  produced: number;
  landed: number;
  duplicates: number;
  dlq: number;
}

/**
 * Where did each raw record in the ranges go? Landed (a ledger row with its lineage), in the DLQ
 * (a validator DLQ row with its coordinates), or dropped as a duplicate (its dup marker in Redis).
 * Counting by raw record makes the accounts exact under replays and reruns of the same seed.
 */
export async function accountFor(
  pool: Pool,
  redis: Redis,
  before: Record<string, Map<number, number>>,
  after: Record<string, Map<number, number>>,
  /** The seen-set prefix of this Kafka cluster: `seenSetPrefix(kafka)`. */
  prefix: string,
  /** Only rows written since then: a rebuilt Kafka hands the same coordinates out again. */
  since = new Date(0),
): Promise<Accounts> {
  const ranges: { topic: string; partition: number; from: number; to: number }[] = [];
  for (const topic of Object.keys(after)) {
    for (const [partition, to] of after[topic]!) {
      const from = before[topic]?.get(partition) ?? 0;
      if (to > from) ranges.push({ topic, partition, from, to });
    }
  }
  // The landed records, and the refused ones, of every range in one query each (a hash join on
  // topic and partition): a bench polls this every second while the pipeline writes, and a query
  // per partition was a dozen a second competing with the pipeline for the cores.
  const params = [
    ranges.map((r) => r.topic),
    ranges.map((r) => r.partition),
    ranges.map((r) => r.from),
    ranges.map((r) => r.to),
    since,
  ];
  const ranged = `unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[]) AS r(topic, part, lo, hi)`;
  const l = await pool.query<{ n: string }>(
    `SELECT count(DISTINCT e.lineage) AS n
       FROM ut.events e
       JOIN ${ranged}
         ON split_part(e.lineage, '/', 1) = r.topic AND split_part(e.lineage, '/', 2) = r.part::text
      WHERE e.inserted_at >= $5
        AND split_part(e.lineage, '/', 3)::bigint >= r.lo AND split_part(e.lineage, '/', 3)::bigint < r.hi`,
    params,
  );
  const landed = Number(l.rows[0]!.n);
  const d = await pool.query<{ n: string }>(
    `SELECT count(*) AS n
       FROM ut.dlq q
       JOIN ${ranged} ON q.source_topic = r.topic AND q.source_partition = r.part
      WHERE q.stage = 'validator' AND q.source_offset >= r.lo AND q.source_offset < r.hi AND q.failed_at >= $5`,
    params,
  );
  const dlq = Number(d.rows[0]!.n);
  let produced = 0;
  let duplicates = 0;
  for (const { topic, partition, from, to } of ranges) {
    produced += to - from;
    for (let o = from; o < to; o += 1000) {
      const keys = Array.from(
        { length: Math.min(1000, to - o) },
        (_, k) => `${prefix}dup:${topic}/${partition}/${o + k}`,
      );
      duplicates += await redis.exists(...keys);
    }
  }
  return { produced, landed, duplicates, dlq };
}
