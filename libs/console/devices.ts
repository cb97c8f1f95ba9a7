/**
 * The Devices & exceptions view's part of each feed frame: device alerts (the device-health stage's
 * episodes) and the exception queue (libs/cases).
 */
import type pg from 'pg';
import { db } from '../store';
import { caseQueue, type CaseQueue } from './cases';

export interface DeviceAlert {
  alertId: string;
  device: string;
  site: string | null;
  kind: string;
  metric: string;
  value: number;
  baseline: number;
  since: string;
  clearedAt: string | null;
}

export interface DeviceSignals extends CaseQueue {
  alerts: DeviceAlert[];
}

export async function deviceSignals(
  pool: pg.Pool,
  { limit = 50 }: { limit?: number } = {},
): Promise<DeviceSignals> {
  const present = await db('console device tables', () =>
    pool.query<{ alerts: string | null }>("SELECT to_regclass('ut.device_alerts')::text AS alerts"),
  );
  const alerts =
    present.rows[0]!.alerts === null
      ? []
      : (
          await db('console device alerts', () =>
            pool.query<{
              alert_id: string;
              device: string;
              site: string | null;
              kind: string;
              metric: string;
              value: number;
              baseline: number;
              since: Date;
              cleared_at: Date | null;
            }>(
              `SELECT alert_id, device, site, kind, metric, value, baseline, since, cleared_at FROM ut.device_alerts
                ORDER BY (cleared_at IS NULL) DESC, since DESC LIMIT $1`,
              [limit],
            ),
          )
        ).rows;
  return {
    alerts: alerts.map((a) => ({
      alertId: a.alert_id,
      device: a.device,
      site: a.site,
      kind: a.kind,
      metric: a.metric,
      value: Number(a.value),
      baseline: Number(a.baseline),
      since: a.since.toISOString(),
      clearedAt: a.cleared_at?.toISOString() ?? null,
    })),
    ...(await caseQueue(pool, { limit })),
  };
}
