/**
 * EPC URIs (GS1 EPC Tag Data Standard 2.x, sections 6 and 12): pure identity `urn:epc:id:`, class
 * `urn:epc:class:lgtin:`, ID patterns `urn:epc:idpat:` and tag URIs `urn:epc:tag:` (filter dropped).
 * The dot after the GS1 Company Prefix is the only place the prefix length is written down, so
 * going to an EPC URI from anything else needs it from the caller.
 */
import { encodeEpcValue, percentDecode } from './ais';
import { gs1CheckDigit } from './checkDigit';
import { Gs1Error, quote } from './errors';
import { Gs1Key, keyFromAis, PatternScheme } from './keys';

/**
 * Per scheme: how many dot-separated components lead the body (the company prefix first), and the
 * digits the company prefix and the reference after it fill together (0: no fixed total). The rest
 * of the body, which may itself contain dots, is the serial-like component when the scheme has one.
 */
interface Layout {
  components: number;
  digits: number;
  tail: 'none' | 'serial';
}
const layouts: Record<string, Layout> = {
  sgtin: { components: 2, digits: 13, tail: 'serial' },
  lgtin: { components: 2, digits: 13, tail: 'serial' },
  upui: { components: 2, digits: 13, tail: 'serial' },
  itip: { components: 4, digits: 13, tail: 'serial' },
  sscc: { components: 2, digits: 17, tail: 'none' },
  gsrn: { components: 2, digits: 17, tail: 'none' },
  gsrnp: { components: 2, digits: 17, tail: 'none' },
  gsin: { components: 2, digits: 16, tail: 'none' },
  pgln: { components: 2, digits: 12, tail: 'none' },
  sgln: { components: 2, digits: 12, tail: 'serial' },
  grai: { components: 2, digits: 12, tail: 'serial' },
  gdti: { components: 2, digits: 12, tail: 'serial' },
  sgcn: { components: 2, digits: 12, tail: 'serial' },
  giai: { components: 1, digits: 0, tail: 'serial' },
  ginc: { components: 1, digits: 0, tail: 'serial' },
  // CPI: the part reference is set 39 (escaped), not digits, and has no fixed length.
  cpi: { components: 2, digits: 0, tail: 'serial' },
};
const patternSchemes: PatternScheme[] = ['sgtin', 'grai', 'gdti', 'sgcn', 'cpi', 'itip', 'upui'];
/** TDS tag encodings with no GS1 key behind them. */
const unsupported = new Set(['gid', 'usdod', 'adi', 'bic', 'imovn', 'ldi']);

export function looksLikeEpcUri(input: string): boolean {
  return /^urn:epc:(id|class|idpat|tag):/i.test(input);
}

export function parseEpcUri(input: string): Gs1Key {
  const m = /^urn:epc:(id|class|idpat|tag):([a-z0-9]+)(-\d+|-var)?:(.*)$/i.exec(input);
  if (!m) throw new Gs1Error('GS1_SYNTAX', `not an EPC URI (urn:epc:id:SCHEME:...): ${quote(input)}`);
  const kind = m[1].toLowerCase();
  const scheme = m[2].toLowerCase();
  let body = m[4];
  if ((kind === 'tag') !== (m[3] !== undefined)) {
    throw new Gs1Error(
      'GS1_SYNTAX',
      `EPC scheme ${quote(m[2] + (m[3] ?? ''))} does not fit ${kind} URI ${quote(input)}`,
    );
  }
  const layout = layouts[scheme];
  if (unsupported.has(scheme) || !layout) {
    throw new Gs1Error(
      'GS1_UNSUPPORTED',
      `EPC scheme "${scheme}" has no GS1 key equivalent: ${quote(input)}`,
    );
  }
  if (kind === 'class' && scheme !== 'lgtin') {
    throw new Gs1Error('GS1_UNSUPPORTED', `only the lgtin EPC class is supported: ${quote(input)}`);
  }
  if (kind !== 'class' && scheme === 'lgtin') {
    throw new Gs1Error('GS1_SYNTAX', `lgtin is an EPC class (urn:epc:class:lgtin:...): ${quote(input)}`);
  }
  if (kind === 'tag') {
    // Tag URIs lead with the filter value, which says what kind of object carries the tag, not who it is.
    const dot = body.indexOf('.');
    if (!/^[0-7]$/.test(body.slice(0, dot))) {
      throw new Gs1Error(
        'GS1_SYNTAX',
        `EPC tag URI needs a filter value (0-7) before the key: ${quote(input)}`,
      );
    }
    body = body.slice(dot + 1);
  }

  const components = body.split('.');
  const leading = components.slice(0, layout.components);
  const tail = components.slice(layout.components).join('.');
  const hasTail = components.length > layout.components;
  const pattern = kind === 'idpat';
  if (
    pattern &&
    (!patternSchemes.includes(scheme as PatternScheme) ||
      tail !== '*' ||
      body.indexOf('*') !== body.length - 1)
  ) {
    throw new Gs1Error(
      'GS1_UNSUPPORTED',
      `only EPC ID patterns with one "*" for the serial have a Digital Link equivalent: ${quote(input)}`,
    );
  }
  if (
    leading.length < layout.components ||
    (layout.tail === 'none' ? hasTail : !hasTail || (!pattern && tail === ''))
  ) {
    throw new Gs1Error('GS1_SYNTAX', `${scheme} EPC needs ${expected(scheme)}: ${quote(input)}`);
  }
  const [cp, ref = '', ...more] = leading;
  if (!/^\d*$/.test(cp) || (scheme !== 'cpi' && [ref, ...more].some((r) => !/^\d*$/.test(r)))) {
    throw new Gs1Error(
      'GS1_CHARSET',
      `${scheme} EPC has a non-digit company prefix or reference in ${quote(input)}`,
    );
  }
  if (cp.length < 6 || cp.length > 12) {
    throw new Gs1Error('GS1_LENGTH', `GS1 Company Prefix must be 6 to 12 digits in ${quote(input)}`);
  }
  if (layout.digits && cp.length + ref.length !== layout.digits) {
    throw new Gs1Error(
      'GS1_LENGTH',
      `${scheme} EPC company prefix and reference must total ${layout.digits} digits: ${quote(input)}`,
    );
  }
  if (scheme === 'itip' && more.some((r) => r.length !== 2)) {
    throw new Gs1Error('GS1_LENGTH', `itip EPC piece and total must be 2 digits each: ${quote(input)}`);
  }
  const serial = pattern ? '' : percentDecode(tail, input);
  const withCheck = (digits: string) => digits + gs1CheckDigit(digits);
  // Indicator or extension digit first, then the prefix, then the rest of the reference.
  const shifted = (r: string) => withCheck(r.slice(0, 1) + cp + r.slice(1));
  const entries: [string, string][] = [];
  switch (scheme) {
    case 'sgtin':
      entries.push(['01', shifted(ref)]);
      if (!pattern) entries.push(['21', serial]);
      break;
    case 'lgtin':
      entries.push(['01', shifted(ref)], ['10', serial]);
      break;
    case 'upui':
      entries.push(['01', shifted(ref)]);
      if (!pattern) entries.push(['235', serial]);
      break;
    case 'itip':
      entries.push(['8006', shifted(ref) + more.join('')]);
      if (!pattern) entries.push(['21', serial]);
      break;
    case 'sscc':
      entries.push(['00', shifted(ref)]);
      break;
    case 'gsrn':
    case 'gsrnp':
      entries.push([scheme === 'gsrn' ? '8018' : '8017', withCheck(cp + ref)]);
      break;
    case 'gsin':
      entries.push(['402', withCheck(cp + ref)]);
      break;
    case 'pgln':
      entries.push(['417', withCheck(cp + ref)]);
      break;
    case 'sgln':
      entries.push(['414', withCheck(cp + ref)]);
      if (serial !== '0') entries.push(['254', serial]);
      break;
    case 'grai':
      entries.push(['8003', '0' + withCheck(cp + ref) + serial]);
      break;
    case 'gdti':
    case 'sgcn':
      entries.push([scheme === 'gdti' ? '253' : '255', withCheck(cp + ref) + serial]);
      break;
    case 'giai':
    case 'ginc':
      entries.push([scheme === 'giai' ? '8004' : '401', cp + serial]);
      break;
    case 'cpi':
      entries.push(['8010', cp + percentDecode(ref, input)]);
      if (!pattern) entries.push(['8011', serial]);
      break;
  }
  const key = keyFromAis(entries, input);
  key.companyPrefixLength = cp.length;
  return key;
}

function expected(scheme: string): string {
  const parts = ['company prefix'];
  if (layouts[scheme].components > 1) parts.push('reference');
  if (scheme === 'itip') parts.push('piece', 'total');
  if (layouts[scheme].tail !== 'none')
    parts.push(scheme === 'sgln' ? 'extension' : scheme === 'lgtin' ? 'lot' : 'serial');
  return parts.join('.');
}

/** Used only for keys that did not come with their prefix length (that is, not parsed from an EPC URI). */
export interface EpcOptions {
  /** Length of the GS1 Company Prefix (6 to 12) of every key converted. */
  companyPrefixLength?: number;
  /**
   * Looks up the prefix length from the key's digits starting at the company prefix (a GTIN
   * without its indicator digit, a GLN as is...), e.g. from a GCP length table.
   */
  gcpLengthFor?: (digits: string) => number | undefined;
}

export function formatEpcUri(key: Gs1Key, opts: EpcOptions = {}): string {
  const { ai } = key;
  const v = ai[key.primaryAi];
  // The digits that start with the company prefix, and the serial-like tail after them.
  const from = (digits: string) => {
    const len = prefixLength(key, digits, opts);
    return { cp: digits.slice(0, len), rest: digits.slice(len) };
  };
  const gtinParts = (gtin: string) => {
    const { cp, rest } = from(gtin.slice(1, 13));
    return `${cp}.${gtin[0]}${rest}`;
  };
  const noCheck = (digits: string) => {
    const { cp, rest } = from(digits.slice(0, -1));
    return `${cp}.${rest}`;
  };
  const esc = encodeEpcValue;
  if (key.cpv !== undefined) {
    throw new Gs1Error('GS1_UNSUPPORTED', `a consumer product variant (22) has no EPC URI: ${quote(v)}`);
  }
  const star = key.scheme === 'idpat';
  const scheme = key.patternOf ?? key.scheme;
  const head = star
    ? `urn:epc:idpat:${scheme}:`
    : key.scheme === 'lgtin'
      ? 'urn:epc:class:lgtin:'
      : `urn:epc:id:${scheme}:`;
  const tail = (serial: string | undefined) => (star ? '*' : esc(serial ?? ''));
  switch (key.primaryAi) {
    case '01':
      if (key.scheme === 'lgtin') return `${head}${gtinParts(v)}.${esc(ai['10'])}`;
      if (star && ai['10'] !== undefined) break;
      return `${head}${gtinParts(v)}.${tail(key.serial)}`;
    case '8006':
      if (star && ai['10'] !== undefined) break;
      return `${head}${gtinParts(v.slice(0, 14))}.${v.slice(14, 16)}.${v.slice(16, 18)}.${tail(key.serial)}`;
    case '00': {
      const { cp, rest } = from(v.slice(1, 17));
      return `${head}${cp}.${v[0]}${rest}`;
    }
    case '414':
      return `${head}${noCheck(v)}.${esc(key.extension ?? '0')}`;
    case '417':
    case '402':
    case '8017':
    case '8018':
      return `${head}${noCheck(v)}`;
    case '8003':
      return `${head}${noCheck(v.slice(1, 14))}.${tail(key.serial)}`;
    case '253':
    case '255':
      return `${head}${noCheck(v.slice(0, 13))}.${tail(key.serial)}`;
    case '8004':
    case '401': {
      const { cp, rest } = from(v);
      return `${head}${cp}.${esc(rest)}`;
    }
    case '8010': {
      const { cp, rest } = from(v);
      return `${head}${cp}.${esc(rest)}.${tail(key.serial)}`;
    }
  }
  throw new Gs1Error('GS1_UNSUPPORTED', `no EPC URI for ${key.scheme} key ${quote(v)}`);
}

function prefixLength(key: Gs1Key, digits: string, opts: EpcOptions): number {
  // A prefix length the input itself stated (an EPC URI's dot) is a fact; the options are for keys without one.
  const len = key.companyPrefixLength ?? opts.companyPrefixLength ?? opts.gcpLengthFor?.(digits);
  if (len === undefined) {
    throw new Gs1Error(
      'GS1_PREFIX_LENGTH_UNKNOWN',
      `GS1 Company Prefix length unknown for ${quote(digits)}: pass companyPrefixLength or a gcpLengthFor table`,
    );
  }
  if (
    !Number.isInteger(len) ||
    len < 6 ||
    len > 12 ||
    len > digits.length ||
    !/^\d+$/.test(digits.slice(0, len))
  ) {
    throw new Gs1Error(
      'GS1_PREFIX_LENGTH_UNKNOWN',
      `GS1 Company Prefix length ${len} does not fit key ${quote(digits)} (6 to 12 digits of it)`,
    );
  }
  return len;
}
