/**
 * The detectors on a demo stream without the stack: each record becomes the observations the
 * validator and device-health would make of it, in the order the broker received them. Used by
 * the detector's tests over many seeds and by `unitrail bench devices`; and `detectionFigures`
 * turns alerts (from here or from the real stage) into each fault's detection delay.
 */
import type { DemoRecord } from '../demo';
import { messageIdOf, type FaultReport, type DeviceFaultKind } from '../demo';
import {
  parseIsoWithOffset,
  wallClockToUtc,
  type CodeVerification,
  type MesUnitEvent,
  type TmsShipmentEvent,
  type WmsMovement,
} from '../sources';
import { topics } from '../topics';
import {
  defaultDetectorSettings,
  observe,
  type DetectorSettings,
  type Fleet,
  type Metric,
  type Observation,
} from './detect';
import { gradeValue } from './observe';

/** wallClockToUtc with the zone's offset kept per hour (it asks Intl, which is slow per record). */
const offsets = new Map<string, number>();
function plantUtc(wallMs: number, zone: string): number {
  const key = `${zone}:${Math.floor(wallMs / 3600_000)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    offset = wallMs - wallClockToUtc(wallMs, zone).utcMs;
    offsets.set(key, offset);
  }
  return wallMs - offset;
}

/** What the pipeline makes of one demo record (a REPORT: its verifications only; an invalid record: a DLQ entry). */
export function demoObservations(r: DemoRecord, receivedAt: number): Observation[] {
  if (Buffer.isBuffer(r.value)) return [];
  const v = r.value as unknown as Record<string, unknown>;
  const id = messageIdOf(v) ?? '';
  const device = String(v.machineId ?? v.scannerId ?? v.vehicleId ?? '');
  if (r.kind === 'invalid') return device ? [{ kind: 'dlq', device, id }] : [];
  const out: Observation[] = [];
  let report = false;
  if (r.topic === topics.rawMes.name) {
    const m = v as unknown as MesUnitEvent;
    report = m.operation === 'REPORT';
    if (!report)
      out.push({
        kind: 'event',
        device,
        site: m.plantGln,
        receivedAt,
        id,
        eventTime: plantUtc(m.plantTimeMs, m.plantZone),
      });
  } else if (r.topic === topics.rawWms.name) {
    const w = v as unknown as WmsMovement;
    report = w.movementType === 'REPORT';
    if (!report)
      out.push({
        kind: 'event',
        device,
        site: w.warehouseGln,
        receivedAt,
        id,
        eventTime: parseIsoWithOffset(w.occurredAt).utcMs,
      });
  } else if (r.topic === topics.rawTms.name) {
    const t = v as unknown as TmsShipmentEvent;
    const site = t.status === 'DEPARTED' ? t.fromGln : t.toGln;
    out.push({ kind: 'event', device, site, receivedAt, id, eventTime: t.tsEpochSec * 1000 });
  }
  // What floorSignals gives the validator, read straight from the record (the codes are the demo's own).
  const site = String(v.plantGln ?? v.warehouseGln ?? '');
  for (const check of (v.verifications as CodeVerification[] | null | undefined) ?? []) {
    out.push({
      kind: 'verification',
      device,
      site,
      receivedAt,
      id,
      read: check.result === 'READ',
      grade: check.grade === null ? null : gradeValue[check.grade]!,
    });
  }
  return out;
}

export interface RaisedAlert {
  kind: string;
  device: string;
  metric: Metric;
  /** The record whose observation tipped the statistic over. */
  atRecord: string;
  /** The newest record of the metric's evidence read when it fired (absent: atRecord). */
  readTo?: string | null;
}

/** Runs the detectors over a demo stream (records with receivedAt, in order). */
export function detectOnDemo(
  records: DemoRecord[],
  settings: DetectorSettings = defaultDetectorSettings,
): { alerts: RaisedAlert[]; fleet: Fleet } {
  const fleet: Fleet = { devices: {} };
  const alerts: RaisedAlert[] = [];
  for (const r of records) {
    for (const o of demoObservations(r, r.receivedAt ?? 0)) {
      for (const a of observe(fleet, o, settings)) {
        if (a.kind !== 'device_cleared')
          alerts.push({
            kind: a.kind,
            device: a.payload.device,
            metric: a.payload.metric,
            atRecord: a.payload.atRecord,
            readTo: a.payload.readTo,
          });
      }
    }
  }
  return { alerts, fleet };
}

const metricOf: Record<DeviceFaultKind, Metric> = {
  printer_grade: 'print_grade',
  scanner_noread: 'no_read_rate',
  clock_drift: 'clock_drift',
};

export interface DetectionFigures {
  /**
   * Per injected device fault: the record it began at, and where in the demo's own record order
   * (the broker's receive order) the first matching alert fired. `detectedAtRecord` is the record
   * whose observation tipped the statistic over (the alert's atRecord), `delayRecords` the records
   * from the fault's first one to it. `readToRecord` is the newest record of the metric's evidence
   * the stage had read by then (the alert's readTo), `readDelayRecords` its distance from the
   * fault's first record: read in order the two are the same; read out of order (the stack, a
   * burst the validator catches up on raw partition by raw partition) it can be thousands later.
   */
  faults: {
    kind: DeviceFaultKind;
    device: string;
    beganAtRecord: number;
    detectedAtRecord: number | null;
    delayRecords: number | null;
    readToRecord: number | null;
    readDelayRecords: number | null;
  }[];
  /** Alerts that match no injected fault, or fired before it began. */
  falseAlarms: RaisedAlert[];
  flagged: number;
  missed: number;
}

/** Compares raised alerts with what was injected: each alert's atRecord is looked up in the stream. */
export function detectionFigures(
  records: DemoRecord[],
  report: FaultReport,
  alerts: RaisedAlert[],
): DetectionFigures {
  const indexOf = new Map<string, number>();
  records.forEach((r, i) => {
    const id = Buffer.isBuffer(r.value) ? null : messageIdOf(r.value);
    if (id !== null && !indexOf.has(id)) indexOf.set(id, i);
  });
  const used = new Set<RaisedAlert>();
  const faults = report.devices.map((f) => {
    // After the fault began: the evidence read reaches past the fault's first record (read out of
    // order, the tipping record itself may be an older one).
    const hit = alerts.find(
      (a) =>
        a.device === f.device &&
        a.metric === metricOf[f.kind] &&
        (indexOf.get(a.readTo ?? a.atRecord) ?? -1) >= f.beganAtRecord,
    );
    if (hit) used.add(hit);
    const at = hit ? (indexOf.get(hit.atRecord) ?? null) : null;
    const readTo = hit ? (indexOf.get(hit.readTo ?? hit.atRecord) ?? null) : null;
    return {
      kind: f.kind,
      device: f.device,
      beganAtRecord: f.beganAtRecord,
      detectedAtRecord: at,
      delayRecords: at === null ? null : at - f.beganAtRecord,
      readToRecord: readTo,
      readDelayRecords: readTo === null ? null : readTo - f.beganAtRecord,
    };
  });
  const falseAlarms = alerts.filter(
    (a) =>
      !used.has(a) &&
      !faults.some(
        (f) => f.device === a.device && metricOf[f.kind] === a.metric && f.detectedAtRecord !== null,
      ),
  );
  return {
    faults,
    falseAlarms,
    flagged: faults.filter((f) => f.detectedAtRecord !== null).length,
    missed: faults.filter((f) => f.detectedAtRecord === null).length,
  };
}

/** The detection figures of a demo run from the alerts device-health stored since it began. */
export async function figuresFromStore(
  pool: import('pg').Pool,
  records: DemoRecord[],
  report: FaultReport,
  since: Date,
): Promise<DetectionFigures> {
  const { listAlerts } = await import('./store');
  const alerts = (await listAlerts(pool, { since })).map((a) => ({
    kind: a.kind,
    device: a.device,
    metric: a.metric as Metric,
    atRecord: a.atRecord,
    readTo: a.readTo,
  }));
  return detectionFigures(records, report, alerts);
}
