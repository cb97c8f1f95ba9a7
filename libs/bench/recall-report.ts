/**
 * `unitrail bench recall-report`: the affected-units report for one lot, timed on the bench store
 * that `bench queries` builds (the first run warms the cache and the plan and is not counted).
 */
import type pg from 'pg';
import { performance } from 'node:perf_hooks';
import { UsageError } from '../errors';
import { recallReport, withDefaults } from '../recalls';

export interface RecallReportBenchResult {
  lot: string;
  gtin: string;
  units: number;
  storeEvents: number;
  runs: number;
  reportMsMedian: number;
  reportMsMax: number;
  queryMsMedian: number;
  byStatus: Record<string, number>;
}

export async function benchRecallReport({
  pool,
  lot = 'L00000',
  runs = 5,
  progress = () => {},
}: {
  pool: pg.Pool;
  lot?: string;
  runs?: number;
  progress?: (line: string) => void;
}): Promise<RecallReportBenchResult> {
  const found = await pool
    .query<{ gtin: string; n: string }>(
      `SELECT gtin, count(*) AS n FROM ut.unit_state WHERE lot = $1 AND scheme = 'sgtin' GROUP BY gtin ORDER BY 2 DESC LIMIT 1`,
      [lot],
    )
    .catch((err: Error) => {
      throw new UsageError(
        `cannot read the bench store (${err.message}); build it with 'unitrail bench queries'`,
      );
    });
  const gtin = found.rows[0]?.gtin;
  if (!gtin)
    throw new UsageError(`no units of lot ${lot} in the bench store; build it with 'unitrail bench queries'`);
  const events = Number(
    (
      await pool.query<{ n: string }>(
        `SELECT reltuples::bigint AS n FROM pg_class WHERE oid = 'ut.events'::regclass`,
      )
    ).rows[0]?.n ?? 0,
  );
  const recall = withDefaults({
    recallId: 'BENCH',
    gtin,
    lots: [lot],
    reason: 'bench',
    declaredAt: Date.now(),
  });
  const totals: number[] = [];
  const queries: number[] = [];
  let units = 0;
  let byStatus: Record<string, number> = {};
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now();
    const r = await recallReport(pool, recall);
    const total = performance.now() - t0;
    units = r.units.length;
    byStatus = r.byStatus;
    if (i === 0) continue; // the first run warms the cache and the plan
    totals.push(total);
    queries.push(r.queryMs);
    progress(`run ${i}: ${units} units, report ${total.toFixed(0)} ms (query ${r.queryMs.toFixed(0)} ms)`);
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const median = (xs: number[]) => Number(sorted(xs)[Math.floor(xs.length / 2)]!.toFixed(1));
  return {
    lot,
    gtin,
    units,
    storeEvents: events,
    runs,
    reportMsMedian: median(totals),
    reportMsMax: Number(sorted(totals).at(-1)!.toFixed(1)),
    queryMsMedian: median(queries),
    byStatus,
  };
}
