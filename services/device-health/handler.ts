/**
 * device-health: the alerts each record raised or cleared, computed in prepare (the detectors'
 * state spans records and devices), are produced here to ut.alerts.v1, keyed by device.
 */
import type { DeviceAlert } from '../../libs/devices';
import type { InputRecord, Output } from '../../libs/runtime';
import { topics } from '../../libs/topics';

export interface DeviceHealthContext {
  /** What each record of the batch raised or cleared (absent: nothing). */
  alerts: Map<InputRecord<unknown>, DeviceAlert[]>;
}

export type DeviceHealthOutput = Output<typeof topics.alerts.name>;

/** The Alert record (avro/alert.avsc) of a device alert; createdAt is the broker time it fired at, so a replay gives the same record. */
export function alertRecord(a: DeviceAlert) {
  return {
    alertId: a.alertId,
    kind: a.kind,
    severity: a.severity,
    message: a.message,
    recallId: null,
    partner: null,
    eventId: null,
    createdAt: a.createdAt,
    payload: JSON.stringify(a.payload),
  };
}

export function handleDeviceRecord(
  record: InputRecord<unknown>,
  ctx: DeviceHealthContext,
): DeviceHealthOutput[] {
  const alerts = ctx.alerts.get(record) ?? [];
  if (alerts.length === 0) return [{ kind: 'done' }];
  return alerts.map((a) => ({
    kind: 'produce',
    topic: topics.alerts.name,
    key: a.payload.device,
    value: alertRecord(a),
  }));
}
