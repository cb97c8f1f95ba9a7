/**
 * The shape checks every parsed event passes, whichever notation it came in, so that hashing and
 * mapping never meet a field of the wrong kind. Messages say what is wrong and where.
 */
import { type EpcisEvent, type JsonObject, type JsonValue, isEventType, isJsonObject } from './event';
import { notIso, readTimestamp } from './canonical-values';
import { epcisError } from './errors';
import { checkValue, inputLimits } from './guard';

/** Where a field sits, for messages: a JSON path (`$.epcisBody.eventList[2].epcList[0]`) or an XML line. */
export type Locate = (field: string) => string;

const epcLists = ['epcList', 'childEPCs', 'inputEPCList', 'outputEPCList'];
const quantityLists = ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList'];
const typedLists: Record<string, string> = {
  bizTransactionList: 'bizTransaction',
  sourceList: 'source',
  destinationList: 'destination',
};
const countedLists = [...epcLists, ...quantityLists];
const typedListEntries = Object.entries(typedLists);
const stringFields = [
  'eventID',
  'parentID',
  'transformationID',
  'bizStep',
  'disposition',
  'eventTimeZoneOffset',
];

export function validateEvent(event: JsonValue, at: Locate): EpcisEvent {
  if (!isJsonObject(event)) throw malformed(at(''), 'an event must be an object');
  checkSize(event, at);
  checkValue(event, at(''));
  if (!isEventType(event.type)) {
    throw epcisError(
      'EPCIS_UNSUPPORTED_TYPE',
      `${at('.type')}: ${JSON.stringify(event.type ?? null)} is not one of ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent, AssociationEvent`,
    );
  }
  for (const field of stringFields) {
    if (event[field] !== undefined && typeof event[field] !== 'string')
      throw malformed(at(`.${field}`), 'must be a string');
  }
  checkTime(event, 'eventTime', at, true);
  checkTime(event, 'recordTime', at, false);
  checkSensorTimes(event, at);
  const offset = event.eventTimeZoneOffset;
  if (typeof offset === 'string' && !/^[+-]\d{2}:\d{2}$/.test(offset)) {
    throw malformed(at('.eventTimeZoneOffset'), `${JSON.stringify(offset)} is not an offset like +01:00`);
  }
  const action = event.action;
  if (event.type !== 'TransformationEvent') {
    if (action === undefined) throw malformed(at('.action'), `is required on ${event.type}`);
    if (action !== 'ADD' && action !== 'OBSERVE' && action !== 'DELETE') {
      throw malformed(at('.action'), `${JSON.stringify(action)} is not ADD, OBSERVE or DELETE`);
    }
  }
  for (const field of epcLists) {
    eachOf(event, field, at, (item, where) => {
      if (typeof item !== 'string' || item.trim() === '')
        throw malformed(where(), 'must be an identifier (a non-empty string)');
    });
  }
  for (const field of quantityLists) {
    eachOf(event, field, at, (item, where) => {
      if (!isJsonObject(item)) throw malformed(where(), 'must be an object with epcClass');
      if (typeof item.epcClass !== 'string') throw malformed(`${where()}.epcClass`, 'is required (a string)');
      const q = item.quantity;
      if (
        q !== undefined &&
        typeof q !== 'number' &&
        !(typeof q === 'string' && Number.isFinite(Number(q)))
      ) {
        throw malformed(`${where()}.quantity`, `${JSON.stringify(q)} is not a number`);
      }
      // EPCIS 2.0 §7.3.3.3: a quantity is how much there is; there is no negative amount of goods.
      if (q !== undefined && Number(q) < 0) {
        throw epcisError('QUANTITY_NEGATIVE', `${where()}.quantity ${JSON.stringify(q)} is negative`);
      }
    });
  }
  for (const [field, valueKey] of Object.entries(typedLists)) {
    eachOf(event, field, at, (item, where) => {
      if (!isJsonObject(item) || typeof item[valueKey] !== 'string') {
        throw malformed(where(), `must be an object with ${valueKey} (a string)`);
      }
      if (item.type !== undefined && typeof item.type !== 'string')
        throw malformed(`${where()}.type`, 'must be a string');
    });
  }
  for (const field of ['readPoint', 'bizLocation']) {
    const v = event[field];
    if (v === undefined) continue;
    if (!isJsonObject(v) || typeof v.id !== 'string')
      throw malformed(at(`.${field}`), 'must be an object with id (a string)');
  }
  eachOf(event, 'sensorElementList', at, (item, where) => {
    if (!isJsonObject(item)) throw malformed(where(), 'must be an object');
  });
  for (const field of ['ilmd', 'errorDeclaration', 'persistentDisposition']) {
    if (event[field] !== undefined && !isJsonObject(event[field]))
      throw malformed(at(`.${field}`), 'must be an object');
  }
  return event as EpcisEvent;
}

function checkTime(event: JsonObject, field: string, at: Locate, required: boolean): void {
  const v = event[field];
  if (v === undefined && !required) return;
  if (typeof v !== 'string')
    throw malformed(
      at(`.${field}`),
      required ? 'is required (an ISO 8601 date-time)' : 'must be a date-time',
    );
  const read = readTimestamp(v);
  if (typeof read !== 'string') return;
  if (read.endsWith(notIso)) throw malformed(at(`.${field}`), read);
  throw epcisError('TIME_INVALID', `${at(`.${field}`)}: ${read}`);
}

/** Date-times inside sensor elements: refused like eventTime when they name no real instant. */
function checkSensorTimes(event: JsonObject, at: Locate): void {
  const list = event.sensorElementList;
  if (!Array.isArray(list)) return;
  list.forEach((element, i) => {
    if (!isJsonObject(element)) return;
    const parts: [string, JsonValue | undefined][] = [['sensorMetadata', element.sensorMetadata]];
    const reports = element.sensorReport;
    (Array.isArray(reports) ? reports : [reports]).forEach((r, j) => parts.push([`sensorReport[${j}]`, r]));
    for (const [name, part] of parts) {
      if (!isJsonObject(part)) continue;
      for (const key of ['time', 'startTime', 'endTime']) {
        const v = part[key];
        if (typeof v !== 'string') continue;
        const read = readTimestamp(v);
        if (typeof read === 'string')
          throw epcisError('TIME_INVALID', `${at(`.sensorElementList[${i}].${name}.${key}`)}: ${read}`);
      }
    }
  });
}

/**
 * Limits checked before any per-identifier work: how many identifiers an event lists, and how
 * long each may be (docs/input.md).
 */
function checkSize(event: JsonObject, at: Locate): void {
  let count = 0;
  for (const field of countedLists) {
    const v = event[field];
    if (Array.isArray(v)) count += v.length;
  }
  if (count > inputLimits.maxIdentifiersPerEvent) {
    throw epcisError(
      'INPUT_TOO_LARGE',
      `${at('')} lists ${count} EPCs and quantities; at most ${inputLimits.maxIdentifiersPerEvent} fit in one event (split it)`,
    );
  }
  // `where` is asked only for a value that is too long: these loops run over every EPC of every event.
  const long = (v: JsonValue | undefined, where: () => string) => {
    if (typeof v === 'string' && v.length > inputLimits.maxIdentifierChars) {
      throw epcisError(
        'IDENTIFIER_TOO_LONG',
        `${at(where())} is ${v.length} characters long; identifiers may have at most ${inputLimits.maxIdentifierChars}`,
      );
    }
  };
  const isLong = (v: JsonValue | undefined) =>
    typeof v === 'string' && v.length > inputLimits.maxIdentifierChars;
  for (const field of epcLists) {
    const v = event[field];
    if (!Array.isArray(v)) continue;
    for (let i = 0; i < v.length; i++) if (isLong(v[i])) long(v[i], () => `.${field}[${i}]`);
  }
  for (const field of quantityLists) {
    const v = event[field];
    if (!Array.isArray(v)) continue;
    for (let i = 0; i < v.length; i++) {
      const item = v[i];
      if (isJsonObject(item) && isLong(item.epcClass)) long(item.epcClass, () => `.${field}[${i}].epcClass`);
    }
  }
  for (const field of stringFields) long(event[field], () => `.${field}`);
  for (const field of ['readPoint', 'bizLocation']) {
    const v = event[field];
    if (isJsonObject(v)) long(v.id, () => `.${field}.id`);
  }
  for (const [field, valueKey] of typedListEntries) {
    const v = event[field];
    if (!Array.isArray(v)) continue;
    for (let i = 0; i < v.length; i++) {
      const item = v[i];
      if (!isJsonObject(item)) continue;
      if (isLong(item[valueKey])) long(item[valueKey], () => `.${field}[${i}].${valueKey}`);
      if (isLong(item.type)) long(item.type, () => `.${field}[${i}].type`);
    }
  }
}

/**
 * Runs `check` on each item of a list field. `where` gives the item's place for a message: it is
 * built only when a check fails, not for every EPC of every event.
 */
function eachOf(
  event: JsonObject,
  field: string,
  at: Locate,
  check: (item: JsonValue, where: () => string) => void,
): void {
  const v = event[field];
  if (v === undefined) return;
  if (!Array.isArray(v)) throw malformed(at(`.${field}`), 'must be a list');
  let index = 0;
  const where = () => at(`.${field}[${index}]`);
  for (; index < v.length; index++) if (index in v) check(v[index]!, where);
}

function malformed(where: string, what: string) {
  return epcisError('EPCIS_MALFORMED', `${where} ${what}`);
}
