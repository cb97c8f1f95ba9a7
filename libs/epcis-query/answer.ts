/**
 * Query answers: each event as it was captured (the partner's own JSON-LD, user extensions and
 * all), or, for events of our own systems that never were EPCIS, rebuilt from the canonical record;
 * wrapped in an EPCISQueryDocument (EPCIS 2.0 §8.2.7, REST binding).
 *
 * The repository adds two fields the standard gives to it: `recordTime` (when the event landed in
 * the ledger) and `eventID` (the Event Hash ID) when the partner gave none. Neither is part of the
 * Event Hash ID, so the hash computed from an answer equals the one it was captured with.
 */
import { type JsonObject, type JsonValue } from '../epcis';
import {
  type Vocabulary,
  bizStepVocabulary,
  bizTransactionTypeVocabulary,
  compactVocabulary,
  dispositionVocabulary,
  isStandardContextUrl,
  sourceDestTypeVocabulary,
  standardContextUrl,
} from '../epcis';
import type { Identifier, SerializationEvent, TypedId } from '../events';
import type { EventRow } from './sql';

export function answerEvent(
  row: Pick<EventRow, 'event_id' | 'record' | 'captured' | 'record_time'>,
): JsonObject {
  const recordTime = new Date(row.record_time).toISOString();
  const base = isObject(row.captured)
    ? withOwnContextOnly(row.captured)
    : fromCanonical(row.record as SerializationEvent);
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(base)) {
    if (k === 'recordTime') continue;
    out[k] = v;
    if (k === 'type' && base.eventID === undefined) out.eventID = row.event_id;
  }
  out.recordTime = recordTime;
  return jsonBindingValues(out);
}

/**
 * The JSON binding writes standard vocabulary values as bare words (GS1's JSON Schema refuses the
 * CBV URNs an XML document carries); the Event Hash ID reads both alike, so it is unchanged.
 */
function jsonBindingValues(event: JsonObject): JsonObject {
  const word = (v: JsonValue | undefined, vocabulary: Vocabulary) =>
    typeof v === 'string' ? compactVocabulary(v, vocabulary) : v;
  if (typeof event.bizStep === 'string') event.bizStep = word(event.bizStep, bizStepVocabulary)!;
  if (typeof event.disposition === 'string')
    event.disposition = word(event.disposition, dispositionVocabulary)!;
  const pd = event.persistentDisposition;
  if (isObject(pd)) {
    for (const k of ['set', 'unset']) {
      const list = pd[k];
      if (Array.isArray(list)) pd[k] = list.map((d) => word(d, dispositionVocabulary)!);
    }
  }
  for (const [key, vocabulary] of [
    ['bizTransactionList', bizTransactionTypeVocabulary],
    ['sourceList', sourceDestTypeVocabulary],
    ['destinationList', sourceDestTypeVocabulary],
  ] as const) {
    const list = event[key];
    if (!Array.isArray(list)) continue;
    event[key] = list.map((item) =>
      isObject(item) && typeof item.type === 'string'
        ? { ...item, type: word(item.type, vocabulary)! }
        : item,
    );
  }
  return event;
}

export interface QueryDocumentOptions {
  queryName?: string;
  subscriptionID?: string;
  creationDate?: Date;
}

export function queryDocument(
  events: JsonObject[],
  { queryName = 'SimpleEventQuery', subscriptionID, creationDate = new Date() }: QueryDocumentOptions = {},
): JsonObject {
  const results: JsonObject = { queryName };
  if (subscriptionID !== undefined) results.subscriptionID = subscriptionID;
  results.resultsBody = { eventList: events };
  return {
    '@context': [standardContextUrl],
    type: 'EPCISQueryDocument',
    schemaVersion: '2.0',
    creationDate: creationDate.toISOString(),
    epcisBody: { queryResults: results },
  };
}

/** The event's own prefixes stay with it (two partners may use one prefix for two namespaces). */
function withOwnContextOnly(captured: JsonObject): JsonObject {
  const ctx = captured['@context'];
  const { '@context': _omit, ...rest } = captured;
  void _omit;
  const own = (Array.isArray(ctx) ? ctx : ctx === undefined || ctx === null ? [] : [ctx]).filter(
    (c) => !(typeof c === 'string' && isStandardContextUrl(c)),
  );
  return own.length === 0 ? rest : { '@context': own.length === 1 ? own[0]! : own, ...rest };
}

/** An event of our own systems (MES, WMS, TMS) in EPCIS 2.0 JSON-LD, from the canonical record. */
export function fromCanonical(e: SerializationEvent): JsonObject {
  const ids = (list: Identifier[] | undefined) => (list ?? []).map((i) => i.uri);
  const out: JsonObject = {
    type: e.eventType,
    eventTime: new Date(e.eventTime).toISOString(),
    eventTimeZoneOffset: e.eventTimeZoneOffset,
  };
  const set = (k: string, v: JsonValue | undefined) => {
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return;
    out[k] = v;
  };
  if (e.eventType === 'AggregationEvent' || e.eventType === 'AssociationEvent') {
    set('parentID', e.parentId?.uri);
    out.childEPCs = ids(e.childEpcs);
  } else if (e.eventType === 'TransformationEvent') {
    set('inputEPCList', ids(e.inputEpcList));
    set('outputEPCList', ids(e.outputEpcList));
  } else {
    set('parentID', e.parentId?.uri);
    out.epcList = ids(e.epcList);
  }
  set('action', e.action);
  set('bizStep', e.bizStep);
  set('disposition', e.disposition);
  if (e.readPoint) out.readPoint = { id: e.readPoint };
  if (e.bizLocation) out.bizLocation = { id: e.bizLocation };
  // Records written by other means (the query benchmark's store) may leave empty lists out.
  const typed = (list: TypedId[] | undefined, key: string) =>
    (list ?? []).map((t) => (t.type ? { type: t.type, [key]: t.id } : { [key]: t.id }));
  set('bizTransactionList', typed(e.bizTransactionList, 'bizTransaction'));
  set('sourceList', typed(e.sourceList, 'source'));
  set('destinationList', typed(e.destinationList, 'destination'));
  const listKey: Record<string, string> = {
    epc: 'quantityList',
    child: 'childQuantityList',
    input: 'inputQuantityList',
    output: 'outputQuantityList',
  };
  for (const q of e.quantityList ?? []) {
    const key = listKey[q.role] ?? 'quantityList';
    const element: JsonObject = { epcClass: q.epcClass };
    if (q.quantity !== null) element.quantity = q.quantity;
    if (q.uom !== null) element.uom = q.uom;
    const list = (out[key] as JsonValue[] | undefined) ?? [];
    list.push(element);
    out[key] = list;
  }
  if (e.sensorElements) set('sensorElementList', JSON.parse(e.sensorElements) as JsonValue);
  if (e.extensions) {
    const ext = JSON.parse(e.extensions) as JsonObject;
    for (const [k, v] of Object.entries(ext)) out[k] = v;
  }
  return out;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
