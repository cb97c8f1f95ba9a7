/**
 * Device health in PostgreSQL (migration 060): each device's state, the input positions applied to
 * it, and the alert episodes; and its history per bucket of broker time (migration 096).
 * `saveFleet` writes them in one transaction: the state, the history and the positions never
 * disagree, so a restart neither loses nor re-applies a record.
 */
import type pg from 'pg';
import { UsageError } from '../errors';
import { db } from '../store';
import { healthOf, type DeviceAlert, type DeviceState, type Fleet, type Health } from './detect';
import type { HistoryBucket } from './history';

/** topic:partition → the next offset to apply. */
export type Positions = Map<string, number>;

export const positionKey = (topic: string, partition: number) => `${topic}:${partition}`;

export async function loadFleet(pool: pg.Pool): Promise<{ fleet: Fleet; positions: Positions }> {
  return db('device health load', async () => {
    const devices = await pool.query<{ device: string; state: DeviceState }>(
      'SELECT device, state FROM ut.device_health',
    );
    const positions = await pool.query<{ topic: string; partition: number; next_offset: string }>(
      'SELECT topic, partition, next_offset FROM ut.device_health_positions',
    );
    const streams = await pool.query<{ stream: string; read_to: string }>(
      'SELECT stream, read_to FROM ut.device_health_streams',
    );
    return {
      fleet: {
        devices: Object.fromEntries(devices.rows.map((r) => [r.device, r.state])),
        marks: Object.fromEntries(streams.rows.map((r) => [r.stream, Number(r.read_to)])),
      },
      positions: new Map(
        positions.rows.map((r) => [positionKey(r.topic, r.partition), Number(r.next_offset)]),
      ),
    };
  });
}

/**
 * Writes the touched devices, the positions, the alerts and the history counts of a batch, in one
 * transaction. The history's counts are added to its rows: only the records above the stored
 * positions were counted, and they are stored with those positions, so no record counts twice.
 */
export async function saveFleet(
  pool: pg.Pool,
  {
    devices,
    positions,
    alerts,
    marks = {},
    history = [],
  }: {
    devices: DeviceState[];
    positions: Positions;
    alerts: DeviceAlert[];
    marks?: Record<string, number>;
    history?: HistoryBucket[];
  },
): Promise<void> {
  await db('device health save', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      for (const d of devices) {
        await client.query(
          `INSERT INTO ut.device_health (device, site, health, last_seen, state, updated_at)
           VALUES ($1, $2, $3, to_timestamp($4 / 1000.0), $5, now())
           ON CONFLICT (device) DO UPDATE SET site = EXCLUDED.site, health = EXCLUDED.health,
             last_seen = EXCLUDED.last_seen, state = EXCLUDED.state, updated_at = now()`,
          [d.device, d.site, healthOf(d), d.lastSeen, JSON.stringify(d)],
        );
      }
      for (const [key, next] of positions) {
        const cut = key.lastIndexOf(':');
        await client.query(
          `INSERT INTO ut.device_health_positions (topic, partition, next_offset) VALUES ($1, $2, $3)
           ON CONFLICT (topic, partition) DO UPDATE SET next_offset = GREATEST(ut.device_health_positions.next_offset, EXCLUDED.next_offset)`,
          [key.slice(0, cut), Number(key.slice(cut + 1)), next],
        );
      }
      for (const [stream, readTo] of Object.entries(marks)) {
        await client.query(
          `INSERT INTO ut.device_health_streams (stream, read_to) VALUES ($1, $2)
           ON CONFLICT (stream) DO UPDATE SET read_to = GREATEST(ut.device_health_streams.read_to, EXCLUDED.read_to)`,
          [stream, readTo],
        );
      }
      if (history.length > 0) await addHistory(client, history);
      for (const a of alerts) {
        const p = a.payload;
        if (a.kind === 'device_cleared') {
          await client.query(
            `UPDATE ut.device_alerts SET cleared_at = to_timestamp($2 / 1000.0), cleared_at_record = $3, cleared_value = $4
              WHERE alert_id = $1 AND cleared_at IS NULL`,
            [p.episodeId, a.createdAt, p.atRecord, p.value],
          );
        } else {
          await client.query(
            `INSERT INTO ut.device_alerts (alert_id, device, site, kind, metric, value, baseline, since, at_record, raised_at, read_to)
             VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8 / 1000.0), $9, to_timestamp($10 / 1000.0), $11)
             ON CONFLICT (alert_id) DO NOTHING`,
            [
              p.episodeId,
              p.device,
              p.site,
              a.kind,
              p.metric,
              p.value,
              p.baseline,
              p.since,
              p.atRecord,
              a.createdAt,
              p.readTo ?? null,
            ],
          );
        }
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  });
}

/** Adds a batch's bucket counts to ut.device_health_history (one statement). */
export async function addHistory(client: pg.PoolClient, history: HistoryBucket[]): Promise<void> {
  await client.query(
    `INSERT INTO ut.device_health_history AS h
       (device, bucket_start, verifications, no_reads, graded, grade_sum, low_grades, events)
     SELECT d, to_timestamp(s / 1000.0), v, n, g, gs, l, e
       FROM unnest($1::text[], $2::bigint[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[])
         AS b(d, s, v, n, g, gs, l, e)
     ON CONFLICT (device, bucket_start) DO UPDATE SET
       verifications = h.verifications + EXCLUDED.verifications, no_reads = h.no_reads + EXCLUDED.no_reads,
       graded = h.graded + EXCLUDED.graded, grade_sum = h.grade_sum + EXCLUDED.grade_sum,
       low_grades = h.low_grades + EXCLUDED.low_grades, events = h.events + EXCLUDED.events`,
    [
      history.map((b) => b.device),
      history.map((b) => b.start),
      history.map((b) => b.verifications),
      history.map((b) => b.noReads),
      history.map((b) => b.graded),
      history.map((b) => b.gradeSum),
      history.map((b) => b.lowGrades),
      history.map((b) => b.events),
    ],
  );
}

export interface AlertRow {
  alertId: string;
  device: string;
  site: string | null;
  kind: string;
  metric: string;
  value: number;
  baseline: number;
  since: string;
  /** The record whose observation tipped the statistic over. */
  atRecord: string;
  /** The newest record of the metric's evidence read when it fired (null: raised before it was stored). */
  readTo: string | null;
  raisedAt: string;
  insertedAt: string;
  clearedAt: string | null;
  ackedAt: string | null;
  ackedBy: string | null;
  ackNote: string | null;
}

export interface DeviceRow {
  device: string;
  site: string;
  health: Health;
  lastSeen: string;
  /** Current metrics against the device's baseline (null until learnt). */
  metrics: {
    noReadRate: { value: number | null; baseline: number | null; verifications: number; noReads: number };
    printGrade: { value: number | null; baseline: number | null; graded: number };
    clock: {
      driftSecondsPerHour: number | null;
      baselineSlope: number | null;
      offsetSeconds: number | null;
      baselineOffsetSeconds: number | null;
    };
    events: number;
    dlq: number;
  };
  openAlerts: AlertRow[];
}

const alertOf = (r: Record<string, unknown>): AlertRow => ({
  alertId: String(r.alert_id),
  device: String(r.device),
  site: (r.site as string | null) ?? null,
  kind: String(r.kind),
  metric: String(r.metric),
  value: Number(r.value),
  baseline: Number(r.baseline),
  since: (r.since as Date).toISOString(),
  atRecord: String(r.at_record),
  readTo: (r.read_to as string | null) ?? null,
  raisedAt: (r.raised_at as Date).toISOString(),
  insertedAt: (r.inserted_at as Date).toISOString(),
  clearedAt: (r.cleared_at as Date | null)?.toISOString() ?? null,
  ackedAt: (r.acked_at as Date | null)?.toISOString() ?? null,
  ackedBy: (r.acked_by as string | null) ?? null,
  ackNote: (r.ack_note as string | null) ?? null,
});

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** Every device with its health, metrics against its baseline and open alerts (`unitrail devices`, GET /devices). */
export async function listDevices(pool: pg.Pool, { site }: { site?: string } = {}): Promise<DeviceRow[]> {
  return db('devices', async () => {
    const devices = await pool.query<{ state: DeviceState }>(
      'SELECT state FROM ut.device_health WHERE $1::text IS NULL OR site = $1 ORDER BY device',
      [site ?? null],
    );
    const open = await pool.query(
      'SELECT * FROM ut.device_alerts WHERE cleared_at IS NULL ORDER BY raised_at',
    );
    return devices.rows.map(({ state: d }) => ({
      device: d.device,
      site: d.site,
      health: healthOf(d),
      lastSeen: new Date(d.lastSeen).toISOString(),
      metrics: {
        noReadRate: {
          value: d.noRead.rate,
          baseline: d.noRead.p0,
          verifications: d.counts.verifications,
          noReads: d.counts.noReads,
        },
        printGrade: { value: mean(d.grade.lastMeans), baseline: d.grade.mean0, graded: d.counts.graded },
        clock: {
          driftSecondsPerHour:
            d.clock.slope !== null && d.clock.slope0 !== null ? d.clock.slope - d.clock.slope0 : null,
          baselineSlope: d.clock.slope0,
          offsetSeconds: d.clock.offset,
          baselineOffsetSeconds: d.clock.offset0,
        },
        events: d.counts.events,
        dlq: d.counts.dlq,
      },
      openAlerts: open.rows.filter((a) => a.device === d.device).map(alertOf),
    }));
  });
}

/** Alerts raised (optionally since a time), oldest first: the demo's detection figures. */
export async function listAlerts(pool: pg.Pool, { since }: { since?: Date } = {}): Promise<AlertRow[]> {
  const rows = await db('device alerts', () =>
    pool.query('SELECT * FROM ut.device_alerts WHERE inserted_at >= $1 ORDER BY raised_at', [
      since ?? new Date(0),
    ]),
  );
  return rows.rows.map(alertOf);
}

/** A person acknowledges an alert episode (`unitrail devices ack`, POST /devices/{id}/ack). */
export async function ackAlert(
  pool: pg.Pool,
  alertId: string,
  { note, by }: { note: string; by: string },
): Promise<AlertRow> {
  if (note.trim() === '')
    throw new UsageError('an acknowledgement needs a note (--note TEXT): what was done');
  const row = await db('device alert ack', () =>
    pool.query(
      `UPDATE ut.device_alerts SET acked_at = now(), acked_by = $2, ack_note = $3 WHERE alert_id = $1 RETURNING *`,
      [alertId, by, note],
    ),
  );
  if (row.rows.length === 0)
    throw new UsageError(`no device alert ${alertId}; 'unitrail devices' lists the open ones with their ids`);
  return alertOf(row.rows[0]!);
}
