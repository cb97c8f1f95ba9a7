/** The case history as the model reads it: one row per case, with a device alert's measure when there is one. */
import type pg from 'pg';
import { db } from '../store';
import { windowLadder } from './model';
import type { Activity, ConditionBucket, HealthEpisode, HistoryOptions, IncidentRow } from './model';

export async function loadIncidentRows(
  pool: pg.Pool,
  { since }: { since?: Date } = {},
): Promise<IncidentRow[]> {
  const r = await db('incident rows', () =>
    pool.query<{
      case_id: string;
      kind: string;
      device_id: string | null;
      line_id: string | null;
      site: string | null;
      gtin: string | null;
      operator_id: string | null;
      occurred_at: Date;
      payload: { metric?: unknown; value?: unknown; baseline?: unknown } | null;
      received_at: unknown;
    }>(
      `SELECT case_id, kind, device_id, line_id, site, gtin, operator_id, occurred_at, detail->'alert'->'payload' AS payload,
              detail->'receivedAt' AS received_at
         FROM ut.cases WHERE ($1::timestamptz IS NULL OR occurred_at >= $1) ORDER BY occurred_at`,
      [since ?? null],
    ),
  );
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return r.rows.map((c) => ({
    caseId: c.case_id,
    kind: c.kind,
    deviceId: c.device_id,
    lineId: c.line_id,
    site: c.site,
    gtin: c.gtin,
    operatorId: c.operator_id,
    occurredAt: c.occurred_at.getTime(),
    receivedAt: num(c.received_at),
    metric:
      c.payload && typeof c.payload.metric === 'string'
        ? { name: c.payload.metric, value: num(c.payload.value), baseline: num(c.payload.baseline) }
        : null,
  }));
}

/** The device-health alert episodes (ut.device_alerts), on the broker axis, for the model's x5, x6. */
export async function loadHealthEpisodes(pool: pg.Pool): Promise<HealthEpisode[]> {
  const r = await db('health episodes', () =>
    pool.query<{
      device: string;
      metric: string;
      value: number;
      baseline: number;
      raised_at: Date;
      cleared_at: Date | null;
    }>(
      'SELECT device, metric, value, baseline, raised_at, cleared_at FROM ut.device_alerts ORDER BY raised_at',
    ),
  );
  return r.rows.map((e) => ({
    device: e.device,
    metric: e.metric,
    value: e.value,
    baseline: e.baseline,
    raisedAt: e.raised_at.getTime(),
    clearedAt: e.cleared_at?.getTime() ?? null,
  }));
}

/** The registered devices (master data), so that one without cases is ranked too. */
export async function loadDevices(pool: pg.Pool): Promise<string[]> {
  const r = await db('devices', () =>
    pool.query<{ id: string }>(
      `SELECT id FROM ut.masterdata WHERE kind = 'device' AND NOT deleted ORDER BY id`,
    ),
  );
  return r.rows.map((d) => d.id);
}

/**
 * Each device's recorded events per span of broker time (origin_ts: when the raw record reached
 * Kafka, the model's one clock), for the model's idle rule. Spans of `spanMs`, a quarter of a window at
 * most, so that a window's count is off by at most a span at its start.
 */
export async function loadActivity(pool: pg.Pool, { spanMs }: { spanMs: number }): Promise<Activity[]> {
  const r = await db('device activity', () =>
    pool.query<{ device: string; span: string; n: number }>(
      `SELECT machine_id AS device, floor(extract(epoch FROM origin_ts) * 1000 / $1)::bigint AS span, count(*)::int AS n
         FROM ut.events WHERE machine_id IS NOT NULL AND origin_ts IS NOT NULL GROUP BY 1, 2`,
      [spanMs],
    ),
  );
  return r.rows.map((a) => ({
    device: a.device,
    from: Number(a.span) * spanMs,
    to: (Number(a.span) + 1) * spanMs,
    count: a.n,
  }));
}

/**
 * What the device-health stage saw of each device per bucket of broker time
 * (ut.device_health_history, migration 096), for the model's x9–x11: a bucket is known once it has
 * ended. Its length is the stage's (libs/devices HISTORY_BUCKET_MS).
 */
export async function loadCondition(
  pool: pg.Pool,
  { bucketMs }: { bucketMs: number },
): Promise<ConditionBucket[]> {
  const r = await db('device condition', () =>
    pool.query<{
      device: string;
      from_ms: string;
      verifications: number;
      no_reads: number;
      graded: number;
      low_grades: number;
    }>(
      `SELECT device, (extract(epoch FROM bucket_start) * 1000)::bigint AS from_ms, verifications, no_reads, graded, low_grades
         FROM ut.device_health_history WHERE verifications > 0`,
    ),
  );
  return r.rows.map((b) => ({
    device: b.device,
    from: Number(b.from_ms),
    to: Number(b.from_ms) + bucketMs,
    verifications: b.verifications,
    noReads: b.no_reads,
    graded: b.graded,
    lowGrades: b.low_grades,
  }));
}

/**
 * Everything insights and ablation read from one database: the cases (since `since`), alert
 * episodes, registered devices, activity and the health stage's history. Activity comes in spans of
 * a quarter of the shortest window it may be judged in (1 min at least): a window's count is then
 * off by at most a quarter window at its start.
 */
export async function loadHistory(
  pool: pg.Pool,
  { windowHours, since, bucketMs }: { windowHours?: number; since?: Date; bucketMs: number },
): Promise<
  { rows: IncidentRow[] } & Required<Pick<HistoryOptions, 'episodes' | 'devices' | 'activity' | 'condition'>>
> {
  const shortest = Math.min(windowHours ?? Infinity, ...windowLadder);
  const spanMs = Math.max(60_000, Math.round((shortest * 3600_000) / 4));
  return {
    rows: await loadIncidentRows(pool, { since }),
    episodes: await loadHealthEpisodes(pool),
    devices: await loadDevices(pool),
    activity: await loadActivity(pool, { spanMs }),
    condition: await loadCondition(pool, { bucketMs }),
  };
}
