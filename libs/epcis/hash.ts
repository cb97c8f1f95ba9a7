/**
 * The EPCIS Event Hash ID (GS1 CBV 2.0, "Event hash ID"): a pre-hash string built from the event's
 * fields in a fixed order, with values canonicalised, then SHA-256 in a `ni:` URI.
 *
 * The pre-hash is `eventType=...` followed by the standard fields in canonical order (each
 * `name=value`; containers as their name followed by their children; repeated children sorted;
 * user extensions inside a standard field appended to it, sorted), then every remaining field -
 * business transactions, sources, destinations, ilmd, user extensions - rendered the same generic
 * way and sorted. recordTime, eventID and errorDeclaration are left out, so a correction or a
 * re-capture keeps the hash. The conformance vectors (conformance/epcis-hash) are the referee.
 */
import { hash as digest } from 'node:crypto';
import { canonicalTimestamp, canonicalValue, pythonNumber } from './canonical-values';
import {
  type EpcisContext,
  type EpcisEvent,
  type JsonObject,
  type JsonValue,
  declaredPrefixes,
  isJsonObject,
  prefixesOf,
} from './event';
import {
  type Vocabulary,
  bizStepVocabulary,
  bizTransactionTypeVocabulary,
  cbvNamespace,
  componentVocabulary,
  dispositionVocabulary,
  expandVocabulary,
  gs1VocNamespace,
  measurementTypeVocabulary,
  sensorExceptionVocabulary,
  sourceDestTypeVocabulary,
} from './vocabulary';

/** How a standard field enters the pre-hash. */
interface FieldSpec {
  key: string;
  /** A leaf value: plain, a timestamp, or a controlled vocabulary whose bare words expand. */
  leaf?: 'value' | 'time' | Vocabulary;
  /** An object whose keys are rendered in this order. */
  fields?: FieldSpec[];
  /** A list rendered as this repeated child (epcList → epc, quantityList → quantityElement). */
  item?: FieldSpec;
  /** Few distinct values (action, bizStep, uom...): their rendering is memoised. */
  memo?: Map<string, string>;
}

const value = (key: string): FieldSpec => ({ key, leaf: 'value' });
const word = (key: string): FieldSpec => ({ key, leaf: 'value', memo: new Map() });
const time = (key: string): FieldSpec => ({ key, leaf: 'time' });
const vocab = (key: string, v: Vocabulary): FieldSpec => ({ key, leaf: v, memo: new Map() });
const epcs = (key: string): FieldSpec => ({ key, item: value('epc') });
const quantities = (key: string): FieldSpec => ({
  key,
  item: { key: 'quantityElement', fields: [value('epcClass'), value('quantity'), word('uom')] },
});

/** CBV 2.0 canonical property order. */
const canonicalOrder: FieldSpec[] = [
  time('eventTime'),
  word('eventTimeZoneOffset'),
  value('certificationInfo'),
  value('parentID'),
  epcs('epcList'),
  epcs('inputEPCList'),
  epcs('childEPCs'),
  quantities('quantityList'),
  quantities('childQuantityList'),
  quantities('inputQuantityList'),
  epcs('outputEPCList'),
  quantities('outputQuantityList'),
  word('action'),
  value('transformationID'),
  vocab('bizStep', bizStepVocabulary),
  vocab('disposition', dispositionVocabulary),
  {
    key: 'persistentDisposition',
    fields: [vocab('set', dispositionVocabulary), vocab('unset', dispositionVocabulary)],
  },
  { key: 'readPoint', fields: [value('id')] },
  { key: 'bizLocation', fields: [value('id')] },
  {
    key: 'sensorElementList',
    item: {
      key: 'sensorElement',
      fields: [
        {
          key: 'sensorMetadata',
          fields: [
            time('time'),
            time('startTime'),
            time('endTime'),
            value('deviceID'),
            value('deviceMetadata'),
            value('rawData'),
            value('dataProcessingMethod'),
            value('bizRules'),
          ],
        },
        {
          key: 'sensorReport',
          fields: [
            vocab('type', measurementTypeVocabulary),
            vocab('exception', sensorExceptionVocabulary),
            value('deviceID'),
            value('deviceMetadata'),
            value('rawData'),
            value('dataProcessingMethod'),
            time('time'),
            value('microorganism'),
            value('chemicalSubstance'),
            value('value'),
            vocab('component', componentVocabulary),
            value('stringValue'),
            value('booleanValue'),
            value('hexBinaryValue'),
            value('uriValue'),
            value('minValue'),
            value('maxValue'),
            value('meanValue'),
            value('sDev'),
            value('percRank'),
            value('percValue'),
            value('uom'),
            word('coordinateReferenceSystem'),
          ],
        },
      ],
    },
  },
];
const canonicalPosition = new Map(canonicalOrder.map((f, i) => [f.key, i]));

/** Fields that never enter the hash. */
const excludedKeys = new Set(['@context', 'type', 'eventID', 'recordTime', 'errorDeclaration']);
/** The text of an XML user-extension element that also has attributes or children. */
export const textKey = '#text';
/** Comments are not data, at any depth. */
const commentKeys = new Set(['comment', 'rdfs:comment']);

/** Lists of typed pairs: rendered `type=...` first, then the value, never reordered inside. */
interface TypedList {
  valueKey: string;
  types: Vocabulary;
  memo: Map<string, string>;
}
const typedLists: Readonly<Record<string, TypedList>> = {
  bizTransactionList: { valueKey: 'bizTransaction', types: bizTransactionTypeVocabulary, memo: new Map() },
  sourceList: { valueKey: 'source', types: sourceDestTypeVocabulary, memo: new Map() },
  destinationList: { valueKey: 'destination', types: sourceDestTypeVocabulary, memo: new Map() },
};

type Prefixes = Readonly<Record<string, string>>;

/** XML Schema instance attributes (xsi:type, xsi:nil...) say how a value is written, not what it is. */
const xsiNamespace = 'http://www.w3.org/2001/XMLSchema-instance';
const xsiKeyStart = `{${xsiNamespace}}`;

/**
 * The reference implementation's `ignoreFields` (its own extension, not CBV 2.0): a list of
 * top-level event fields left out of the hash, under a key in this namespace.
 */
export const ignoreFieldsNamespace = 'https://repository-x.example.com/';
const ignoreFieldsName = `{${ignoreFieldsNamespace}}ignoreFields`;

/** Which of `keys` is the ignoreFields list in this context (a prefixed or full-IRI key), if any. */
export function ignoreFieldsKey(keys: Iterable<string>, context: EpcisContext): string | undefined {
  const prefixes = prefixesOf({ '@context': context });
  for (const key of keys) {
    if (key.endsWith('ignoreFields') && expandKey(key, prefixes) === ignoreFieldsName) return key;
  }
  return undefined;
}

/** The fields an event's ignoreFields list names (as written and expanded), with the list's own key. */
function ignoredFields(event: EpcisEvent, prefixes: Prefixes): Set<string> | undefined {
  let ignored: Set<string> | undefined;
  for (const key in event) {
    if (!key.endsWith('ignoreFields') || expandKey(key, prefixes) !== ignoreFieldsName) continue;
    ignored ??= new Set();
    ignored.add(key);
    const list = event[key];
    for (const field of Array.isArray(list) ? list : []) {
      if (typeof field !== 'string') continue;
      ignored.add(field);
      ignored.add(expandKey(field, prefixes));
    }
  }
  return ignored;
}

/** The canonical pre-hash string of an event (what SHA-256 is computed over). */
export function preHash(event: EpcisEvent): string {
  const prefixes = prefixesOf(event);
  const ordered: string[] = new Array<string>(canonicalOrder.length).fill('');
  const leftovers: string[] = [];
  const ignored = ignoredFields(event, prefixes);
  for (const key in event) {
    const v = event[key];
    if (v === undefined || v === null) continue;
    if (ignored !== undefined && (ignored.has(key) || ignored.has(expandKey(key, prefixes)))) continue;
    const position = canonicalPosition.get(key);
    if (position !== undefined) {
      const spec = canonicalOrder[position];
      unconsumed = false;
      ordered[position] = renderField(spec, v, prefixes);
      // Parts of a standard field the canonical order does not cover are hashed with the rest.
      if (unconsumed) generic(spec.key, remainder(spec, v, prefixes), prefixes, leftovers);
    } else if (!excludedKeys.has(key) && !commentKeys.has(key)) {
      const typed = typedLists[key];
      if (typed !== undefined) typedList(key, v, typed, prefixes, leftovers);
      else generic(expandKey(key, prefixes), v, prefixes, leftovers);
    }
  }
  if (leftovers.length > 1) leftovers.sort();
  return `eventType=${event.type}${ordered.join('')}${leftovers.join('')}`;
}

/** `ni:///sha-256;<hex>?ver=CBV2.0` */
export function eventHash(event: EpcisEvent): string {
  return hashOfPreHash(preHash(event));
}

export function hashOfPreHash(pre: string): string {
  return `ni:///sha-256;${digest('sha256', pre, 'hex')}?ver=CBV2.0`;
}

/**
 * Set while rendering a standard field that holds keys its spec does not know (and that are not
 * user extensions); preHash then collects them with remainder(). Rare, so the common path
 * allocates nothing for it.
 */
let unconsumed = false;

function renderField(spec: FieldSpec, v: JsonValue, prefixes: Prefixes): string {
  if (spec.item !== undefined) {
    const parts: string[] = [];
    for (const item of asList(v)) {
      const text = renderOne(spec.item, item, prefixes);
      if (text !== '') parts.push(text);
    }
    return parts.length === 0 ? '' : spec.key + sortJoin(parts);
  }
  if (Array.isArray(v)) {
    const parts: string[] = [];
    for (const item of v) {
      const text = renderOne(spec, item, prefixes);
      if (text !== '') parts.push(text);
    }
    return sortJoin(parts);
  }
  return renderOne(spec, v, prefixes);
}

function renderOne(spec: FieldSpec, v: JsonValue, prefixes: Prefixes): string {
  if (v === null) return '';
  if (spec.fields !== undefined && isJsonObject(v)) return renderObject(spec, v, prefixes);
  if (isJsonObject(v) || Array.isArray(v)) return sortJoin(generic(spec.key, v, prefixes, []));
  const text = scalarText(v);
  if (text === '') return '';
  if (spec.leaf === 'time') return `${spec.key}=${canonicalTimestamp(text)}`;
  const memo = spec.memo;
  if (memo === undefined) return renderLeaf(spec, text, prefixes);
  let rendered = memo.get(text);
  if (rendered === undefined) {
    rendered = renderLeaf(spec, text, prefixes);
    // CURIEs depend on the document's prefixes: only prefix-free values are shared between documents.
    if (memo.size < memoLimit && !dependsOnPrefixes(text)) memo.set(text, rendered);
  }
  return rendered;
}

const memoLimit = 1_000;

function dependsOnPrefixes(text: string): boolean {
  return text.includes(':') && !text.startsWith('urn:') && !text.includes('://');
}

function renderLeaf(spec: FieldSpec, text: string, prefixes: Prefixes): string {
  let v = expandCurie(text, prefixes);
  if (spec.leaf !== undefined && spec.leaf !== 'value' && spec.leaf !== 'time')
    v = expandVocabulary(v, spec.leaf);
  return `${spec.key}=${canonicalValue(v)}`;
}

function renderObject(spec: FieldSpec, obj: JsonObject, prefixes: Prefixes): string {
  let text = '';
  let extensions: string[] | undefined;
  const fields = spec.fields ?? [];
  for (const field of fields) {
    const v = obj[field.key];
    if (v !== undefined && v !== null) text += renderField(field, v, prefixes);
  }
  for (const key in obj) {
    if (commentKeys.has(key) || isSpecField(spec, key)) continue;
    const name = expandKey(key, prefixes);
    if (name.startsWith('{')) generic(name, obj[key], prefixes, (extensions ??= []));
    else unconsumed = true;
  }
  if (extensions !== undefined) text += sortJoin(extensions);
  return text === '' ? '' : spec.key + text;
}

function isSpecField(spec: FieldSpec, key: string): boolean {
  for (const f of spec.fields ?? []) if (f.key === key) return true;
  return false;
}

/** What of a standard field its spec does not cover (nor user extensions): same shape, only those keys. */
function remainder(spec: FieldSpec, v: JsonValue, prefixes: Prefixes): JsonValue | undefined {
  if (spec.item !== undefined) {
    const item = spec.item;
    const rests = asList(v).flatMap((i) => remainder(item, i, prefixes) ?? []);
    return rests.length === 0 ? undefined : { [item.key]: rests };
  }
  if (Array.isArray(v)) {
    const rests = v.flatMap((i) => remainder(spec, i, prefixes) ?? []);
    return rests.length === 0 ? undefined : rests;
  }
  if (spec.fields === undefined || !isJsonObject(v)) return undefined;
  let rest: JsonObject | undefined;
  for (const field of spec.fields) {
    const r =
      v[field.key] === undefined || v[field.key] === null
        ? undefined
        : remainder(field, v[field.key], prefixes);
    if (r !== undefined) (rest ??= {})[field.key] = r;
  }
  for (const key of Object.keys(v)) {
    if (commentKeys.has(key) || isSpecField(spec, key) || expandKey(key, prefixes).startsWith('{')) continue;
    (rest ??= {})[key] = v[key];
  }
  return rest;
}

/**
 * A field outside the canonical order, appended to `out`: `name=value`, or the name followed by its
 * sorted children; a list is the same name repeated.
 */
function generic(name: string, v: JsonValue | undefined, prefixes: Prefixes, out: string[]): string[] {
  if (v === undefined || v === null || name.startsWith(xsiKeyStart)) return out;
  if (Array.isArray(v)) {
    for (const item of v) generic(name, item, prefixes, out);
  } else if (isJsonObject(v)) {
    const children: string[] = [];
    let own = '';
    for (const key in v) {
      if (key === textKey) {
        // An XML element's own text beside its attributes or children (`#text`, as the reference
        // reads JSON): `name=value` followed by the sorted children.
        const t = v[key];
        const text =
          typeof t === 'string' || typeof t === 'number' || typeof t === 'boolean' ? scalarText(t) : '';
        if (text !== '') own = `=${canonicalValue(expandCurie(text, prefixes))}`;
      } else if (!commentKeys.has(key)) generic(expandKey(key, prefixes), v[key], prefixes, children);
    }
    out.push(name + own + sortJoin(children));
  } else {
    const text = scalarText(v);
    out.push(text === '' ? name : `${name}=${canonicalValue(expandCurie(text, prefixes))}`);
  }
  return out;
}

function typedList(key: string, v: JsonValue, typed: TypedList, prefixes: Prefixes, out: string[]): void {
  const pairs: string[] = [];
  for (const item of asList(v)) {
    if (!isJsonObject(item)) {
      generic(typed.valueKey, item, prefixes, pairs);
      continue;
    }
    let text = '';
    const type = item.type;
    if (typeof type === 'string') {
      const t = scalarText(type);
      let rendered = typed.memo.get(t);
      if (rendered === undefined) {
        rendered =
          t === '' ? '' : `type=${canonicalValue(expandVocabulary(expandCurie(t, prefixes), typed.types))}`;
        if (typed.memo.size < memoLimit && !dependsOnPrefixes(t)) typed.memo.set(t, rendered);
      }
      text = rendered;
    }
    const id = item[typed.valueKey];
    if (typeof id === 'string') {
      const t = scalarText(id);
      text += t === '' ? typed.valueKey : `${typed.valueKey}=${canonicalValue(expandCurie(t, prefixes))}`;
    } else {
      text += generic(typed.valueKey, id, prefixes, []).join('');
    }
    let others: string[] | undefined;
    for (const k in item) {
      if (k !== 'type' && k !== typed.valueKey && !commentKeys.has(k)) {
        generic(expandKey(k, prefixes), item[k], prefixes, (others ??= []));
      }
    }
    pairs.push(others === undefined ? text : text + sortJoin(others));
  }
  if (pairs.length > 0) out.push(key + sortJoin(pairs));
}

function asList(v: JsonValue): JsonValue[] {
  return Array.isArray(v) ? v : [v];
}

function sortJoin(parts: string[]): string {
  if (parts.length > 1) parts.sort();
  return parts.join('');
}

function scalarText(v: string | number | boolean): string {
  if (typeof v === 'number') return pythonNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return v.length > 0 && v.charCodeAt(0) > 32 && v.charCodeAt(v.length - 1) > 32 ? v : v.trim();
}

/** `example:myField` → `{https://ns.example.com/epcis/}myField`; an absolute IRI splits at its last / or #. */
export function expandKey(key: string, prefixes: Prefixes): string {
  const colon = key.indexOf(':');
  if (colon < 0) return key;
  const prefix = key.slice(0, colon);
  if ((prefix === 'http' || prefix === 'https') && key.startsWith('//', colon + 1)) {
    const cut = Math.max(key.lastIndexOf('/'), key.lastIndexOf('#')) + 1;
    return `{${key.slice(0, cut)}}${key.slice(cut)}`;
  }
  const ns = Object.hasOwn(prefixes, prefix) ? prefixes[prefix] : undefined;
  return ns === undefined ? key : `{${ns}}${key.slice(colon + 1)}`;
}

/**
 * `gs1:Temperature` → `https://gs1.org/voc/Temperature`: values written as compact IRIs of the GS1
 * and CBV vocabularies, and of any prefix the document declares itself (its `@context`, or the XML
 * namespaces of its user extensions), as CBV 2.0's hash rules expand every CURIE. Prefixes only
 * the standard context knows (`cbvmda:`, `rdfs:`...) stay as written, as the reference does.
 */
function expandCurie(text: string, prefixes: Prefixes): string {
  const colon = text.indexOf(':');
  if (colon <= 0 || text.startsWith('//', colon + 1) || text.startsWith('urn:')) return text;
  const prefix = text.slice(0, colon);
  const ns = Object.hasOwn(prefixes, prefix) ? prefixes[prefix] : undefined;
  if (ns === undefined) return text;
  return ns === gs1VocNamespace || ns === cbvNamespace || declaredPrefixes(prefixes).has(prefix)
    ? ns + text.slice(colon + 1)
    : text;
}
