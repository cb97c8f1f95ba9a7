/**
 * Floor signals: what line vision systems and scanners say about the codes they read (a grade, a
 * no-read) and what operators report by hand (a damaged label, a mislabeled pallet). MES and WMS
 * records may carry them (avro/sources, `verifications` and `exceptionReport`); the validator
 * writes one FloorSignal (avro/signal.avsc) per verification and per report to ut.signals.v1.
 * A REPORT record carries only its report: it has no journey event.
 */
import { InvalidInputError, type Reason } from '../errors';
import { Gs1Error, parseGs1, toDigitalLink } from '../gs1';
import { topics } from '../topics';
import { checkRecord, requireEpochMs, requireFields } from './adapter';
import type { MesUnitEvent } from './mes';
import type { CodeVerification, ExceptionReport, FloorSignal } from './signal';
import { parseIsoWithOffset, wallClockToUtc } from './time';
import type { WmsMovement } from './wms';

/** Where the raw record was: its coordinates and the broker's receive time (Kafka timestamp). */
export interface RawCoordinates {
  topic: string;
  partition: number;
  offset: string | number;
  receivedAt: number;
}

/** What a MES or WMS record says apart from its event, in one shape. */
type FloorView = Pick<
  FloorSignal,
  'sourceSystem' | 'sourceEventId' | 'deviceId' | 'siteGln' | 'lineId' | 'operatorId' | 'eventTime'
> & {
  report: boolean;
  verifications: CodeVerification[];
  exceptionReport: ExceptionReport | null;
  /** The canonical key of a code as this source writes it (throws Gs1Error when it is not one). */
  keyOf(code: string, subjectType?: ExceptionReport['subjectType']): { uri: string; gtin: string | null };
};

const mesView = (r: MesUnitEvent): FloorView => {
  requireFields('MES', r, ['msgId', 'plantZone', 'plantGln', 'machineId']);
  requireEpochMs('MES', 'plantTimeMs', r.plantTimeMs);
  const gtin14 = (r.gtin ?? '').padStart(14, '0');
  return {
    sourceSystem: 'MES',
    sourceEventId: r.msgId,
    deviceId: r.machineId,
    siteGln: r.plantGln,
    lineId: r.lineId || null,
    operatorId: r.operatorId,
    eventTime: wallClockToUtc(r.plantTimeMs, r.plantZone).utcMs,
    report: r.operation === 'REPORT',
    verifications: r.verifications ?? [],
    exceptionReport: r.exceptionReport ?? null,
    // MES writes a serial of the record's GTIN, or for a case or pallet its bare SSCC.
    keyOf(code, subjectType) {
      const text =
        subjectType !== undefined && subjectType !== 'UNIT' && /^\d{18}$/.test(code)
          ? `(00)${code}`
          : `(01)${gtin14}(21)${code}`;
      const key = parseGs1(text);
      return { uri: toDigitalLink(key), gtin: key.gtin ?? null };
    },
  };
};

const wmsView = (r: WmsMovement): FloorView => {
  requireFields('WMS', r, ['movementId', 'occurredAt', 'warehouseGln', 'scannerId']);
  return {
    sourceSystem: 'WMS',
    sourceEventId: r.movementId,
    deviceId: r.scannerId,
    siteGln: r.warehouseGln,
    lineId: null,
    operatorId: r.userId,
    eventTime: parseIsoWithOffset(r.occurredAt).utcMs,
    report: r.movementType === 'REPORT',
    verifications: r.verifications ?? [],
    exceptionReport: r.exceptionReport ?? null,
    // WMS writes element strings, as the scanner read them.
    keyOf(code) {
      const key = parseGs1(code);
      return { uri: toDigitalLink(key), gtin: key.gtin ?? null };
    },
  };
};

const views: Record<string, (record: never) => FloorView> = {
  [topics.rawMes.name]: mesView,
  [topics.rawWms.name]: wmsView,
};

/** Whether a raw record is a REPORT (no journey event): MES operation or WMS movementType REPORT. */
export function isReport(topic: string, record: unknown): boolean {
  const r = record as { operation?: unknown; movementType?: unknown } | null;
  if (topic === topics.rawMes.name) return r?.operation === 'REPORT';
  if (topic === topics.rawWms.name) return r?.movementType === 'REPORT';
  return false;
}

/**
 * The floor signals of a raw record (none for sources without them: TMS, EPCIS). Throws
 * InvalidInputError, so the whole record goes to the DLQ, when a REPORT has no exception report,
 * when a verification's code or a report's subject is not a GS1 key, or when the record's
 * identity fields are missing: a signal nobody can place is never sent on.
 */
export function floorSignals(topic: string, record: unknown, at: RawCoordinates): FloorSignal[] {
  const view = views[topic] as ((r: unknown) => FloorView) | undefined;
  if (!view) return [];
  const v = record as { verifications?: unknown; exceptionReport?: unknown; operation?: unknown };
  if (!isReport(topic, record) && !v.verifications && !v.exceptionReport) return [];
  const source = topic === topics.rawMes.name ? 'MES' : 'WMS';
  checkRecord(source, record);
  const floor = view(record);
  const reasons: Reason[] = [];
  if (floor.report && floor.exceptionReport === null) {
    reasons.push({
      code: 'REPORT_WITHOUT_EXCEPTION',
      message: `${source} REPORT record ${floor.sourceEventId} has no exceptionReport (a REPORT carries only that)`,
    });
  }
  const parse = (what: string, code: string, subjectType?: ExceptionReport['subjectType']) => {
    try {
      return floor.keyOf(code, subjectType);
    } catch (err) {
      if (!(err instanceof Gs1Error)) throw err;
      reasons.push({
        code: what === 'verification' ? 'VERIFICATION_CODE_INVALID' : 'EXCEPTION_SUBJECT_INVALID',
        message: `${source} ${what} code ${JSON.stringify(code)} is not a GS1 key: ${err.message}`,
      });
      return null;
    }
  };
  const base = {
    sourceSystem: floor.sourceSystem,
    sourceEventId: floor.sourceEventId,
    deviceId: floor.deviceId,
    siteGln: floor.siteGln,
    lineId: floor.lineId,
    operatorId: floor.operatorId,
    eventTime: floor.eventTime,
    receivedAt: at.receivedAt,
    sourceRef: `${at.topic}:${at.partition}:${at.offset}`,
  };
  const signals: FloorSignal[] = [];
  floor.verifications.forEach((verification, i) => {
    const key = parse('verification', verification.code);
    if (key === null) return;
    signals.push({
      ...base,
      signalId: `${floor.sourceSystem}:${floor.sourceEventId}:VERIFICATION:${i}`,
      kind: 'VERIFICATION',
      gtin: key.gtin,
      subject: key.uri,
      verification,
      exception: null,
    });
  });
  const report = floor.exceptionReport;
  if (report !== null) {
    const key = parse('exception report subject', report.subject, report.subjectType);
    if (key !== null) {
      signals.push({
        ...base,
        signalId: `${floor.sourceSystem}:${floor.sourceEventId}:EXCEPTION_REPORT:0`,
        kind: 'EXCEPTION_REPORT',
        operatorId: report.operatorId || floor.operatorId,
        gtin: key.gtin,
        subject: key.uri,
        verification: null,
        exception: report,
      });
    }
  }
  if (reasons.length > 0) throw new InvalidInputError(reasons);
  return signals;
}
