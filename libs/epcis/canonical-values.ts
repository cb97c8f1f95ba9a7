/**
 * Value canonicalisation for the EPCIS Event Hash ID (CBV 2.0, "Event hash ID"): timestamps to UTC
 * with millisecond precision, numbers in one lexical form, CBV 1.x URNs to web URIs, and GS1 keys to
 * canonical GS1 Digital Link. Written to agree with the reference implementation
 * (RalphTro/epcis-event-hash-generator), whose test vectors are in conformance/epcis-hash.
 */
import { digitsAt } from '../digits';
import { serialIdentityLink, toDigitalLink } from '../gs1';
import { cbvUrnRewrites } from './vocabulary';

const isoDateTime =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

export interface ParsedTime {
  /** UTC epoch milliseconds, the sub-millisecond part rounded half to even. */
  epochMs: number;
  /** The offset written in the text, `+hh:mm`; null when the text had none. */
  offset: string | null;
}

/** Parses an ISO 8601 date-time; null when the text is not one (readTimestamp says why). */
export function parseTimestamp(text: string): ParsedTime | null {
  const read = readTimestamp(text);
  return typeof read === 'string' ? null : read;
}

/**
 * The years a date-time may name. ISO 8601 counts in the Gregorian calendar, which began in 1583
 * (earlier years only "by agreement of the partners"); XML Schema 1.0 has no year 0000. A year
 * below that is a typo (`0025` for `2025`), never an event, so it is refused, not guessed at.
 */
export const earliestYear = 1583;
export const notIso = 'is not an ISO 8601 date-time';
export const latestYear = 9999;

/**
 * Reads an ISO 8601 date-time strictly: the parsed time, or why the text is not one. Every part is
 * range-checked against the calendar (31 February, hour 25, second 60, offset +15:00 are refused)
 * instead of being rolled over by Date.UTC, which also reads years 0-99 as 1900-1999.
 */
export function readTimestamp(text: string): ParsedTime | string {
  const fast = parseCommonTimestamp(text);
  if (fast !== undefined) return fast;
  const m = isoDateTime.exec(text.trim());
  if (!m) return `${JSON.stringify(text)} ${notIso}`;
  const [, y, mo, d, h, mi, s = '0', fraction = '', zone] = m;
  // Microseconds as the reference reads them (digits past the sixth dropped), then rounded to
  // milliseconds half to even, as Python's round(µs, -3) does.
  const micros = Number(fraction.padEnd(6, '0').slice(0, 6));
  let offsetHours = 0;
  let offsetMins = 0;
  let offset: string | null = null;
  let sign = 1;
  if (zone !== undefined) {
    if (zone.toUpperCase() === 'Z') {
      offset = '+00:00';
    } else {
      const hh = zone.slice(1, 3);
      const mm = zone.length > 3 ? zone.slice(-2) : '00';
      offset = `${zone[0]}${hh}:${mm}`;
      sign = zone[0] === '-' ? -1 : 1;
      offsetHours = Number(hh);
      offsetMins = Number(mm);
    }
  }
  return civilTime(
    text,
    [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s)],
    micros,
    sign,
    offsetHours,
    offsetMins,
    offset,
  );
}

/** A calendar date-time → epoch ms, or why it names no instant. */
function civilTime(
  text: string,
  [year, month, day, hour, minute, second]: number[],
  micros: number,
  sign: number,
  offsetHours: number,
  offsetMins: number,
  offset: string | null,
): ParsedTime | string {
  const bad = (why: string) => `${JSON.stringify(text)} is not a real date-time: ${why}`;
  if (year < earliestYear || year > latestYear)
    return bad(`year ${year} is outside ${earliestYear}-${latestYear}`);
  if (month < 1 || month > 12) return bad(`month ${month} does not exist`);
  const days = daysInMonth(year, month);
  if (day < 1 || day > days)
    return bad(`day ${day} does not exist (${year}-${pad(month, 2)} has ${days} days)`);
  // 24:00:00 is the end of the day (ISO 8601, XML Schema 1.0); any other hour past 23 is not.
  if (hour > 24 || (hour === 24 && (minute > 0 || second > 0 || micros > 0)))
    return bad(`hour ${hour} does not exist`);
  if (minute > 59) return bad(`minute ${minute} does not exist`);
  if (second > 59) return bad(`second ${second} does not exist`);
  if (offsetHours > 14 || offsetMins > 59 || (offsetHours === 14 && offsetMins > 0))
    return bad(`offset ${offset} is beyond ±14:00`);
  let ms = Math.floor(micros / 1000);
  const rest = micros % 1000;
  if (rest > 500 || (rest === 500 && ms % 2 === 1)) ms += 1;
  // Date.UTC reads years 0-99 as 1900-1999; the year range above keeps it out of that trap.
  const epochMs =
    Date.UTC(year, month - 1, day, hour, minute, second) -
    sign * (offsetHours * 60 + offsetMins) * 60_000 +
    ms;
  return { epochMs, offset };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The usual `YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm)` read without a regular expression (every event has one). */
function parseCommonTimestamp(t: string): ParsedTime | string | undefined {
  const n = t.length;
  if (n < 20 || t[4] !== '-' || t[7] !== '-' || t[10] !== 'T' || t[13] !== ':' || t[16] !== ':')
    return undefined;
  const year = digitsAt(t, 0, 4);
  const month = digitsAt(t, 5, 2);
  const day = digitsAt(t, 8, 2);
  const hour = digitsAt(t, 11, 2);
  const minute = digitsAt(t, 14, 2);
  const second = digitsAt(t, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  let i = 19;
  let micros = 0;
  if (t[i] === '.') {
    let scale = 100_000;
    const digitsFrom = i + 1;
    for (i++; i < n && t.charCodeAt(i) >= 48 && t.charCodeAt(i) <= 57; i++) {
      micros += (t.charCodeAt(i) - 48) * scale;
      scale = scale >= 10 ? scale / 10 : 0;
    }
    if (i === digitsFrom) return undefined;
  }
  let offset: string;
  let sign = 1;
  let oh = 0;
  let om = 0;
  if (i === n - 1 && t[i] === 'Z') {
    offset = '+00:00';
  } else if (i === n - 6 && (t[i] === '+' || t[i] === '-') && t[i + 3] === ':') {
    oh = digitsAt(t, i + 1, 2);
    om = digitsAt(t, i + 4, 2);
    if (oh < 0 || om < 0) return undefined;
    offset = t.slice(i);
    sign = t[i] === '-' ? -1 : 1;
  } else {
    return undefined;
  }
  return civilTime(t, [year, month, day, hour, minute, second], micros, sign, oh, om, offset);
}

/** `2020-03-04T10:00:30.000Z`; a value that is not a date-time is returned as it is. */
export function canonicalTimestamp(text: string): string {
  const parsed = parseTimestamp(text);
  // A time without a zone is taken as UTC (the reference would use the host's zone; EPCIS requires one).
  return parsed ? isoUtc(parsed.epochMs) : text;
}

const dayMs = 86_400_000;

/** `new Date(ms).toISOString()` in integer arithmetic (civil-from-days, H. Hinnant), without a Date. */
export function isoUtc(epochMs: number): string {
  if (epochMs < -62_135_596_800_000 || epochMs >= 253_402_300_800_000) return new Date(epochMs).toISOString();
  const days = Math.floor(epochMs / dayMs);
  let rest = epochMs - days * dayMs;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const ms = rest - second * 1000;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(ms, 3)}Z`;
}

function pad(n: number, width: number): string {
  const s = String(n);
  return s.length >= width ? s : '0000'.slice(0, width - s.length) + s;
}

/** Python's repr of a float, which is what the reference's pre-hash strings contain. */
export function pythonNumber(n: number): string {
  if (Number.isInteger(n)) return BigInt(n).toString();
  const exponential = n.toExponential();
  const e = Number(exponential.slice(exponential.indexOf('e') + 1));
  if (e >= -4 && e < 16) return String(n);
  return exponential.replace(/e([+-])(\d)$/, 'e$10$2');
}

const numericText = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;

/** Numbers written as text lose leading zeros, a `+` and trailing `.0` (as float() then str() would). */
export function canonicalNumber(text: string): string {
  const c = text.charCodeAt(0);
  // Cheap first-character test before the regular expression: most values are URIs or words.
  if (!((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46) || !numericText.test(text)) return text;
  const n = Number(text.replace(/_/g, ''));
  return Number.isFinite(n) ? pythonNumber(n) : text;
}

// URIs the reference's Digital Link normaliser converts: EPC pure identities, classes and ID
// patterns, and Digital Links on any domain whose path carries a primary key.
const epcUri = /^urn:epc:(?:id|class|idpat):/;
const digitalLinkUri =
  /^https?:\/\/[^/?#]*\.[^/?#]*\/(?:[^?#]*\/)?(?:01|gtin|8006|itip|8010|cpid|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn|00|sscc|253|gdti|401|ginc|402|gsin|8003|grai|8004|giai)\/\d{4}/;

const dlCache = new Map<string, string>();
const dlCacheLimit = 20_000;

/**
 * Serialised units differ only in their serial: libs/gs1 keeps each GTIN's template
 * (serialIdentityLink), which gives what hashForm(toDigitalLink(...)) gives (checked in
 * canonical-values.test.ts). Only the two notations a hashed value can be in are asked: a GS1
 * element string is not a URI and stays as it is. Everything else goes to libs/gs1 (and the
 * cache: locations, parties and classes repeat).
 */
function viaSerialTemplate(value: string): string | undefined {
  if (!value.startsWith('urn:epc:id:sgtin:') && !value.startsWith('https://id.gs1.org/01/')) return undefined;
  return serialIdentityLink(value);
}

/** The canonical Digital Link of a GS1 key URI, or the value unchanged when it is none. */
export function canonicalGs1Uri(value: string): string {
  const templated = viaSerialTemplate(value);
  if (templated !== undefined) return templated;
  if (
    value.startsWith('urn:epc:')
      ? !epcUri.test(value)
      : !value.startsWith('http') || !digitalLinkUri.test(value)
  ) {
    return value;
  }
  const cached = dlCache.get(value);
  if (cached !== undefined) return cached;
  let out: string;
  try {
    out = hashForm(toDigitalLink(value));
  } catch {
    out = value;
  }
  if (dlCache.size >= dlCacheLimit) dlCache.clear();
  dlCache.set(value, out);
  return out;
}

/**
 * The hash identifies the object at its finest level only: a trade item's Digital Link keeps its
 * serial but not the lot beside it, and never the consumer product variant (AI 22), as the
 * reference implementation's normaliser does. libs/gs1 keeps them: they matter to the journey store.
 */
export function hashForm(digitalLink: string): string {
  if (!/^https:\/\/id\.gs1\.org\/(?:01|8006)\//.test(digitalLink)) return digitalLink;
  const parts = digitalLink.slice('https://id.gs1.org/'.length).split('/');
  const hasSerial = parts.some((p, i) => i % 2 === 0 && p === '21');
  const kept: string[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    if (parts[i] === '22' || (parts[i] === '10' && hasSerial)) continue;
    kept.push(parts[i], parts[i + 1]);
  }
  return `https://id.gs1.org/${kept.join('/')}`;
}

/** Everything the hash does to a value that is not a timestamp. */
export function canonicalValue(text: string): string {
  const c = text.charCodeAt(0);
  if (c === 117 /* u */ || c === 104 /* h */) {
    if (text.startsWith('urn:epcglobal:cbv:')) {
      for (const [urn, uri] of cbvUrnRewrites) if (text.startsWith(urn)) return uri + text.slice(urn.length);
      return text;
    }
    return canonicalGs1Uri(text);
  }
  return canonicalNumber(text);
}
