/**
 * Device health and exception cases, as far as the journey store holds them. The device-health
 * stage and the exception cases (ut.device_alerts, ut.cases) come with their own migrations; until
 * those tables exist this answers `available: false` and the console's view says so.
 */
import type pg from 'pg';
import { db } from '../store';

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

export interface CaseSummary {
  caseId: string;
  kind: string;
  status: string;
  title: string;
  device: string | null;
  site: string | null;
  openedAt: string;
}

export interface DeviceSignals {
  available: boolean;
  alerts: DeviceAlert[];
  cases: CaseSummary[];
}

export async function deviceSignals(
  pool: pg.Pool,
  { limit = 50 }: { limit?: number } = {},
): Promise<DeviceSignals> {
  const present = await db('console device tables', () =>
    pool.query<{ alerts: string | null; cases: string | null }>(
      "SELECT to_regclass('ut.device_alerts')::text AS alerts, to_regclass('ut.cases')::text AS cases",
    ),
  );
  const { alerts, cases } = present.rows[0]!;
  if (alerts === null && cases === null) return { available: false, alerts: [], cases: [] };
  const alertRows =
    alerts === null
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
  const caseRows =
    cases === null
      ? []
      : (
          await db('console cases', () =>
            pool.query<{
              case_id: string;
              kind: string;
              status: string;
              title: string;
              device: string | null;
              site: string | null;
              opened_at: Date;
            }>(
              `SELECT case_id, kind, status, title, device, site, opened_at FROM ut.cases
                ORDER BY (status = 'open') DESC, opened_at DESC LIMIT $1`,
              [limit],
            ),
          )
        ).rows;
  return {
    available: true,
    alerts: alertRows.map((a) => ({
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
    cases: caseRows.map((c) => ({
      caseId: c.case_id,
      kind: c.kind,
      status: c.status,
      title: c.title,
      device: c.device,
      site: c.site,
      openedAt: c.opened_at.toISOString(),
    })),
  };
}
