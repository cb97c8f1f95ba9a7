/**
 * The Devices & exceptions view's part of each feed frame: every device's health and its alert
 * episodes (libs/devices, the device-health stage's tables) and the exception queue (libs/cases).
 */
import type pg from 'pg';
import { deviceAckers, listAlerts, listDevices, type AlertRow } from '../devices';
import { caseQueue } from './cases';
import type { DeviceAlert, DeviceSignals } from './wire';

export type { DeviceAlert, DeviceHealth, DeviceSignals } from './wire';

export { deviceAckers };

export async function deviceSignals(
  pool: pg.Pool,
  { limit = 50, now = Date.now() }: { limit?: number; now?: number } = {},
): Promise<DeviceSignals> {
  const devices = await listDevices(pool);
  const recent = await listAlerts(pool, { since: new Date(now - 24 * 3600_000) });
  const open = devices.flatMap((d) => d.openAlerts);
  const seen = new Set(open.map((a) => a.alertId));
  const alerts = [...open, ...recent.reverse().filter((a) => !seen.has(a.alertId))].slice(0, limit);
  return {
    devices: devices.map((d) => ({
      device: d.device,
      site: d.site,
      health: d.health,
      lastSeen: d.lastSeen,
      noReadRate: { value: d.metrics.noReadRate.value, baseline: d.metrics.noReadRate.baseline },
      printGrade: { value: d.metrics.printGrade.value, baseline: d.metrics.printGrade.baseline },
      driftSecondsPerHour: d.metrics.clock.driftSecondsPerHour,
    })),
    alerts: alerts.map((a: AlertRow): DeviceAlert => ({
      alertId: a.alertId,
      device: a.device,
      site: a.site,
      kind: a.kind,
      metric: a.metric,
      value: a.value,
      baseline: a.baseline,
      since: a.since,
      clearedAt: a.clearedAt,
      ackedAt: a.ackedAt,
      ackedBy: a.ackedBy,
      ackNote: a.ackNote,
    })),
    ...(await caseQueue(pool, { limit })),
  };
}
