/**
 * EPCIS documents in, EPCIS 2.0 JSON-LD events out: JSON / JSON-LD (EPCISDocument,
 * EPCISQueryDocument, a bare event or a list of events) and EPCIS 1.2 / 2.0 XML, told apart by their
 * first character. The standard context is never fetched: prefixes come from vocabulary.ts and the
 * document's own `@context` / xmlns declarations.
 */
import {
  type EpcisContext,
  type EpcisEvent,
  type JsonObject,
  type JsonValue,
  isEventType,
  isJsonObject,
} from './event';
import { epcisError } from './errors';
import { checkJsonDepth, checkValue, inputLimits } from './guard';
import { ignoreFieldsKey } from './hash';
import { parseXmlDocument, xmlLineOf } from './parse-xml';
import { validateEvent } from './validate';
import { isStandardContextUrl, standardContextUrl } from './vocabulary';

export type DocumentFormat = 'json' | 'xml';

export interface ParsedDocument {
  events: EpcisEvent[];
  format: DocumentFormat;
}

/** Parses and checks a document; throws InvalidInputError (EPCIS_MALFORMED, EPCIS_UNSUPPORTED_TYPE). */
export function parseDocument(input: string | Buffer): ParsedDocument {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const start = /[^\s\ufeff]/.exec(text);
  if (start === null) throw epcisError('EPCIS_MALFORMED', 'the document is empty');
  if (start[0] === '<') {
    const events = parseXmlDocument(text);
    events.forEach((event, i) =>
      validateEvent(event, (field) => {
        const where = `<${event.type}> #${i + 1} at line ${xmlLineOf(event) ?? '?'}`;
        return field === '' ? where : `${field.slice(1)} of ${where}`;
      }),
    );
    return { events, format: 'xml' };
  }
  if (start[0] === '{' || start[0] === '[') return { events: parseJsonDocument(text), format: 'json' };
  throw epcisError(
    'EPCIS_MALFORMED',
    `not an EPCIS document: starts with ${JSON.stringify(start[0])}, expected JSON or XML`,
  );
}

/**
 * JSON text → value, refused at the door (guard.ts) when it nests too deep, holds text that cannot
 * be stored (NUL, lone surrogates) or numbers that overflow. Throws InvalidInputError.
 */
export function readJson(text: string): JsonValue {
  checkJsonDepth(text);
  let root: JsonValue;
  try {
    root = JSON.parse(text.replace(/^\ufeff/, '')) as JsonValue;
  } catch (err) {
    throw epcisError(
      'EPCIS_MALFORMED',
      `JSON is not well-formed${jsonErrorPlace(text, err)}: ${(err as Error).message}`,
    );
  }
  checkValue(root);
  return root;
}

function parseJsonDocument(text: string): EpcisEvent[] {
  return eventsOfJson(readJson(text));
}

/** The events of a parsed JSON document (EPCISDocument, EPCISQueryDocument, an event, a list). */
export function eventsOfJson(root: JsonValue): EpcisEvent[] {
  if (Array.isArray(root)) return withContext(root, '$', normaliseContext(undefined));
  if (!isJsonObject(root))
    throw epcisError('EPCIS_MALFORMED', '$: expected an EPCIS document or event object');
  const context = normaliseContext(root['@context']);
  const type = root.type;
  if (isEventType(type)) return withContext([root], '$', context, true);
  if (type !== undefined && type !== 'EPCISDocument' && type !== 'EPCISQueryDocument') {
    throw epcisError(
      'EPCIS_UNSUPPORTED_TYPE',
      `$.type: ${JSON.stringify(type)} is not EPCISDocument, EPCISQueryDocument or an EPCIS event type`,
    );
  }
  const body = root.epcisBody;
  if (!isJsonObject(body)) throw epcisError('EPCIS_MALFORMED', '$.epcisBody is missing or not an object');
  const ignore = ignoreFieldsOf(root, '$', context);
  if (body.eventList !== undefined)
    return withContext(body.eventList, '$.epcisBody.eventList', context, false, ignore);
  if (body.event !== undefined) return withContext([body.event], '$.epcisBody.event', context, true, ignore);
  const queryResults = isJsonObject(body.queryResults) ? body.queryResults : undefined;
  const results = queryResults?.resultsBody;
  if (queryResults !== undefined && isJsonObject(results) && results.eventList !== undefined) {
    return withContext(
      results.eventList,
      '$.epcisBody.queryResults.resultsBody.eventList',
      context,
      false,
      ignoreFieldsOf(queryResults, '$.epcisBody.queryResults', context),
    );
  }
  throw epcisError(
    'EPCIS_MALFORMED',
    '$.epcisBody has no eventList (expected epcisBody.eventList or epcisBody.queryResults.resultsBody.eventList)',
  );
}

function withContext(
  list: JsonValue,
  path: string,
  context: EpcisContext,
  single = false,
  ignore?: [string, JsonValue],
): EpcisEvent[] {
  if (!Array.isArray(list)) throw epcisError('EPCIS_MALFORMED', `${path} must be a list of events`);
  if (list.length > inputLimits.maxEventsPerDocument) {
    throw epcisError(
      'INPUT_TOO_LARGE',
      `${path} has ${list.length} events; at most ${inputLimits.maxEventsPerDocument} per document (split it)`,
    );
  }
  return list.map((item, i) => {
    const where = single ? path : `${path}[${i}]`;
    const event = validateEvent(item, (field) => where + field);
    const own = event['@context'];
    // All events of a document share one context object, so prefix lookups are computed once.
    event['@context'] = own === undefined ? context : [...context, ...normaliseContext(own).slice(1)];
    // The document's ignoreFields travel with each event, so that its hash never needs the document.
    if (ignore !== undefined && event[ignore[0]] === undefined) event[ignore[0]] = ignore[1];
    return event;
  });
}

/**
 * The reference implementation's own extension (not part of EPCIS or CBV): a document-level list,
 * under the key `<prefix>:ignoreFields` whose prefix the document binds to
 * `https://repository-x.example.com/`, of top-level event fields to leave out of the hash.
 */
function ignoreFieldsOf(
  holder: JsonObject,
  path: string,
  context: EpcisContext,
): [string, JsonValue] | undefined {
  const key = ignoreFieldsKey(Object.keys(holder), context);
  if (key === undefined) return undefined;
  const list = holder[key];
  if (!Array.isArray(list) || !list.every((f) => typeof f === 'string'))
    throw epcisError('EPCIS_MALFORMED', `${path}.${key} must be a list of field names`);
  return [key, list];
}

/** The standard context first, then the document's own definitions; remote contexts are never fetched. */
function normaliseContext(raw: JsonValue | undefined): EpcisContext {
  const out: EpcisContext = [standardContextUrl];
  for (const part of Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw]) {
    if (typeof part === 'string') {
      if (!isStandardContextUrl(part)) out.push(part);
    } else if (isJsonObject(part) && Object.keys(part).length > 0) {
      out.push(part as JsonObject);
    }
  }
  return out;
}

function jsonErrorPlace(text: string, err: unknown): string {
  const reported = /position (\d+)/.exec(String((err as Error).message));
  const offset = reported ? Number(reported[1]) : jsonErrorOffset(text);
  if (offset < 0) return '';
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return ` at line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

/** Where the first JSON syntax error is (JSON.parse of Node 20 does not always say); -1 if none found. */
function jsonErrorOffset(text: string): number {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') fail();
          value();
          ws();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === close) {
          i++;
          return;
        } else fail();
      }
    } else if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (i >= text.length) fail();
      i++;
    } else {
      const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(
        text.slice(i, i + 400),
      );
      if (!m) fail();
      else i += m[0].length;
    }
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (at) {
    return typeof at === 'number' ? at : -1;
  }
}
