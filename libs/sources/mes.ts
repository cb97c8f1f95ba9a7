/**
 * MES (line systems): plant wall-clock ms + IANA zone, bare GTIN + serials, its own operation words.
 * COMMISSION → ObjectEvent ADD commissioning; PACK/UNPACK → AggregationEvent ADD/DELETE into the
 * case SSCC; DECOMMISSION → ObjectEvent DELETE decommissioning; INSPECT → ObjectEvent OBSERVE inspecting.
 */
import type { SourceAdapter, EpcisJsonEvent } from './adapter';
import { reportHasNoEvent } from './adapter';
import { formatOffset, isoWithOffset, wallClockToUtc } from './time';
import { toDigitalLink } from '../gs1';
import { InvalidInputError } from '../errors';
import { requireEpochMs, requireFields, requireGeo } from './adapter';
import type { CodeVerification, ExceptionReport } from './signal';

export interface MesUnitEvent {
  msgId: string;
  plantTimeMs: number;
  plantZone: string;
  plantGln: string;
  lineId: string;
  machineId: string;
  operatorId: string | null;
  /** REPORT: the record carries only an exception report (no journey event; see ./floor.ts). */
  operation: 'COMMISSION' | 'PACK' | 'UNPACK' | 'DECOMMISSION' | 'INSPECT' | 'REPORT';
  gtin: string;
  lot: string | null;
  expiry: string | null;
  serials: string[];
  caseSscc: string | null;
  latitude: number | null;
  longitude: number | null;
  /** Absent in records written with the previous schema; avsc gives null. */
  verifications?: CodeVerification[] | null;
  exceptionReport?: ExceptionReport | null;
}

const unitUri = (gtin: string, serial: string) => toDigitalLink(`(01)${gtin.padStart(14, '0')}(21)${serial}`);

export const mesAdapter: SourceAdapter<MesUnitEvent> = {
  sourceSystem: 'MES',
  device: (r) => r.machineId,
  operator: (r) => r.operatorId,
  sourceTimestamp: (r) => `${r.plantTimeMs} ${r.plantZone}`,
  lotOf: (r) => r.lot,
  geo: (r) =>
    r.latitude !== null && r.longitude !== null ? { latitude: r.latitude, longitude: r.longitude } : null,
  toEpcis(r): EpcisJsonEvent {
    requireFields('MES', r, ['msgId', 'plantZone', 'plantGln', 'machineId', 'gtin']);
    requireEpochMs('MES', 'plantTimeMs', r.plantTimeMs);
    requireGeo('MES', r.latitude, r.longitude);
    const expiry = r.expiry ? expiryDate(r.expiry) : null;
    const { utcMs, offsetMinutes } = wallClockToUtc(r.plantTimeMs, r.plantZone);
    const eventTime = isoWithOffset(utcMs, offsetMinutes);
    const where = {
      readPoint: { id: toDigitalLink(`(414)${r.plantGln}(254)${r.lineId}`) },
      bizLocation: { id: toDigitalLink(`(414)${r.plantGln}`) },
    };
    const units = r.serials.map((s) => unitUri(r.gtin, s));
    const common = {
      eventID: `mes:${r.msgId}`,
      eventTime,
      eventTimeZoneOffset: formatOffset(offsetMinutes),
      ...where,
    };
    switch (r.operation) {
      case 'COMMISSION':
        return {
          type: 'ObjectEvent',
          action: 'ADD',
          ...common,
          epcList: units,
          bizStep: 'commissioning',
          disposition: 'active',
          ...(r.lot || r.expiry
            ? {
                ilmd: {
                  ...(r.lot ? { 'cbvmda:lotNumber': r.lot } : {}),
                  ...(expiry ? { 'cbvmda:itemExpirationDate': expiry } : {}),
                },
              }
            : {}),
        };
      case 'PACK':
      case 'UNPACK':
        requireFields('MES', r, ['caseSscc']);
        return {
          type: 'AggregationEvent',
          action: r.operation === 'PACK' ? 'ADD' : 'DELETE',
          ...common,
          parentID: toDigitalLink(`(00)${r.caseSscc}`),
          childEPCs: units,
          bizStep: r.operation === 'PACK' ? 'packing' : 'unpacking',
          disposition: 'in_progress',
        };
      case 'DECOMMISSION':
        return {
          type: 'ObjectEvent',
          action: 'DELETE',
          ...common,
          epcList: units,
          bizStep: 'decommissioning',
          disposition: 'inactive',
        };
      case 'INSPECT':
        return { type: 'ObjectEvent', action: 'OBSERVE', ...common, epcList: units, bizStep: 'inspecting' };
      case 'REPORT':
        throw reportHasNoEvent('MES');
    }
  },
};

/**
 * YYMMDD → YYYY-MM-DD (GS1 AI 17: years 00-49 → 20xx, 51-99 → 19xx, simplified sliding window).
 * Day 00 is GS1's "no day given", which the General Specifications read as the month's last day.
 * Anything that is not such a date is refused: it used to become "NaN--".
 */
export function expiryDate(yymmdd: string): string {
  const m = /^(\d{2})(\d{2})(\d{2})$/.exec(yymmdd);
  const refuse = (why: string) =>
    new InvalidInputError([
      { code: 'EXPIRY_INVALID', message: `MES expiry ${JSON.stringify(yymmdd)} ${why} (GS1 AI 17: YYMMDD)` },
    ]);
  if (m === null) throw refuse('is not six digits');
  const yy = Number(m[1]);
  const year = yy < 51 ? 2000 + yy : 1900 + yy;
  const month = Number(m[2]);
  if (month < 1 || month > 12) throw refuse(`has no month ${m[2]}`);
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const day = m[3] === '00' ? last : Number(m[3]);
  if (day > last) throw refuse(`has no day ${m[3]} (${year}-${m[2]} has ${last} days)`);
  return `${year}-${m[2]}-${String(day).padStart(2, '0')}`;
}
