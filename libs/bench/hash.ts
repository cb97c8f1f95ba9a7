/**
 * `unitrail bench hash`: Event Hash IDs per second on one core, over a realistic mix of event
 * types. Every event carries fresh serials, as production traffic does, so identifier
 * canonicalisation is measured, not a cache; building the events is not timed. The rate is per CPU
 * second the process spent hashing, so cores shared with a broker or a database do not understate
 * it; wall-clock time is reported beside it.
 */
import { contextFor, eventHash, isoUtc, type EpcisEvent } from '../epcis';
import { ownCpuMicros } from './cpu';

export interface BenchResult {
  events: number;
  /** CPU seconds (user + system) the process spent hashing: one core's time, whatever else runs. */
  seconds: number;
  eventsPerSecond: number;
  /** Wall-clock seconds of the same work; above `seconds` when other processes share the cores. */
  wallSeconds: number;
}

const context = contextFor({ example: 'https://ns.example.com/epcis/' });
const companies = ['4012345', '0614141', '4047023', '5200001'];
const sites = companies.flatMap((c) =>
  ['00011', '00012', '00025', '00077'].map((s) => `urn:epc:id:sgln:${c}.${s}`),
);
const gtins = companies.flatMap((c) =>
  Array.from({ length: 90 }, (_, i) => `urn:epc:id:sgtin:${c}.0${10000 + i}.`),
);
const start = Date.UTC(2025, 0, 1);

/**
 * One event of the mix: objects 40 %, aggregations 25 %, transactions 20 %, transformations 15 %.
 * Built cheaply (shared location strings, fresh serials only) so that the bench measures hashing.
 */
export function sampleEvent(n: number): EpcisEvent {
  const c = n % companies.length;
  const company = companies[c];
  const site = sites[n % sites.length];
  const gtin = gtins[(n * 7) % gtins.length];
  const epcs = (count: number): string[] => {
    const list: string[] = [];
    for (let i = 0; i < count; i++) list.push(`${gtin}${n}${i}`);
    return list;
  };
  const eventTime = `${isoUtc(start + n * 1337 + 3_600_000).slice(0, 23)}+01:00`;
  // Fresh strings, as a consumer's JSON.parse would hand over (no hash cached on them yet).
  const readPoint = { id: `${site}.${n % 7}` };
  const bizLocation = { id: `${site}.0` };
  const owner = (i: number) => `urn:epc:id:pgln:${companies[i % companies.length]}.00000`;
  const kind = n % 20;
  if (kind < 8) {
    return {
      '@context': context,
      type: 'ObjectEvent',
      eventTime,
      eventTimeZoneOffset: '+01:00',
      action: 'OBSERVE',
      epcList: epcs(4),
      bizStep: 'shipping',
      disposition: 'in_transit',
      readPoint,
      bizLocation,
      bizTransactionList: [{ type: 'po', bizTransaction: `urn:epcglobal:cbv:bt:${company}000009:PO${n}` }],
      sourceList: [{ type: 'owning_party', source: owner(c) }],
      destinationList: [{ type: 'owning_party', destination: owner(c + 1) }],
    };
  }
  if (kind < 13) {
    return {
      '@context': context,
      type: 'AggregationEvent',
      eventTime,
      eventTimeZoneOffset: '+01:00',
      action: 'ADD',
      parentID: `urn:epc:id:sscc:${company}.${String(n).padStart(10, '0')}`,
      childEPCs: epcs(6),
      bizStep: 'packing',
      disposition: 'in_progress',
      readPoint,
      bizLocation,
    };
  }
  if (kind < 17) {
    return {
      '@context': context,
      type: 'TransactionEvent',
      eventTime,
      eventTimeZoneOffset: '+01:00',
      action: 'ADD',
      epcList: epcs(3),
      bizStep: 'receiving',
      disposition: 'in_progress',
      readPoint,
      bizLocation,
      bizTransactionList: [
        { type: 'desadv', bizTransaction: `urn:epcglobal:cbv:bt:${company}000009:ASN${n}` },
        { type: 'inv', bizTransaction: `urn:epcglobal:cbv:bt:${company}000009:INV${n}` },
      ],
      'example:shipmentRef': `SR-${n}`,
    };
  }
  return {
    '@context': context,
    type: 'TransformationEvent',
    eventTime,
    eventTimeZoneOffset: '+01:00',
    inputEPCList: epcs(2),
    inputQuantityList: [
      { epcClass: `urn:epc:class:lgtin:${company}.011111.L${n % 50}`, quantity: 10.5, uom: 'KGM' },
    ],
    outputEPCList: [`${gtin}${n}7`, `${gtin}${n}8`],
    bizStep: 'commissioning',
    disposition: 'active',
    readPoint,
    bizLocation,
    ilmd: { 'example:bestBeforeDate': '2026-11-10', 'example:batch': `B${n % 100}` },
  };
}

export function benchHash({
  events = 200_000,
  batch = 500,
}: { events?: number; batch?: number } = {}): BenchResult {
  // Events are built a consumer batch at a time: a larger live sample would make the garbage
  // collector copy it over and over, which measures the bench rather than the hash.
  let wallNs = 0n;
  let cpuMicros = 0;
  let sink = 0;
  for (let done = 0; done < events;) {
    const size = Math.min(batch, events - done);
    const sample = Array.from({ length: size }, (_, i) => sampleEvent(done + i));
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (const event of sample) sink += eventHash(event).length;
    wallNs += process.hrtime.bigint() - start;
    cpuMicros += ownCpuMicros(cpu);
    done += size;
  }
  if (sink === 0 && events > 0) throw new Error('bench produced no hashes');
  // cpuUsage has microsecond granularity; wall time bounds it from below on a quiet machine.
  const seconds = Math.max(cpuMicros / 1e6, 1e-6);
  return {
    events,
    seconds: Number(seconds.toFixed(3)),
    eventsPerSecond: Math.round(events / seconds),
    wallSeconds: Number((Number(wallNs) / 1e9).toFixed(3)),
  };
}
