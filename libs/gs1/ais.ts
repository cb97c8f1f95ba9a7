/**
 * The GS1 Application Identifiers this library reads, with their formats (GS1 General
 * Specifications 3.2, "GS1 Application Identifiers in numerical order"), and the character sets
 * and percent-encodings that the notations use for their values.
 */
import { gs1CheckDigit } from './checkDigit';
import { Gs1Error, quote } from './errors';

/** One component of an AI's value: N digits, X GS1 AI encodable character set 82, Y set 39. */
interface Part {
  cset: 'N' | 'X' | 'Y';
  min: number;
  max: number;
  /** The part ends with a GS1 mod-10 check digit. */
  check: boolean;
}

export interface AiSpec {
  ai: string;
  parts: Part[];
  /** Total length when every part is fixed: read without a separator in an element string. */
  fixedLength: number | undefined;
}

// Compact formats as in the General Specifications: `N14c` fixed with check digit, `X1..20` variable
// of 1 to 20, `N..12` optional variable (0 to 12).
const formats: Record<string, string> = {
  '00': 'N18c',
  '01': 'N14c',
  '02': 'N14c',
  '10': 'X1..20',
  '11': 'N6',
  '12': 'N6',
  '13': 'N6',
  '15': 'N6',
  '16': 'N6',
  '17': 'N6',
  '20': 'N2',
  '21': 'X1..20',
  '22': 'X1..20',
  '235': 'X1..28',
  '240': 'X1..30',
  '241': 'X1..30',
  '250': 'X1..30',
  '251': 'X1..30',
  '253': 'N13c X..17',
  '254': 'X1..20',
  '255': 'N13c N..12',
  '30': 'N1..8',
  '37': 'N1..8',
  '400': 'X1..30',
  '401': 'X1..30',
  '402': 'N17c',
  '403': 'X1..30',
  '410': 'N13c',
  '411': 'N13c',
  '412': 'N13c',
  '413': 'N13c',
  '414': 'N13c',
  '415': 'N13c',
  '416': 'N13c',
  '417': 'N13c',
  '420': 'X1..20',
  '421': 'N3 X1..9',
  '422': 'N3',
  '7003': 'N10',
  '7006': 'N6',
  '8003': 'N14c X..16',
  '8004': 'X1..30',
  '8006': 'N14c N2 N2',
  '8010': 'Y1..30',
  '8011': 'N1..12',
  '8017': 'N18c',
  '8018': 'N18c',
  '8019': 'N1..10',
  '8020': 'X1..25',
  '90': 'X1..30',
};
// Trade measures (310n-369n): six digits with an implied decimal point at n.
for (let group = 310; group <= 369; group++) {
  for (let n = 0; n <= 9; n++) formats[`${group}${n}`] ??= 'N6';
}
for (let ai = 91; ai <= 99; ai++) formats[String(ai)] = 'X1..90';

function parseFormat(format: string): Part[] {
  return format.split(' ').map((token) => {
    const m = /^([NXY])(\d*)(\.\.(\d+))?(c?)$/.exec(token);
    if (!m) throw new Error(`bad AI format ${token}`);
    const [, cset, a, range, b, check] = m;
    const min = a === '' ? 0 : Number(a);
    return { cset: cset as Part['cset'], min, max: range ? Number(b) : min, check: check === 'c' };
  });
}

export const aiSpecs: ReadonlyMap<string, AiSpec> = new Map(
  Object.entries(formats).map(([ai, format]) => {
    const parts = parseFormat(format);
    const fixed = parts.every((p) => p.min === p.max);
    return [ai, { ai, parts, fixedLength: fixed ? parts.reduce((n, p) => n + p.max, 0) : undefined }];
  }),
);

/**
 * AIs whose first two digits give a predefined length (General Specifications Figure 7.8.5-2):
 * only these may be followed by another AI without an FNC1 separator.
 */
const predefinedLengthPrefixes = new Set([
  '00',
  '01',
  '02',
  '03',
  '04',
  '11',
  '12',
  '13',
  '14',
  '15',
  '16',
  '17',
  '18',
  '19',
  '20',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '41',
]);
export function needsSeparator(ai: string): boolean {
  return !predefinedLengthPrefixes.has(ai.slice(0, 2));
}

const CSET82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*$/;
const CSET39 = /^[#\-/0-9A-Z]*$/;
const csetTest = { N: /^\d*$/, X: CSET82, Y: CSET39 };
const csetName = { N: 'digits', X: 'GS1 character set 82', Y: 'GS1 character set 39' };

/**
 * Checks an AI value's length, characters and check digits; `shownAs` names the whole input in the
 * message. Throws Gs1Error with GS1_LENGTH, GS1_CHARSET or GS1_CHECK_DIGIT.
 */
export function validateAi(ai: string, value: string, shownAs: string): void {
  const spec = aiSpecs.get(ai);
  if (!spec)
    throw new Gs1Error('GS1_UNSUPPORTED', `unknown GS1 Application Identifier (${ai}) in ${quote(shownAs)}`);
  let rest = value;
  for (const [i, part] of spec.parts.entries()) {
    const last = i === spec.parts.length - 1;
    const chunk = last ? rest : rest.slice(0, part.max);
    if (chunk.length < part.min || chunk.length > part.max) {
      throw new Gs1Error(
        'GS1_LENGTH',
        `AI (${ai}) value ${quote(value)} has the wrong length: (${ai}) takes ${describe(spec.parts)}, in ${quote(shownAs)}`,
      );
    }
    if (!csetTest[part.cset].test(chunk)) {
      throw new Gs1Error(
        'GS1_CHARSET',
        `AI (${ai}) value ${quote(value)} has characters outside ${csetName[part.cset]}, in ${quote(shownAs)}`,
      );
    }
    if (part.check && gs1CheckDigit(chunk.slice(0, -1)) !== Number(chunk[chunk.length - 1])) {
      throw new Gs1Error(
        'GS1_CHECK_DIGIT',
        `AI (${ai}) value ${quote(value)} has check digit ${chunk[chunk.length - 1]}, expected ${gs1CheckDigit(chunk.slice(0, -1))}, in ${quote(shownAs)}`,
      );
    }
    rest = rest.slice(chunk.length);
  }
}

function describe(parts: Part[]): string {
  return parts
    .map((p) => {
      const what = p.cset === 'N' ? 'digits' : 'characters';
      if (p.min === p.max) return `${p.max} ${what}`;
      return p.min === 0 ? `up to ${p.max} ${what}` : `${p.min} to ${p.max} ${what}`;
    })
    .join(' then ');
}

export function isCset82(value: string): boolean {
  return CSET82.test(value);
}

/**
 * Digital Link path values: the characters of set 82 that are not safe in a path segment are
 * percent-encoded (and `#`, which set 39 of CPI part references has). `'`, `;` and `=` are legal path characters (RFC 3986 sub-delims) and stay as they
 * are, which is also what the CBV 2.0 event-hash reference implementation produces.
 */
const dlEscaped = /[!"#%&()*+,/:<>?]/g;
export function encodeDlValue(value: string): string {
  return value.replace(dlEscaped, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** EPC URIs escape only the set-82 (and set-39) characters that URN syntax reserves (TDS Table I.3.1-1). */
const epcEscaped = /["#%&/<>?]/g;
export function encodeEpcValue(value: string): string {
  return value.replace(epcEscaped, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Decodes %XX escapes; a `%` not followed by two hex digits is a syntax error. */
export function percentDecode(value: string, shownAs: string): string {
  return value.replace(/%(.{0,2})/g, (_, hex: string) => {
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
      throw new Gs1Error('GS1_SYNTAX', `bad percent-escape "%${hex}" in ${quote(shownAs)}`);
    }
    return String.fromCharCode(parseInt(hex, 16));
  });
}
