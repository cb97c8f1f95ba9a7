/**
 * Which records are incidents: pure functions from what the cases stage reads to what it does.
 *
 *   ut.signals.v1   an EXCEPTION_REPORT signal      → a case of the report's kind (key: the signalId;
 *                                                      a mislabeled pallet's: the pallet, see below)
 *   ut.dlq.v1       a record refused UNKNOWN_GTIN    → MISSING_SKU (key: the event id, so a replay that
 *                                                      fails again joins the same case)
 *   ut.alerts.v1    quarantine_breach                → QUARANTINE_BREACH (key: the alert id)
 *                   device_degrading/drifting/silent → DEVICE_FAULT, one per episode (key: episodeId)
 *                   device_cleared                   → a note on that episode's case
 *   ut.journey*.v1  any event                        → "landed" (resolves a MISSING_SKU case waiting for it)
 *                   (the fused deployment: ut.journey.digest.v1, the same of each event, libs/cases/digest.ts)
 *                   a WMS receiving of an SSCC whose listed items differ from what was palletised
 *                                                    → MISLABELED_PALLET (key: the pallet)
 *
 * The incident key is deterministic, so the same record read twice (a replay, a restart) gives the
 * same key, and the database's unique constraint opens the case once. Where two sources see one
 * incident (a clerk reports pallet X mislabeled, and its receiving shows other contents), both give
 * the same key: the first opens the case, the second is recorded on it as corroborating evidence.
 */
import crypto from 'node:crypto';
import type { SerializationEvent } from '../events';
import { toDigitalLink } from '../gs1';
import { ORIGIN_TS_HEADER } from '../runtime';
import type { FloorSignal } from '../sources';
import type { DlqRow } from '../store';
import { topics } from '../topics';
import type { JourneyDigest } from './digest';
import type { CaseKind } from './playbook';

export interface Incident {
  incidentKey: string;
  kind: CaseKind;
  title: string;
  source: 'signal' | 'dlq' | 'alert' | 'journey' | 'manual';
  sourceRef: string | null;
  subject: string | null;
  units: string[];
  deviceId: string | null;
  site: string | null;
  lineId: string | null;
  gtin: string | null;
  operatorId: string | null;
  /** MISSING_SKU: the event whose landing resolves the case. */
  eventId: string | null;
  /** Epoch ms. */
  occurredAt: number;
  detail: Record<string, unknown>;
}

export type Effect =
  | { type: 'open'; incident: Incident }
  /** An event reached the journey: a MISSING_SKU case waiting for it is resolved. */
  | { type: 'landed'; eventId: string }
  /** Something to add to an existing case's history (a device episode that cleared). */
  | { type: 'note'; incidentKey: string; action: string; detail: Record<string, unknown>; at: number };

/** The case id of an incident key: short, stable, and the same on every replay. */
export function caseIdOf(incidentKey: string): string {
  return `C-${crypto.createHash('sha256').update(incidentKey).digest('hex').slice(0, 10).toUpperCase()}`;
}

/** FloorSignal (avro/signal.avsc): the validator's, read here as it writes it. */
export type { FloorSignal };

/** Alert (avro/alert.avsc). */
export interface Alert {
  alertId: string;
  kind: string;
  severity: string;
  message: string;
  recallId: string | null;
  partner: string | null;
  eventId: string | null;
  createdAt: number;
  payload: string | null;
}

const reportTitles: Record<CaseKind, string> = {
  DAMAGED_LABEL: 'Damaged label',
  MISSING_SKU: 'Missing SKU',
  MISLABELED_PALLET: 'Mislabeled pallet',
  QUARANTINE_BREACH: 'Quarantine breach',
  DEVICE_FAULT: 'Device fault',
  OTHER: 'Exception',
};

const blank = {
  subject: null,
  units: [],
  deviceId: null,
  site: null,
  lineId: null,
  gtin: null,
  operatorId: null,
  eventId: null,
};

/** A GS1 key in the journey store's form (Digital Link), or the text as given when it is none. */
export function canonicalId(id: string): string {
  try {
    return toDigitalLink(id.trim());
  } catch {
    return id.trim();
  }
}

/**
 * The incident "pallet X is mislabeled", whoever tells it: the pallet in one canonical form
 * (Digital Link), so that a clerk's report (element string, URN or Digital Link) and the receiving
 * event (Digital Link) name the same case.
 */
export function mislabeledKey(pallet: string): string {
  return `mislabeled:${canonicalId(pallet)}`;
}

export function fromSignal(s: FloorSignal): Effect[] {
  if (s.kind !== 'EXCEPTION_REPORT' || !s.exception) return [];
  const x = s.exception;
  // The validator gives the EPC when it could form one; else an MES unit is a serial of the record's GTIN.
  const given =
    s.subject ??
    (s.gtin && x.subjectType === 'UNIT' && /^[!-~]{1,20}$/.test(x.subject) && !x.subject.startsWith('(')
      ? `(01)${s.gtin}(21)${x.subject}`
      : x.subject);
  const subject = canonicalId(given);
  return [
    {
      type: 'open',
      incident: {
        ...blank,
        incidentKey: x.kind === 'MISLABELED_PALLET' ? mislabeledKey(subject) : `signal:${s.signalId}`,
        kind: x.kind,
        title: `${reportTitles[x.kind]} reported at ${s.deviceId}: ${x.text}`.slice(0, 300),
        source: 'signal',
        sourceRef: s.signalId,
        subject,
        units: [subject],
        deviceId: s.deviceId,
        site: s.siteGln,
        lineId: s.lineId,
        gtin: s.gtin,
        operatorId: x.operatorId || s.operatorId,
        occurredAt: s.eventTime,
        detail: {
          receivedAt: s.receivedAt,
          report: x,
          sourceSystem: s.sourceSystem,
          sourceEventId: s.sourceEventId,
          sourceRef: s.sourceRef,
        },
      },
    },
  ];
}

const GTIN_IN_MESSAGE = /GTIN (\d{14})/;

export function fromDlq(
  d: Pick<
    DlqRow,
    'dlqId' | 'reasons' | 'eventId' | 'deviceId' | 'sourceSystem' | 'failedAt' | 'replayOf' | 'sourceTopic'
  > &
    Partial<Pick<DlqRow, 'originalHeaders'>>,
): Effect[] {
  const unknown = d.reasons.filter((r) => r.code === 'UNKNOWN_GTIN');
  if (unknown.length === 0) return [];
  const gtins = unknown.map((r) => GTIN_IN_MESSAGE.exec(r.message)?.[1]).filter((g): g is string => !!g);
  return [
    {
      type: 'open',
      incident: {
        ...blank,
        incidentKey: `missing_sku:${d.eventId ?? d.dlqId}`,
        kind: 'MISSING_SKU',
        title: `Unknown GTIN ${gtins.join(', ') || '(see the DLQ record)'} from ${d.sourceSystem ?? 'a source'}`,
        source: 'dlq',
        sourceRef: d.dlqId,
        deviceId: d.deviceId,
        gtin: gtins[0] ?? null,
        eventId: d.eventId,
        occurredAt: d.failedAt,
        detail: {
          receivedAt: receivedAtOf(d.originalHeaders?.[ORIGIN_TS_HEADER]),
          dlqId: d.dlqId,
          reasons: d.reasons,
          sourceTopic: d.sourceTopic,
          replayOf: d.replayOf,
        },
      },
    },
  ];
}

export const deviceAlertKinds = ['device_degrading', 'device_drifting', 'device_silent'] as const;

function payloadOf(a: Alert): Record<string, unknown> {
  if (!a.payload) return {};
  try {
    const p: unknown = JSON.parse(a.payload);
    return typeof p === 'object' && p !== null && !Array.isArray(p) ? (p as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export function fromAlert(a: Alert): Effect[] {
  const payload = payloadOf(a);
  if (a.kind === 'quarantine_breach') {
    const ids = Array.isArray(payload.identifiers)
      ? payload.identifiers.filter((x) => typeof x === 'string')
      : [];
    return [
      {
        type: 'open',
        incident: {
          ...blank,
          incidentKey: `alert:${a.alertId}`,
          kind: 'QUARANTINE_BREACH',
          title: a.message.slice(0, 300),
          source: 'alert',
          sourceRef: a.alertId,
          subject: (ids[0] as string | undefined) ?? null,
          units: ids as string[],
          site: str(payload.bizLocation),
          occurredAt: a.createdAt,
          detail: { alert: { ...a, payload } },
        },
      },
    ];
  }
  const episode = str(payload.episodeId) ?? a.alertId;
  if ((deviceAlertKinds as readonly string[]).includes(a.kind)) {
    const device = str(payload.device);
    return [
      {
        type: 'open',
        incident: {
          ...blank,
          incidentKey: `device:${episode}`,
          kind: 'DEVICE_FAULT',
          title: a.message.slice(0, 300),
          source: 'alert',
          sourceRef: a.alertId,
          deviceId: device,
          site: str(payload.site),
          occurredAt: a.createdAt,
          // A device alert's createdAt is the broker time of the record it fired at.
          detail: { receivedAt: a.createdAt, alert: { ...a, payload } },
        },
      },
    ];
  }
  if (a.kind === 'device_cleared') {
    return [
      {
        type: 'note',
        incidentKey: `device:${episode}`,
        action: 'device_cleared',
        detail: { alertId: a.alertId, payload },
        at: a.createdAt,
      },
    ];
  }
  return [];
}

/**
 * What the cases stage reads of a journey event: a SerializationEvent has all of it, and the fused
 * deployment's digest (ut.journey.digest.v1, libs/cases/digest.ts) carries just this.
 */
export interface JourneyFacts {
  eventId: string;
  eventTime: number;
  eventType: string;
  action: string | null;
  sourceSystem: string;
  bizStep: string | null;
  epcList: readonly { uri: string; scheme: string }[];
  parentId: { uri: string } | null;
  childEpcs: readonly { uri: string }[];
  machineId: string | null;
  bizLocation: string | null;
  operatorId: string | null;
}

/** The pallet a WMS receiving names (the WMS lists the container first), and the items it lists. */
export function receivedPallet(e: JourneyFacts): { pallet: string; listed: string[] } | null {
  if (String(e.sourceSystem) !== 'WMS' || e.bizStep !== 'receiving') return null;
  const [first, ...rest] = e.epcList;
  if (!first || first.scheme !== 'sscc' || rest.length === 0) return null;
  return { pallet: first.uri, listed: rest.map((i) => i.uri) };
}

/**
 * A journey event: it landed (for MISSING_SKU cases), and when it receives a pallet whose listed
 * items differ from what was palletised into it (`contents`: the pallet's children then, or
 * undefined when nothing is known of it), a MISLABELED_PALLET case.
 */
export function fromJourney(
  e: JourneyFacts,
  contents: ReadonlyMap<string, readonly string[]>,
  receivedAt: number | null = null,
): Effect[] {
  const out: Effect[] = [{ type: 'landed', eventId: e.eventId }];
  const received = receivedPallet(e);
  const known = received ? contents.get(received.pallet) : undefined;
  if (received && known && known.length > 0) {
    const listed = new Set(received.listed);
    const packed = new Set(known);
    const missing = known.filter((u) => !listed.has(u));
    const unexpected = received.listed.filter((u) => !packed.has(u));
    if (missing.length > 0 || unexpected.length > 0) {
      out.push({
        type: 'open',
        incident: {
          ...blank,
          incidentKey: mislabeledKey(received.pallet),
          kind: 'MISLABELED_PALLET',
          title: `Pallet ${received.pallet} received with ${unexpected.length} unexpected and ${missing.length} missing item(s)`,
          source: 'journey',
          sourceRef: e.eventId,
          subject: received.pallet,
          units: [received.pallet, ...new Set([...known, ...received.listed])],
          deviceId: e.machineId,
          site: e.bizLocation,
          operatorId: e.operatorId,
          occurredAt: e.eventTime,
          detail: { receivedAt, receivingEvent: e.eventId, missing, unexpected },
        },
      });
    }
  }
  return out;
}

/**
 * The broker time (epoch ms) a raw record was received, from its ut-origin-ts header: one clock
 * for every incident (a device's own clock can drift; a DLQ's failedAt is when it was refused).
 * Kept in a case's detail as `receivedAt`, for the incident model's time axis (docs/exceptions.md).
 */
export function receivedAtOf(header: Buffer | string | undefined): number | null {
  const ms = header === undefined ? NaN : Number(header.toString());
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

/** Every effect of one record of the cases stage's inputs (`originTs`: its ut-origin-ts header). */
export function effectsOf(
  topic: string,
  value: unknown,
  contents: ReadonlyMap<string, readonly string[]> = new Map(),
  originTs?: string,
): Effect[] {
  switch (topic) {
    case topics.signals.name:
      return fromSignal(value as FloorSignal);
    case topics.dlq.name:
      return fromDlq(value as DlqRow);
    case topics.alerts.name:
      return fromAlert(value as Alert);
    case topics.journey.name:
    case topics.journeySurge.name:
      return fromJourney(value as SerializationEvent, contents, receivedAtOf(originTs));
    case topics.journeyDigest.name: {
      const d = value as JourneyDigest;
      return [
        ...d.landed.map((eventId): Effect => ({ type: 'landed', eventId })),
        ...d.events.flatMap((f) => fromJourney(f, contents, f.receivedAt)),
      ];
    }
    default:
      return [];
  }
}
