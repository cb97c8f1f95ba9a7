/** Time conversions the sources need: plant wall-clock + IANA zone, ISO offsets, epoch seconds. */
import { InvalidInputError } from '../errors';
import { readTimestamp } from '../epcis';

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      throw new InvalidInputError([
        { code: 'TIME_ZONE_UNKNOWN', message: `'${zone}' is not an IANA time zone` },
      ]);
    }
    formatters.set(zone, f);
  }
  return f;
}

const QUARTER_HOUR = 15 * 60_000;
/** Offsets by zone and quarter hour (UTC) over which the offset does not change. */
const offsets = new Map<string, number>();

/**
 * Offset of `zone` from UTC at the instant `utcMs`, in minutes. Asking Intl costs ~10 µs, and a
 * validator asks twice per record of a plant's wall clock: the answer is kept per quarter hour
 * in which the offset is the same at its first and its last second (no zone changes its offset
 * twice within a quarter hour; a quarter hour with a change in it is asked of Intl every time).
 */
export function zoneOffsetMinutes(zone: string, utcMs: number): number {
  const quarter = Math.floor(utcMs / QUARTER_HOUR);
  const key = `${zone}|${quarter}`;
  const known = offsets.get(key);
  if (known !== undefined) return known;
  const first = offsetFromIntl(zone, quarter * QUARTER_HOUR);
  if (first !== offsetFromIntl(zone, (quarter + 1) * QUARTER_HOUR - 1000)) return offsetFromIntl(zone, utcMs);
  if (offsets.size >= 50_000) offsets.clear();
  offsets.set(key, first);
  return first;
}

function offsetFromIntl(zone: string, utcMs: number): number {
  const parts = Object.fromEntries(
    formatter(zone)
      .formatToParts(new Date(utcMs))
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(
    +parts.year!,
    +parts.month! - 1,
    +parts.day!,
    +parts.hour!,
    +parts.minute!,
    +parts.second!,
  );
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60000);
}

/**
 * A wall-clock time written as epoch ms (as MES systems do) in `zone` → the UTC instant and offset.
 * Two passes settle the offset around DST changes (an ambiguous hour takes the earlier offset).
 */
export function wallClockToUtc(wallMs: number, zone: string): { utcMs: number; offsetMinutes: number } {
  let offset = zoneOffsetMinutes(zone, wallMs);
  offset = zoneOffsetMinutes(zone, wallMs - offset * 60000);
  return { utcMs: wallMs - offset * 60000, offsetMinutes: offset };
}

export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** ISO-8601 text of the local time at `utcMs` with offset, e.g. 2026-03-01T14:05:09.120+01:00. */
export function isoWithOffset(utcMs: number, offsetMinutes: number): string {
  const local = new Date(utcMs + offsetMinutes * 60000).toISOString().replace('Z', '');
  return `${local}${formatOffset(offsetMinutes)}`;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
/** Parses ISO-8601 with an explicit offset (no offset is ambiguous and refused). */
export function parseIsoWithOffset(text: string): { utcMs: number; offset: string } {
  if (!ISO.test(text)) {
    throw new InvalidInputError([
      {
        code: 'TIME_FORMAT',
        message: `'${text}' is not an ISO-8601 time with an offset (e.g. 2026-03-01T14:05:09+01:00)`,
      },
    ]);
  }
  // Read strictly: Date.parse rolls 2025-02-31 over to March and years 0-99 into the 1900s.
  const read = readTimestamp(text);
  if (typeof read === 'string') throw new InvalidInputError([{ code: 'TIME_INVALID', message: read }]);
  const utcMs = read.epochMs;
  const m = /(Z|[+-]\d{2}:?\d{2})$/.exec(text)![1]!;
  const offset = m === 'Z' ? '+00:00' : m.length === 5 ? `${m.slice(0, 3)}:${m.slice(3)}` : m;
  return { utcMs, offset };
}
