/**
 * The end-to-end benchmark (`unitrail bench`): each deployment of the pipeline (split: one process
 * per stage with topics between them; fused: `unitrail run pipeline`) drains the same kind of
 * generated backlog into a database of its own, then carries a steady stream for latency; the raw
 * rates of the two ends (Kafka's own perf tools, PostgreSQL COPY) are measured in the same run, on
 * the same machine, so the ratios show.
 *
 * CPU per landed event is read from /proc while a deployment drains: every process it started
 * (and their children), the Kafka broker, and the PostgreSQL backends connected to its database.
 * PostgreSQL's own background processes (WAL writer, checkpointer, autovacuum) serve every database
 * of the server, so they are reported beside the total, not in it.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import type Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import type { Config } from '../config';
import type { Codec } from '../avro';
import { UnitrailError } from '../errors';
import { createPool, databaseName, dropDatabase, scratchDatabase } from '../store';
import { demoMasterdata, generateDemo } from '../demo';
import { accountFor, produceRecords, rawEndOffsets } from '../demo';
import { loadMasterdata } from '../masterdata';
import { normalize } from '../sources';
import { topics } from '../topics';
import { stopStages } from '../supervisor';
import { startGroupsAtEnd } from '../kafka';
import { isLoopback, urlPort } from '../stack';
import { kafkaRawRates, landedLatencies, percentile, pgCopyRate } from './raw-rates';
import { allPids, descendants, listenerPid, parentPid, processCpuMicros, commandOf } from './cpu';

/** A way to run the pipeline: the processes it starts, given the environment (DATABASE_URL...). */
export interface Deployment {
  /** `split` (one process per stage) or `fused` (`unitrail run pipeline`); the JSON key. */
  name: string;
  start: (env: NodeJS.ProcessEnv) => ChildProcess[];
  /** Its consumer groups and their input topics: the run starts each at this run's records. */
  groups: Record<string, readonly string[]>;
}

export interface PipelineBenchOptions {
  config: Config;
  kafka: Kafka;
  codec: Codec;
  redis: Redis;
  /** The seen-set prefix of this Kafka cluster. */
  seenPrefix: string;
  deployments: Deployment[];
  events?: number;
  latencySeconds?: number;
  /** The broker's pid, for its share of the CPU (null: not counted). */
  brokerPid?: number | null;
  /** Kafka's perf tools: a JVM and the broker's jars. */
  java: string;
  kafkaJarsDir: string;
  rawKafkaRecords?: number;
  copyRows?: number;
  progress?: (line: string) => void;
}

export interface CpuParts {
  /** Every process the deployment started, and their children. */
  pipeline: number;
  broker: number;
  /** Backends connected to the deployment's database. */
  postgres_backends: number;
  /** PostgreSQL's background processes, shared by every database of the server: not in the total. */
  postgres_shared_aux: number;
  /**
   * The Redis server of the seen-set, when it listens on this machine (null otherwise): the
   * deduplicator's claims, one script call per batch. A server other clients may share, as
   * PostgreSQL's background processes: not in the total.
   */
  redis: number | null;
}

export interface DeploymentResult {
  landed: number;
  drain_seconds: number;
  end_to_end_events_per_sec: number;
  latency_rate_per_sec: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
  latency_samples: number;
  /** CPU µs per event landed while draining: pipeline + broker + PostgreSQL backends. */
  cpu_us_per_event: number;
  cpu_us_per_event_parts: CpuParts;
  ratio_to_kafka_produce: number;
  ratio_to_pg_copy: number;
}

export interface PipelineBenchResult {
  events: number;
  seeds: Record<string, number>;
  cpus: number;
  load_average: [number, number, number];
  kafka_raw_produce_per_sec: number;
  kafka_raw_consume_per_sec: number;
  kafka_record_bytes: number;
  pg_copy_rows_per_sec: number;
  pg_row_json_bytes: number;
  deployments: Record<string, DeploymentResult>;
}

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

/**
 * CPU of a changing set of processes: a process seen at begin() counts from there; one seen later
 * started in between and counts whole; the last reading of one that ends still counts.
 */
class CpuTracker {
  private base = new Map<number, number>();
  private last = new Map<number, number>();
  private begun = false;
  constructor(private readonly pids: () => Promise<number[]> | number[]) {}
  async poll(): Promise<void> {
    for (const pid of await this.pids()) {
      const us = processCpuMicros(pid);
      if (us === null) continue;
      if (!this.base.has(pid)) this.base.set(pid, this.begun ? 0 : us);
      this.last.set(pid, us);
    }
  }
  async begin(): Promise<void> {
    this.base.clear();
    this.last.clear();
    this.begun = false;
    await this.poll();
    this.begun = true;
  }
  micros(): number {
    let us = 0;
    for (const [pid, t] of this.last) us += t - (this.base.get(pid) ?? 0);
    return us;
  }
}

/** The application name of the bench's own connections, which watch the drain: not the deployment's cost. */
const WATCHER = 'unitrail-bench-watch';

/** The port of a Redis on this machine (a loopback host in the URL), or null for one elsewhere. */
export function localRedisPort(url: string): number | null {
  return isLoopback(new URL(url).hostname) ? urlPort(url, 6379) : null;
}

async function backendPids(pool: pg.Pool): Promise<number[]> {
  const r = await pool.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
        AND backend_type = 'client backend' AND application_name IS DISTINCT FROM $1`,
    [WATCHER],
  );
  return r.rows.map((x) => x.pid);
}

/** The postmaster's background processes (not client backends), found through a backend's parent. */
async function auxPids(pool: pg.Pool): Promise<number[]> {
  const own = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const postmaster = parentPid(own.rows[0]!.pid);
  if (postmaster === null || !fs.existsSync('/proc')) return [];
  const children = allPids().filter((pid) => parentPid(pid) === postmaster);
  // Background workers name themselves; client backends show "postgres: user db host ...".
  return children.filter((pid) =>
    /postgres: (.*)?(walwriter|checkpointer|background writer|autovacuum|logical replication|walsender|stats)/.test(
      commandOf(pid),
    ),
  );
}

/** The box's 1-, 5- and 15-minute load, to two decimals (each bench prints it with its figures). */
export function loadAverage(): [number, number, number] {
  const [a, b, c] = os.loadavg();
  return [Number(a!.toFixed(2)), Number(b!.toFixed(2)), Number(c!.toFixed(2))];
}

/** A check to call while a deployment runs: throws, naming the process, once one of them has exited. */
export function exitedCheck(deployment: string, children: () => readonly ChildProcess[]): () => void {
  return () => {
    const c = children().find((x) => x.exitCode !== null || x.signalCode !== null);
    if (c) {
      throw new UnitrailError(
        'BENCH_PROCESS_EXITED',
        `a process of the ${deployment} deployment (${c.spawnargs.slice(2).join(' ')}) exited with ${c.exitCode ?? c.signalCode}; see its log under the state dir's logs/bench`,
      );
    }
  };
}

const landedCount = async (pool: pg.Pool) =>
  Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM ut.events')).rows[0]!.n);

/**
 * Waits until the deployment's store holds a landed row, checking on each turn that no stage has
 * crashed; refuses after 10 minutes from `t0`.
 */
export async function untilFirstLanded(
  pool: pg.Pool,
  deployment: string,
  crashed: () => void,
  t0: number,
  everyMs: number,
): Promise<void> {
  while ((await landedCount(pool)) === 0) {
    crashed();
    if (Date.now() - t0 > 10 * 60_000)
      throw new UnitrailError('BENCH_TIMEOUT', `the ${deployment} deployment landed nothing in 10 minutes`);
    await sleep(everyMs);
  }
}

/** Runs every deployment in turn on its own database, then the raw rates; one result. */
export async function runPipelineBench({
  config,
  kafka,
  codec,
  redis,
  seenPrefix,
  deployments,
  events = 50_000,
  latencySeconds = 20,
  brokerPid = null,
  java,
  kafkaJarsDir,
  rawKafkaRecords = 200_000,
  copyRows = 100_000,
  progress = () => {},
}: PipelineBenchOptions): Promise<PipelineBenchResult> {
  const dbName = `${databaseName(config.databaseUrl)}_bench_pipeline`;
  const seed = Math.floor(Math.random() * 2 ** 30);
  const seeds: Record<string, number> = {};
  const results: Record<string, Omit<DeploymentResult, 'ratio_to_kafka_produce' | 'ratio_to_pg_copy'>> = {};
  let sample: ReturnType<typeof generateDemo>[number] | undefined;
  let lastDbUrl = '';
  for (const [k, deployment] of deployments.entries()) {
    // The same generator and parameters for each deployment; its own seed, so that its events are
    // new to the deduplicator's seen-set (the same events again would all be duplicates).
    seeds[deployment.name] = seed + 7 * k;
    const records = generateDemo({ events, dupRate: 0.02, invalidRate: 0.01, seed: seeds[deployment.name]! });
    sample ??= records.find((r) => r.topic === topics.rawMes.name);
    // A database of its own, fresh each run, so the figures are for this run's rows only.
    await dropDatabase(config.databaseUrl, dbName);
    const db = await scratchDatabase(config.databaseUrl, dbName);
    lastDbUrl = db.url;
    // The drain is watched (counts, accounts, pids) on connections of their own, named so that
    // their backends' CPU is not counted as the deployment's.
    const watchUrl = new URL(db.url);
    watchUrl.searchParams.set('application_name', WATCHER);
    const watch = createPool(watchUrl.toString(), { max: 2 });
    let children: ChildProcess[] = [];
    try {
      await loadMasterdata(db.pool, kafka, codec, demoMasterdata());
      const env = { DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
      progress(
        `bench ${deployment.name}: producing ${events} records as a backlog (seed ${seeds[deployment.name]})`,
      );
      // Records other runs left on the topics are not this run's: its groups start at its own.
      await startGroupsAtEnd(kafka, deployment.groups);
      const before = await rawEndOffsets(kafka);
      const tp0 = Date.now();
      await produceRecords(kafka, codec, records);
      const after = await rawEndOffsets(kafka);
      const t0 = Date.now();
      children = deployment.start(env);
      const crashed = exitedCheck(deployment.name, () => children);
      const pipelineCpu = new CpuTracker(() => {
        const pids = children.map((c) => c.pid!).filter(Boolean);
        return [...pids, ...descendants(pids)];
      });
      const brokerCpu = new CpuTracker(() => (brokerPid ? [brokerPid] : []));
      const backendCpu = new CpuTracker(() => backendPids(watch));
      const auxCpu = new CpuTracker(() => auxPids(watch));
      const port = localRedisPort(config.redisUrl);
      const redisPid = port === null ? null : listenerPid(port);
      const redisCpu = new CpuTracker(() => (redisPid ? [redisPid] : []));
      const trackers = [pipelineCpu, brokerCpu, backendCpu, auxCpu, redisCpu];
      progress(`bench ${deployment.name}: processes started; draining`);
      // CPU from the first landed row: start-up (loading code, joining groups) is not per event.
      await untilFirstLanded(watch, deployment.name, crashed, t0, 100);
      for (const t of trackers) await t.begin();
      const landedAtBegin = await landedCount(watch);
      for (;;) {
        crashed();
        for (const t of trackers) await t.poll();
        const a = await accountFor(watch, redis, before, after, seenPrefix, new Date(tp0 - 1000));
        if (a.landed + a.duplicates + a.dlq >= a.produced) break;
        if (Date.now() - t0 > 30 * 60_000)
          throw new UnitrailError('BENCH_TIMEOUT', 'the backlog did not drain in 30 minutes');
        progress(`bench ${deployment.name}: ${a.landed + a.duplicates + a.dlq}/${a.produced} accounted for`);
        await sleep(1000);
      }
      for (const t of trackers) await t.poll();
      const drainSeconds = (Date.now() - t0) / 1000;
      const span = await watch.query<{ n: string; s: number }>(
        'SELECT count(*) AS n, extract(epoch FROM max(inserted_at) - min(inserted_at)) AS s FROM ut.events',
      );
      const landed = Number(span.rows[0]!.n);
      const steadyRate = landed / Math.max(0.001, Number(span.rows[0]!.s));
      const perEvent = (us: number) => Math.round(us / Math.max(1, landed - landedAtBegin));
      const parts: CpuParts = {
        pipeline: perEvent(pipelineCpu.micros()),
        broker: perEvent(brokerCpu.micros()),
        postgres_backends: perEvent(backendCpu.micros()),
        postgres_shared_aux: perEvent(auxCpu.micros()),
        redis: redisPid ? perEvent(redisCpu.micros()) : null,
      };

      // Latency: a steady stream at half the measured rate, produce → committed row.
      const rate = Math.max(100, Math.round(steadyRate / 2));
      const latencyRecords = generateDemo({
        events: Math.round(rate * latencySeconds),
        seed: seeds[deployment.name]! + 1,
      });
      progress(`bench ${deployment.name}: latency at ${rate} records/s for ${latencySeconds} s`);
      const lBefore = await rawEndOffsets(kafka);
      const perTick = Math.max(1, Math.round(rate / 10));
      for (let i = 0; i < latencyRecords.length; i += perTick) {
        const tick = Date.now();
        await produceRecords(kafka, codec, latencyRecords.slice(i, i + perTick));
        await sleep(Math.max(0, 100 - (Date.now() - tick)));
      }
      const lAfter = await rawEndOffsets(kafka);
      for (;;) {
        crashed();
        const a = await accountFor(watch, redis, lBefore, lAfter, seenPrefix);
        if (a.landed + a.duplicates + a.dlq >= a.produced) break;
        await sleep(500);
      }
      const lat = await landedLatencies(db.pool, ranges(lBefore, lAfter));
      results[deployment.name] = {
        landed,
        drain_seconds: Number(drainSeconds.toFixed(1)),
        end_to_end_events_per_sec: Math.round(steadyRate),
        latency_rate_per_sec: rate,
        latency_p50_ms: Math.round(percentile(lat, 50)),
        latency_p99_ms: Math.round(percentile(lat, 99)),
        latency_samples: lat.length,
        cpu_us_per_event: parts.pipeline + parts.broker + parts.postgres_backends,
        cpu_us_per_event_parts: parts,
      };
    } finally {
      await stopStages(children);
      await watch.end();
      await db.pool.end();
    }
  }

  // The ends, raw: Kafka's own perf tools and PostgreSQL COPY, rows of the same sizes.
  const rawBytes = (await codec.encode(sample!.topic, sample!.value)).length;
  const sampleEvent = normalize(sample!.topic, sample!.value, {
    topic: sample!.topic,
    partition: 0,
    offset: 0,
    schemaId: 1,
  });
  progress('bench: Kafka raw produce/consume rate (kafka-producer-perf-test / kafka-consumer-perf-test)');
  const kafkaRates = await kafkaRawRates({
    kafka,
    brokers: config.kafkaBrokers.join(','),
    java,
    jarsDir: kafkaJarsDir,
    records: rawKafkaRecords,
    recordBytes: rawBytes,
  });
  progress('bench: PostgreSQL COPY rate');
  const pool = createPool(lastDbUrl, { max: 1 });
  let copy: { pgCopyRowsPerSec: number };
  try {
    copy = await pgCopyRate({
      pool,
      databaseUrl: lastDbUrl,
      rows: copyRows,
      sampleRecord: JSON.stringify(sampleEvent),
    });
  } finally {
    await pool.end();
  }
  const deploymentsOut: Record<string, DeploymentResult> = {};
  for (const [name, r] of Object.entries(results)) {
    deploymentsOut[name] = {
      ...r,
      ratio_to_kafka_produce: Number(
        (r.end_to_end_events_per_sec / kafkaRates.kafkaProduceRecordsPerSec).toFixed(3),
      ),
      ratio_to_pg_copy: Number((r.end_to_end_events_per_sec / copy.pgCopyRowsPerSec).toFixed(3)),
    };
  }
  return {
    events,
    seeds,
    cpus: os.cpus().length,
    load_average: loadAverage(),
    kafka_raw_produce_per_sec: Math.round(kafkaRates.kafkaProduceRecordsPerSec),
    kafka_raw_consume_per_sec: Math.round(kafkaRates.kafkaConsumeRecordsPerSec),
    kafka_record_bytes: rawBytes,
    pg_copy_rows_per_sec: copy.pgCopyRowsPerSec,
    pg_row_json_bytes: JSON.stringify(sampleEvent).length,
    deployments: deploymentsOut,
  };
}
