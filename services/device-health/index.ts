import type { Config } from '../../libs/config';
import {
  addToHistory,
  detectorSettingsOf,
  loadFleet,
  observationsOf,
  observe,
  positionKey,
  saveFleet,
  type DeviceAlert,
  type Fleet,
  type HistoryBucket,
  type Positions,
} from '../../libs/devices';
import { defineStage, type InputRecord } from '../../libs/runtime';
import { poolFor } from '../../libs/store';
import { topics } from '../../libs/topics';
import { handleDeviceRecord, type DeviceHealthContext } from './handler';

export const deviceHealth = defineStage({
  name: 'device-health',
  summary:
    'per-device windows of no-reads, print grades and clock offsets; CUSUM and Theil–Sen tests; one alert per episode',
  // The validated events in the split deployment; their clock samples in bulk from the fused one.
  inputs: [topics.validated.name, topics.deviceClock.name, topics.signals.name, topics.dlq.name],
  outputs: [topics.alerts.name],
  stores: 'PostgreSQL ut.device_health, ut.device_alerts, ut.device_health_history (state survives restarts)',
  // One batch at a time: a device's state spans partitions and goes from prepare to write.
  concurrency: 1,
  handler: handleDeviceRecord,
  open(config: Config) {
    const pool = poolFor(config, { max: 2 });
    const settings = detectorSettingsOf(config);
    let committed: { fleet: Fleet; positions: Positions } = { fleet: { devices: {} }, positions: new Map() };
    /** What the last prepare computed, written by write (before the offsets are committed). */
    let pending:
      | {
          records: Set<InputRecord<unknown>>;
          fleet: Fleet;
          positions: Positions;
          touched: Set<string>;
          alerts: DeviceAlert[];
          history: Map<string, HistoryBucket>;
        }
      | undefined;
    return {
      start: async () => {
        committed = await loadFleet(pool);
      },
      // The detectors run here, on a copy of the committed state: a batch that fails and comes again
      // starts from the same state; records below the stored positions were applied already.
      prepare: async (records): Promise<DeviceHealthContext> => {
        const fleet: Fleet = structuredClone(committed.fleet);
        const positions: Positions = new Map(committed.positions);
        const touched = new Set<string>();
        const byRecord = new Map<InputRecord<unknown>, DeviceAlert[]>();
        const all: DeviceAlert[] = [];
        // The batch's counts per device and bucket, of the records applied here only.
        const history = new Map<string, HistoryBucket>();
        for (const record of records) {
          const key = positionKey(record.topic, record.partition);
          const offset = Number(record.offset);
          if (offset < (positions.get(key) ?? 0)) continue;
          positions.set(key, offset + 1);
          const raised: DeviceAlert[] = [];
          for (const o of observationsOf(record)) {
            raised.push(...observe(fleet, o, settings, key));
            addToHistory(history, o);
            touched.add(o.device);
          }
          for (const a of raised) touched.add(a.payload.device);
          if (raised.length > 0) {
            byRecord.set(record, raised);
            all.push(...raised);
          }
        }
        pending = { records: new Set(records), fleet, positions, touched, alerts: all, history };
        return { alerts: byRecord };
      },
      write: async (handled) => {
        const batch = pending;
        if (!batch || !handled.every((h) => batch.records.has(h.record))) return;
        await saveFleet(pool, {
          devices: [...batch.touched].map((d) => batch.fleet.devices[d]!).filter(Boolean),
          positions: batch.positions,
          alerts: batch.alerts,
          marks: changedMarks(committed.fleet.marks, batch.fleet.marks),
          history: [...batch.history.values()],
        });
        committed = { fleet: batch.fleet, positions: batch.positions };
        pending = undefined;
      },
      stop: async () => {
        await pool.end();
      },
      health: () => ({ devices: Object.keys(committed.fleet.devices).length }),
    };
  },
});

/** The stream watermarks a batch moved (only those are written). */
function changedMarks(
  before: Record<string, number> = {},
  after: Record<string, number> = {},
): Record<string, number> {
  return Object.fromEntries(Object.entries(after).filter(([stream, at]) => before[stream] !== at));
}
