/**
 * Source normalisation: raw topic → adapter → EPCIS event → canonical SerializationEvent.
 * The registry below is the one place a new source is wired in.
 */
import { checkRecord, type SourceAdapter } from './adapter';
import { mesAdapter } from './mes';
import { wmsAdapter } from './wms';
import { tmsAdapter } from './tms';
import { epcisAdapter } from './epcis';
import { topics } from '../topics';
import { inputLimits, toSerializationEvent } from '../epcis';
import type { Lineage, SerializationEvent } from '../events';

export type { SourceAdapter, EpcisJsonEvent } from './adapter';
export type { MesUnitEvent } from './mes';
export type { WmsMovement } from './wms';
export type { TmsShipmentEvent } from './tms';
export type { EpcisEventEnvelope } from './epcis';
export { wallClockToUtc, isoWithOffset, parseIsoWithOffset, formatOffset } from './time';
export { floorSignals, isReport } from './floor';
export type { RawCoordinates } from './floor';
export type { CodeVerification, ExceptionKind, ExceptionReport, FloorSignal, PrintGrade } from './signal';

export const adapters: Record<string, SourceAdapter<never>> = {
  [topics.rawMes.name]: mesAdapter as SourceAdapter<never>,
  [topics.rawWms.name]: wmsAdapter as SourceAdapter<never>,
  [topics.rawTms.name]: tmsAdapter as SourceAdapter<never>,
  [topics.rawEpcis.name]: epcisAdapter as SourceAdapter<never>,
};

/** Labels of a raw record for metrics and the DLQ, even when it cannot be normalised. */
export function sourceLabels(
  topic: string,
  record: unknown,
): { source: string | null; device: string | null } {
  const adapter = adapters[topic] as SourceAdapter<unknown> | undefined;
  if (!adapter) return { source: null, device: null };
  let device: string | null = null;
  try {
    device = adapter.device(record);
  } catch {
    device = null;
  }
  return { source: adapter.sourceSystem, device };
}

/** Normalises one raw record; throws InvalidInputError with reason codes when it cannot. */
export function normalize(topic: string, record: unknown, lineage: Lineage): SerializationEvent {
  const adapter = adapters[topic] as SourceAdapter<unknown> | undefined;
  if (!adapter) throw new Error(`no source adapter for topic ${topic}`);
  // Our systems' records hold identifiers only; an EPCIS envelope holds a whole event as text,
  // whose identifiers libs/epcis checks one by one.
  checkRecord(adapter.sourceSystem, record, {
    maxChars: adapter.sourceSystem === 'EPCIS' ? null : inputLimits.maxIdentifierChars,
  });
  const epcis = adapter.toEpcis(record);
  const event = toSerializationEvent(epcis, { sourceSystem: adapter.sourceSystem, lineage });
  const lot = adapter.lotOf?.(record) ?? null;
  const withLot = (ids: SerializationEvent['epcList']) =>
    lot ? ids.map((i) => (i.gtin && !i.lot ? { ...i, lot } : i)) : ids;
  return {
    ...event,
    epcList: withLot(event.epcList),
    childEpcs: withLot(event.childEpcs),
    sourceTimestamp: adapter.sourceTimestamp(record),
    machineId: event.machineId ?? adapter.device(record),
    operatorId: event.operatorId ?? adapter.operator(record),
    geo: event.geo ?? adapter.geo?.(record) ?? null,
  };
}
export { checkRecord } from './adapter';
export { expiryDate } from './mes';
export { createPublisher, lazyPublisher, type Publisher } from './epcis-publish';
