/**
 * GS1 keys in every notation the pipeline meets (EPC URIs, GS1 Digital Link URIs, element
 * strings), validated and converted. The canonical form of an identifier is its Digital Link on
 * id.gs1.org; it is what the journey store indexes and what the EPCIS event hash feeds on.
 */
import type { Identifier } from '../events';
import { DigitalLinkOptions, formatDigitalLink, looksLikeDigitalLink, parseDigitalLink } from './digitalLink';
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
  return formatDigitalLink(keyOf(input), opts);
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
