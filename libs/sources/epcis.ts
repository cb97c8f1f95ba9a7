/** EPCIS 2.0 events captured by the capture API: already EPCIS, one event per raw record. */
import type { EpcisJsonEvent, SourceAdapter } from './adapter';
import { InvalidInputError } from '../errors';
import { readJson, isJsonObject } from '../epcis';

export interface EpcisEventEnvelope {
  captureId: string;
  eventIndex: number;
  documentFormat: string;
  event: string;
  namespaces: Record<string, string>;
  receivedAt: number;
  producer: string | null;
}

const parsed = new WeakMap<EpcisEventEnvelope, EpcisJsonEvent>();
function eventOf(r: EpcisEventEnvelope): EpcisJsonEvent {
  let e = parsed.get(r);
  if (!e) {
    // The same door as the capture API: depth before parsing, then text and numbers.
    const value = readJson(r.event);
    if (!isJsonObject(value))
      throw new InvalidInputError([{ code: 'EPCIS_MALFORMED', message: 'event is not a JSON object' }]);
    e = value as EpcisJsonEvent;
    parsed.set(r, e);
  }
  return e;
}

export const epcisAdapter: SourceAdapter<EpcisEventEnvelope> = {
  sourceSystem: 'EPCIS',
  device: (r) => {
    const rp = eventOf(r).readPoint as { id?: string } | undefined;
    return rp?.id ?? null;
  },
  operator: (r) => r.producer,
  sourceTimestamp: (r) => String(eventOf(r).eventTime ?? ''),
  toEpcis: (r) => eventOf(r),
};
