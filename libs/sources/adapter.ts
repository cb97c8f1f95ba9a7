/**
 * A source adapter turns one source system's record into an EPCIS 2.0 event (JSON, compact form).
 * Every source goes through EPCIS so that one mapping (libs/epcis) builds the canonical event and
 * one hash identifies it: the same handling reported by MES and by a partner's EPCIS document meets.
 * Add a source: a schema in avro/sources/, a topic in libs/topics, an adapter file here, one line in index.ts.
 */
import { InvalidInputError } from '../errors';
import type { Geo } from '../events';
import type { EpcisEvent } from '../epcis';

export type EpcisJsonEvent = EpcisEvent;

export interface SourceAdapter<T> {
  sourceSystem: 'MES' | 'WMS' | 'TMS' | 'EPCIS';
  toEpcis(record: T): EpcisJsonEvent;
  /** The capturing device (printer, scanner, truck unit): metrics, DLQ labels, machineId. */
  device(record: T): string | null;
  operator(record: T): string | null;
  /** The source's own timestamp text, kept unchanged. */
  sourceTimestamp(record: T): string;
  /** A lot the source states for the units (EPCIS carries it in ILMD, not in the identifier). */
  lotOf?(record: T): string | null;
  geo?(record: T): Geo | null;
}

/** Refuses a record whose required fields are missing or empty, naming them. */
export function requireFields<T extends object>(
  source: string,
  record: T,
  fields: (keyof T & string)[],
): void {
  const missing = fields.filter((f) => {
    const v = record[f];
    return v === null || v === undefined || (typeof v === 'string' && v.trim() === '');
  });
  if (missing.length > 0) {
    throw new InvalidInputError(
      missing.map((f) => ({ code: 'REQUIRED_FIELD', message: `${source} record has no ${f}` })),
    );
  }
}
