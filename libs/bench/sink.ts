/**
 * The journey sink's write alone (`unitrail bench sink`): the demo stream, normalised to canonical
 * events, written with writeBatch into a database of its own, batch after batch as the sink
 * would (one hash chain per partition), no Kafka. Prints what PostgreSQL alone absorbs: events/s,
 * rows per event, CPU µs per event of the writer and of its PostgreSQL backends, and the backends'
 * share of each statement of the write.
 */
import fs from 'node:fs';
import os from 'node:os';
import type pg from 'pg';
import { databaseName, dropDatabase, scratchDatabase, writeBatch, type SinkRow } from '../store';
import { generateDemo } from '../demo';
import { normalize } from '../sources';
import { ownCpuMicros, processCpuMicros } from './cpu';

export interface SinkBenchResult {
  bench: 'sink';
  events: number;
  batch_size: number;
  concurrency: number;
  seconds: number;
  events_per_sec: number;
  rows_per_event: number;
  /** The writing process (JavaScript: COPY rows, hashes) and its PostgreSQL backends. */
  cpu_us_per_event: { writer: number; postgres_backends: number };
  /**
   * The backends' CPU per event by statement of the write (from /proc/<pid>/schedstat around each
   * call, so in ns, not 10 ms ticks; null where that file is missing): where PostgreSQL's time goes.
   */
  backend_us_per_event_by_statement: Record<string, number> | null;
  cpus: number;
  load_average: [number, number, number];
}

export function sinkRows(events: number, seed: number): SinkRow[] {
  const seen = new Set<string>();
  const rows: SinkRow[] = [];
  for (const [i, r] of generateDemo({ events, dupRate: 0, invalidRate: 0, seed }).entries()) {
    const event = normalize(r.topic, r.value, { topic: r.topic, partition: i % 3, offset: i, schemaId: 1 });
    if (seen.has(event.eventId)) continue;
    seen.add(event.eventId);
    rows.push({ event, recallId: null, originTs: Date.now() });
  }
  return rows;
}

/** CPU time of one process so far in ns (/proc/<pid>/schedstat), or null. */
function schedNs(pid: number): number | null {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return null;
  }
}

/** A statement of the sink's write by what it writes, so the JSON names stay short and stable. */
export function statementKind(text: string): string {
  const copy = /^COPY (\S+)/.exec(text);
  // The usual batch: every COPY, the chain, unit state and COMMIT in one script (runScript).
  if (copy && text.includes('INSERT INTO ut.unit_state')) return 'rows + unit state + commit';
  if (copy) return `copy ${copy[1]}`;
  if (text.includes('INSERT INTO ut.unit_state')) return 'unit state + commit';
  if (text.startsWith('BEGIN')) return 'begin + locks';
  return 'chain and other';
}

/**
 * Wraps the query of every client the pool hands out so that the backend's CPU during each call is
 * added to its statement's kind: a promise's when it settles, a query object's (runScript's) when its
 * callback is called.
 */
function timeStatements(pool: pg.Pool) {
  const total = new Map<string, number>();
  let missing = false;
  const wrapped = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => {
    if (wrapped.has(client)) return;
    wrapped.add(client);
    const pid = (client as unknown as { processID: number }).processID;
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    const add = (kind: string, from: number | null) => {
      const now = schedNs(pid);
      if (from === null || now === null) missing = true;
      else total.set(kind, (total.get(kind) ?? 0) + now - from);
    };
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const q = args[0] as string | { text?: string; submit?: unknown; callback?: (err?: Error) => void };
      const kind = statementKind(typeof q === 'string' ? q : (q.text ?? ''));
      const from = schedNs(pid);
      if (typeof q === 'object' && typeof q.submit === 'function' && q.callback) {
        // A query object (runScript's): its callback is called once the server answered.
        const callback = q.callback;
        q.callback = (err?: Error) => {
          add(kind, from);
          callback(err);
        };
        return query(...args);
      }
      const result = query(...args) as
        Promise<unknown> | { on: (event: string, listener: () => void) => void } | undefined;
      if (result && 'then' in result)
        result.then(
          () => add(kind, from),
          () => add(kind, from),
        );
      else if (result && 'on' in result) result.on('finish', () => add(kind, from));
      return result;
    };
  });
  return {
    perEvent: (events: number): Record<string, number> | null =>
      missing || total.size === 0
        ? null
        : Object.fromEntries(
            [...total]
              .sort(([, a], [, b]) => b - a)
              .map(([k, ns]) => [k, Number((ns / 1000 / events).toFixed(1))]),
          ),
  };
}

export async function runSinkBench({
  baseUrl,
  events = 20_000,
  batchSize = 500,
  concurrency = 3,
  seed = 1,
  progress = () => {},
}: {
  baseUrl: string;
  events?: number;
  batchSize?: number;
  concurrency?: number;
  seed?: number;
  progress?: (line: string) => void;
}): Promise<SinkBenchResult> {
  const name = `${databaseName(baseUrl)}_bench_sink`;
  await dropDatabase(baseUrl, name);
  const db = await scratchDatabase(baseUrl, name);
  try {
    const rows = sinkRows(events, seed);
    // Partitions as the sink sees them: batches of one partition each, `concurrency` at a time.
    const batches: { chain: string; rows: SinkRow[] }[] = [];
    for (let p = 0; p < concurrency; p++) {
      const mine = rows.filter((_, i) => i % concurrency === p);
      for (let i = 0; i < mine.length; i += batchSize)
        batches.push({ chain: `bench/${p}`, rows: mine.slice(i, i + batchSize) });
    }
    const backends = new Set<number>();
    const clients = await Promise.all(Array.from({ length: concurrency }, () => db.pool.connect()));
    for (const c of clients)
      backends.add((await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
    for (const c of clients) c.release();
    const byStatement = timeStatements(db.pool);
    const backendCpu = () => [...backends].reduce((n, pid) => n + (processCpuMicros(pid) ?? 0), 0);
    progress(`bench sink: writing ${rows.length} events in ${batches.length} batches`);
    const cpu0 = process.cpuUsage();
    const pg0 = backendCpu();
    const t0 = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < batches.length) {
          const b = batches[next++]!;
          await writeBatch(db.pool, b.rows, 'bench-sink', { chain: b.chain });
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const writerUs = ownCpuMicros(cpu0);
    const pgUs = backendCpu() - pg0;
    const count = async (sql: string) => Number((await db.pool.query<{ n: string }>(sql)).rows[0]!.n);
    const stored =
      (await count('SELECT count(*) AS n FROM ut.events')) +
      (await count('SELECT count(*) AS n FROM ut.event_identifiers')) +
      (await count('SELECT count(*) AS n FROM ut.aggregation_facts'));
    const [a, b, c] = os.loadavg();
    return {
      bench: 'sink',
      events: rows.length,
      batch_size: batchSize,
      concurrency,
      seconds: Number(seconds.toFixed(2)),
      events_per_sec: Math.round(rows.length / seconds),
      rows_per_event: Number((stored / rows.length).toFixed(2)),
      cpu_us_per_event: {
        writer: Math.round(writerUs / rows.length),
        postgres_backends: Math.round(pgUs / rows.length),
      },
      backend_us_per_event_by_statement: byStatement.perEvent(rows.length),
      cpus: os.cpus().length,
      load_average: [Number(a!.toFixed(2)), Number(b!.toFixed(2)), Number(c!.toFixed(2))],
    };
  } finally {
    await db.drop();
  }
}
