/**
 * The end-to-end benchmark (`unitrail bench`): the pipeline as separate processes on the real
 * stack, next to the raw rates of its two ends measured in the same run on the same machine
 * (Kafka's own perf tools from the same jars, PostgreSQL's COPY), so the ratios show.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { withAdmin } from '../kafka';

const run = promisify(execFile);

export interface RawRates {
  kafkaProduceRecordsPerSec: number;
  kafkaConsumeRecordsPerSec: number;
  recordBytes: number;
}

/** Kafka's ProducerPerformance and ConsumerPerformance against a scratch topic, records of `recordBytes`. */
export async function kafkaRawRates({
  kafka,
  brokers,
  java,
  jarsDir,
  records,
  recordBytes,
}: {
  kafka: Kafka;
  brokers: string;
  java: string;
  jarsDir: string;
  records: number;
  recordBytes: number;
}): Promise<RawRates> {
  const topic = `ut.bench.raw.${process.pid}`;
  await withAdmin(kafka, (admin) =>
    admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true }),
  );
  try {
    const cp = `${jarsDir}${path.sep}*`;
    const jvm = ['-Xmx256m', '-cp', cp];
    const produced = await run(
      java,
      [
        ...jvm,
        'org.apache.kafka.tools.ProducerPerformance',
        '--topic',
        topic,
        '--num-records',
        String(records),
        '--record-size',
        String(recordBytes),
        '--throughput',
        '-1',
        '--producer-props',
        `bootstrap.servers=${brokers}`,
        'acks=all',
        'linger.ms=5',
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const p = /([\d.]+) records\/sec/.exec(produced.stdout.trim().split('\n').pop() ?? '');
    const consumed = await run(
      java,
      [
        ...jvm,
        'org.apache.kafka.tools.ConsumerPerformance',
        '--bootstrap-server',
        brokers,
        '--topic',
        topic,
        '--messages',
        String(records),
        '--timeout',
        '60000',
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    // CSV: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, ...
    const line = consumed.stdout.trim().split('\n').pop() ?? '';
    const nMsgSec = Number(line.split(',')[5]);
    return {
      kafkaProduceRecordsPerSec: Number(p?.[1] ?? NaN),
      kafkaConsumeRecordsPerSec: nMsgSec,
      recordBytes,
    };
  } finally {
    await withAdmin(kafka, (admin) => admin.deleteTopics({ topics: [topic] })).catch(() => {});
  }
}

/**
 * PostgreSQL's COPY rate for rows shaped like ledger rows (a few short columns and a JSON text of
 * the same size), via psql's \copy from a file, into an unlogged scratch table.
 */
export async function pgCopyRate({
  pool,
  databaseUrl,
  rows,
  sampleRecord,
}: {
  pool: Pool;
  databaseUrl: string;
  rows: number;
  sampleRecord: string;
}): Promise<{ pgCopyRowsPerSec: number }> {
  const table = `ut_bench_copy_${process.pid}`;
  const file = path.join(os.tmpdir(), `${table}.csv`);
  const csvRecord = `"${sampleRecord.replace(/"/g, '""')}"`;
  const out = fs.createWriteStream(file);
  for (let i = 0; i < rows; i++) {
    out.write(
      `ni:///sha-256;${i.toString(16).padStart(64, '0')}?ver=CBV2.0,2026-01-05T06:00:00Z,ObjectEvent,shipping,in_transit,ut.raw.mes.v1/0/${i},${csvRecord}\n`,
    );
  }
  await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
  await pool.query(
    `CREATE UNLOGGED TABLE ${table} (event_id text, event_time timestamptz, event_type text, biz_step text, disposition text, lineage text, record json)`,
  );
  try {
    const t0 = process.hrtime.bigint();
    await run('psql', [
      databaseUrl,
      '-v',
      'ON_ERROR_STOP=1',
      '-qc',
      `\\copy ${table} FROM '${file}' WITH (FORMAT csv)`,
    ]);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { pgCopyRowsPerSec: Math.round(rows / seconds) };
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    fs.rmSync(file, { force: true });
  }
}

/** Percentile of a sorted list (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** A series of timings (ms): how many, and p50/p99 to two decimals (0 for an empty series). Sorts it. */
export function msSeries(ms: number[]): { runs: number; p50Ms: number; p99Ms: number } {
  ms.sort((a, b) => a - b);
  const at = (p: number) => (ms.length ? Math.round(percentile(ms, p) * 100) / 100 : 0);
  return { runs: ms.length, p50Ms: at(50), p99Ms: at(99) };
}

/** Latencies (ms) from raw record to committed ledger row, of the rows landed from these raw offsets. */
export async function landedLatencies(
  pool: Pool,
  lineagePrefixRanges: { topic: string; partition: number; from: number; to: number }[],
): Promise<number[]> {
  const out: number[] = [];
  for (const r of lineagePrefixRanges) {
    const rows = await pool.query<{ ms: number }>(
      `SELECT extract(epoch FROM inserted_at - origin_ts) * 1000 AS ms FROM ut.events
        WHERE lineage LIKE $1 AND split_part(lineage, '/', 3)::bigint >= $2 AND split_part(lineage, '/', 3)::bigint < $3
          AND origin_ts IS NOT NULL`,
      [`${r.topic}/${r.partition}/%`, r.from, r.to],
    );
    out.push(...rows.rows.map((x) => Number(x.ms)));
  }
  return out.sort((a, b) => a - b);
}
