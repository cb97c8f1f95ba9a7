/**
 * An EPCIS event → the canonical SerializationEvent. The eventId is always the EPCIS Event Hash
 * ID, so the same event met as XML and JSON-LD, with EPC URNs or Digital Links, is one event. What
 * the canonical fields do not hold (user extensions, ilmd, errorDeclaration, certificationInfo,
 * persistentDisposition, transformationID...) is kept whole in `extensions`, sensor data in
 * `sensorElements`, so nothing a partner sent is lost.
 */
import { InvalidInputError } from '../errors';
import type {
  Geo,
  Identifier,
  Lineage,
  QuantityElement,
  SerializationEvent,
  SourceSystem,
  TypedId,
} from '../events';
import { toIdentifier } from '../gs1';
import { canonicalGs1Uri, parseTimestamp } from './canonical-values';
import { type EpcisEvent, type JsonObject, type JsonValue, isJsonObject, prefixesOf } from './event';
import { epcisError } from './errors';
import { eventHash } from './hash';
import { validateEvent } from './validate';
import {
  type Vocabulary,
  bizStepVocabulary,
  bizTransactionTypeVocabulary,
  cbvNamespace,
  compactVocabulary,
  dispositionVocabulary,
  sourceDestTypeVocabulary,
} from './vocabulary';

export interface MapOptions {
  sourceSystem?: SourceSystem | string;
  lineage: Lineage;
}

/** Keys the canonical fields hold; everything else goes to `extensions`. */
const mappedKeys = new Set([
  '@context',
  'type',
  'eventID',
  'eventTime',
  'eventTimeZoneOffset',
  'recordTime',
  'action',
  'epcList',
  'parentID',
  'childEPCs',
  'inputEPCList',
  'outputEPCList',
  'quantityList',
  'childQuantityList',
  'inputQuantityList',
  'outputQuantityList',
  'bizStep',
  'disposition',
  'readPoint',
  'bizLocation',
  'bizTransactionList',
  'sourceList',
  'destinationList',
  'sensorElementList',
]);

const quantityRoles: [string, string][] = [
  ['quantityList', 'epc'],
  ['childQuantityList', 'child'],
  ['inputQuantityList', 'input'],
  ['outputQuantityList', 'output'],
];

/** Maps a parsed (and validated) EPCIS event; a broken GS1 key throws InvalidInputError naming the field. */
export function toSerializationEvent(
  event: EpcisEvent,
  { sourceSystem = 'EPCIS', lineage }: MapOptions,
): SerializationEvent {
  // Events built by source adapters have not been through parseDocument: check them the same way.
  validateEvent(event, (field) => `event${field}`);
  const time = parseTimestamp(event.eventTime);
  if (time === null) throw epcisError('EPCIS_MALFORMED', `event.eventTime is not a date-time`);
  const recordTime = typeof event.recordTime === 'string' ? parseTimestamp(event.recordTime) : null;
  const offset =
    typeof event.eventTimeZoneOffset === 'string' ? event.eventTimeZoneOffset : (time.offset ?? '+00:00');
  const readPoint = locationId(event.readPoint);
  const bizLocation = locationId(event.bizLocation);

  const quantityList: QuantityElement[] = [];
  for (const [key, role] of quantityRoles) {
    for (const q of listOf(event[key])) {
      if (!isJsonObject(q) || typeof q.epcClass !== 'string') continue;
      const quantity =
        typeof q.quantity === 'number'
          ? q.quantity
          : typeof q.quantity === 'string'
            ? Number(q.quantity)
            : null;
      quantityList.push({
        role,
        epcClass: canonicalGs1Uri(q.epcClass.trim()),
        quantity: quantity !== null && Number.isFinite(quantity) ? quantity : null,
        uom: typeof q.uom === 'string' ? q.uom : null,
      });
    }
  }

  return {
    eventId: eventHash(event),
    sourceEventId: typeof event.eventID === 'string' ? event.eventID : null,
    eventType: event.type,
    action:
      event.action === 'ADD' || event.action === 'OBSERVE' || event.action === 'DELETE' ? event.action : null,
    epcList: identifiers(event, 'epcList'),
    parentId: typeof event.parentID === 'string' ? identifier(event.parentID, parentWhere) : null,
    childEpcs: identifiers(event, 'childEPCs'),
    inputEpcList: identifiers(event, 'inputEPCList'),
    outputEpcList: identifiers(event, 'outputEPCList'),
    quantityList,
    eventTime: time.epochMs,
    eventTimeZoneOffset: offset,
    recordTime: recordTime?.epochMs ?? null,
    sourceTimestamp: event.eventTime,
    readPoint,
    bizLocation,
    bizStep: vocabularyTerm(event, 'bizStep', bizStepVocabulary),
    disposition: vocabularyTerm(event, 'disposition', dispositionVocabulary),
    sourceList: typedIds(event, 'sourceList', 'source', sourceDestTypeVocabulary),
    destinationList: typedIds(event, 'destinationList', 'destination', sourceDestTypeVocabulary),
    bizTransactionList: typedIds(event, 'bizTransactionList', 'bizTransaction', bizTransactionTypeVocabulary),
    sourceSystem,
    operatorId: null,
    machineId: null,
    geo: geoOf(readPoint) ?? geoOf(bizLocation),
    sensorElements: event.sensorElementList === undefined ? null : JSON.stringify(event.sensorElementList),
    extensions: extensionsOf(event),
    enrichment: null,
    lineage,
  };
}

function listOf(v: JsonValue | undefined): JsonValue[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

/** `where` names the field for a message (`epcList[3]`): a function, as it is needed only when the key is broken. */
function identifier(value: string, where: () => string): Identifier {
  try {
    return toIdentifier(value.trim());
  } catch (err) {
    if (err instanceof InvalidInputError) {
      const at = where();
      throw new InvalidInputError(err.reasons.map((r) => ({ code: r.code, message: `${at}: ${r.message}` })));
    }
    throw err;
  }
}

const parentWhere = () => 'parentID';

/** The identifiers of an EPC list, in order (items that are not strings are left out). */
function identifiers(event: EpcisEvent, key: string): Identifier[] {
  const v = event[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return typeof v === 'string' ? [identifier(v, () => `${key}[0]`)] : [];
  const out: Identifier[] = [];
  let index = 0;
  const where = () => `${key}[${index}]`;
  for (; index < v.length; index++) {
    const item = v[index];
    if (typeof item === 'string') out.push(identifier(item, where));
  }
  return out;
}

/** readPoint / bizLocation id, an SGLN as its canonical Digital Link. */
function locationId(v: JsonValue | undefined): string | null {
  return isJsonObject(v) && typeof v.id === 'string' ? canonicalGs1Uri(v.id.trim()) : null;
}

/** A bare CBV word (`shipping`) when the value is a CBV term in any notation, else the full URI. */
function vocabularyTerm(event: EpcisEvent, key: string, vocabulary: Vocabulary): string | null {
  const v = event[key];
  return typeof v === 'string' ? compactVocabulary(expandCbvCurie(v.trim(), event), vocabulary) : null;
}

function expandCbvCurie(value: string, event: EpcisEvent): string {
  const colon = value.indexOf(':');
  if (colon <= 0) return value;
  return prefixesOf(event)[value.slice(0, colon)] === cbvNamespace
    ? cbvNamespace + value.slice(colon + 1)
    : value;
}

function typedIds(event: EpcisEvent, key: string, valueKey: string, types: Vocabulary): TypedId[] {
  const out: TypedId[] = [];
  for (const item of listOf(event[key])) {
    if (!isJsonObject(item) || typeof item[valueKey] !== 'string') continue;
    const type =
      typeof item.type === 'string' ? compactVocabulary(expandCbvCurie(item.type.trim(), event), types) : '';
    out.push({ type, id: canonicalGs1Uri(item[valueKey].trim()) });
  }
  return out;
}

/** `geo:50.94,6.92` (RFC 5870) read points carry the position. */
function geoOf(id: string | null): Geo | null {
  const m = id === null ? null : /^geo:(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)/.exec(id);
  return m ? { latitude: Number(m[1]), longitude: Number(m[2]) } : null;
}

/**
 * Everything else the event carried, as a JSON-LD fragment: the unmapped fields as written, the
 * parts of readPoint / bizLocation beyond their id, and an `@context` for the prefixes they use.
 */
function extensionsOf(event: EpcisEvent): string | null {
  const out: JsonObject = {};
  for (const key of Object.keys(event)) {
    if (!mappedKeys.has(key)) out[key] = event[key];
  }
  for (const key of ['readPoint', 'bizLocation']) {
    const v = event[key];
    if (isJsonObject(v) && Object.keys(v).some((k) => k !== 'id')) out[key] = v;
  }
  for (const key of ['bizTransactionList', 'sourceList', 'destinationList']) {
    const v = event[key];
    const valueKey = key.replace(/List$/, '');
    if (
      listOf(v).some(
        (item) => isJsonObject(item) && Object.keys(item).some((k) => k !== 'type' && k !== valueKey),
      )
    ) {
      out[key] = v ?? null;
    }
  }
  const keys = Object.keys(out);
  if (keys.length === 0) return null;
  const prefixes = prefixesOf(event);
  const used: JsonObject = {};
  collectPrefixes(out, prefixes, used);
  return JSON.stringify(Object.keys(used).length === 0 ? out : { '@context': used, ...out });
}

function collectPrefixes(v: JsonValue, prefixes: Readonly<Record<string, string>>, used: JsonObject): void {
  if (Array.isArray(v)) {
    for (const item of v) collectPrefixes(item, prefixes, used);
  } else if (isJsonObject(v)) {
    for (const [key, child] of Object.entries(v)) {
      const colon = key.indexOf(':');
      const ns = colon > 0 ? prefixes[key.slice(0, colon)] : undefined;
      if (ns !== undefined) used[key.slice(0, colon)] = ns;
      collectPrefixes(child, prefixes, used);
    }
  }
}
