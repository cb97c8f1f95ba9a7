/**
 * The EPCIS 2.0 event query (GS1 EPCIS 2.0 §8.2.7.1, REST binding's query parameters) parsed into
 * one typed value, with every value normalised the way the journey store keeps it: EPCs and
 * locations as canonical GS1 Digital Links (URN and Digital Link alike), CBV values as their bare
 * words. A parameter that is unknown, malformed or used wrongly is a QueryParameterError (400); a
 * standard parameter this store cannot answer is a QueryNotImplementedError (501), never ignored.
 */
import { canonicalGs1Uri } from '../epcis';
import {
  type Vocabulary,
  bizStepVocabulary,
  bizTransactionTypeVocabulary,
  cbvNamespace,
  compactVocabulary,
  dispositionVocabulary,
  sourceDestTypeVocabulary,
} from '../epcis';
import { eventTypes } from '../events';
import { Gs1Error, toIdentifier } from '../gs1';

export class QueryParameterError extends Error {
  readonly status = 400;
  readonly type = 'epcisException:QueryParameterException';
  readonly retriable = false;
}

export class QueryNotImplementedError extends Error {
  readonly status = 501;
  readonly type = 'epcisException:ImplementationException';
  readonly retriable = false;
}

/** Roles of ut.event_identifiers each MATCH_ parameter looks at (EPCIS 2.0 §8.2.7.1). */
export const matchRoles = {
  MATCH_epc: ['epc', 'child'],
  MATCH_parentID: ['parent'],
  MATCH_inputEPC: ['input'],
  MATCH_outputEPC: ['output'],
  MATCH_anyEPC: ['epc', 'child', 'parent', 'input', 'output'],
} as const;

/** Quantity roles (the canonical quantityList's `role`) each MATCH_...EPCClass looks at. */
export const classRoles = {
  MATCH_epcClass: ['epc', 'child'],
  MATCH_inputEPCClass: ['input'],
  MATCH_outputEPCClass: ['output'],
  MATCH_anyEPCClass: ['epc', 'child', 'input', 'output'],
} as const;

/** One MATCH_ parameter: exact identifiers, and class patterns (urn:epc:idpat:sgtin:CP.IR.*) as GTINs. */
export interface EpcMatch {
  roles: readonly string[];
  uris: string[];
  gtins: string[];
}

export interface TypedMatch {
  type: string;
  ids: string[];
}

export type Comparison = '=' | '>' | '>=' | '<' | '<=';

export interface EventQuery {
  eventTypes: string[] | null;
  eventTime: { ge: Date | null; lt: Date | null };
  recordTime: { ge: Date | null; lt: Date | null };
  actions: string[] | null;
  bizSteps: string[] | null;
  dispositions: string[] | null;
  readPoints: string[] | null;
  bizLocations: string[] | null;
  epcMatches: EpcMatch[];
  classMatches: { roles: readonly string[]; classes: string[] }[];
  quantities: { op: Comparison; value: number }[];
  eventIds: string[] | null;
  errorDeclaration: boolean;
  sources: TypedMatch[];
  destinations: TypedMatch[];
  bizTransactions: TypedMatch[];
  orderBy: 'eventTime' | 'recordTime';
  orderDirection: 'ASC' | 'DESC';
  eventCountLimit: number | null;
  maxEventCount: number | null;
}

/** A query as parameters: from a URL (values pipe-delimited) or a named query's JSON body. */
export type QueryParams = Record<string, string | number | boolean | (string | number)[]>;

/** Paging and format parameters the REST binding adds; not part of the query itself. */
export const bindingParams = new Set([
  'perPage',
  'nextPageToken',
  'GS1-EPCIS-Min',
  'GS1-EPCIS-Max',
  'GS1-CBV-Min',
  'GS1-CBV-Max',
  'GS1-EPC-Format',
  'GS1-CBV-XML-Format',
]);

/** Standard parameters the journey store does not hold the data for (see docs/epcis-query.md). */
const notImplemented = [
  /^EQ_persistentDisposition_(set|unset)$/,
  /^EQ_transformationID$/,
  /^(GE|LT)_errorDeclarationTime$/,
  /^EQ_errorReason$/,
  /^EQ_correctiveEventID$/,
  /^(GE|LT)_(startTime|endTime)$/,
  /^EQ_(type|deviceID|dataProcessingMethod|microorganism|chemicalSubstance|bizRules|stringValue|hexBinaryValue|uriValue|booleanValue)$/,
  /^(EQ|GT|GE|LT|LE)_(value|minValue|maxValue|meanValue|sDev|percRank|percValue)(_.+)?$/,
  /^(EQ|GT|GE|LT|LE|EXISTS|HASATTR|EQATTR)_(ILMD_|INNER_|INNER_ILMD_)?.*[:/#].*$/,
  /^EQ_(ILMD_|INNER_)/,
  /^EXISTS_(?!errorDeclaration$)/,
];

/** URL search parameters → QueryParams (list parameters are pipe-delimited; a repeated name adds to the list). */
export function paramsFromUrl(search: URLSearchParams): QueryParams {
  const out: Record<string, string[]> = {};
  for (const [name, value] of search) (out[name] ??= []).push(value);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.length === 1 ? v[0]! : v]));
}

export function parseEventQuery(params: QueryParams): EventQuery {
  const q: EventQuery = {
    eventTypes: null,
    eventTime: { ge: null, lt: null },
    recordTime: { ge: null, lt: null },
    actions: null,
    bizSteps: null,
    dispositions: null,
    readPoints: null,
    bizLocations: null,
    epcMatches: [],
    classMatches: [],
    quantities: [],
    eventIds: null,
    errorDeclaration: false,
    sources: [],
    destinations: [],
    bizTransactions: [],
    orderBy: 'eventTime',
    orderDirection: 'DESC',
    eventCountLimit: null,
    maxEventCount: null,
  };
  let orderByGiven = false;
  for (const [name, raw] of Object.entries(params)) {
    if (bindingParams.has(name)) continue;
    const list = () => listOf(name, raw);
    const one = () => single(name, raw);
    switch (name) {
      case 'eventType': {
        const types = list();
        for (const t of types) {
          if (!(eventTypes as readonly string[]).includes(t) && !isUri(t)) {
            throw new QueryParameterError(
              `eventType ${JSON.stringify(t)} is not one of ${eventTypes.join(', ')} nor an extension event type URI`,
            );
          }
        }
        q.eventTypes = types;
        break;
      }
      case 'GE_eventTime':
        q.eventTime.ge = time(name, one());
        break;
      case 'LT_eventTime':
        q.eventTime.lt = time(name, one());
        break;
      case 'GE_recordTime':
        q.recordTime.ge = time(name, one());
        break;
      case 'LT_recordTime':
        q.recordTime.lt = time(name, one());
        break;
      case 'EQ_action': {
        const actions = list();
        for (const a of actions) {
          if (a !== 'ADD' && a !== 'OBSERVE' && a !== 'DELETE') {
            throw new QueryParameterError(`EQ_action ${JSON.stringify(a)} is not ADD, OBSERVE or DELETE`);
          }
        }
        q.actions = actions;
        break;
      }
      case 'EQ_bizStep':
        q.bizSteps = list().map((v) => vocabularyValue(v, bizStepVocabulary));
        break;
      case 'EQ_disposition':
        q.dispositions = list().map((v) => vocabularyValue(v, dispositionVocabulary));
        break;
      // The store has no location hierarchy (master data names sites, not their sub-locations), so
      // a location's descendants are the locations under it in the SGLN sense only: itself.
      case 'EQ_readPoint':
      case 'WD_readPoint':
        q.readPoints = [...(q.readPoints ?? []), ...list().map((v) => canonicalGs1Uri(v))];
        break;
      case 'EQ_bizLocation':
      case 'WD_bizLocation':
        q.bizLocations = [...(q.bizLocations ?? []), ...list().map((v) => canonicalGs1Uri(v))];
        break;
      case 'MATCH_epc':
      case 'MATCH_parentID':
      case 'MATCH_inputEPC':
      case 'MATCH_outputEPC':
      case 'MATCH_anyEPC':
        q.epcMatches.push(epcMatch(name, matchRoles[name], list()));
        break;
      case 'MATCH_epcClass':
      case 'MATCH_inputEPCClass':
      case 'MATCH_outputEPCClass':
      case 'MATCH_anyEPCClass':
        q.classMatches.push({ roles: classRoles[name], classes: list().map((v) => canonicalGs1Uri(v)) });
        break;
      case 'EQ_quantity':
      case 'GT_quantity':
      case 'GE_quantity':
      case 'LT_quantity':
      case 'LE_quantity': {
        const value = Number(one());
        if (!Number.isFinite(value)) throw new QueryParameterError(`${name} ${one()} is not a number`);
        const op = ({ EQ: '=', GT: '>', GE: '>=', LT: '<', LE: '<=' } as const)[
          name.slice(0, 2) as 'EQ' | 'GT' | 'GE' | 'LT' | 'LE'
        ];
        q.quantities.push({ op, value });
        break;
      }
      case 'EQ_eventID':
        q.eventIds = list();
        break;
      case 'EXISTS_errorDeclaration':
        q.errorDeclaration = bool(name, raw);
        break;
      case 'orderBy': {
        const v = one();
        if (v !== 'eventTime' && v !== 'recordTime') {
          throw new QueryParameterError(
            `orderBy ${JSON.stringify(v)}: this repository orders by eventTime or recordTime only`,
          );
        }
        q.orderBy = v;
        orderByGiven = true;
        break;
      }
      case 'orderDirection': {
        const v = one();
        if (v !== 'ASC' && v !== 'DESC')
          throw new QueryParameterError(`orderDirection ${v} is not ASC or DESC`);
        q.orderDirection = v;
        break;
      }
      case 'eventCountLimit':
        q.eventCountLimit = positive(name, one());
        break;
      case 'maxEventCount':
        q.maxEventCount = positive(name, one());
        break;
      default: {
        const typed = /^EQ_(source|destination|bizTransaction)_(.+)$/.exec(name);
        if (typed) {
          const [, kind, type] = typed as unknown as [string, string, string];
          if (kind === 'bizTransaction') {
            q.bizTransactions.push({
              type: vocabularyValue(type, bizTransactionTypeVocabulary),
              ids: list().map((v) => canonicalGs1Uri(v)),
            });
          } else {
            const m = {
              type: vocabularyValue(type, sourceDestTypeVocabulary),
              ids: list().map((v) => canonicalGs1Uri(v)),
            };
            (kind === 'source' ? q.sources : q.destinations).push(m);
          }
          break;
        }
        if (notImplemented.some((re) => re.test(name))) {
          throw new QueryNotImplementedError(
            `query parameter ${name} is part of EPCIS 2.0 but not supported by this repository (see docs/epcis-query.md)`,
          );
        }
        throw new QueryParameterError(`unknown query parameter ${name}`);
      }
    }
  }
  if (q.eventCountLimit !== null && q.maxEventCount !== null) {
    throw new QueryParameterError('eventCountLimit and maxEventCount are mutually exclusive');
  }
  if (q.eventCountLimit !== null && !orderByGiven) {
    throw new QueryParameterError('eventCountLimit needs orderBy');
  }
  return q;
}

function listOf(name: string, raw: QueryParams[string]): string[] {
  const values = (Array.isArray(raw) ? raw.map(String) : String(raw).split('|')).map((v) => v.trim());
  if (values.length === 0 || values.some((v) => v === '')) {
    throw new QueryParameterError(`${name} has an empty value`);
  }
  return values;
}

function single(name: string, raw: QueryParams[string]): string {
  if (Array.isArray(raw)) {
    if (raw.length !== 1) throw new QueryParameterError(`${name} takes one value, not ${raw.length}`);
    return String(raw[0]).trim();
  }
  const v = String(raw).trim();
  if (v === '') throw new QueryParameterError(`${name} has an empty value`);
  return v;
}

const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function time(name: string, v: string): Date {
  if (!dateTime.test(v)) {
    throw new QueryParameterError(
      `${name} ${JSON.stringify(v)} is not a date-time with a time zone, e.g. 2024-01-31T00:00:00Z`,
    );
  }
  const d = new Date(v);
  if (Number.isNaN(d.getTime()))
    throw new QueryParameterError(`${name} ${JSON.stringify(v)} is not a valid date`);
  return d;
}

function positive(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new QueryParameterError(`${name} ${v} must be a whole number ≥ 1`);
  return n;
}

function bool(name: string, raw: QueryParams[string]): boolean {
  const v = Array.isArray(raw) ? String(raw[0]) : String(raw);
  if (v === 'true' || v === '') return true;
  if (v === 'false') return false;
  throw new QueryParameterError(`${name} ${JSON.stringify(v)} is not true or false`);
}

const isUri = (v: string) => /^[a-z][a-z0-9+.-]*:\S+$/i.test(v);

/** Bare word, CBV 1.x URN, CBV 2.0 URI or `cbv:` CURIE → the form the store keeps (map.ts does the same). */
function vocabularyValue(v: string, vocabulary: Vocabulary): string {
  const expanded = v.startsWith('cbv:') ? cbvNamespace + v.slice(4) : v;
  return compactVocabulary(expanded, vocabulary);
}

function epcMatch(name: string, roles: readonly string[], values: string[]): EpcMatch {
  const m: EpcMatch = { roles, uris: [], gtins: [] };
  for (const v of values) {
    let id;
    try {
      id = toIdentifier(v);
    } catch (err) {
      if (err instanceof Gs1Error) throw new QueryParameterError(`${name} ${v}: ${err.message}`);
      throw err;
    }
    if (id.scheme === 'idpat' && id.gtin) m.gtins.push(id.gtin);
    else if (id.scheme === 'other' && v.startsWith('urn:epc:idpat:')) {
      throw new QueryNotImplementedError(
        `${name} ${v}: only item-reference patterns (urn:epc:idpat:sgtin:CompanyPrefix.ItemRef.*) are supported`,
      );
    } else m.uris.push(id.uri);
  }
  return m;
}
