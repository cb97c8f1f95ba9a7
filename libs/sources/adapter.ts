/**
 * A source adapter turns one source system's record into an EPCIS 2.0 event (JSON, compact form).
 * Every source goes through EPCIS so that one mapping (libs/epcis) builds the canonical event and
 * one hash identifies it: the same handling reported by MES and by a partner's EPCIS document meets.
 * Add a source: a schema in avro/sources/, a topic in libs/topics, an adapter file here, one line in index.ts.
 */
import { InvalidInputError, type Reason } from '../errors';
import type { Geo } from '../events';
import { type EpcisEvent, earliestYear, inputLimits, latestYear, textProblem } from '../epcis';

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

/** A REPORT record has no journey event; the validator turns it into floor signals instead (./floor.ts). */
export function reportHasNoEvent(source: string): InvalidInputError {
  return new InvalidInputError([
    {
      code: 'REPORT_NOT_AN_EVENT',
      message: `${source} REPORT records carry an exception report, not an event`,
    },
  ]);
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

/**
 * The door for source records, before any mapping: every string is storable text (no NUL, no lone
 * surrogate) and, where `maxChars` is given, no longer than an identifier may be; every number is
 * finite. A record that fails is refused with its reasons (the validator sends it to the DLQ).
 * Every record passes here: the walk keeps the path as a list of keys and indexes and writes it
 * (`serials[2]`, `exceptionReport.subject`) only into a reason.
 */
export function checkRecord(
  source: string,
  record: unknown,
  { maxChars = inputLimits.maxIdentifierChars as number | null } = {},
): void {
  const reasons: Reason[] = [];
  const path: (string | number)[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem !== null)
        reasons.push({ code: 'INPUT_TEXT_INVALID', message: `${source} ${pathText(path)} ${problem}` });
      else if (maxChars !== null && v.length > maxChars) {
        reasons.push({
          code: 'IDENTIFIER_TOO_LONG',
          message: `${source} ${pathText(path)} is ${v.length} characters long; at most ${maxChars}`,
        });
      }
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v))
        reasons.push({
          code: 'INPUT_NUMBER_INVALID',
          message: `${source} ${pathText(path)} is not a finite number`,
        });
    } else if (Array.isArray(v)) {
      if (v.length > inputLimits.maxListItems) {
        reasons.push({
          code: 'INPUT_TOO_LARGE',
          message: `${source} ${pathText(path)} lists ${v.length} items; at most ${inputLimits.maxListItems}`,
        });
        return;
      }
      for (let i = 0; i < v.length; i++) {
        if (!(i in v)) continue;
        path.push(i);
        walk(v[i]);
        path.pop();
      }
    } else if (v !== null && typeof v === 'object') {
      const obj = v as Record<string, unknown>;
      for (const key of Object.keys(obj)) {
        path.push(key);
        walk(obj[key]);
        path.pop();
      }
    }
  };
  walk(record);
  if (reasons.length > 0) throw new InvalidInputError(reasons);
}

/** checkRecord's path as text: `a.b[2].c`, the empty text for the record itself. */
function pathText(path: (string | number)[]): string {
  let where = '';
  for (const part of path) {
    if (typeof part === 'number') where = `${where}[${part}]`;
    else where = where === '' ? part : `${where}.${part}`;
  }
  return where;
}

const earliestMs = Date.UTC(earliestYear, 0, 1);
const latestMs = Date.UTC(latestYear, 11, 31, 23, 59, 59, 999);

/** An epoch time in ms that names a real instant in the years dates may have (docs/input.md). */
export function requireEpochMs(source: string, field: string, ms: number): void {
  if (!Number.isInteger(ms) || ms < earliestMs || ms > latestMs) {
    throw new InvalidInputError([
      {
        code: 'TIME_INVALID',
        message: `${source} ${field} ${ms} is not a time in the years ${earliestYear}-${latestYear} (epoch ms ${earliestMs} to ${latestMs})`,
      },
    ]);
  }
}

/** WGS 84 latitude and longitude, when given. */
export function requireGeo(source: string, latitude: number | null, longitude: number | null): void {
  const reasons: Reason[] = [];
  if (latitude !== null && !(latitude >= -90 && latitude <= 90))
    reasons.push({
      code: 'INPUT_NUMBER_INVALID',
      message: `${source} latitude ${latitude} is not within -90..90`,
    });
  if (longitude !== null && !(longitude >= -180 && longitude <= 180))
    reasons.push({
      code: 'INPUT_NUMBER_INVALID',
      message: `${source} longitude ${longitude} is not within -180..180`,
    });
  if (reasons.length > 0) throw new InvalidInputError(reasons);
}
