/**
 * GS1 keys as AI values: which AIs are primary keys, which qualifiers each takes and in what order
 * (GS1 Digital Link URI Syntax, key qualifier paths), and how a set of AIs becomes a Gs1Key.
 * Every notation parses to AIs first and is rendered from them, so this file is the one place
 * that knows what an SGTIN or an LGTIN is.
 */
import { validateAi } from './ais';
import { Gs1Error, quote } from './errors';

export type Gs1Scheme =
  | 'sgtin'
  | 'lgtin'
  | 'sscc'
  | 'sgln'
  | 'grai'
  | 'giai'
  | 'gsrn'
  | 'gdti'
  | 'idpat'
  | 'pgln'
  | 'gsrnp'
  | 'cpi'
  | 'sgcn'
  | 'ginc'
  | 'gsin'
  | 'itip'
  | 'upui';

/** The pure-identity schemes an EPC ID pattern (`urn:epc:idpat:...*`) can range over. */
export type PatternScheme = 'sgtin' | 'grai' | 'gdti' | 'sgcn' | 'cpi' | 'itip' | 'upui';

export interface Gs1Key {
  scheme: Gs1Scheme;
  /** For scheme 'idpat': the class of keys meant, e.g. every serial of a GTIN is 'sgtin'. */
  patternOf?: PatternScheme;
  /** The primary key's AI, e.g. '01', '00', '414'. */
  primaryAi: string;
  /** GTIN-14 (sgtin, lgtin, upui, itip, GTIN-level idpat). */
  gtin?: string;
  /** AI 21 for sgtin/itip; the serial component of a GRAI, GDTI or SGCN; AI 8011 of a CPI; AI 235 of a UPUI. */
  serial?: string;
  /** AI 10. */
  lot?: string;
  /** AI 00, 18 digits. */
  sscc?: string;
  /** AI 414 or 417, 13 digits. */
  gln?: string;
  /** AI 254 of an SGLN; absent when the EPC extension is "0". */
  extension?: string;
  /** AI 22, consumer product variant. */
  cpv?: string;
  /** AI 235, third-party controlled serial extension of a UPUI. */
  tpx?: string;
  /** The key's digits before any serial: GRAI (14, starting 0), GDTI and SGCN (13), ITIP (18), GSIN (17). */
  keyDigits?: string;
  /** Whole value of an alphanumeric key: GIAI (8004), GINC (401), CPI part reference (8010). */
  keyValue?: string;
  /** GSRN (8018) or GSRN-P (8017), 18 digits. */
  gsrn?: string;
  /**
   * Element-string view: primary key, its qualifiers and any data attributes, raw (not percent-encoded).
   * Iterate with `aiOrder(key)`: JavaScript sorts integer-like keys such as '21' before '01'.
   */
  ai: Record<string, string>;
  /** Length of the GS1 Company Prefix when the input said it (an EPC URN does), for toEpcUrn. */
  companyPrefixLength?: number;
}

interface PrimaryKey {
  /** Qualifier AIs in canonical Digital Link order. */
  qualifiers: string[];
  /** Digital Link long name (deprecated by DL 1.2 but still met). */
  name: string;
}

export const primaryKeys: Record<string, PrimaryKey> = {
  '01': { qualifiers: ['22', '10', '21', '235'], name: 'gtin' },
  '8006': { qualifiers: ['22', '10', '21'], name: 'itip' },
  '8010': { qualifiers: ['8011'], name: 'cpid' },
  '414': { qualifiers: ['254'], name: 'gln' },
  '417': { qualifiers: [], name: 'party' },
  '8017': { qualifiers: ['8019'], name: 'gsrnp' },
  '8018': { qualifiers: ['8019'], name: 'gsrn' },
  '255': { qualifiers: [], name: 'gcn' },
  '00': { qualifiers: [], name: 'sscc' },
  '253': { qualifiers: [], name: 'gdti' },
  '401': { qualifiers: [], name: 'ginc' },
  '402': { qualifiers: [], name: 'gsin' },
  '8003': { qualifiers: [], name: 'grai' },
  '8004': { qualifiers: [], name: 'giai' },
};
export const qualifierNames: Record<string, string> = {
  cpv: '22',
  lot: '10',
  ser: '21',
  glnx: '254',
  cpsn: '8011',
  srin: '8019',
};

/** The AIs of a key in canonical order: primary, qualifiers, then data attributes by AI. */
export function aiOrder(key: Pick<Gs1Key, 'primaryAi' | 'ai'>): string[] {
  const qualifiers = primaryKeys[key.primaryAi]?.qualifiers ?? [];
  const head = [key.primaryAi, ...qualifiers.filter((q) => key.ai[q] !== undefined)];
  const rest = Object.keys(key.ai)
    .filter((ai) => !head.includes(ai))
    .sort();
  return [...head, ...rest];
}

/**
 * Builds and validates a key from AI values. The primary key is the first primary-key AI in
 * `entries`; the others are its qualifiers when it takes them, else data attributes.
 */
export function keyFromAis(entries: [string, string][], shownAs: string): Gs1Key {
  const ai: Record<string, string> = {};
  for (const [code, value] of entries) {
    if (ai[code] !== undefined && ai[code] !== value) {
      throw new Gs1Error(
        'GS1_SYNTAX',
        `AI (${code}) appears twice with different values in ${quote(shownAs)}`,
      );
    }
    // The GRAI's AI value starts with a filler 0 before its 13 digits (General Specifications 3.2).
    if (code === '8003' && value[0] !== '0') {
      throw new Gs1Error('GS1_SYNTAX', `GRAI (8003) must start with the filler digit 0: ${quote(shownAs)}`);
    }
    validateAi(code, value, shownAs);
    ai[code] = value;
  }
  const primaryAi = entries.find(([code]) => primaryKeys[code])?.[0];
  if (primaryAi === undefined) {
    throw new Gs1Error('GS1_UNSUPPORTED', `no GS1 primary key (GTIN, SSCC, GLN...) in ${quote(shownAs)}`);
  }
  // AI 254 "0" is what an EPC SGLN writes for "no extension"; it is never a real extension.
  if (primaryAi === '414' && ai['254'] === '0') delete ai['254'];
  const key: Gs1Key = { scheme: 'idpat', primaryAi, ai };
  const v = ai[primaryAi];
  const set = (field: keyof Gs1Key, value: string | undefined) => {
    if (value !== undefined && value !== '') (key as unknown as Record<string, string>)[field] = value;
  };
  set('lot', ai['10']);
  set('cpv', ai['22']);
  switch (primaryAi) {
    case '01':
      key.gtin = v;
      set('tpx', ai['235']);
      if (ai['21'] !== undefined) [key.scheme, key.serial] = ['sgtin', ai['21']];
      else if (ai['235'] !== undefined) [key.scheme, key.serial] = ['upui', ai['235']];
      else if (ai['10'] !== undefined) key.scheme = 'lgtin';
      else key.patternOf = 'sgtin';
      break;
    case '00':
      [key.scheme, key.sscc] = ['sscc', v];
      break;
    case '414':
      [key.scheme, key.gln] = ['sgln', v];
      set('extension', ai['254']);
      break;
    case '417':
      [key.scheme, key.gln] = ['pgln', v];
      break;
    case '8003':
      withSerial(key, 'grai', v, 14);
      break;
    case '253':
      withSerial(key, 'gdti', v, 13);
      break;
    case '255':
      withSerial(key, 'sgcn', v, 13);
      break;
    case '8006':
      [key.gtin, key.keyDigits] = [v.slice(0, 14), v];
      if (ai['21'] !== undefined) [key.scheme, key.serial] = ['itip', ai['21']];
      else key.patternOf = 'itip';
      break;
    case '8010':
      key.keyValue = v;
      if (ai['8011'] !== undefined) [key.scheme, key.serial] = ['cpi', ai['8011']];
      else key.patternOf = 'cpi';
      break;
    case '8004':
      [key.scheme, key.keyValue] = ['giai', v];
      break;
    case '401':
      [key.scheme, key.keyValue] = ['ginc', v];
      break;
    case '402':
      [key.scheme, key.keyDigits] = ['gsin', v];
      break;
    case '8017':
    case '8018':
      [key.scheme, key.gsrn] = [primaryAi === '8017' ? 'gsrnp' : 'gsrn', v];
      break;
  }
  return key;
}

/** GRAI, GDTI and SGCN: digits with a check digit, then an optional serial; no serial is a class. */
function withSerial(key: Gs1Key, scheme: 'grai' | 'gdti' | 'sgcn', value: string, digits: number): void {
  key.keyDigits = value.slice(0, digits);
  const serial = value.slice(digits);
  if (serial === '') key.patternOf = scheme;
  else [key.scheme, key.serial] = [scheme, serial];
}
