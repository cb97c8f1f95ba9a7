/**
 * The floor in the demo (`--faults SPEC`, docs/devices.md): line cameras and scanners verify the
 * codes they read (healthy devices mostly grade A/B, rare no-reads), each record gets the time
 * the broker received it (simulated: the plant's hours replayed in a minute), and faults are
 * injected deterministically from the seed:
 *
 *   printer_grade:DEVICE[@AT]             its print grades slide from A toward D
 *   scanner_noread:DEVICE[@AT]            its no-read rate climbs
 *   clock_drift:DEVICE:SECONDS_PER_HOUR[@AT]  its clock runs away linearly
 *   damaged_label:N · missing_sku:N · mislabeled_pallet:N   exception cases
 *
 * The faulty printer and scanner also cause damaged-label reports on themselves (causedReports).
 *
 * AT is where the fault begins: a fraction of the stream (0.3) or a record number (30000).
 * `default` is one of each; `none` is the floor without faults (the false-alarm baseline).
 * The base stream (which records, duplicates, invalid ones) is the same as without --faults: the
 * floor draws from a generator of its own.
 */
import { UsageError } from '../errors';
import { gs1CheckDigit, toDigitalLink } from '../gs1';
import {
  parseIsoWithOffset,
  type CodeVerification,
  type MesUnitEvent,
  type PrintGrade,
  type TmsShipmentEvent,
  type WmsMovement,
} from '../sources';
import { topics } from '../topics';
import { generateDemo, prng, world, type DemoOptions, type DemoRecord } from './stream';

export type DeviceFaultKind = 'printer_grade' | 'scanner_noread' | 'clock_drift';
export type ExceptionFaultKind = 'damaged_label' | 'missing_sku' | 'mislabeled_pallet';

export interface DeviceFault {
  kind: DeviceFaultKind;
  device: string;
  /** Fraction of the stream (< 1) or record number (≥ 1) where it begins. */
  at: number;
  /** clock_drift: seconds gained per hour. */
  secondsPerHour?: number;
}

export interface FaultPlan {
  devices: DeviceFault[];
  exceptions: Record<ExceptionFaultKind, number>;
}

export interface InjectedDeviceFault {
  kind: DeviceFaultKind;
  device: string;
  site: string;
  /** Index (0-based) in the produced stream of the first record the fault changed. */
  beganAtRecord: number;
  /** Simulated time the fault began (epoch ms, the plant's real time). */
  beganAt: number;
  secondsPerHour?: number;
}

export interface FaultReport {
  devices: InjectedDeviceFault[];
  exceptions: Record<ExceptionFaultKind, number>;
  /** The canonical GS1 Digital Link of each injected exception's subject (one case each). */
  subjects: Record<ExceptionFaultKind, string[]>;
  /** Of the damaged labels, how many each faulty device caused (in `exceptions` and `subjects` too). */
  causedBy: Record<string, number>;
}

export const DEFAULT_FAULTS =
  'printer_grade:line-1-printer@0.3,scanner_noread:wms-scanner-9@0.4,clock_drift:truck-42:60@0.5,damaged_label:5,missing_sku:5,mislabeled_pallet:5';

const deviceKinds: DeviceFaultKind[] = ['printer_grade', 'scanner_noread', 'clock_drift'];
const exceptionKinds: ExceptionFaultKind[] = ['damaged_label', 'missing_sku', 'mislabeled_pallet'];
/** Hours of plant time over which a degrading device goes from healthy to its worst. */
const RAMP_HOURS = 8;
/** The plant's time is replayed; the raw topics keep 14 days, so the replayed span must fit. */
export const MAX_FLOOR_EVENTS = 200_000;

/** Parses `--faults SPEC`; a mistake is a UsageError naming the part and the syntax. */
export function parseFaults(spec: string): FaultPlan {
  const plan: FaultPlan = {
    devices: [],
    exceptions: { damaged_label: 0, missing_sku: 0, mislabeled_pallet: 0 },
  };
  const text = spec.trim() === 'default' ? DEFAULT_FAULTS : spec.trim();
  if (text === 'none') return plan;
  const bad = (part: string, why: string) =>
    new UsageError(
      `--faults: '${part}' ${why} (e.g. ${DEFAULT_FAULTS}; 'default' or 'none'; see docs/devices.md)`,
    );
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const [body, atText] = part.split('@') as [string, string | undefined];
    const [kind, ...args] = body.split(':');
    if (exceptionKinds.includes(kind as ExceptionFaultKind)) {
      const n = Number(args[0]);
      if (args.length !== 1 || !Number.isInteger(n) || n < 0 || n > 1000 || atText !== undefined)
        throw bad(part, 'needs a count from 0 to 1000, e.g. damaged_label:5');
      plan.exceptions[kind as ExceptionFaultKind] += n;
      continue;
    }
    if (!deviceKinds.includes(kind as DeviceFaultKind))
      throw bad(part, `is no fault kind; one of ${[...deviceKinds, ...exceptionKinds].join(', ')}`);
    const device = args[0] ?? '';
    if (!world.devices.includes(device))
      throw bad(part, `names no demo device; one of ${world.devices.join(', ')}`);
    const at = atText === undefined ? 0.3 : Number(atText);
    if (!Number.isFinite(at) || at <= 0 || (at >= 1 && !Number.isInteger(at)))
      throw bad(part, 'has an @AT that is neither a fraction in (0, 1) nor a record number');
    const fault: DeviceFault = { kind: kind as DeviceFaultKind, device, at };
    if (kind === 'clock_drift') {
      const rate = Number(args[1]);
      if (args.length !== 2 || !Number.isFinite(rate) || rate === 0 || Math.abs(rate) > 3600)
        throw bad(part, 'needs seconds per hour, e.g. clock_drift:truck-42:60');
      fault.secondsPerHour = rate;
    } else if (args.length !== 1) throw bad(part, 'takes one device');
    plan.devices.push(fault);
  }
  return plan;
}

const withCheck = (digits: string) => digits + String(gs1CheckDigit(digits));
/** A GTIN of the demo's company that master data does not know. */
export const UNKNOWN_GTIN = withCheck('0401234599999');

type Value = MesUnitEvent | WmsMovement | TmsShipmentEvent;
const isMes = (v: unknown): v is MesUnitEvent => typeof v === 'object' && v !== null && 'msgId' in v;
const isWms = (v: unknown): v is WmsMovement => typeof v === 'object' && v !== null && 'movementId' in v;
const isTms = (v: unknown): v is TmsShipmentEvent => typeof v === 'object' && v !== null && 'eventRef' in v;

/** The record's own message id (what an alert's atRecord names). */
export function messageIdOf(value: unknown): string | null {
  if (isMes(value)) return value.msgId;
  if (isWms(value)) return value.movementId;
  if (isTms(value)) return value.eventRef;
  return null;
}

const deviceOf = (v: unknown): string | null =>
  isMes(v) ? v.machineId : isWms(v) ? v.scannerId : isTms(v) ? v.vehicleId : null;
const siteOf = (v: unknown): string =>
  isMes(v) ? v.plantGln : isWms(v) ? v.warehouseGln : isTms(v) ? v.fromGln : '';

/** The plant's real time of a record, before any clock fault (MES writes Berlin wall clock). */
function trueTimeOf(v: unknown): number | null {
  try {
    if (isMes(v)) return v.plantTimeMs - 3600_000;
    if (isWms(v)) return parseIsoWithOffset(v.occurredAt).utcMs;
    if (isTms(v)) return v.tsEpochSec * 1000;
  } catch {
    // an invalid record's time: it takes its neighbour's
  }
  return null;
}

function shiftClock(v: Value, ms: number): Value {
  if (isMes(v)) return { ...v, plantTimeMs: v.plantTimeMs + Math.round(ms) };
  if (isTms(v)) return { ...v, tsEpochSec: v.tsEpochSec + Math.round(ms / 1000) };
  const { offset } = parseIsoWithOffset(v.occurredAt);
  const sign = offset.startsWith('-') ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  const local = new Date(parseIsoWithOffset(v.occurredAt).utcMs + Math.round(ms) + minutes * 60_000);
  return { ...v, occurredAt: local.toISOString().replace('Z', offset) };
}

const GRADES: PrintGrade[] = ['F', 'D', 'C', 'B', 'A']; // index = grade value (A=4 ... F=0)

/** Healthy print quality: mostly A and B. */
function healthyGrade(r: number): number {
  return r < 0.72 ? 4 : r < 0.96 ? 3 : r < 0.995 ? 2 : 1;
}

/**
 * Adds the floor to a generated stream and injects `plan`. Returns the records (as many as given)
 * and what was injected, with each fault's first record.
 */
export function injectFloor(
  base: DemoRecord[],
  plan: FaultPlan,
  seed: number,
): { records: DemoRecord[]; report: FaultReport } {
  const rnd = prng((seed ^ 0x5eed5) >>> 0);
  const n = base.length;
  const tag = seed.toString(36).toUpperCase();
  const times = trueTimes(base);
  // The stream goes out in receive-time order, so a fault `at` 0.4 begins at 40 % of the plant's times.
  const ordered = Float64Array.from(times).sort();
  const startAt = (at: number) => ordered[Math.min(n - 1, at < 1 ? Math.floor(at * n) : at)] ?? ordered[0]!;
  const faults = plan.devices.map((f) => ({ ...f, beganAt: startAt(f.at) }));
  const progress = (f: { beganAt: number }, t: number) =>
    Math.max(0, Math.min(1, (t - f.beganAt) / (RAMP_HOURS * 3600_000)));
  const faultOf = (device: string | null, kind: DeviceFaultKind) =>
    faults.find((f) => f.device === device && f.kind === kind);

  // Verifications and clocks, record by record; a re-send repeats its original's verifications.
  const verifiedById = new Map<string, CodeVerification[]>();
  let records: DemoRecord[] = base.map((rec, i) => {
    if (Buffer.isBuffer(rec.value)) return { ...rec, receivedAt: times[i]! + 500 };
    let value = rec.value as Value;
    const t = times[i]!;
    const device = deviceOf(value);
    const id = messageIdOf(value)!;
    const original = id.replace(/-R\d+$/, '');
    let verifications: CodeVerification[] | undefined;
    if (rec.kind === 'duplicate' && verifiedById.has(original)) verifications = verifiedById.get(original);
    else if (isMes(value) && value.operation === 'COMMISSION' && rec.kind === 'valid') {
      const printer = faultOf(device, 'printer_grade');
      const q = printer ? progress(printer, t) : 0;
      // The line camera verifies every other unit it printed (ISO/IEC 15415 for 2D codes).
      verifications = value.serials
        .filter((_, u) => u % 2 === 0)
        .map((code): CodeVerification => {
          if (rnd() < 0.001) return { code, result: 'NO_READ', grade: null, standard: 'ISO/IEC 15415' };
          const healthy = healthyGrade(rnd());
          // Degrading: one grade lower with probability 3q (q from 0 to 1 over the ramp), down to D.
          const grade = q > 0 ? Math.max(1, healthy - Math.floor(3 * q + rnd())) : healthy;
          return { code, result: 'READ', grade: GRADES[grade]!, standard: 'ISO/IEC 15415' };
        });
    } else if (isWms(value) && rec.kind === 'valid' && value.container) {
      const scanner = faultOf(device, 'scanner_noread');
      const p = 0.003 + (scanner ? 0.3 * progress(scanner, t) : 0);
      const codes =
        value.movementType === 'PALLETIZE' ? [value.container, ...value.items] : [value.container];
      verifications = codes.map((code): CodeVerification => ({
        code,
        result: rnd() < p ? 'NO_READ' : 'READ',
        grade: null,
        standard: null,
      }));
    }
    if (verifications) {
      verifiedById.set(original, verifications);
      value = { ...value, verifications } as Value;
    }
    const clock = faultOf(device, 'clock_drift');
    if (clock && t > clock.beganAt)
      value = shiftClock(value, ((clock.secondsPerHour! * (t - clock.beganAt)) / 3600_000) * 1000);
    const latency = rec.kind === 'duplicate' ? 5_000 : 200 + Math.floor(rnd() * 1300);
    return { ...rec, value, receivedAt: t + latency };
  });

  // Each injected exception with the message id of the record that carries it.
  const injected: { kind: ExceptionFaultKind; subject: string; id: string; causedBy?: string }[] = [];
  const touched = new Set<number>();
  // The first record at or after `from` that `fits`, not followed by a copy of it, not used yet.
  const find = (from: number, fits: (v: unknown) => boolean) => {
    for (let i = from; i < records.length; i++) {
      const next = records[i + 1];
      if (
        records[i]!.kind === 'valid' &&
        fits(records[i]!.value) &&
        !touched.has(i) &&
        next?.kind !== 'duplicate' &&
        next?.kind !== 'invalid'
      ) {
        touched.add(i);
        return i;
      }
    }
    return -1;
  };
  const inserts: { after: number; record: DemoRecord }[] = [];
  const spread = (k: number, count: number) => Math.floor(((k + 1) / (count + 1)) * records.length);

  for (let k = 0; k < plan.exceptions.mislabeled_pallet; k++) {
    const i = find(
      spread(k, plan.exceptions.mislabeled_pallet),
      (v) => isWms(v) && v.movementType === 'RECEIVE',
    );
    if (i < 0) continue;
    const receive = records[i]!.value as WmsMovement;
    const other = records
      .slice(0, i)
      .reverse()
      .find(
        (r) =>
          isWms(r.value) && r.value.movementType === 'PALLETIZE' && r.value.container !== receive.container,
      );
    if (!other) continue;
    // Another pallet's cases under this pallet's label: what was palletised is not what arrived.
    const items = (other.value as WmsMovement).items;
    records[i] = {
      ...records[i]!,
      value: {
        ...receive,
        items,
        exceptionReport: {
          kind: 'MISLABELED_PALLET',
          subjectType: 'PALLET',
          subject: receive.container!,
          text: 'cases on the pallet are not the ones on its label',
          operatorId: receive.userId ?? 'clerk-1',
        },
      },
    };
    injected.push({
      kind: 'mislabeled_pallet',
      subject: toDigitalLink(receive.container!),
      id: receive.movementId,
    });
  }

  for (let k = 0; k < plan.exceptions.damaged_label; k++) {
    const onLine = k % 2 === 0;
    const i = find(spread(k, plan.exceptions.damaged_label), (v) =>
      onLine ? isMes(v) && v.operation === 'COMMISSION' : isWms(v) && v.movementType === 'RECEIVE',
    );
    if (i < 0) continue;
    const at = records[i]!;
    if (isMes(at.value)) {
      const m = at.value;
      const serial = m.serials[1]!;
      inserts.push({
        after: i,
        record: damagedLabelReport(at, {
          suffix: '-DL',
          delayMs: 10_000,
          unit: serial,
          verifications: [{ code: serial, result: 'NO_READ', grade: null, standard: 'ISO/IEC 15415' }],
          text: 'label smeared, the camera cannot read it',
        }),
      });
      injected.push({
        kind: 'damaged_label',
        subject: toDigitalLink(`(01)${m.gtin.padStart(14, '0')}(21)${serial}`),
        id: `${m.msgId}-DL`,
      });
    } else {
      const w = at.value as WmsMovement;
      inserts.push({
        after: i,
        record: damagedLabelReport(at, {
          suffix: '-DL',
          delayMs: 10_000,
          verifications: [{ code: w.container!, result: 'NO_READ', grade: null, standard: null }],
          text: 'pallet label torn on arrival',
        }),
      });
      injected.push({
        kind: 'damaged_label',
        subject: toDigitalLink(w.container!),
        id: `${w.movementId}-DL`,
      });
    }
  }

  for (let k = 0; k < plan.exceptions.missing_sku; k++) {
    const i = find(spread(k, plan.exceptions.missing_sku), (v) => isMes(v) && v.operation === 'COMMISSION');
    if (i < 0) continue;
    const m = records[i]!.value as MesUnitEvent;
    const serial = `${tag}MS${k}`;
    inserts.push({
      after: i,
      record: {
        topic: topics.rawMes.name,
        key: serial,
        kind: 'invalid',
        receivedAt: records[i]!.receivedAt! + 2_000,
        value: { ...m, msgId: `M${tag}-MS${k}`, gtin: UNKNOWN_GTIN, serials: [serial], verifications: null },
      },
    });
    injected.push({
      kind: 'missing_sku',
      subject: toDigitalLink(`(01)${UNKNOWN_GTIN}(21)${serial}`),
      id: `M${tag}-MS${k}`,
    });
  }

  // What the device faults cause downstream (docs/exceptions.md): after the random ones, so these
  // take records and subjects the random ones left.
  const used = new Set(injected.map((x) => x.subject));
  for (const c of causedReports(records, faults, plan.devices.length ? rndCaused(seed) : null)) {
    const i = c.index;
    if (touched.has(i) || records[i + 1]?.kind === 'duplicate' || records[i + 1]?.kind === 'invalid')
      continue;
    const subject = c.subject;
    if (used.has(subject)) continue;
    touched.add(i);
    used.add(subject);
    inserts.push({ after: i, record: c.record });
    injected.push({ kind: 'damaged_label', subject, id: messageIdOf(c.record.value)!, causedBy: c.device });
  }

  // Insert after their anchors (from the back, so indices hold), then keep the stream's length.
  for (const { after, record } of inserts.sort((a, b) => b.after - a.after))
    records.splice(after + 1, 0, record);
  // The broker receives records in time order: the plant's records of a pallet long before the
  // DC's receipt a day later (a stable sort keeps a re-send right after its original).
  records = records.slice(0, n).sort((a, b) => a.receivedAt! - b.receivedAt!);
  const kept = new Set(records.map((r) => messageIdOf(r.value)));
  const subjects = Object.fromEntries(
    exceptionKinds.map((kind) => [
      kind,
      injected.filter((x) => x.kind === kind && kept.has(x.id)).map((x) => x.subject),
    ]),
  ) as FaultReport['subjects'];

  const report: FaultReport = {
    devices: faults.map((f) => {
      const first = records.findIndex((r) => {
        if (deviceOf(r.value) !== f.device || r.kind === 'invalid') return false;
        const t = trueTimeOf(r.value);
        const signalled =
          f.kind === 'clock_drift' ||
          ((r.value as { verifications?: unknown }).verifications ?? null) !== null;
        return signalled && t !== null && t > f.beganAt;
      });
      return {
        kind: f.kind,
        device: f.device,
        site: first >= 0 ? siteOf(records[first]!.value) : '',
        beganAtRecord: first,
        beganAt: f.beganAt,
        ...(f.secondsPerHour !== undefined ? { secondsPerHour: f.secondsPerHour } : {}),
      };
    }),
    exceptions: {
      damaged_label: subjects.damaged_label.length,
      missing_sku: subjects.missing_sku.length,
      mislabeled_pallet: subjects.mislabeled_pallet.length,
    },
    subjects,
    causedBy: {},
  };
  for (const x of injected)
    if (x.causedBy && kept.has(x.id)) report.causedBy[x.causedBy] = (report.causedBy[x.causedBy] ?? 0) + 1;
  return { records, report };
}

/**
 * Chances, per record, that a device fault causes a damaged-label report (fixed before any
 * evaluation, not tuned to it): a unit the faulty printer printed at grade D or F is found damaged
 * by the line's end-of-line check; a pallet the failing scanner could not read is reported
 * unreadable by its clerk. A drifting clock causes none: no one files an exception about a time.
 */
export const CAUSED_REPORT_CHANCE = { printedBadly: 0.01, scannedNoRead: 0.05 };

const rndCaused = (seed: number) => prng((seed ^ 0xca05ed) >>> 0);

interface CausedReport {
  device: string;
  index: number;
  subject: string;
  record: DemoRecord;
}

/**
 * A damaged-label report filed `delayMs` after the record `at`, on the same device: on the line for
 * one of its units (`unit`), at the warehouse for its pallet.
 */
function damagedLabelReport(
  at: DemoRecord,
  {
    suffix,
    delayMs,
    unit,
    verifications,
    text,
  }: {
    suffix: string;
    delayMs: number;
    unit?: string;
    verifications: CodeVerification[] | null;
    text: string;
  },
): DemoRecord {
  const receivedAt = at.receivedAt! + delayMs;
  if (isMes(at.value)) {
    const m = at.value;
    return {
      topic: topics.rawMes.name,
      key: m.serials[0]!,
      kind: 'valid',
      receivedAt,
      value: {
        ...m,
        msgId: `${m.msgId}${suffix}`,
        plantTimeMs: m.plantTimeMs + delayMs,
        operation: 'REPORT',
        serials: [],
        verifications,
        exceptionReport: {
          kind: 'DAMAGED_LABEL',
          subjectType: 'UNIT',
          subject: unit!,
          text,
          operatorId: m.operatorId ?? 'op-1',
        },
      },
    };
  }
  const w = at.value as WmsMovement;
  return {
    topic: topics.rawWms.name,
    key: at.key,
    kind: 'valid',
    receivedAt,
    value: {
      ...w,
      movementId: `${w.movementId}${suffix}`,
      occurredAt: (shiftClock(w, delayMs) as WmsMovement).occurredAt,
      movementType: 'REPORT',
      items: [],
      verifications,
      exceptionReport: {
        kind: 'DAMAGED_LABEL',
        subjectType: 'PALLET',
        subject: w.container!,
        text,
        operatorId: w.userId ?? 'clerk-1',
      },
    },
  };
}

/**
 * The damaged-label reports the device faults cause, each after the record that caused it, on the
 * same device. They carry no verification: the read happened on the original record, and a
 * report must not add to the device's own health signals.
 */
function causedReports(
  records: readonly DemoRecord[],
  faults: readonly { kind: DeviceFaultKind; device: string; beganAt: number }[],
  rnd: (() => number) | null,
): CausedReport[] {
  if (!rnd) return [];
  const out: CausedReport[] = [];
  records.forEach((rec, index) => {
    if (rec.kind !== 'valid' || Buffer.isBuffer(rec.value)) return;
    const v = rec.value;
    const fault = faults.find((f) => f.device === deviceOf(v) && f.kind !== 'clock_drift');
    if (!fault) return;
    if (fault.kind === 'printer_grade' && isMes(v) && v.operation === 'COMMISSION') {
      const bad = (v.verifications ?? []).find((x) => x.grade === 'D' || x.grade === 'F');
      if (!bad || rnd() >= CAUSED_REPORT_CHANCE.printedBadly) return;
      out.push({
        device: fault.device,
        index,
        subject: toDigitalLink(`(01)${v.gtin.padStart(14, '0')}(21)${bad.code}`),
        record: damagedLabelReport(rec, {
          suffix: '-PD',
          delayMs: 20_000,
          unit: bad.code,
          verifications: null,
          text: `printed at grade ${bad.grade}: the end-of-line check cannot read it`,
        }),
      });
    }
    if (fault.kind === 'scanner_noread' && isWms(v) && v.container) {
      if (!(v.verifications ?? []).some((x) => x.result === 'NO_READ')) return;
      if (rnd() >= CAUSED_REPORT_CHANCE.scannedNoRead) return;
      out.push({
        device: fault.device,
        index,
        subject: toDigitalLink(v.container),
        record: damagedLabelReport(rec, {
          suffix: '-ND',
          delayMs: 20_000,
          verifications: null,
          text: 'pallet label will not scan at this station: keyed in by hand',
        }),
      });
    }
  });
  return out;
}

/**
 * Each record's plant time before faults; an invalid record (raw bytes, a time in 2099) takes its
 * neighbour's, so that the broker's receive times stay the plant's.
 */
function trueTimes(records: DemoRecord[]): number[] {
  let last =
    records.map((r) => (r.kind === 'valid' ? trueTimeOf(r.value) : null)).find((t) => t !== null) ?? 0;
  return records.map((r) => {
    const t = r.kind === 'invalid' ? null : trueTimeOf(r.value);
    if (t !== null && Number.isFinite(t)) last = t;
    return last;
  });
}

/** The demo stream with the floor and `plan` injected (`produce demo --faults`, `demo --faults`). */
export function generateFloorDemo(
  options: DemoOptions,
  plan: FaultPlan,
): { records: DemoRecord[]; report: FaultReport } {
  if (options.events > MAX_FLOOR_EVENTS)
    throw new UsageError(
      `--faults replays the plant's days: at most ${MAX_FLOOR_EVENTS} records (the raw topics keep 14 days)`,
    );
  return injectFloor(generateDemo(options), plan, options.seed ?? 1);
}

/** The demo stream a command asked for: with `--faults SPEC` the floor and its faults, else the plain stream. */
export function demoStream(args: DemoOptions & { faults?: string }): {
  records: DemoRecord[];
  faults: FaultReport | null;
} {
  if (args.faults === undefined) return { records: generateDemo(args), faults: null };
  const { records, report } = generateFloorDemo(args, parseFaults(args.faults));
  return { records, faults: report };
}
