/**
 * What the outage tests share: a TCP proxy that can cut a dependency off (the machine's
 * PostgreSQL and Redis are never stopped; the proxy is the outage), and a run of the whole pipeline
 * checked exactly by event id: PostgreSQL holds exactly the unique valid events, the DLQ the invalid.
 */
import net from 'node:net';
import Redis from 'ioredis';
import type pg from 'pg';
import type { Kafka } from 'kafkajs';
import type { Codec } from '../libs/avro';
import { demoCounts, demoMasterdata, generateDemo, type DemoRecord } from '../libs/demo';
import { accountFor, produceRecords, rawEndOffsets } from '../libs/demo';
import { normalize } from '../libs/sources';
import { createCodec } from '../libs/avro';
import { createKafka } from '../libs/kafka';
import { loadMasterdata } from '../libs/masterdata';
import { createPool } from '../libs/store';
import { stageNames } from '../services/stages';
import { config, randomSeed, seenPrefix, Stages, waitFor } from './helpers';

export const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** How many events each outage test produces; RESILIENCE_EVENTS=100000 runs the full size. */
export const outageEvents = (ciDefault: number) => Number(process.env.RESILIENCE_EVENTS ?? ciDefault);

export interface TcpProxy {
  port: number;
  /** Connections currently carried. */
  open: () => number;
  /** Cuts every carried connection and refuses (resets) new ones until restore(). */
  cut: () => void;
  /**
   * Cuts, as `cut()`, right after forwarding a client chunk that contains `marker` (e.g. an INSERT
   * inside a transaction); resolves once cut.
   */
  cutAfter: (marker: string) => Promise<void>;
  restore: () => void;
  close: () => Promise<void>;
}

export async function tcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let down = false;
  let armed: { marker: string; resolve: () => void } | undefined;
  const cutNow = () => {
    down = true;
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  const server = net.createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      if (armed && chunk.includes(armed.marker)) {
        const { resolve } = armed;
        armed = undefined;
        // Let the chunk reach the server, so the transaction really is open when the line goes.
        setTimeout(() => {
          cutNow();
          resolve();
        }, 20);
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return {
    port: (server.address() as net.AddressInfo).port,
    open: () => pairs.size,
    cut: cutNow,
    cutAfter: (marker) => new Promise<void>((resolve) => (armed = { marker, resolve })),
    restore: () => {
      down = false;
    },
    close: async () => {
      cutNow();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}

/** The same URL with its host:port replaced by the proxy's. */
export function viaProxy(url: string, proxy: TcpProxy): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}

type Ranges = Awaited<ReturnType<typeof rawEndOffsets>>;

async function idsInRanges(
  pool: pg.Pool,
  before: Ranges,
  after: Ranges,
  sql: string,
  column: string,
): Promise<string[]> {
  const ids: string[] = [];
  for (const topic of Object.keys(after)) {
    for (const [partition, to] of after[topic]!) {
      const rows = await pool.query<Record<string, string>>(sql, [
        topic,
        partition,
        before[topic]?.get(partition) ?? 0,
        to,
      ]);
      ids.push(...rows.rows.map((x) => x[column]!));
    }
  }
  return ids.sort();
}

const landedIds = (pool: pg.Pool, before: Ranges, after: Ranges) =>
  idsInRanges(
    pool,
    before,
    after,
    `SELECT event_id FROM ut.events WHERE lineage LIKE $1 || '/' || $2 || '/%'
        AND split_part(lineage, '/', 3)::bigint >= $3 AND split_part(lineage, '/', 3)::bigint < $4`,
    'event_id',
  );

const dlqIds = (pool: pg.Pool, before: Ranges, after: Ranges) =>
  idsInRanges(
    pool,
    before,
    after,
    `SELECT dlq_id FROM ut.dlq WHERE stage = 'validator' AND source_topic = $1 AND source_partition = $2
        AND source_offset >= $3 AND source_offset < $4`,
    'dlq_id',
  );

const expectedIds = (records: DemoRecord[]) =>
  records
    .filter((x) => x.kind === 'valid')
    .map((x) => normalize(x.topic, x.value, { topic: x.topic, partition: 0, offset: 0, schemaId: 0 }).eventId)
    .sort();

export interface DisturbedRun {
  kafka: Kafka;
  codec: Codec;
  /** Reads the outcome (never through a proxy). */
  pool: pg.Pool;
  redisUrl: string;
  stages: Stages;
  events: number;
  /** Produces the demo records; the default produces with `kafka` and `codec`. */
  produce?: (records: DemoRecord[]) => Promise<void>;
  /** Runs while the pipeline works; `progress()` is the share of records accounted for so far. */
  disturb: (progress: () => Promise<number>) => Promise<void>;
}

/** Produces, runs `disturb` while the pipeline works, then checks the exact outcome by event id. */
export async function runDisturbed({
  kafka,
  codec,
  pool,
  redisUrl,
  stages,
  events,
  produce,
  disturb,
}: DisturbedRun): Promise<{ produced: number; landed: number; duplicates: number; dlq: number }> {
  const records = generateDemo({ events, dupRate: 0.1, invalidRate: 0.02, seed: randomSeed() });
  const expected = demoCounts(records);
  const r = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const prefix = await seenPrefix();
  try {
    const before = await rawEndOffsets(kafka);
    await (produce ?? ((recs) => produceRecords(kafka, codec, recs)))(records);
    const after = await rawEndOffsets(kafka);
    const progress = async () => {
      const a = await accountFor(pool, r, before, after, prefix).catch(() => undefined);
      return a ? (a.landed + a.duplicates + a.dlq) / a.produced : 0;
    };
    await disturb(progress);
    const accounts = await waitFor(
      'every record accounted for',
      async () => {
        const a = await accountFor(pool, r, before, after, prefix);
        return a.landed + a.duplicates + a.dlq >= a.produced && a;
      },
      { timeoutMs: Math.max(300_000, events * 15) },
    );
    expect(accounts).toEqual({
      produced: events,
      landed: expected.unique_valid,
      duplicates: expected.duplicates,
      dlq: expected.invalid,
    });
    expect(await landedIds(pool, before, after)).toEqual(expectedIds(records));
    expect((await dlqIds(pool, before, after)).length).toBe(expected.invalid);
    return accounts;
  } finally {
    r.disconnect();
    await stages.stopAll();
  }
}

/**
 * A test file's disturbed runs: clients of the stack, the demo's master data loaded before its
 * tests, and `run`: runDisturbed with them, printing the accounts under `label`.
 */
export function disturbedRuns() {
  const kafka = createKafka({ brokers: config.kafkaBrokers });
  const codec = createCodec({ url: config.schemaRegistryUrl });
  let pool: pg.Pool | undefined;
  const open = () => (pool ??= createPool(config.databaseUrl));
  beforeAll(async () => loadMasterdata(open(), kafka, codec, demoMasterdata()));
  afterAll(async () => pool?.end());
  return {
    kafka,
    codec,
    pool: open,
    async run(
      label: string,
      run: Omit<DisturbedRun, 'kafka' | 'codec' | 'pool' | 'redisUrl'> & { redisUrl?: string },
    ) {
      const accounts = await runDisturbed({ kafka, codec, pool: open(), redisUrl: config.redisUrl, ...run });
      process.stderr.write(`${label}: ${JSON.stringify(accounts)}\n`);
      return accounts;
    },
  };
}

/** Every stage, in batches of 200, with `env` over the test's environment. */
export function allStages(env: Record<string, string> = {}): Stages {
  const stages = new Stages({ BATCH_SIZE: '200', ...env });
  stages.start(...stageNames);
  return stages;
}
