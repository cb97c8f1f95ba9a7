/**
 * `unitrail bench hash`: Event Hash IDs per second on one core, over a realistic mix of event
 * types. Every event carries fresh serials, as production traffic does, so identifier
 * canonicalisation is measured, not a cache; building the events is not timed. The rate is per CPU
 * second the process spent hashing, so cores shared with a broker or a database do not understate
 * it; wall-clock time is reported beside it.
 */
import { contextFor, type EpcisEvent, type JsonObject } from './event';
import { eventHash } from './hash';

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
const sites = ['00011', '00012', '00025', '00077'];

/** One event of the mix: objects 40 %, aggregations 25 %, transactions 20 %, transformations 15 %. */
export function sampleEvent(n: number): EpcisEvent {
  const company = companies[n % companies.length];
  const site = `urn:epc:id:sgln:${company}.${sites[n % sites.length]}`;
  const sgtin = (i: number) => `urn:epc:id:sgtin:${company}.0${String(10000 + (n % 90)).slice(-5)}.${n}${i}`;
  const epcs = (count: number) => Array.from({ length: count }, (_, i) => sgtin(i));
  const base: JsonObject & { eventTime: string } = {
    '@context': context,
    eventTime: new Date(Date.UTC(2025, 0, 1) + n * 1337).toISOString().replace('Z', '+01:00'),
    eventTimeZoneOffset: '+01:00',
    readPoint: { id: `${site}.${n % 7}` },
    bizLocation: { id: `${site}.0` },
  };
  const kind = n % 20;
  if (kind < 8) {
    return {
      ...base,
      type: 'ObjectEvent' as const,
      action: 'OBSERVE',
      epcList: epcs(4),
      bizStep: 'shipping',
      disposition: 'in_transit',
      bizTransactionList: [{ type: 'po', bizTransaction: `urn:epcglobal:cbv:bt:${company}000009:PO${n}` }],
      sourceList: [{ type: 'owning_party', source: `urn:epc:id:pgln:${company}.00000` }],
      destinationList: [{ type: 'owning_party', destination: 'urn:epc:id:pgln:0614141.00000' }],
    };
  }
  if (kind < 13) {
    return {
      ...base,
      type: 'AggregationEvent' as const,
      action: 'ADD',
      parentID: `urn:epc:id:sscc:${company}.${String(n).padStart(17 - company.length, '0')}`,
      childEPCs: epcs(6),
      bizStep: 'packing',
      disposition: 'in_progress',
    };
  }
  if (kind < 17) {
    return {
      ...base,
      type: 'TransactionEvent' as const,
      action: 'ADD',
      epcList: epcs(3),
      bizStep: 'receiving',
      disposition: 'in_progress',
      bizTransactionList: [
        { type: 'desadv', bizTransaction: `urn:epcglobal:cbv:bt:${company}000009:ASN${n}` },
        { type: 'inv', bizTransaction: `urn:epcglobal:cbv:bt:${company}000009:INV${n}` },
      ],
      'example:shipmentRef': `SR-${n}`,
    };
  }
  return {
    ...base,
    type: 'TransformationEvent' as const,
    inputEPCList: epcs(2),
    inputQuantityList: [
      { epcClass: `urn:epc:class:lgtin:${company}.011111.L${n % 50}`, quantity: 10.5, uom: 'KGM' },
    ],
    outputEPCList: [sgtin(7), sgtin(8)],
    bizStep: 'commissioning',
    disposition: 'active',
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
    const used = process.cpuUsage(cpu);
    cpuMicros += used.user + used.system;
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
