/** `unitrail bench`: end-to-end throughput and latency of the pipeline, beside Kafka's and PostgreSQL's raw rates. */
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import type { Command } from '../command';
import { optString } from '../command';
import { loadConfig } from '../../../libs/config';
import { UsageError, UnitrailError } from '../../../libs/errors';
import { createKafka, kafkaConnection } from '../../../libs/kafka';
import { createCodec } from '../../../libs/avro';
import { dropDatabase, scratchDatabase } from '../../../libs/store';
import { afterStackUp, findJava, resolveKafkaJars, stackUp } from '../../../libs/stack';
import { demoMasterdata, generateDemo } from '../../../libs/demo';
import { accountFor, produceRecords, rawEndOffsets } from '../../../libs/demo/produce';
import { loadMasterdata } from '../../../libs/masterdata/load';
import { seenSetPrefix } from '../../../libs/seenset';
import { normalize } from '../../../libs/sources';
import { kafkaRawRates, landedLatencies, percentile, pgCopyRate } from '../../../libs/perf';
import { topics } from '../../../libs/topics';
import { pipelineStages, spawnStage, stopStages } from './pipeline';

const say = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Ends = Awaited<ReturnType<typeof rawEndOffsets>>;
type Range = { topic: string; partition: number; from: number; to: number };
function ranges(before: Ends, after: Ends): Range[] {
  const out: Range[] = [];
  for (const topic of Object.keys(after)) {
    for (const [partition, to] of after[topic]!) {
      const from = before[topic]?.get(partition) ?? 0;
      if (to > from) out.push({ topic, partition, from, to });
    }
  }
  return out;
}

const bench: Command = {
  name: 'bench',
  summary:
    'End-to-end events/s and p50/p99 latency, every stage its own process, beside Kafka and PostgreSQL raw rates',
  usage: '[--events N] [--latency-seconds S]',
  options: { events: { type: 'string' }, 'latency-seconds': { type: 'string' } },
  async run(input) {
    const events = Number(optString(input, 'events') ?? 50000);
    const latencySeconds = Number(optString(input, 'latency-seconds') ?? 20);
    if (!Number.isInteger(events) || events < 1000)
      throw new UsageError('--events must be a whole number ≥ 1000');
    if (!(latencySeconds > 0)) throw new UsageError('--latency-seconds must be a positive number');

    await stackUp({});
    for (const step of afterStackUp) await step();
    const config = loadConfig();
    // A database of its own, fresh each run, so the figures are for this run's rows only.
    await dropDatabase(config.databaseUrl, 'unitrail_bench_pipeline');
    const { url: benchDbUrl, pool } = await scratchDatabase(config.databaseUrl, 'unitrail_bench_pipeline');
    const dbUrl = new URL(benchDbUrl);
    const kafka = createKafka({ ...kafkaConnection(config) });
    const codec = createCodec({ url: config.schemaRegistryUrl });
    const redis = new Redis(config.redisUrl);
    const prefix = await seenSetPrefix(kafka);
    await loadMasterdata(pool, kafka, codec, demoMasterdata());
    const env = { DATABASE_URL: dbUrl.toString(), LOG_LEVEL: 'warn' };
    const logDir = path.join(config.stateDir, 'logs', 'bench');
    const seed = Math.floor(Math.random() * 2 ** 31);
    const records = generateDemo({ events, dupRate: 0.02, invalidRate: 0.01, seed });

    let children: ReturnType<typeof spawnStage>[] = [];
    try {
      // 1. Throughput: a backlog of N records, then every stage started; rate while rows land.
      say(`bench: producing ${events} records as a backlog (seed ${seed})`);
      const before = await rawEndOffsets(kafka);
      const tp0 = Date.now();
      await produceRecords(kafka, codec, records);
      const produceSeconds = (Date.now() - tp0) / 1000;
      const after = await rawEndOffsets(kafka);
      const t0 = Date.now();
      children = pipelineStages.map((s) => spawnStage(s, logDir, env));
      say(`bench: stages started; draining`);
      for (;;) {
        const a = await accountFor(pool, redis, before, after, prefix, new Date(tp0 - 1000));
        if (a.landed + a.duplicates + a.dlq >= a.produced) break;
        if (Date.now() - t0 > 30 * 60_000)
          throw new UnitrailError('BENCH_TIMEOUT', 'the backlog did not drain in 30 minutes');
        say(`bench: ${a.landed + a.duplicates + a.dlq}/${a.produced} accounted for`);
        await sleep(2000);
      }
      const drainSeconds = (Date.now() - t0) / 1000;
      const span = await pool.query<{ n: string; s: number }>(
        'SELECT count(*) AS n, extract(epoch FROM max(inserted_at) - min(inserted_at)) AS s FROM ut.events',
      );
      const landed = Number(span.rows[0]!.n);
      const steadyRate = landed / Math.max(0.001, Number(span.rows[0]!.s));

      // 2. Latency: a steady stream at half the measured rate, produce → committed row.
      const rate = Math.max(100, Math.round(steadyRate / 2));
      const latencyRecords = generateDemo({ events: Math.round(rate * latencySeconds), seed: seed + 1 });
      say(`bench: latency at ${rate} records/s for ${latencySeconds} s`);
      const lBefore = await rawEndOffsets(kafka);
      const perTick = Math.max(1, Math.round(rate / 10));
      for (let i = 0; i < latencyRecords.length; i += perTick) {
        const tick = Date.now();
        await produceRecords(kafka, codec, latencyRecords.slice(i, i + perTick));
        await sleep(Math.max(0, 100 - (Date.now() - tick)));
      }
      const lAfter = await rawEndOffsets(kafka);
      for (;;) {
        const a = await accountFor(pool, redis, lBefore, lAfter, prefix);
        if (a.landed + a.duplicates + a.dlq >= a.produced) break;
        await sleep(500);
      }
      const lat = await landedLatencies(pool, ranges(lBefore, lAfter));
      await stopStages(children);
      children = [];

      // 3. The ends, raw: Kafka's own perf tools and PostgreSQL COPY, rows of the same sizes.
      const sampleRaw = records.find((r) => r.topic === topics.rawMes.name)!;
      const rawBytes = (await codec.encode(sampleRaw.topic, sampleRaw.value)).length;
      const sampleEvent = normalize(sampleRaw.topic, sampleRaw.value, {
        topic: sampleRaw.topic,
        partition: 0,
        offset: 0,
        schemaId: 1,
      });
      say('bench: Kafka raw produce/consume rate (kafka-producer-perf-test / kafka-consumer-perf-test)');
      const java = await findJava();
      const kafkaRates = await kafkaRawRates({
        kafka,
        brokers: config.kafkaBrokers.join(','),
        java: java.bin,
        jarsDir: await resolveKafkaJars(),
        records: 200_000,
        recordBytes: rawBytes,
      });
      say('bench: PostgreSQL COPY rate');
      const copy = await pgCopyRate({
        pool,
        databaseUrl: dbUrl.toString(),
        rows: 100_000,
        sampleRecord: JSON.stringify(sampleEvent),
      });

      const result = {
        events,
        landed,
        produce_seconds: Number(produceSeconds.toFixed(1)),
        drain_seconds: Number(drainSeconds.toFixed(1)),
        end_to_end_events_per_sec: Math.round(steadyRate),
        latency_rate_per_sec: rate,
        latency_p50_ms: Math.round(percentile(lat, 50)),
        latency_p99_ms: Math.round(percentile(lat, 99)),
        latency_samples: lat.length,
        kafka_raw_produce_per_sec: Math.round(kafkaRates.kafkaProduceRecordsPerSec),
        kafka_raw_consume_per_sec: Math.round(kafkaRates.kafkaConsumeRecordsPerSec),
        kafka_record_bytes: rawBytes,
        pg_copy_rows_per_sec: copy.pgCopyRowsPerSec,
        pg_row_json_bytes: JSON.stringify(sampleEvent).length,
        ratio_to_kafka_produce: Number((steadyRate / kafkaRates.kafkaProduceRecordsPerSec).toFixed(3)),
        ratio_to_pg_copy: Number((steadyRate / copy.pgCopyRowsPerSec).toFixed(3)),
        cpus: os.cpus().length,
      };
      console.log(JSON.stringify(result));
      return 0;
    } finally {
      await stopStages(children);
      await pool.end();
      redis.disconnect();
    }
  },
};

export const benchCommands: Command[] = [bench];
