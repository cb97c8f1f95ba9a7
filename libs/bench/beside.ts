/**
 * `unitrail bench queries --beside split|fused`: the journey and lot queries timed on a kept bench
 * store while a deployment of the pipeline drains a backlog of its own (a scratch database, the
 * local stack) on the same box: issue 12's "must hold with the pipeline running beside them".
 *
 * The deployment is started first; the queries are timed from its first landed row, by `bench
 * queries --reuse` in a session of its own (a client beside the pipeline, not inside its scheduling
 * group), and the run says whether it was still draining when they ended (a measurement after the drain would time the
 * quiet box). The stage processes inherit this process's environment, so `STAGE_NICE=10 unitrail
 * bench queries --beside split` times them beside a niced pipeline; each process's niceness and
 * scheduling group are read back from /proc and printed with the figures.
 */
import fs from 'node:fs';
import os from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import type { Config } from '../config';
import { UnitrailError } from '../errors';
import { createKafka, kafkaConnection, startGroupsAtEnd } from '../kafka';
import { createCodec } from '../avro';
import { createPool, databaseName, dropDatabase, scratchDatabase } from '../store';
import { accountFor, demoMasterdata, generateDemo, produceRecords, rawEndOffsets } from '../demo';
import { loadMasterdata } from '../masterdata';
import { prepareStack, stackUp } from '../stack';
import { seenSetPrefix } from '../seenset';
import { cliEntry, stopStages } from '../supervisor';
import { exitedCheck, loadAverage, untilFirstLanded, type Deployment } from './pipeline';
import type { QueryBenchResult } from './queries';

/** A stage process as the kernel schedules it while the queries were timed. */
export interface BesideProcess {
  command: string;
  pid: number;
  nice: number | null;
  /** `/proc/PID/autogroup`: "/autogroup-N nice K", or null where there is none. */
  autogroup: string | null;
}

export interface BesideResult {
  beside: string;
  backlog: number;
  store: string;
  /** The STAGE_NICE the stage processes were started with. */
  stage_nice: number;
  load_at_start: [number, number, number];
  load_at_end: [number, number, number];
  measure_seconds: number;
  pipeline: {
    produced: number;
    accounted_at_start: number;
    accounted_at_end: number;
    /** Records landed, deduplicated or sent to the DLQ per second while the queries ran. */
    per_sec_during: number;
    /** True when the backlog was not yet drained when the last query ended. */
    draining_throughout: boolean;
  };
  processes: BesideProcess[];
  queries: QueryBenchResult;
}

/** Each started process's niceness and autogroup, read from the kernel (null when gone). */
export function scheduling(children: ChildProcess[]): BesideProcess[] {
  return children.flatMap((c) => {
    if (!c.pid) return [];
    let nice: number | null = null;
    try {
      nice = os.getPriority(c.pid);
    } catch {
      // gone
    }
    let autogroup: string | null = null;
    try {
      autogroup = fs.readFileSync(`/proc/${c.pid}/autogroup`, 'utf8').trim();
    } catch {
      // not Linux, or a kernel without autogroups
    }
    return [{ command: c.spawnargs.slice(-1)[0] ?? '', pid: c.pid, nice, autogroup }];
  });
}

/** Whether the pipeline drained the whole time: not yet done when the last query ended. */
export function drainingThroughout(a: { accountedAtEnd: number; produced: number }): boolean {
  return a.accountedAtEnd < a.produced;
}

/**
 * `unitrail bench queries --reuse` in a process and session of its own, as a client of the store
 * (the ops API, the console, an analyst's tool) runs beside the pipeline: not in this process,
 * whose session the stages started without STAGE_NICE share (one scheduling group on a box with
 * autogroups), which would time the queries' client inside the pipeline's group.
 */
async function queriesInOwnSession(store: string, journeyRuns: number): Promise<QueryBenchResult> {
  const args = [
    cliEntry(),
    'bench',
    'queries',
    '--reuse',
    '--database',
    store,
    '--runs',
    String(journeyRuns),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += String(b)));
  child.stderr.on('data', (b: Buffer) => (err += String(b)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{'))
    throw new UnitrailError(
      'BENCH_QUERIES_FAILED',
      `bench queries --reuse --database ${store} exited with ${code}: ${err.trim().split('\n').pop() ?? ''}`,
    );
  return JSON.parse(line) as QueryBenchResult;
}

export async function benchQueriesBeside({
  config,
  deployment,
  storeUrl,
  backlog = 100_000,
  journeyRuns = 500,
  progress = () => {},
}: {
  config: Config;
  deployment: Deployment;
  /** The kept bench store the queries run on (`bench queries` built it). */
  storeUrl: string;
  backlog?: number;
  journeyRuns?: number;
  progress?: (line: string) => void;
}): Promise<BesideResult> {
  const store = databaseName(storeUrl);
  // The store must be there before the pipeline is started (measureQueries refuses an empty one).
  const probe = createPool(storeUrl, { max: 1 });
  try {
    await probe.query(`SELECT 1 FROM ut.unit_state LIMIT 1`);
  } catch (err) {
    throw new UnitrailError(
      'BENCH_NO_STORE',
      `bench queries --beside needs the kept store ${store} (build it with 'unitrail bench queries --database ${store}'): ${(err as Error).message}`,
    );
  } finally {
    await probe.end();
  }
  await stackUp({});
  await prepareStack(config);
  const kafka = createKafka(kafkaConnection(config));
  const codec = createCodec({ url: config.schemaRegistryUrl });
  const redis = new Redis(config.redisUrl);
  const dbName = `${databaseName(config.databaseUrl)}_bench_beside`;
  await dropDatabase(config.databaseUrl, dbName);
  const db = await scratchDatabase(config.databaseUrl, dbName);
  let children: ChildProcess[] = [];
  try {
    const seenPrefix = await seenSetPrefix(kafka);
    await loadMasterdata(db.pool, kafka, codec, demoMasterdata());
    const seed = Math.floor(Math.random() * 2 ** 30);
    progress(
      `bench queries --beside ${deployment.name}: producing ${backlog} records as a backlog (seed ${seed})`,
    );
    const records = generateDemo({ events: backlog, dupRate: 0.02, invalidRate: 0.01, seed });
    await startGroupsAtEnd(kafka, deployment.groups);
    const before = await rawEndOffsets(kafka);
    const tp0 = Date.now();
    await produceRecords(kafka, codec, records);
    const after = await rawEndOffsets(kafka);
    const account = async () => {
      const a = await accountFor(db.pool, redis, before, after, seenPrefix, new Date(tp0 - 1000));
      return { accounted: a.landed + a.duplicates + a.dlq, produced: a.produced };
    };
    const t0 = Date.now();
    children = deployment.start({ DATABASE_URL: db.url, LOG_LEVEL: 'warn' });
    const crashed = exitedCheck(deployment.name, () => children);
    progress(
      `bench queries --beside ${deployment.name}: processes started; waiting for the first landed row`,
    );
    await untilFirstLanded(db.pool, deployment.name, crashed, t0, 200);
    const start = await account();
    const loadAtStart = loadAverage();
    progress(
      `bench queries --beside ${deployment.name}: draining (${start.accounted}/${start.produced}); timing the queries on ${store} (load ${loadAtStart.join(' ')})`,
    );
    const m0 = Date.now();
    const queries = await queriesInOwnSession(store, journeyRuns);
    const m1 = Date.now();
    const processes = scheduling(children);
    const loadAtEnd = loadAverage();
    crashed();
    const end = await account();
    const seconds = (m1 - m0) / 1000;
    return {
      beside: deployment.name,
      backlog,
      store,
      stage_nice: config.stageNice,
      load_at_start: loadAtStart,
      load_at_end: loadAtEnd,
      measure_seconds: Number(seconds.toFixed(1)),
      pipeline: {
        produced: end.produced,
        accounted_at_start: start.accounted,
        accounted_at_end: end.accounted,
        per_sec_during: Math.round((end.accounted - start.accounted) / Math.max(0.001, seconds)),
        draining_throughout: drainingThroughout({ accountedAtEnd: end.accounted, produced: end.produced }),
      },
      processes,
      queries,
    };
  } finally {
    await stopStages(children);
    redis.disconnect();
    await db.pool.end();
    await dropDatabase(config.databaseUrl, dbName);
  }
}
