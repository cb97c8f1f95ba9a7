/**
 * GS1 Digital Link URIs (GS1 Digital Link Standard: URI Syntax 1.2+): any host, an optional path
 * prefix, then the primary key and its qualifiers as AI/value pairs; data attributes in the query.
 */
import { aiSpecs, encodeDlValue, percentDecode } from './ais';
import { Gs1Error, quote } from './errors';
import { aiOrder, Gs1Key, keyFromAis, primaryKeys, qualifierNames } from './keys';

export const canonicalHost = 'https://id.gs1.org';

const uriShape = /^https?:\/\/[^/?#\s]+(\/[^?#]*)?(\?[^#]*)?(#.*)?$/i;
const primaryByName = new Map(Object.entries(primaryKeys).map(([ai, k]) => [k.name, ai]));

function primaryAiOf(segment: string): string | undefined {
  return primaryKeys[segment] ? segment : primaryByName.get(segment);
}
function qualifierAiOf(segment: string): string {
  return qualifierNames[segment] ?? segment;
}

/** Where in the path the key starts, or -1: the first primary key followed by valid qualifier pairs. */
function keyStart(segments: string[]): number {
  for (let i = 0; i < segments.length - 1; i++) {
    const primary = primaryAiOf(segments[i]);
    if (primary === undefined || (segments.length - i) % 2 !== 0) continue;
    const allowed = primaryKeys[primary].qualifiers;
    let ok = true;
    for (let j = i + 2; j < segments.length; j += 2) ok &&= allowed.includes(qualifierAiOf(segments[j]));
    if (ok) return i;
  }
  return -1;
}

/**
 * True when the input is an http(s) URI whose path names a GS1 primary key with a plausible value:
 * used to tell a broken Digital Link (an error) from an ordinary web address (not a GS1 key).
 */
export function looksLikeDigitalLink(input: string): boolean {
  const m = uriShape.exec(input);
  if (!m) return false;
  const segments = (m[1] ?? '').split('/').filter((s) => s !== '');
  return segments.some((s, i) => {
    const ai = primaryAiOf(s);
    const next = segments[i + 1];
    if (ai === undefined || next === undefined) return false;
    // Numeric keys need at least 8 digits (a GTIN-8); alphanumeric ones (GIAI, GINC, CPI) only on id.gs1.org.
    const numeric = aiSpecs.get(ai)?.parts[0].cset === 'N';
    return numeric ? /^\d{8,}/.test(next) : /^https?:\/\/id\.gs1\.org\//i.test(input);
  });
}

export function parseDigitalLink(input: string): Gs1Key {
  const m = uriShape.exec(input);
  if (!m) throw new Gs1Error('GS1_SYNTAX', `not an http(s) URI: ${quote(input)}`);
  const segments = (m[1] ?? '').split('/');
  while (segments[0] === '') segments.shift();
  if (segments[segments.length - 1] === '') segments.pop();
  const start = keyStart(segments);
  if (start < 0) {
    throw new Gs1Error('GS1_SYNTAX', `no GS1 key path (e.g. /01/{gtin}/21/{serial}) in ${quote(input)}`);
  }
  const entries: [string, string][] = [];
  for (let j = start; j < segments.length; j += 2) {
    const ai = j === start ? (primaryAiOf(segments[j]) as string) : qualifierAiOf(segments[j]);
    let value = percentDecode(segments[j + 1], input);
    // Digital Link allows GTIN-8/12/13 in the path; the key is always GTIN-14.
    if (ai === '01' && /^(\d{8}|\d{12}|\d{13})$/.test(value)) value = value.padStart(14, '0');
    entries.push([ai, value]);
  }
  // Query parameters that are AIs are data attributes; anything else (utm_..., linkType) is not ours.
  for (const pair of (m[2] ?? '').slice(1).split('&')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const ai = pair.slice(0, eq);
    if (!aiSpecs.has(ai) || primaryKeys[ai] || entries.some(([a]) => a === ai)) continue;
    if (primaryKeys[entries[0][0]].qualifiers.includes(ai)) {
      throw new Gs1Error(
        'GS1_SYNTAX',
        `key qualifier (${ai}) belongs in the path, not the query: ${quote(input)}`,
      );
    }
    entries.push([ai, percentDecode(pair.slice(eq + 1).replace(/\+/g, ' '), input)]);
  }
  return keyFromAis(entries, input);
}

export interface DigitalLinkOptions {
  /**
   * The constrained form the CBV 2.0 event hash uses: only the finest identification level, so a
   * serial drops the lot, and no consumer product variant (22).
   */
  eventHash?: boolean;
  /** Append data attributes (non-key AIs) as a query string. */
  attributes?: boolean;
}

export function formatDigitalLink(
  key: Gs1Key,
  { eventHash = false, attributes = false }: DigitalLinkOptions = {},
): string {
  const qualifiers = primaryKeys[key.primaryAi].qualifiers;
  let path = '';
  const query: string[] = [];
  for (const ai of aiOrder(key)) {
    const value = key.ai[ai];
    if (ai === key.primaryAi || qualifiers.includes(ai)) {
      if (eventHash && (ai === '22' || (ai === '10' && key.ai['21'] !== undefined))) continue;
      path += `/${ai}/${encodeDlValue(value)}`;
    } else if (attributes) {
      query.push(`${ai}=${encodeDlValue(value)}`);
    }
  }
  return `${canonicalHost}${path}${query.length ? `?${query.join('&')}` : ''}`;
}
