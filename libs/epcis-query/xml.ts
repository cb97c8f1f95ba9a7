/**
 * An EPCISQueryDocument in EPCIS 2.0 XML (urn:epcglobal:epcis-query:xsd:2), for clients that ask
 * for application/xml. Events are written from their JSON-LD form: standard fields in the XSD's
 * order, CBV bare words as CBV URNs (the XML binding's default, GS1-CBV-XML-Format Always_URN),
 * user extensions as elements in their own namespaces, declared on the event element.
 */
import type { JsonObject, JsonValue } from '../epcis';
import {
  bizStepVocabulary,
  bizTransactionTypeVocabulary,
  dispositionVocabulary,
  sourceDestTypeVocabulary,
  standardPrefixes,
  type Vocabulary,
} from '../epcis';

const commonFields = [
  'eventTime',
  'recordTime',
  'eventTimeZoneOffset',
  'eventID',
  'certificationInfo',
  'errorDeclaration',
];
const typeFields = [
  'parentID',
  'epcList',
  'childEPCs',
  'inputEPCList',
  'inputQuantityList',
  'outputEPCList',
  'outputQuantityList',
  'transformationID',
  'action',
  'bizStep',
  'disposition',
  'persistentDisposition',
  'readPoint',
  'bizLocation',
  'bizTransactionList',
  'quantityList',
  'childQuantityList',
  'sourceList',
  'destinationList',
  'sensorElementList',
  'ilmd',
];
// The XSD's TransactionEvent starts with its bizTransactionList.
const orderFor = (type: string) =>
  type === 'TransactionEvent'
    ? [...commonFields, 'bizTransactionList', ...typeFields.filter((f) => f !== 'bizTransactionList')]
    : [...commonFields, ...typeFields];

const epcLists = new Set(['epcList', 'childEPCs', 'inputEPCList', 'outputEPCList']);
const quantityLists = new Set([
  'quantityList',
  'childQuantityList',
  'inputQuantityList',
  'outputQuantityList',
]);
const typedLists: Record<string, [string, Vocabulary]> = {
  bizTransactionList: ['bizTransaction', bizTransactionTypeVocabulary],
  sourceList: ['source', sourceDestTypeVocabulary],
  destinationList: ['destination', sourceDestTypeVocabulary],
};

export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

const text = (v: JsonValue): string => (typeof v === 'string' ? v : JSON.stringify(v));
const el = (name: string, body: string, attrs = '') => `<${name}${attrs}>${body}</${name}>`;
const leaf = (name: string, v: JsonValue) => el(name, escapeXml(text(v)));

function urnOf(v: JsonValue, vocabulary: Vocabulary): string {
  const s = text(v);
  if (vocabulary.words.has(s) && vocabulary.urn) return vocabulary.urn + s;
  if (s.startsWith(vocabulary.prefix) && vocabulary.urn) {
    const word = s.slice(vocabulary.prefix.length);
    if (vocabulary.words.has(word)) return vocabulary.urn + word;
  }
  return s;
}

const listOf = (v: JsonValue | undefined): JsonValue[] =>
  v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];

const isObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value of a standard structure or an extension: text, or child elements (arrays repeat the element). */
function generic(name: string, v: JsonValue): string {
  if (Array.isArray(v)) return v.map((item) => generic(name, item)).join('');
  if (!isObject(v)) return leaf(name, v);
  const own = v['#text'] ?? v['@value'];
  const children = Object.entries(v)
    .filter(([k]) => k !== '#text' && k !== '@value' && !k.startsWith('@'))
    .map(([k, child]) => generic(k, child))
    .join('');
  return el(name, (own === undefined ? '' : escapeXml(text(own))) + children);
}

/** Attributes of a sensorMetadata / sensorReport (standard ones unprefixed, as the XSD has them). */
function attributes(o: JsonObject): string {
  return Object.entries(o)
    .filter(([, v]) => !isObject(v) && !Array.isArray(v))
    .map(([k, v]) => ` ${k}="${escapeXml(text(v))}"`)
    .join('');
}

function field(key: string, v: JsonValue): string {
  if (epcLists.has(key))
    return el(
      key,
      listOf(v)
        .map((e) => leaf('epc', e))
        .join(''),
    );
  if (quantityLists.has(key))
    return el(
      key,
      listOf(v)
        .map((q) => generic('quantityElement', q))
        .join(''),
    );
  if (key in typedLists) {
    const [item, vocabulary] = typedLists[key]!;
    return el(
      key,
      listOf(v)
        .map((t) => {
          if (!isObject(t)) return leaf(item, t);
          const type = t.type === undefined ? '' : ` type="${escapeXml(urnOf(t.type, vocabulary))}"`;
          return el(item, escapeXml(text(t[item] ?? '')), type);
        })
        .join(''),
    );
  }
  if (key === 'bizStep') return leaf(key, urnOf(v, bizStepVocabulary));
  if (key === 'disposition') return leaf(key, urnOf(v, dispositionVocabulary));
  if (key === 'persistentDisposition' && isObject(v)) {
    const parts = ['set', 'unset'].flatMap((k) =>
      listOf(v[k]).map((d) => leaf(k, urnOf(d, dispositionVocabulary))),
    );
    return el(key, parts.join(''));
  }
  if (key === 'errorDeclaration' && isObject(v)) {
    const parts = Object.entries(v).map(([k, child]) =>
      k === 'correctiveEventIDs'
        ? el(
            k,
            listOf(child)
              .map((id) => leaf('correctiveEventID', id))
              .join(''),
          )
        : generic(k, child),
    );
    return el(key, parts.join(''));
  }
  if (key === 'sensorElementList') {
    return el(
      key,
      listOf(v)
        .map((s) => {
          if (!isObject(s)) return '';
          const meta = isObject(s.sensorMetadata) ? `<sensorMetadata${attributes(s.sensorMetadata)}/>` : '';
          const reports = listOf(s.sensorReport)
            .map((r) => (isObject(r) ? `<sensorReport${attributes(r)}/>` : ''))
            .join('');
          const rest = Object.entries(s)
            .filter(([k]) => k !== 'sensorMetadata' && k !== 'sensorReport')
            .map(([k, c]) => generic(k, c))
            .join('');
          return el('sensorElement', meta + reports + rest);
        })
        .join(''),
    );
  }
  return generic(key, v);
}

/** One event element; its user-extension prefixes are declared on it. */
export function eventXml(event: JsonObject): string {
  const type = text(event.type ?? 'ObjectEvent');
  const namespaces: Record<string, string> = {};
  for (const part of listOf(event['@context'])) {
    if (!isObject(part)) continue;
    for (const [prefix, iri] of Object.entries(part)) {
      if (!prefix.startsWith('@') && typeof iri === 'string') namespaces[prefix] = iri;
    }
  }
  const used = new Set<string>();
  const collect = (v: JsonValue) => {
    if (Array.isArray(v)) v.forEach(collect);
    else if (isObject(v)) {
      for (const [k, child] of Object.entries(v)) {
        const colon = k.indexOf(':');
        if (colon > 0) used.add(k.slice(0, colon));
        collect(child);
      }
    }
  };
  collect(event);
  const decls = [...used]
    .map((p) => [p, namespaces[p] ?? standardPrefixes[p]] as const)
    .filter(([, iri]) => iri !== undefined)
    .map(([p, iri]) => ` xmlns:${p}="${escapeXml(iri!)}"`)
    .join('');
  const order = orderFor(type);
  const parts: string[] = [];
  for (const key of order) if (event[key] !== undefined) parts.push(field(key, event[key]));
  for (const [key, v] of Object.entries(event)) {
    if (key === 'type' || key.startsWith('@') || order.includes(key)) continue;
    parts.push(generic(key, v));
  }
  return el(type, parts.join(''), decls);
}

export function queryDocumentXml(doc: JsonObject): string {
  const results = (doc.epcisBody as JsonObject).queryResults as JsonObject;
  const events = listOf((results.resultsBody as JsonObject).eventList).filter(isObject);
  const head =
    leaf('queryName', results.queryName ?? 'SimpleEventQuery') +
    (results.subscriptionID === undefined ? '' : leaf('subscriptionID', results.subscriptionID));
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<epcisq:EPCISQueryDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:epcisq="urn:epcglobal:epcis-query:xsd:2" schemaVersion="2.0" creationDate="${escapeXml(text(doc.creationDate ?? new Date().toISOString()))}">` +
    `<EPCISBody><epcisq:QueryResults>${head}<resultsBody><EventList>${events.map(eventXml).join('')}</EventList></resultsBody></epcisq:QueryResults></EPCISBody>` +
    '</epcisq:EPCISQueryDocument>\n'
  );
}
