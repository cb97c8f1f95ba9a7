/**
 * `unitrail bench epcis-query`: the two questions partners ask most of the EPCIS query binding,
 * timed through the same code as GET /events (parameters → SQL → answer documents), on an existing
 * journey store (the one `unitrail bench queries` builds):
 *
 *   anyEpc        MATCH_anyEPC for one unit, first page of 100
 *   stepLocation  EQ_bizStep + EQ_bizLocation + one day's eventTime window, first page of 100
 *
 * Units and (bizStep, bizLocation, day) triples are sampled from the store itself. Visibility is an
 * admin's (every event): the bench store holds no partner captures. The migrations are applied
 * first, so the query indexes (030) exist.
 */
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { UsageError } from '../errors';
import { findEvents, queryDocument } from '../epcis-query';
import { migrate } from '../store';
import { msSeries } from './raw-rates';

export interface QueryTiming {
  runs: number;
  p50Ms: number;
  p99Ms: number;
  meanEvents: number;
}

export interface EpcisQueryBenchResult {
  events: number;
  anyEpc: QueryTiming;
  stepLocation: QueryTiming;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

async function timed(runs: (() => Promise<number>)[], warmup: number): Promise<QueryTiming> {
  for (const run of runs.slice(0, warmup)) await run();
  const times: number[] = [];
  let events = 0;
  for (const run of runs) {
    const t0 = performance.now();
    events += await run();
    times.push(performance.now() - t0);
  }
  return { ...msSeries(times), meanEvents: round(events / Math.max(1, times.length)) };
}

export async function benchEpcisQuery({
  pool,
  runs = 300,
  perPage = 100,
  warmup = 20,
}: {
  pool: pg.Pool;
  runs?: number;
  perPage?: number;
  warmup?: number;
}): Promise<EpcisQueryBenchResult> {
  await migrate(pool);
  const estimate = Number(
    (
      await pool.query<{ n: string }>(
        `SELECT coalesce(sum(c.reltuples), 0)::bigint AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'ut.events'::regclass AND c.reltuples > 0`,
      )
    ).rows[0]!.n,
  );
  const events =
    estimate > 100_000
      ? estimate
      : Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM ut.events')).rows[0]!.n);
  if (events === 0) {
    throw new UsageError('the journey store is empty; build one first (unitrail bench queries)');
  }
  // Units: a uniform sample of the units' identifiers (each unit has several events).
  const units = (
    await pool.query<{ uri: string }>(
      `SELECT uri FROM ut.unit_state TABLESAMPLE BERNOULLI (10) WHERE scheme = 'sgtin' LIMIT $1`,
      [runs],
    )
  ).rows.map((r) => r.uri);
  const triples = (
    await pool.query<{ biz_step: string; biz_location: string; day: Date }>(
      `SELECT biz_step, biz_location, date_trunc('day', event_time) AS day FROM ut.events TABLESAMPLE BERNOULLI (1)
        WHERE biz_step IS NOT NULL AND biz_location IS NOT NULL LIMIT $1`,
      [runs],
    )
  ).rows;
  const all = { visibility: { all: true } as const, perPage };
  // The answer is serialised too, as GET /events would.
  const answer = async (params: Record<string, string>) => {
    const page = await findEvents(pool, params, all);
    JSON.stringify(queryDocument(page.events));
    return page.events.length;
  };
  const anyEpc = await timed(
    units.map((uri) => () => answer({ MATCH_anyEPC: uri })),
    Math.min(warmup, units.length),
  );
  const stepLocation = await timed(
    triples.map(
      ({ biz_step, biz_location, day }) =>
        () =>
          answer({
            EQ_bizStep: biz_step,
            EQ_bizLocation: biz_location,
            GE_eventTime: day.toISOString(),
            LT_eventTime: new Date(day.getTime() + 86_400_000).toISOString(),
          }),
    ),
    Math.min(warmup, triples.length),
  );
  return { events, anyEpc, stepLocation };
}
