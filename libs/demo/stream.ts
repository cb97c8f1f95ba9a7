/**
 * The demo stream: MES, WMS and TMS publishing in their own schemas, deterministic for a seed.
 * Per pallet: 4 cases of 6 units are commissioned (MES), packed into cases (MES), the cases
 * palletized (WMS), the pallet shipped (WMS), departs and arrives (TMS) and is received at the DC
 * (WMS): 13 records. Duplicates are re-sends with a new message id (same event, same hash);
 * invalid records are extra records with one defect each, or bytes that are not Avro at all.
 */
import { gs1CheckDigit } from '../gs1';
import type { MesUnitEvent, TmsShipmentEvent, WmsMovement } from '../sources';
import { topics } from '../topics';
import type { MasterdataRecord } from '../masterdata';

export interface DemoRecord {
  topic: string;
  key: string;
  /** A value to encode with the topic's schema, or raw bytes to send as they are. */
  value: MesUnitEvent | WmsMovement | TmsShipmentEvent | Buffer;
  kind: 'valid' | 'duplicate' | 'invalid';
  /**
   * When the broker received it, in the plant's (simulated) time, with `--faults` only (libs/demo/faults.ts):
   * produceRecords turns it into the Kafka timestamp, ending now.
   */
  receivedAt?: number;
}

export interface DemoOptions {
  events: number;
  dupRate?: number;
  invalidRate?: number;
  seed?: number;
}

export interface DemoWorld {
  plantGln: string;
  dcGln: string;
  gtins: string[];
  devices: string[];
}

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const withCheck = (digits: string) => digits + String(gs1CheckDigit(digits));
const PREFIX = '4012345'; // a 7-digit GS1 Company Prefix
export const world: DemoWorld = {
  plantGln: withCheck(`${PREFIX}00001`),
  dcGln: withCheck(`${PREFIX}00002`),
  gtins: ['10001', '10002', '10003'].map((ref) => withCheck(`0${PREFIX}${ref}`)),
  devices: ['line-1-printer', 'line-2-printer', 'wms-scanner-7', 'wms-scanner-9', 'truck-42'],
};

/** The master data the demo's sources refer to: load it before producing, or the validator rejects the stream. */
export function demoMasterdata(now = Date.now()): MasterdataRecord[] {
  const rec = (
    kind: string,
    id: string,
    name: string,
    attributes: Record<string, string> = {},
  ): MasterdataRecord => ({
    kind,
    id,
    name,
    attributes,
    deleted: false,
    updatedAt: now,
  });
  return [
    ...world.gtins.map((g, i) => rec('product', g, `Demo product ${i + 1}`, { uom: 'EA' })),
    rec('site', world.plantGln, 'Berlin plant', { country: 'DE', zone: 'Europe/Berlin' }),
    rec('site', world.dcGln, 'Chicago DC', { country: 'US', zone: 'America/Chicago' }),
    // The hold zone the playbooks contain goods in (playbooks/*.yaml), so its WMS events are accepted.
    rec('site', '4012345000993', 'Chicago DC hold zone', { country: 'US', zone: 'America/Chicago' }),
    ...world.devices.map((d) => rec('device', d, d.replace(/-/g, ' '))),
  ];
}

const UNITS_PER_CASE = 6;
const CASES_PER_PALLET = 4;
const BASE_TIME = Date.UTC(2026, 0, 5, 6, 0, 0); // a winter Monday: Berlin is +01:00, Chicago −06:00

export function generateDemo({ events, dupRate = 0, invalidRate = 0, seed = 1 }: DemoOptions): DemoRecord[] {
  const rnd = prng(seed);
  const tag = seed.toString(36).toUpperCase();
  const out: DemoRecord[] = [];
  let msg = 0;
  const push = (r: Omit<DemoRecord, 'kind'>) => {
    if (out.length >= events) return;
    out.push({ ...r, kind: 'valid' });
    if (out.length < events && rnd() < dupRate) out.push({ ...resend(r, ++msg), kind: 'duplicate' });
    if (out.length < events && rnd() < invalidRate)
      out.push({ ...broken(r, rnd, ++msg, tag), kind: 'invalid' });
  };

  for (let pallet = 0; out.length < events; pallet++) {
    const t0 = BASE_TIME + pallet * 60_000;
    const gtin = world.gtins[pallet % world.gtins.length]!;
    const lot = `L${tag}${Math.floor(pallet / 10)}`;
    const palletSscc = withCheck(`1${PREFIX}${String(pallet * 10).padStart(9, '0')}`);
    const caseSsccs: string[] = [];
    for (let c = 0; c < CASES_PER_PALLET; c++) {
      const serials = Array.from({ length: UNITS_PER_CASE }, (_, u) => `${tag}${pallet}C${c}U${u}`);
      const caseSscc = withCheck(`2${PREFIX}${String(pallet * 10 + c + 1).padStart(9, '0')}`);
      caseSsccs.push(caseSscc);
      const mes = (
        operation: MesUnitEvent['operation'],
        at: number,
        extra: Partial<MesUnitEvent>,
      ): MesUnitEvent => ({
        msgId: `M${tag}-${++msg}`,
        plantTimeMs: at + 3600_000, // wall clock in Berlin (+01:00 in January), as the MES writes it
        plantZone: 'Europe/Berlin',
        plantGln: world.plantGln,
        lineId: String(1 + (c % 2)),
        machineId: world.devices[c % 2]!,
        operatorId: `op-${(pallet % 5) + 1}`,
        operation,
        gtin,
        lot,
        expiry: '281231',
        serials,
        caseSscc: null,
        latitude: 52.52,
        longitude: 13.405,
        ...extra,
      });
      push({ topic: topics.rawMes.name, key: serials[0]!, value: mes('COMMISSION', t0 + c * 5_000, {}) });
      push({
        topic: topics.rawMes.name,
        key: serials[0]!,
        value: mes('PACK', t0 + 30_000 + c * 5_000, { caseSscc }),
      });
    }
    const wms = (
      movementType: WmsMovement['movementType'],
      iso: string,
      gln: string,
      extra: Partial<WmsMovement>,
    ): WmsMovement => ({
      movementId: `W${tag}-${++msg}`,
      occurredAt: iso,
      warehouseGln: gln,
      scannerId: world.devices[2 + (pallet % 2)]!,
      userId: `clerk-${(pallet % 3) + 1}`,
      movementType,
      container: `(00)${palletSscc}`,
      items: [],
      orderRef: `SO-${tag}-${pallet}`,
      destinationGln: null,
      ...extra,
    });
    push({
      topic: topics.rawWms.name,
      key: palletSscc,
      value: wms('PALLETIZE', berlin(t0 + 60_000), world.plantGln, {
        items: caseSsccs.map((s) => `(00)${s}`),
      }),
    });
    push({
      topic: topics.rawWms.name,
      key: palletSscc,
      value: wms('SHIP', berlin(t0 + 300_000), world.plantGln, { destinationGln: world.dcGln }),
    });
    const tms = (status: TmsShipmentEvent['status'], at: number): TmsShipmentEvent => ({
      eventRef: `T${tag}-${++msg}`,
      tsEpochSec: Math.floor(at / 1000),
      status,
      carrierId: 'CARR1',
      vehicleId: world.devices[4]!,
      driverId: 'drv-7',
      ssccs: [palletSscc],
      fromGln: world.plantGln,
      toGln: world.dcGln,
      waybill: `WB-${tag}-${pallet}`,
      latitude: status === 'DEPARTED' ? 52.52 : 41.88,
      longitude: status === 'DEPARTED' ? 13.405 : -87.63,
    });
    push({ topic: topics.rawTms.name, key: palletSscc, value: tms('DEPARTED', t0 + 360_000) });
    push({ topic: topics.rawTms.name, key: palletSscc, value: tms('ARRIVED', t0 + 86_400_000) });
    push({
      topic: topics.rawWms.name,
      key: palletSscc,
      value: wms('RECEIVE', chicago(t0 + 86_700_000), world.dcGln, {}),
    });
  }
  return out;
}

const iso = (utcMs: number, offsetH: number) =>
  new Date(utcMs + offsetH * 3600_000)
    .toISOString()
    .replace('Z', `${offsetH < 0 ? '-' : '+'}${String(Math.abs(offsetH)).padStart(2, '0')}:00`);
const berlin = (utcMs: number) => iso(utcMs, 1);
const chicago = (utcMs: number) => iso(utcMs, -6);

/** The same event sent again under a new message id, as a line system does after a time-out. */
function resend(r: Omit<DemoRecord, 'kind'>, n: number): Omit<DemoRecord, 'kind'> {
  const v = r.value as unknown as Record<string, unknown>;
  const idField = 'msgId' in v ? 'msgId' : 'movementId' in v ? 'movementId' : 'eventRef';
  return {
    ...r,
    value: { ...v, [idField]: `${String(v[idField])}-R${n}` } as unknown as DemoRecord['value'],
  };
}

/** One defect per invalid record, covering the reasons a real feed produces. */
function broken(
  r: Omit<DemoRecord, 'kind'>,
  rnd: () => number,
  n: number,
  tag: string,
): Omit<DemoRecord, 'kind'> {
  const v = r.value as unknown as Record<string, unknown>;
  const pick = Math.floor(rnd() * 5);
  if (pick === 0) return { ...r, value: Buffer.from(`not avro ${tag}-${n}`) };
  if (pick === 4) {
    const device =
      'msgId' in v
        ? { machineId: 'rogue-printer', msgId: `X${n}`, serials: [`BAD${tag}${n}`] }
        : 'movementId' in v
          ? { scannerId: 'rogue-scanner', movementId: `X${n}` }
          : { vehicleId: 'rogue-truck', eventRef: `X${n}` };
    return { ...r, value: { ...v, ...device } as unknown as DemoRecord['value'] }; // a device nobody registered
  }
  if ('msgId' in v) {
    const gtin = String(v.gtin);
    const badGtin = gtin.slice(0, 13) + String((Number(gtin[13]) + 1) % 10); // wrong check digit
    return pick === 1
      ? {
          ...r,
          value: {
            ...v,
            msgId: `X${n}`,
            gtin: badGtin,
            serials: [`BAD${tag}${n}`],
          } as unknown as DemoRecord['value'],
        }
      : {
          ...r,
          value: {
            ...v,
            msgId: `X${n}`,
            operation: 'PACK',
            caseSscc: null,
            serials: [`BAD${tag}${n}`],
          } as unknown as DemoRecord['value'],
        };
  }
  if ('movementId' in v) {
    return {
      ...r,
      value: {
        ...v,
        movementId: `X${n}`,
        occurredAt: String(v.occurredAt).slice(0, 19),
      } as unknown as DemoRecord['value'],
    }; // no offset
  }
  return {
    ...r,
    value: {
      ...v,
      eventRef: `X${n}`,
      tsEpochSec: Date.UTC(2099, 0, 1) / 1000,
    } as unknown as DemoRecord['value'],
  }; // in the future
}

/** A REPORT record: it carries only an exception report, so it never lands as an event. */
export const isReportRecord = (r: DemoRecord) => {
  const v = r.value as { operation?: unknown; movementType?: unknown };
  return !Buffer.isBuffer(r.value) && (v.operation === 'REPORT' || v.movementType === 'REPORT');
};

export function demoCounts(records: DemoRecord[]) {
  const reports = records.filter((r) => r.kind === 'valid' && isReportRecord(r)).length;
  return {
    produced: records.length,
    unique_valid: records.filter((r) => r.kind === 'valid').length - reports,
    ...(reports > 0 ? { reports } : {}),
    duplicates: records.filter((r) => r.kind === 'duplicate').length,
    invalid: records.filter((r) => r.kind === 'invalid').length,
  };
}
