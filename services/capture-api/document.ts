/**
 * A captured document, event by event: which events the pipeline will take, and for each one it
 * will not, why. Every check the validator makes on an EPCIS event is made here first (parsing,
 * GS1 keys, the validator's rules), so that an accepted event lands and a rejected one is listed in
 * the capture job instead of surfacing later, unannounced, in the DLQ.
 *
 * A document whose events cannot even be found (not JSON/XML, no eventList...) is refused whole:
 * checkDocument throws InvalidInputError, answered with 400.
 */
import {
  type DocumentFormat,
  type EpcisEvent,
  type JsonObject,
  type JsonValue,
  checkJsonSchema,
  doorCodes,
  eventsOfJson,
  parseDocument,
  readJson,
  toSerializationEvent,
} from '../../libs/epcis';
// The per-event halves of parseDocument, so that one bad event does not sink its neighbours.
import { parseXmlDocument, xmlLineOf } from '../../libs/epcis';
import { validateEvent } from '../../libs/epcis';
import { InvalidInputError, type Reason } from '../../libs/errors';
import { eventKey, eventTypes } from '../../libs/events';
import { topics } from '../../libs/topics';
import { validate, type RuleContext } from '../../libs/rules';

export interface AcceptedEvent {
  index: number;
  eventId: string;
  /** Record key on the raw topic: the event's first identifier, as the validator keys it. */
  key: string;
  /** The event as EPCIS 2.0 JSON with its `@context`: self-contained, prefixes and all. */
  json: string;
}

export interface RejectedEvent {
  /** Position in the document, from 0 (eventList[index]; XML: the (index+1)-th event element). */
  index: number;
  /** The JSON path or XML line of the event. */
  where: string;
  eventId?: string;
  reasons: Reason[];
}

export interface CheckedDocument {
  format: DocumentFormat;
  eventCount: number;
  accepted: AcceptedEvent[];
  rejected: RejectedEvent[];
  /** Prefix → IRI of the document's own (user extension) prefixes. */
  namespaces: Record<string, string>;
}

export interface CheckOptions {
  rules: RuleContext;
  /** A raw record must stay below Kafka's message.max.bytes (1 MiB by default). */
  maxEventBytes?: number;
}

// The hash and the mapping do not depend on where the record will sit.
const probeLineage = { topic: topics.rawEpcis.name, partition: -1, offset: -1, schemaId: 0 };

export function checkDocument(
  text: string,
  { rules, maxEventBytes = 900 * 1024 }: CheckOptions,
): CheckedDocument {
  const { format, items, whereOf } = parseEvents(text);
  const accepted: AcceptedEvent[] = [];
  const rejected: RejectedEvent[] = [];
  const namespaces: Record<string, string> = {};
  items.forEach((item, index) => {
    if ('reasons' in item) {
      rejected.push({ index, where: whereOf(index, item.event), reasons: item.reasons });
      return;
    }
    const { event } = item;
    Object.assign(namespaces, ownPrefixes(event));
    let mapped;
    try {
      mapped = toSerializationEvent(event, { lineage: probeLineage });
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      rejected.push({ index, where: whereOf(index, event), reasons: [...err.reasons] });
      return;
    }
    const reasons = validate(mapped, rules);
    const json = JSON.stringify(event);
    if (Buffer.byteLength(json) > maxEventBytes) {
      reasons.push({
        code: 'EVENT_TOO_LARGE',
        message: `the event is ${Buffer.byteLength(json)} bytes as JSON; at most ${maxEventBytes} fit in one record`,
      });
    }
    if (reasons.length > 0) {
      rejected.push({ index, where: whereOf(index, event), eventId: mapped.eventId, reasons });
      return;
    }
    accepted.push({ index, eventId: mapped.eventId, key: eventKey(mapped), json });
  });
  return { format, eventCount: items.length, accepted, rejected, namespaces };
}

type Item = { event: EpcisEvent } | { reasons: Reason[]; event?: EpcisEvent };

interface ParsedEvents {
  format: DocumentFormat;
  items: Item[];
  whereOf: (index: number, event?: EpcisEvent) => string;
}

/**
 * In this order: the door (depth, size, text, numbers: libs/epcis guard.ts), GS1's JSON Schema
 * (JSON documents), then the project's own rules event by event. Anything refused at the door or
 * by the schema refuses the whole document (400); an event that fails our own rules is listed.
 */
function parseEvents(text: string): ParsedEvents {
  try {
    if (/^[\s\ufeff]*[{[]/.test(text)) {
      const root = readJson(text);
      checkJsonSchema(root);
      const items = eventsOfJson(root).map((event) => ({ event }));
      return { format: 'json', items, whereOf: jsonWhere(text) };
    }
    const { events, format } = parseDocument(text);
    const items = events.map((event) => ({ event }));
    return { format, items, whereOf: format === 'xml' ? xmlWhere : jsonWhere(text) };
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    if (err.reasons.some((r) => doorCodes.has(r.code))) throw err;
    // Something in the document is wrong: find out whether it is one event (reject that one) or
    // the document itself (rethrow: 400).
    const oneByOne = /^[\s\ufeff]*</.test(text) ? xmlOneByOne(text) : jsonOneByOne(text);
    if (oneByOne === null) throw err;
    return oneByOne;
  }
}

function xmlWhere(index: number, event?: EpcisEvent): string {
  const line = event ? xmlLineOf(event) : undefined;
  return `<${event?.type ?? 'event'}> #${index + 1}${line === undefined ? '' : ` at line ${line}`}`;
}

function xmlOneByOne(text: string): ParsedEvents | null {
  let events: EpcisEvent[];
  try {
    events = parseXmlDocument(text);
  } catch {
    return null;
  }
  const items = events.map((event, i): Item => {
    try {
      return {
        event: validateEvent(event, (field) => {
          const where = xmlWhere(i, event);
          return field === '' ? where : `${field.slice(1)} of ${where}`;
        }),
      };
    } catch (err) {
      if (err instanceof InvalidInputError) return { reasons: [...err.reasons], event };
      throw err;
    }
  });
  return { format: 'xml', items, whereOf: xmlWhere };
}

/** Where a JSON document keeps its events, mirroring parseDocument; null when it has no event list. */
function jsonEventList(root: JsonValue): { path: string; list: JsonValue[]; single: boolean } | null {
  if (Array.isArray(root)) return { path: '$', list: root, single: false };
  if (!isObject(root)) return null;
  if (isEventType(root.type)) return { path: '$', list: [root], single: true };
  const body = root.epcisBody;
  if (!isObject(body)) return null;
  if (Array.isArray(body.eventList))
    return { path: '$.epcisBody.eventList', list: body.eventList, single: false };
  if (body.event !== undefined) return { path: '$.epcisBody.event', list: [body.event], single: true };
  const results = isObject(body.queryResults) ? body.queryResults.resultsBody : undefined;
  if (isObject(results) && Array.isArray(results.eventList)) {
    return { path: '$.epcisBody.queryResults.resultsBody.eventList', list: results.eventList, single: false };
  }
  return null;
}

function jsonRoot(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text.replace(/^[\s\ufeff]+/, '')) as JsonValue;
  } catch {
    return undefined;
  }
}

/** JSON paths are worked out only when an event is rejected: most documents never need them. */
function jsonWhere(text: string): (index: number) => string {
  let located: { path: string; single: boolean } | null | undefined;
  return (index) => {
    if (located === undefined) {
      const root = jsonRoot(text);
      located = root === undefined ? null : jsonEventList(root);
    }
    if (located === null) return `event #${index + 1}`;
    return located.single ? located.path : `${located.path}[${index}]`;
  };
}

const aloneAt = /^\$\.epcisBody\.eventList\[0\]/;

function jsonOneByOne(text: string): ParsedEvents | null {
  const root = jsonRoot(text);
  const located = root === undefined ? null : jsonEventList(root);
  if (located === null) return null;
  const documentContext = isObject(root) ? (root['@context'] ?? null) : null;
  const whereOf = (i: number) => (located.single ? located.path : `${located.path}[${i}]`);
  const items = located.list.map((item, i): Item => {
    const where = whereOf(i);
    if (!isObject(item)) {
      return { reasons: [{ code: 'EPCIS_MALFORMED', message: `${where} must be an event object` }] };
    }
    if (!isEventType(item.type)) {
      return {
        reasons: [
          {
            code: 'EPCIS_UNSUPPORTED_TYPE',
            message: `${where}.type: ${JSON.stringify(item.type ?? null)} is not one of ${eventTypes.join(', ')}`,
          },
        ],
      };
    }
    // The event as a document of its own, in the same context.
    const alone = { '@context': documentContext, type: 'EPCISDocument', epcisBody: { eventList: [item] } };
    try {
      return { event: parseDocument(JSON.stringify(alone)).events[0]! };
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      const reasons = err.reasons.map((r) => ({ ...r, message: r.message.replace(aloneAt, where) }));
      return { reasons };
    }
  });
  return { format: 'json', items, whereOf };
}

/** The prefixes an event's `@context` defines beyond the standard context. */
function ownPrefixes(event: EpcisEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of listOf(event['@context'])) {
    if (!isObject(part)) continue;
    for (const [prefix, iri] of Object.entries(part)) {
      if (!prefix.startsWith('@') && typeof iri === 'string') out[prefix] = iri;
    }
  }
  return out;
}

function listOf(v: JsonValue | undefined): JsonValue[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isEventType(v: JsonValue | undefined): boolean {
  return typeof v === 'string' && (eventTypes as readonly string[]).includes(v);
}
