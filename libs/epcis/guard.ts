/**
 * Input refused at the door: what no stage downstream can store or process correctly, checked
 * before the expensive work (schema validation, GS1 key parsing, hashing) so that a hostile
 * document costs little and is answered with its reason instead of a 500 or a stalled partition.
 *
 * - text: NUL (PostgreSQL text and jsonb cannot hold it) and lone UTF-16 surrogates (no UTF-8 form:
 *   they would be stored as U+FFFD, i.e. altered);
 * - numbers: only finite ones (JSON `1e400` parses to Infinity); quantities not negative;
 * - nesting: at most `maxDepth` levels, checked on the raw text before it is parsed (a parser and
 *   every recursive walk after it would otherwise run out of stack);
 * - identifiers: at most `maxIdentifierChars` characters (GS1 keys are far shorter; the limit is
 *   for other URIs, and keeps them indexable), at most `maxIdentifiersPerEvent` per event;
 * - date-times: real calendar instants (canonical-values.ts readTimestamp).
 * The limits are documented in docs/input.md.
 */
import type { JsonValue } from './event';
import { epcisError } from './errors';

export const inputLimits = {
  /** Objects and arrays nested in a document (an EPCIS event itself needs about 8). */
  maxDepth: 64,
  /** Characters in one identifier (EPC, class, location, business transaction, eventID, ...). */
  maxIdentifierChars: 2_000,
  /** EPCs, child EPCs, inputs, outputs and quantity elements of one event together. */
  maxIdentifiersPerEvent: 10_000,
  /** Events in one document. */
  maxEventsPerDocument: 10_000,
  /** Items of any one list (JSON array, or child elements of one XML element), checked while reading. */
  maxListItems: 10_000,
} as const;

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a text cannot be stored as it is (NUL, a lone surrogate), or null. */
export function textProblem(text: string): string | null {
  const nul = text.indexOf('\u0000');
  if (nul >= 0) return `contains NUL (U+0000) at character ${nul + 1}`;
  // Every key and string of every record comes here: the native well-formedness test answers for
  // almost all of them, and only a text that has a lone surrogate pays for finding where it is.
  if (isWellFormed(text)) return null;
  const lone = loneSurrogate.exec(text);
  if (lone !== null) {
    const c = text.charCodeAt(lone.index);
    return `contains a lone surrogate U+${c.toString(16).toUpperCase()} at character ${lone.index + 1} (not Unicode text)`;
  }
  return null;
}

/** String.prototype.isWellFormed (Node 20; the ES2022 typings do not have it): no lone surrogate. */
const isWellFormed = (text: string): boolean =>
  (text as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * Refuses JSON text nested deeper than `maxDepth`, by counting brackets outside strings: linear,
 * no recursion, before JSON.parse and anything that walks the parsed value.
 */
export function checkJsonDepth(text: string, maxDepth: number = inputLimits.maxDepth): void {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // Jump to the closing quote: one not preceded by an odd number of backslashes.
      let end = text.indexOf('"', i + 1);
      while (end > 0) {
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === 92 /* \ */) backslashes++;
        if (backslashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      if (end < 0) return; // an unterminated string: JSON.parse says where
      i = end;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > maxDepth) throw tooDeep(maxDepth, `character ${i + 1}`);
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
    }
  }
}

/**
 * Refuses XML nested deeper than `maxDepth` elements, by scanning tags (comments, CDATA,
 * processing instructions and quoted attribute values skipped) before the XML parser sees it.
 */
export function checkXmlDepth(text: string, maxDepth: number = inputLimits.maxDepth): void {
  let depth = 0;
  // Children counted per open element, so that one list of 100,000 EPCs is refused before parsing.
  const children: number[] = [0];
  for (let i = text.indexOf('<'); i >= 0; i = text.indexOf('<', i + 1)) {
    const next = text[i + 1];
    let skipTo: string | null = null;
    if (text.startsWith('!--', i + 1)) skipTo = '-->';
    else if (text.startsWith('![CDATA[', i + 1)) skipTo = ']]>';
    else if (next === '?') skipTo = '?>';
    else if (next === '!') skipTo = '>';
    if (skipTo !== null) {
      const end = text.indexOf(skipTo, i + 2);
      if (end < 0) return; // not well-formed: the parser says where
      i = end;
      continue;
    }
    if (next === '/') {
      if (depth > 0) {
        depth--;
        children.pop();
      }
      continue;
    }
    // An opening tag: find its end outside quoted attribute values.
    let j = i + 1;
    let quote = 0;
    for (; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (quote !== 0) {
        if (c === quote) quote = 0;
      } else if (c === 34 || c === 39) quote = c;
      else if (c === 62 /* > */) break;
    }
    if (j >= text.length) return;
    if (++children[depth]! > inputLimits.maxListItems) {
      throw epcisError(
        'INPUT_TOO_LARGE',
        `an element has more than ${inputLimits.maxListItems} child elements (at line ${lineAt(text, i)}); split the document or the event`,
      );
    }
    if (text[j - 1] !== '/') {
      if (++depth > maxDepth) throw tooDeep(maxDepth, `line ${lineAt(text, i)}`);
      children.push(0);
    }
    i = j;
  }
}

function tooDeep(maxDepth: number, where: string) {
  return epcisError(
    'INPUT_TOO_DEEP',
    `the document is nested more than ${maxDepth} levels deep (at ${where}); flatten the user extension`,
  );
}

/**
 * XML 1.0 `Char`: tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF. A character
 * reference to anything else (`&#0;`, `&#xD800;`) or such a character written literally is refused:
 * parsers drop or replace them, which would alter the data.
 */
export function checkXmlCharacters(text: string): void {
  const reference = /&#(x[0-9a-fA-F]+|[0-9]+);/g;
  for (let m = reference.exec(text); m !== null; m = reference.exec(text)) {
    const code = m[1]![0] === 'x' ? parseInt(m[1]!.slice(1), 16) : parseInt(m[1]!, 10);
    if (!isXmlChar(code)) {
      throw epcisError(
        'INPUT_TEXT_INVALID',
        `character reference ${m[0]} at line ${lineAt(text, m.index)} is not an XML character (XML 1.0 §2.2)`,
      );
    }
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0xd800) continue;
    if (c === 9 || c === 10 || c === 13 || (c >= 0xe000 && c <= 0xfffd)) continue;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    throw epcisError(
      'INPUT_TEXT_INVALID',
      `character U+${c.toString(16).toUpperCase().padStart(4, '0')} at line ${lineAt(text, i)} is not allowed in XML`,
    );
  }
}

function isXmlChar(code: number): boolean {
  return (
    code === 9 ||
    code === 10 ||
    code === 13 ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let k = text.indexOf('\n'); k >= 0 && k < index; k = text.indexOf('\n', k + 1)) line++;
  return line;
}

/**
 * Every key and string of a parsed value is storable text, every number finite. `path` names where
 * (a JSON path). Iterative: the value may be as deep as maxDepth allows. Each value visited keeps
 * its parent's index and its own key, so the path text is built only for a value that is refused
 * (every event passes here: building a path for each of its strings was most of this walk's cost).
 */
export function checkValue(value: JsonValue, path = '$'): void {
  const values: JsonValue[] = [value];
  const ups: number[] = [-1];
  const keys: (string | number)[] = [path];
  const where = (at: number): string => placeText(ups, keys, at);
  const pending: number[] = [0];
  while (pending.length > 0) {
    const at = pending.pop()!;
    const v = values[at]!;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem !== null) throw epcisError('INPUT_TEXT_INVALID', `${where(at)} ${problem}`);
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v))
        throw epcisError(
          'INPUT_NUMBER_INVALID',
          `${where(at)} is not a finite number (it overflows a double)`,
        );
    } else if (Array.isArray(v)) {
      if (v.length > inputLimits.maxListItems) {
        throw epcisError(
          'INPUT_TOO_LARGE',
          `${where(at)} lists ${v.length} items; at most ${inputLimits.maxListItems} (split the document or the event)`,
        );
      }
      for (let i = v.length - 1; i >= 0; i--) {
        pending.push(values.length);
        values.push(v[i]!);
        ups.push(at);
        keys.push(i);
      }
    } else if (v !== null && typeof v === 'object') {
      for (const key of Object.keys(v)) {
        const problem = textProblem(key);
        if (problem !== null)
          throw epcisError('INPUT_TEXT_INVALID', `${where(at)}: the key ${JSON.stringify(key)} ${problem}`);
        pending.push(values.length);
        values.push(v[key]!);
        ups.push(at);
        keys.push(key);
      }
    }
  }
}

/** The JSON path of value `at` in checkValue's walk: its parent's path, then `[i]` or `.key`. */
function placeText(ups: number[], keys: (string | number)[], at: number): string {
  const up = ups[at]!;
  const key = keys[at]!;
  if (up < 0) return key as string;
  const parent = placeText(ups, keys, up);
  return typeof key === 'number' ? `${parent}[${key}]` : `${parent}.${key}`;
}

/** Reason codes of input refused whole at the door (the capture API answers 400 for the document). */
export const doorCodes: ReadonlySet<string> = new Set([
  'INPUT_TOO_DEEP',
  'INPUT_TOO_LARGE',
  'INPUT_TEXT_INVALID',
  'INPUT_NUMBER_INVALID',
  'IDENTIFIER_TOO_LONG',
  'TIME_INVALID',
  'QUANTITY_NEGATIVE',
  'SCHEMA_VIOLATION',
]);
