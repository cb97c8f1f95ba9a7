/**
 * GS1 keys in every notation the pipeline meets (EPC URIs, GS1 Digital Link URIs, element
 * strings), validated and converted. The canonical form of an identifier is its Digital Link on
 * id.gs1.org; it is what the journey store indexes and what the EPCIS event hash feeds on.
 */
import type { Identifier } from '../events';
import { hasValidCheckDigit } from './checkDigit';
import {
  canonicalHost,
  DigitalLinkOptions,
  formatDigitalLink,
  looksLikeDigitalLink,
  parseDigitalLink,
} from './digitalLink';
import {
  ElementStringOptions,
  formatElementString,
  GS,
  looksLikeElementString,
  parseElementString,
} from './elementString';
import { EpcOptions, formatEpcUri, looksLikeEpcUri, parseEpcUri } from './epc';
import { Gs1Error, quote } from './errors';
import type { Gs1Key } from './keys';

export { gs1CheckDigit, hasValidCheckDigit } from './checkDigit';
export { Gs1Error, gs1ErrorCodes } from './errors';
export type { Gs1ErrorCode } from './errors';
export { aiOrder } from './keys';
export type { Gs1Key, Gs1Scheme, PatternScheme } from './keys';
export type { DigitalLinkOptions, ElementStringOptions, EpcOptions };
export { GS } from './elementString';

/** Parses an EPC URI, a GS1 Digital Link URI or a GS1 element string; throws Gs1Error. */
export function parseGs1(input: string): Gs1Key {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new Gs1Error('GS1_SYNTAX', `empty GS1 key ${quote(String(input))}`);
  }
  // Whitespace is never part of a GS1 key; XML text content often carries it around one.
  input = input.trim();
  if (/^urn:/i.test(input)) {
    if (looksLikeEpcUri(input)) return parseEpcUri(input);
    throw new Gs1Error('GS1_UNSUPPORTED', `URN is not an EPC URI (urn:epc:...): ${quote(input)}`);
  }
  if (/^https?:/i.test(input)) return parseDigitalLink(input);
  if (/^[\d(\]]/.test(input) || input.startsWith(GS)) return parseElementString(input);
  throw new Gs1Error('GS1_SYNTAX', `not an EPC URI, GS1 Digital Link or element string: ${quote(input)}`);
}

function keyOf(input: string | Gs1Key): Gs1Key {
  return typeof input === 'string' ? parseGs1(input) : input;
}

/** The canonical Digital Link: https://id.gs1.org/, primary key, qualifiers in standard order. */
export function toDigitalLink(input: string | Gs1Key, opts?: DigitalLinkOptions): string {
  if (typeof input !== 'string' || opts !== undefined) return formatDigitalLink(keyOf(input), opts);
  const sscc = ssccStart(input);
  if (sscc >= 0) return sscc === ssccLinkHead.length ? input : ssccLinkHead + input.slice(sscc);
  const fast = viaSerialTemplate(input);
  if (fast) return fast.template.link + fast.serial;
  const cached = linkCache.get(input);
  if (cached !== undefined) return cached;
  const link = formatDigitalLink(parseGs1(input));
  remember(linkCache, input, link);
  return link;
}

/*
 * Every event names its units and places again, and the sources build and re-parse the same keys
 * (an adapter writes a unit's Digital Link, the mapping parses it back into an Identifier): that
 * parsing was a seventh of the validator's CPU. Two memos, each giving what the full parse gives:
 *
 * - a serialised unit (SGTIN) whose serial is plain (1-20 letters or digits: valid in AI 21 and
 *   escaped in no notation) differs from the other units of its GTIN, lot and notation only in its
 *   serial, so the key without the serial (the "head") is parsed once, with a probe serial, and
 *   the results are that head's template followed by the serial (checked against the full parse
 *   in gs1.test.ts);
 * - any other key (locations, containers, classes) is kept by its text, as they repeat.
 *
 * Both are bounded (cleared when full); a key that fails to parse is never kept (it throws again).
 */
interface SerialTemplate {
  /** toDigitalLink's result for head + serial, without the serial. */
  link: string;
  /** toIdentifier's uri for head + serial (the identity form), without the serial. */
  identity: string;
  gtin: string | null;
  lot: string | null;
}
const MEMO_LIMIT = 20_000;
const PROBE_SERIAL = '0';
const plainSerial = /^[0-9A-Za-z]{1,20}$/;
const serialTemplates = new Map<string, SerialTemplate | null>();
const linkCache = new Map<string, string>();
const identifierCache = new Map<string, Identifier>();

function remember<V>(memo: Map<string, V>, key: string, value: V): void {
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, value);
}

/** Where the serial starts in an SGTIN written in one of the three notations, or -1. */
function serialStart(input: string): number {
  if (input.startsWith('(01)')) return input.startsWith('(21)', 18) ? 22 : -1;
  if (input.startsWith('https://id.gs1.org/01/')) {
    const at = input.lastIndexOf('/21/');
    return at < 0 ? -1 : at + 4;
  }
  if (input.startsWith('urn:epc:id:sgtin:')) return input.lastIndexOf('.') + 1;
  return -1;
}

function viaSerialTemplate(input: string): { template: SerialTemplate; serial: string } | undefined {
  const cut = serialStart(input);
  if (cut <= 17) return undefined;
  const serial = input.slice(cut);
  if (!plainSerial.test(serial)) return undefined;
  const head = input.slice(0, cut);
  let template = serialTemplates.get(head);
  if (template === undefined) {
    template = probeTemplate(head);
    remember(serialTemplates, head, template);
  }
  return template === null ? undefined : { template, serial };
}

/**
 * The identity form (toIdentifier's uri, the event hash's form) of a serialised unit with a plain
 * serial, from its head's template; undefined for any other key (ask the full parse).
 */
export function serialIdentityLink(input: string): string | undefined {
  const fast = viaSerialTemplate(input);
  return fast && fast.template.identity + fast.serial;
}

/** The head's template, from the full parse of head + a probe serial; null when it is not one. */
function probeTemplate(head: string): SerialTemplate | null {
  let key: Gs1Key;
  try {
    key = parseGs1(head + PROBE_SERIAL);
  } catch {
    return null;
  }
  if (key.scheme !== 'sgtin' || key.serial !== PROBE_SERIAL) return null;
  const link = formatDigitalLink(key);
  const identity = formatDigitalLink(key, { eventHash: true });
  const tail = `/21/${PROBE_SERIAL}`;
  if (!link.endsWith(tail) || !identity.endsWith(tail)) return null;
  return {
    link: link.slice(0, -PROBE_SERIAL.length),
    identity: identity.slice(0, -PROBE_SERIAL.length),
    gtin: key.gtin ?? null,
    lot: key.lot ?? null,
  };
}

/*
 * An SSCC names one case or pallet, met in the few events of its journey: most are new to the
 * memos above and took the full parse (the notation's regular expressions, the AI table, a Gs1Key,
 * the formatter; about 5 us, against 0.4-0.6 here). The two shapes the sources write it in, `(00)`
 * and its 18 digits and the canonical Digital Link made of that, are read here by character codes,
 * for toIdentifier and toDigitalLink. Only an SSCC with a good check digit is read so; anything
 * else, a bad check digit included, goes to the full parse, which says what is wrong with it
 * (sscc.test.ts checks both give the same).
 */
const ssccLinkHead = `${canonicalHost}/00/`;

/**
 * Where the 18 digits start in `(00){sscc}` or `https://id.gs1.org/00/{sscc}` with a good check
 * digit, else -1.
 */
function ssccStart(input: string): number {
  const at = input.startsWith('(00)') ? 4 : input.startsWith(ssccLinkHead) ? ssccLinkHead.length : -1;
  return at >= 0 && input.length === at + 18 && hasValidCheckDigit(input.slice(at)) ? at : -1;
}

/**
 * toIdentifier of an SSCC written `(00){sscc}` or `https://id.gs1.org/00/{sscc}` with a good
 * check digit, without the full parse; undefined for any other input.
 */
export function ssccIdentifier(input: string): Identifier | undefined {
  const at = ssccStart(input);
  if (at < 0) return undefined;
  const sscc = input.slice(at);
  const uri = at === ssccLinkHead.length ? input : ssccLinkHead + sscc;
  const original = input === uri ? null : input;
  return { uri, scheme: 'sscc', gtin: null, serial: null, lot: null, sscc, original };
}

/**
 * The EPC URI (pure identity, lgtin class or ID pattern). Needs the GS1 Company Prefix length
 * unless the input was an EPC URI itself.
 */
export function toEpcUrn(input: string | Gs1Key, opts: EpcOptions = {}): string {
  return formatEpcUri(keyOf(input), opts);
}

/** `(01)09506000134352(21)12345`, or with `brackets: false` the FNC1-separated barcode data. */
export function toElementString(input: string | Gs1Key, opts?: ElementStringOptions): string {
  return formatElementString(keyOf(input), opts);
}

export function isGs1Key(input: string): boolean {
  try {
    parseGs1(input);
    return true;
  } catch (err) {
    if (err instanceof Gs1Error) return false;
    throw err;
  }
}

/**
 * The Identifier an event carries. A value that is not meant as a GS1 key (a web address, a
 * urn:uuid, a non-GS1 EPC such as gid) is kept as it is with scheme 'other'; one that is meant as
 * a GS1 key but is broken (a bad check digit) throws Gs1Error, so the event goes to the DLQ.
 */
export function toIdentifier(input: string): Identifier {
  const sscc = ssccIdentifier(input);
  if (sscc) return sscc;
  const fast = viaSerialTemplate(input);
  if (fast) {
    const { template, serial } = fast;
    const uri = template.identity + serial;
    const original = input === uri ? null : input;
    return { uri, scheme: 'sgtin', gtin: template.gtin, serial, lot: template.lot, sscc: null, original };
  }
  const cached = identifierCache.get(input);
  if (cached !== undefined) return { ...cached };
  const id = parsedIdentifier(input);
  remember(identifierCache, input, { ...id });
  return id;
}

/** toIdentifier without its memos: the full parse. */
export function parsedIdentifier(input: string): Identifier {
  let key: Gs1Key;
  try {
    key = parseGs1(input);
  } catch (err) {
    if (err instanceof Gs1Error && !meantAsGs1Key(input, err)) {
      return { uri: input, scheme: 'other', gtin: null, serial: null, lot: null, sscc: null, original: null };
    }
    throw err;
  }
  // The identity of a serialised item is GTIN + serial (as in its EPC URN): a lot or variant
  // written alongside must not make a second URI for the same unit, so `uri` takes the
  // identity form and the lot stays in its own field.
  const uri = formatDigitalLink(key, { eventHash: true });
  return {
    uri,
    scheme: key.scheme,
    gtin: key.gtin ?? null,
    serial: key.serial ?? null,
    lot: key.lot ?? null,
    sscc: key.sscc ?? null,
    original: input === uri ? null : input,
  };
}

function meantAsGs1Key(input: string, err: Gs1Error): boolean {
  if (looksLikeEpcUri(input)) return err.code !== 'GS1_UNSUPPORTED';
  if (/^https?:/i.test(input)) return looksLikeDigitalLink(input);
  return looksLikeElementString(input);
}
