/**
 * The in-memory EPCIS event: EPCIS 2.0 JSON-LD, compact form with the standard context, whatever
 * notation it arrived in. XML events are rewritten into this shape; user extensions keep their
 * `prefix:localName` keys and each event carries the `@context` that says what the prefixes mean.
 */
import { eventTypes, type EventType } from '../events';
import { standardContextUrl, standardPrefixes } from './vocabulary';

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A JSON-LD `@context`: URLs of remote contexts and objects of term definitions. */
export type EpcisContext = (string | JsonObject)[];

export interface EpcisEvent extends JsonObject {
  type: EventType;
  eventTime: string;
}

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (eventTypes as readonly string[]).includes(value);
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The context an XML document's events get: the standard one plus the document's own namespaces. */
export function contextFor(namespaces: Record<string, string>): EpcisContext {
  return Object.keys(namespaces).length === 0
    ? [standardContextUrl]
    : [standardContextUrl, { ...namespaces }];
}

const prefixCache = new WeakMap<object, Readonly<Record<string, string>>>();

/**
 * prefix → namespace for an event: the standard prefixes, overridden by the term definitions in its
 * `@context` that define a prefix (a string IRI, or an object with `@id`). Cached per context object,
 * which all events of one document share.
 */
export function prefixesOf(event: JsonObject): Readonly<Record<string, string>> {
  const context = event['@context'];
  if (context === undefined || context === null || typeof context !== 'object') return standardPrefixes;
  if (context === lastContext && lastPrefixes !== undefined) return lastPrefixes;
  const prefixes = prefixCache.get(context) ?? computePrefixes(context);
  lastContext = context;
  lastPrefixes = prefixes;
  return prefixes;
}
let lastContext: object | undefined;
let lastPrefixes: Readonly<Record<string, string>> | undefined;

/**
 * The prefixes a document declares itself (in its `@context` objects, or as XML namespaces of its
 * user extensions), as opposed to the standard context's: CBV 2.0's hash expands values written as
 * CURIEs with these.
 */
export function declaredPrefixes(prefixes: Readonly<Record<string, string>>): ReadonlySet<string> {
  return declared.get(prefixes) ?? noPrefixes;
}
const declared = new WeakMap<object, ReadonlySet<string>>();
const noPrefixes: ReadonlySet<string> = new Set();

function computePrefixes(context: JsonValue[] | JsonObject): Readonly<Record<string, string>> {
  const prefixes: Record<string, string> = { ...standardPrefixes };
  const own = new Set<string>();
  for (const part of Array.isArray(context) ? context : [context]) {
    if (!isJsonObject(part)) continue;
    for (const [term, definition] of Object.entries(part)) {
      if (term.startsWith('@') || term.includes(':')) continue;
      const iri =
        typeof definition === 'string' ? definition : isJsonObject(definition) ? definition['@id'] : null;
      if (typeof iri === 'string' && /^[a-z][a-z0-9+.-]*:/i.test(iri)) {
        prefixes[term] = iri;
        own.add(term);
      }
    }
  }
  if (own.size > 0) declared.set(prefixes, own);
  prefixCache.set(context, prefixes);
  return prefixes;
}
