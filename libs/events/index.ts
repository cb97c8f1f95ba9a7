/**
 * The canonical event (avro/serialization-event.avsc) as TypeScript. Field names follow EPCIS 2.0.
 * Keep this file and the schema in step: events.test.ts round-trips a full event through the schema.
 */
export const eventTypes = [
  'ObjectEvent',
  'AggregationEvent',
  'TransactionEvent',
  'TransformationEvent',
  'AssociationEvent',
] as const;
export type EventType = (typeof eventTypes)[number];
export type Action = 'ADD' | 'OBSERVE' | 'DELETE';
export type SourceSystem = 'MES' | 'WMS' | 'TMS' | 'EPCIS';

export type IdentifierScheme =
  'sgtin' | 'lgtin' | 'sscc' | 'sgln' | 'grai' | 'giai' | 'gsrn' | 'gdti' | 'idpat' | 'other';

/** A GS1 key in canonical GS1 Digital Link form plus its parsed parts. */
export interface Identifier {
  uri: string;
  scheme: IdentifierScheme | string;
  gtin: string | null;
  serial: string | null;
  lot: string | null;
  sscc: string | null;
  original: string | null;
}

export type QuantityRole = 'epc' | 'child' | 'input' | 'output';
export interface QuantityElement {
  role: QuantityRole | string;
  epcClass: string;
  quantity: number | null;
  uom: string | null;
}

export interface TypedId {
  type: string;
  id: string;
}

export interface Geo {
  latitude: number;
  longitude: number;
}

export interface Enrichment {
  productName: string | null;
  siteName: string | null;
  siteCountry: string | null;
  deviceName: string | null;
  operatorName: string | null;
}

export interface Lineage {
  topic: string;
  partition: number;
  offset: number;
  schemaId: number;
}

export interface SerializationEvent {
  eventId: string;
  sourceEventId: string | null;
  eventType: EventType;
  action: Action | null;
  epcList: Identifier[];
  parentId: Identifier | null;
  childEpcs: Identifier[];
  inputEpcList: Identifier[];
  outputEpcList: Identifier[];
  quantityList: QuantityElement[];
  /** UTC epoch milliseconds. */
  eventTime: number;
  eventTimeZoneOffset: string;
  recordTime: number | null;
  sourceTimestamp: string | null;
  readPoint: string | null;
  bizLocation: string | null;
  bizStep: string | null;
  disposition: string | null;
  sourceList: TypedId[];
  destinationList: TypedId[];
  bizTransactionList: TypedId[];
  sourceSystem: SourceSystem | string;
  operatorId: string | null;
  machineId: string | null;
  geo: Geo | null;
  sensorElements: string | null;
  extensions: string | null;
  enrichment: Enrichment | null;
  lineage: Lineage;
}

/** Every identifier an event touched, with its role: what the journey store indexes. */
export function touchedIdentifiers(
  event: SerializationEvent,
): { role: QuantityRole | 'parent'; id: Identifier }[] {
  const out: { role: QuantityRole | 'parent'; id: Identifier }[] = [];
  for (const id of event.epcList) out.push({ role: 'epc', id });
  if (event.parentId) out.push({ role: 'parent', id: event.parentId });
  for (const id of event.childEpcs) out.push({ role: 'child', id });
  for (const id of event.inputEpcList) out.push({ role: 'input', id });
  for (const id of event.outputEpcList) out.push({ role: 'output', id });
  return out;
}

/** The Kafka key of an event: its first unit (or container), so one unit's events stay in order. */
export function eventKey(event: SerializationEvent): string {
  const first =
    event.parentId ??
    event.epcList[0] ??
    event.childEpcs[0] ??
    event.outputEpcList[0] ??
    event.inputEpcList[0];
  return first?.uri ?? event.eventId;
}

/**
 * The Kafka key of an event on the recall surge: the first unit it names, containers last. A
 * recall's bulk is units commissioned and packed: the MES commissions a case's units in one event
 * (keyed by its first unit) and packs them in another (keyed, on the journey, by the case). On the
 * surge both go by that first unit, to one partition and one sink, in order, so two surge sinks do
 * not write the same units' state at once (they waited on each other's row locks). A container's own
 * events (epcList, or a parent with no children) still go by the container.
 */
export function surgeKey(event: SerializationEvent): string {
  const first =
    event.epcList[0] ??
    event.childEpcs[0] ??
    event.outputEpcList[0] ??
    event.inputEpcList[0] ??
    event.parentId;
  return first?.uri ?? event.eventId;
}

/** The fields every canonical event must be given; the rest have schema defaults. */
export type RequiredEventFields = Pick<
  SerializationEvent,
  'eventId' | 'eventType' | 'eventTime' | 'sourceSystem' | 'lineage'
>;

/** A canonical event with every optional field at its schema default (null or empty), overridden by `fields`. */
export function canonicalEvent(
  fields: RequiredEventFields & Partial<SerializationEvent>,
): SerializationEvent {
  return {
    sourceEventId: null,
    action: null,
    epcList: [],
    parentId: null,
    childEpcs: [],
    inputEpcList: [],
    outputEpcList: [],
    quantityList: [],
    eventTimeZoneOffset: '+00:00',
    recordTime: null,
    sourceTimestamp: null,
    readPoint: null,
    bizLocation: null,
    bizStep: null,
    disposition: null,
    sourceList: [],
    destinationList: [],
    bizTransactionList: [],
    operatorId: null,
    machineId: null,
    geo: null,
    sensorElements: null,
    extensions: null,
    enrichment: null,
    ...fields,
  };
}
