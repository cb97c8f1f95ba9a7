/**
 * The topic registry: every topic's name, partitions, retention and value schema, in one place.
 * `unitrail topics create` (and `stack up`) creates them idempotently from this list.
 * Add a topic: one entry here; its schema file goes in avro/.
 */
export interface TopicSpec {
  name: string;
  partitions: number;
  /** avro/ file (without .avsc) of the record value; the subject is `<name>-value`. */
  valueSchema: string;
  /** Kafka topic configs (retention, compaction...). */
  config: Record<string, string>;
  doc: string;
}

const DAY_MS = 24 * 3600 * 1000;
const retention = (days: number) => ({ 'retention.ms': String(days * DAY_MS) });
const compacted = { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '0' };

/** Partitions of the normal journey topic; the surge topic has SURGE_FACTOR times as many. */
export const JOURNEY_PARTITIONS = 3;
export const SURGE_FACTOR = 4;

export const topics = {
  rawMes: {
    name: 'ut.raw.mes.v1',
    partitions: 3,
    valueSchema: 'sources/mes-unit-event',
    config: retention(14),
    doc: 'MES line events in the MES schema',
  },
  rawWms: {
    name: 'ut.raw.wms.v1',
    partitions: 3,
    valueSchema: 'sources/wms-movement',
    config: retention(14),
    doc: 'WMS movements in the WMS schema',
  },
  rawTms: {
    name: 'ut.raw.tms.v1',
    partitions: 3,
    valueSchema: 'sources/tms-shipment-event',
    config: retention(14),
    doc: 'TMS shipment events in the TMS schema',
  },
  rawEpcis: {
    name: 'ut.raw.epcis.v1',
    partitions: 3,
    valueSchema: 'sources/epcis-event',
    config: retention(14),
    doc: 'EPCIS 2.0 events from the capture API, one event per record (JSON text)',
  },
  validated: {
    name: 'ut.events.validated.v1',
    partitions: 3,
    valueSchema: 'serialization-event',
    config: retention(7),
    doc: 'Canonical events that passed validation',
  },
  unique: {
    name: 'ut.events.unique.v1',
    partitions: 3,
    valueSchema: 'serialization-event',
    config: retention(7),
    doc: 'Canonical events seen once (duplicates dropped)',
  },
  enriched: {
    name: 'ut.events.enriched.v1',
    partitions: 3,
    valueSchema: 'serialization-event',
    config: retention(7),
    doc: 'Canonical events with master data',
  },
  journey: {
    name: 'ut.journey.v1',
    partitions: JOURNEY_PARTITIONS,
    valueSchema: 'serialization-event',
    config: retention(7),
    doc: 'Events for the journey sink, normal flow',
  },
  journeySurge: {
    name: 'ut.journey.surge.v1',
    partitions: JOURNEY_PARTITIONS * SURGE_FACTOR,
    valueSchema: 'serialization-event',
    config: retention(7),
    doc: 'Events in an active recall scope, drained by the surge sink group',
  },
  exceptions: {
    name: 'ut.exceptions.v1',
    partitions: 1,
    valueSchema: 'serialization-event',
    config: retention(30),
    doc: 'Events that need a quality investigation',
  },
  signals: {
    name: 'ut.signals.v1',
    partitions: 3,
    valueSchema: 'signal',
    config: retention(30),
    doc: 'Floor signals (code verifications, exception reports) from MES and WMS records (key = deviceId)',
  },
  deviceClock: {
    name: 'ut.devices.clock.v1',
    partitions: 3,
    valueSchema: 'device-clock',
    config: retention(7),
    doc: 'Fused deployment only: per device and raw batch, the clock samples device-health takes from the validated events (key = deviceId)',
  },
  journeyDigest: {
    name: 'ut.journey.digest.v1',
    partitions: 3,
    valueSchema: 'journey-digest',
    config: retention(7),
    doc: 'Fused deployment only: per raw partition and batch, what the cases stage reads of the journey (key = raw topic:partition)',
  },
  alerts: {
    name: 'ut.alerts.v1',
    partitions: 1,
    valueSchema: 'alert',
    config: retention(30),
    doc: 'Alerts and partner notices',
  },
  wmsDirectives: {
    name: 'ut.wms.directives.v1',
    partitions: 1,
    valueSchema: 'wms-directive',
    config: retention(30),
    doc: 'Directives to the WMS: move these units or containers to this location (case containment; key = case id)',
  },
  dlq: {
    name: 'ut.dlq.v1',
    partitions: 1,
    valueSchema: 'dlq-record',
    config: retention(30),
    doc: 'Records that could not be processed: original bytes, reasons, source coordinates',
  },
  masterdata: {
    name: 'ut.masterdata.v1',
    partitions: 1,
    valueSchema: 'masterdata-record',
    config: compacted,
    doc: 'Products, sites, devices, operators (compacted; key = kind:id)',
  },
  recalls: {
    name: 'ut.recalls.v1',
    partitions: 1,
    valueSchema: 'recall',
    config: compacted,
    doc: 'Recall scopes (compacted; key = recall id)',
  },
} as const satisfies Record<string, TopicSpec>;

export type TopicKey = keyof typeof topics;
export const allTopics: TopicSpec[] = Object.values(topics);

export const rawTopics = [topics.rawMes, topics.rawWms, topics.rawTms, topics.rawEpcis].map((t) => t.name);

/** Every topic by its name: asked per record and hop by the fused process. */
const byName = new Map(allTopics.map((t) => [t.name, t]));

export function topicByName(name: string): TopicSpec | undefined {
  return byName.get(name);
}
