/**
 * EPCIS 1.2 and 2.0 XML documents → EPCIS 2.0 JSON-LD events (see event.ts). The XML binding is
 * rewritten field by field into the JSON binding: `<epcList><epc>` → `epcList: [...]`,
 * `<bizTransaction type=..>` → `{type, bizTransaction}`, sensor attributes → properties, 1.2
 * `<extension>` / `<baseExtension>` wrappers dissolved. Elements in other namespaces are user
 * extensions: they keep their prefix, and the event's `@context` maps it to the namespace.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { isEventType, contextFor, type EpcisEvent, type JsonObject, type JsonValue } from './event';
import { epcisError } from './errors';
import { checkXmlCharacters, checkXmlDepth } from './guard';
import { ignoreFieldsNamespace, textKey } from './hash';

interface XmlElement {
  /** Namespace URI, '' for none. */
  ns: string;
  prefix: string;
  local: string;
  attributes: { ns: string; prefix: string; local: string; value: string }[];
  children: XmlElement[];
  text: string;
  line: number;
  /** `xsi:nil="true"`: the element stands for no value (XML Schema 1.0 §2.6.2); it is left out. */
  nil: boolean;
}

const xsiNamespace = 'http://www.w3.org/2001/XMLSchema-instance';

/** Attributes that carry data: xsi:type, xsi:nil and the like only say how a value is written. */
function dataAttributes(el: XmlElement): XmlElement['attributes'] {
  return el.attributes.filter((a) => a.ns !== xsiNamespace);
}

/** Child elements that hold a value (xsi:nil ones do not). */
function present(children: XmlElement[]): XmlElement[] {
  return children.some((c) => c.nil) ? children.filter((c) => !c.nil) : children;
}

/** The EPCIS, EPCIS query and EPCglobal namespaces: elements in them are standard fields. */
function isStandardNamespace(ns: string): boolean {
  return ns === '' || ns.startsWith('urn:epcglobal:epcis') || ns === 'urn:epcglobal:xsd:1';
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  captureMetaData: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});
const metaData = XMLParser.getMetaDataSymbol() as unknown as symbol;

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

/** `<!DOCTYPE EPCISDocument>`: a name and nothing else, as GS1's own examples carry. */
const bareDoctype = /<!DOCTYPE\s+[A-Za-z_][\w.:-]*\s*>/;

export function parseXmlDocument(text: string): EpcisEvent[] {
  let xml = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  checkXmlCharacters(xml);
  const doctype = /<!DOCTYPE/i.exec(xml);
  if (doctype !== null) {
    // Only a bare name is harmless: an internal subset ([...], ENTITY declarations) or an external
    // identifier (SYSTEM, PUBLIC) is how entity expansion and external entity attacks start.
    const bare = bareDoctype.exec(xml);
    if (bare === null || bare.index !== doctype.index || /<!DOCTYPE/i.test(xml.slice(doctype.index + 9))) {
      throw epcisError(
        'EPCIS_MALFORMED',
        'XML with a DOCTYPE that has an internal subset, ENTITY declarations or an external identifier is not accepted (a bare <!DOCTYPE name> is)',
      );
    }
    // Blanked, not cut, so that line numbers in messages stay right.
    xml = xml.slice(0, bare.index) + ' '.repeat(bare[0].length) + xml.slice(bare.index + bare[0].length);
  }
  checkXmlDepth(xml);
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { line, col, msg } = valid.err;
    throw epcisError('EPCIS_MALFORMED', `XML is not well-formed at line ${line}, column ${col}: ${msg}`);
  }
  const lineStarts = [0];
  for (let i = xml.indexOf('\n'); i >= 0; i = xml.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const root = toElements(parser.parse(xml) as OrderedNode[], new Map(), lineStarts)[0];
  if (root === undefined) throw epcisError('EPCIS_MALFORMED', 'XML document has no root element');

  let eventElements: XmlElement[];
  if (isEventType(root.local) && isStandardNamespace(root.ns)) {
    eventElements = [root];
  } else if (root.local === 'EPCISDocument' || root.local === 'EPCISQueryDocument') {
    const eventList = findEventList(root);
    if (eventList === undefined) {
      throw epcisError(
        'EPCIS_MALFORMED',
        `<${root.local}> at line ${root.line} has no EventList (expected EPCISBody/EventList or EPCISBody/QueryResults/resultsBody/EventList)`,
      );
    }
    eventElements = dissolveExtensions(eventList.children);
  } else {
    throw epcisError(
      'EPCIS_UNSUPPORTED_TYPE',
      `root element <${qname(root)}> at line ${root.line} is not an EPCISDocument, EPCISQueryDocument or EPCIS event`,
    );
  }

  const prefixes = new PrefixTable();
  const ignore = ignoreFieldsOf(root, prefixes);
  const events: EpcisEvent[] = [];
  eventElements.forEach((el, i) => {
    if (!isEventType(el.local) || !isStandardNamespace(el.ns)) {
      throw epcisError(
        'EPCIS_UNSUPPORTED_TYPE',
        `event #${i + 1} at line ${el.line}: <${qname(el)}> is not one of ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent, AssociationEvent`,
      );
    }
    const event = convertEvent(el, prefixes);
    if (ignore !== undefined && event[ignore[0]] === undefined) event[ignore[0]] = [...ignore[1]];
    events.push(event);
  });
  const context = contextFor(prefixes.used);
  for (const event of events) event['@context'] = context;
  return events;
}

/**
 * The reference implementation's document-level `<repository-x:ignoreFields>` (its own extension,
 * not part of EPCIS): the elements listed in it name top-level event fields left out of the hash.
 * Each event carries the list under the same key, as a JSON-LD event would (parse.ts).
 */
function ignoreFieldsOf(root: XmlElement, prefixes: PrefixTable): [string, string[]] | undefined {
  const list = root.children.find((c) => c.ns === ignoreFieldsNamespace && c.local === 'ignoreFields');
  if (list === undefined) return undefined;
  const fields = list.children.map((c) =>
    isStandardNamespace(c.ns) ? c.local : prefixes.keyFor(c.prefix, c.ns, c.local),
  );
  return [prefixes.keyFor(list.prefix, list.ns, list.local), fields];
}

/** Line of each event element, for error messages: `line 12`. */
export function xmlLineOf(event: EpcisEvent): number | undefined {
  return xmlLines.get(event);
}
const xmlLines = new WeakMap<EpcisEvent, number>();

function toElements(nodes: OrderedNode[], scope: Map<string, string>, lineStarts: number[]): XmlElement[] {
  const out: XmlElement[] = [];
  for (const node of nodes) {
    const name = Object.keys(node).find((k) => k !== ':@' && k !== '#text');
    if (name === undefined || name.startsWith('?') || name === '#comment') continue;
    const attrs = node[':@'] ?? {};
    let inner = scope;
    for (const [attr, value] of Object.entries(attrs)) {
      if (attr === 'xmlns' || attr.startsWith('xmlns:')) {
        if (inner === scope) inner = new Map(scope);
        inner.set(attr === 'xmlns' ? '' : attr.slice(6), value);
      }
    }
    const [prefix, local] = splitName(name);
    const attributes: XmlElement['attributes'] = [];
    for (const [attr, value] of Object.entries(attrs)) {
      if (attr === 'xmlns' || attr.startsWith('xmlns:')) continue;
      const [p, l] = splitName(attr);
      // Unprefixed attributes are in no namespace (XML Namespaces 1.0, section 6.2).
      attributes.push({ ns: p === '' ? '' : (inner.get(p) ?? ''), prefix: p, local: l, value });
    }
    const childNodes = (node[name] as OrderedNode[] | undefined) ?? [];
    let text = '';
    for (const c of childNodes) if (typeof c['#text'] === 'string') text += c['#text'];
    const meta = (node as Record<symbol, { startIndex?: number } | undefined>)[metaData];
    const nil = attributes.some(
      (a) =>
        a.ns === xsiNamespace && a.local === 'nil' && (a.value.trim() === 'true' || a.value.trim() === '1'),
    );
    out.push({
      ns: inner.get(prefix) ?? '',
      prefix,
      local,
      attributes,
      children: toElements(childNodes, inner, lineStarts),
      text: text.trim(),
      line: lineOf(meta?.startIndex ?? 0, lineStarts),
      nil,
    });
  }
  return out;
}

function lineOf(index: number, lineStarts: number[]): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid] <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

function splitName(name: string): [string, string] {
  const colon = name.indexOf(':');
  return colon < 0 ? ['', name] : [name.slice(0, colon), name.slice(colon + 1)];
}

function qname(el: XmlElement): string {
  return el.prefix === '' ? el.local : `${el.prefix}:${el.local}`;
}

function findEventList(el: XmlElement): XmlElement | undefined {
  for (const child of el.children) {
    if (!isStandardNamespace(child.ns)) continue;
    if (child.local === 'EventList') return child;
    const found = findEventList(child);
    if (found) return found;
  }
  return undefined;
}

/** EPCIS 1.x wraps newer fields (and TransformationEvent) in <extension> / <baseExtension>. */
function dissolveExtensions(children: XmlElement[]): XmlElement[] {
  const kept = present(children);
  if (!kept.some(isWrapper)) return kept;
  return kept.flatMap((c) => (isWrapper(c) ? dissolveExtensions(c.children) : [c]));
}

function isWrapper(el: XmlElement): boolean {
  return (el.local === 'extension' || el.local === 'baseExtension') && isStandardNamespace(el.ns);
}

/** Prefixes for user-extension namespaces: the document's own where they are unambiguous. */
class PrefixTable {
  readonly used: Record<string, string> = {};
  private readonly byNamespace = new Map<string, string>();

  keyFor(prefix: string, ns: string, local: string): string {
    let p = this.byNamespace.get(ns);
    if (p === undefined) {
      p = prefix === '' ? 'ns' : prefix;
      for (let i = 2; this.used[p] !== undefined; i++) p = `${prefix || 'ns'}${i}`;
      this.used[p] = ns;
      this.byNamespace.set(ns, p);
    }
    return `${p}:${local}`;
  }
}

const epcListFields = new Set(['epcList', 'childEPCs', 'inputEPCList', 'outputEPCList']);
const quantityListFields = new Set([
  'quantityList',
  'childQuantityList',
  'inputQuantityList',
  'outputQuantityList',
]);
const typedListFields: Record<string, string> = {
  bizTransactionList: 'bizTransaction',
  sourceList: 'source',
  destinationList: 'destination',
};
const numericSensorAttributes = new Set([
  'value',
  'minValue',
  'maxValue',
  'meanValue',
  'sDev',
  'percRank',
  'percValue',
]);

function convertEvent(el: XmlElement, prefixes: PrefixTable): EpcisEvent {
  const event: JsonObject = { type: el.local };
  for (const child of dissolveExtensions(el.children)) {
    if (!isStandardNamespace(child.ns)) {
      add(event, prefixes.keyFor(child.prefix, child.ns, child.local), convertGeneric(child, prefixes));
      continue;
    }
    const field = child.local;
    const kids = dissolveExtensions(child.children);
    if (epcListFields.has(field)) {
      event[field] = kids.filter((k) => k.local === 'epc').map((k) => k.text);
    } else if (quantityListFields.has(field)) {
      event[field] = kids.map((k) => convertStructured(k, prefixes, quantityValue));
    } else if (field in typedListFields) {
      const valueKey = typedListFields[field];
      event[field] = kids.map((k) => {
        const item: JsonObject = {};
        const type = k.attributes.find((a) => a.local === 'type' && a.ns === '');
        if (type) item.type = type.value.trim();
        item[valueKey] = k.text;
        return item;
      });
    } else if (field === 'readPoint' || field === 'bizLocation' || field === 'errorDeclaration') {
      event[field] = convertStructured(child, prefixes);
    } else if (field === 'persistentDisposition') {
      const pd: JsonObject = {};
      for (const k of kids) add(pd, k.local, k.text, true);
      event[field] = pd;
    } else if (field === 'sensorElementList') {
      event[field] = kids.map((k) => convertStructured(k, prefixes, sensorValue));
    } else if (field === 'ilmd') {
      event[field] = convertStructured(child, prefixes);
    } else if (kids.length > 0 || dataAttributes(child).length > 0) {
      add(event, field, convertGeneric(child, prefixes));
    } else {
      add(event, field, child.text);
    }
  }
  const result = event as EpcisEvent;
  xmlLines.set(result, el.line);
  return result;
}

type LeafConverter = (key: string, text: string) => JsonValue;

const quantityValue: LeafConverter = (key, text) => (key === 'quantity' ? numberOr(text) : text);

const sensorValue: LeafConverter = (key, text) => {
  if (numericSensorAttributes.has(key)) return numberOr(text);
  if (key === 'booleanValue')
    return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : text;
  return text;
};

function numberOr(text: string): JsonValue {
  const n = Number(text);
  return text !== '' && Number.isFinite(n) ? n : text;
}

/**
 * A standard structure (readPoint, quantityElement, sensorElement, errorDeclaration, ilmd...):
 * attributes and child elements become properties; lists written as repeated elements become arrays;
 * `correctiveEventIDs/correctiveEventID` becomes a list.
 */
function convertStructured(
  el: XmlElement,
  prefixes: PrefixTable,
  leaf: LeafConverter = (_k, t) => t,
): JsonObject {
  const obj: JsonObject = {};
  for (const a of el.attributes) {
    if (a.ns === 'http://www.w3.org/2001/XMLSchema-instance') continue;
    const key = isStandardNamespace(a.ns) ? a.local : prefixes.keyFor(a.prefix, a.ns, a.local);
    obj[key] = isStandardNamespace(a.ns) ? leaf(a.local, a.value.trim()) : a.value.trim();
  }
  for (const child of dissolveExtensions(el.children)) {
    if (!isStandardNamespace(child.ns)) {
      add(obj, prefixes.keyFor(child.prefix, child.ns, child.local), convertGeneric(child, prefixes));
    } else if (child.local === 'correctiveEventIDs') {
      obj.correctiveEventIDs = present(child.children).map((c) => c.text);
    } else if (child.local === 'sensorMetadata') {
      obj.sensorMetadata = convertStructured(child, prefixes, leaf);
    } else if (child.local === 'sensorReport') {
      add(obj, 'sensorReport', convertStructured(child, prefixes, leaf), true);
    } else if (present(child.children).length > 0 || dataAttributes(child).length > 0) {
      const inner = convertStructured(child, prefixes, leaf);
      if (child.text !== '') inner[textKey] = child.text;
      add(obj, child.local, inner);
    } else {
      add(obj, child.local, leaf(child.local, child.text));
    }
  }
  return obj;
}

/**
 * A user-extension element: its text, or an object of its attributes, children and - when it has
 * text beside them - the text under `#text` (as the reference implementation reads JSON), so that
 * the value is in the event and in its hash. xsi:* attributes are not data and are not kept.
 */
function convertGeneric(el: XmlElement, prefixes: PrefixTable): JsonValue {
  const attributes = dataAttributes(el);
  const children = present(el.children);
  if (children.length === 0 && attributes.length === 0) return el.text;
  const obj: JsonObject = {};
  for (const a of attributes) {
    obj[a.ns === '' ? a.local : prefixes.keyFor(a.prefix, a.ns, a.local)] = a.value.trim();
  }
  if (el.text !== '') obj[textKey] = el.text;
  for (const child of children) {
    const key = child.ns === '' ? child.local : prefixes.keyFor(child.prefix, child.ns, child.local);
    add(obj, key, convertGeneric(child, prefixes));
  }
  return obj;
}

/** Sets a property; a second value with the same key turns it into an array (repeated XML elements). */
function add(obj: JsonObject, key: string, value: JsonValue, alwaysList = false): void {
  const existing = obj[key];
  if (existing === undefined) obj[key] = alwaysList ? [value] : value;
  else if (Array.isArray(existing) && (alwaysList || repeated.has(existing))) existing.push(value);
  else {
    const list = [existing, value];
    repeated.add(list);
    obj[key] = list;
  }
}
const repeated = new WeakSet<JsonValue[]>();
