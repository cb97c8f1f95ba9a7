/**
 * A unit's journey: its own events plus the events of every case, pallet and shipment it was inside,
 * while it was inside, in event-time order. The walk itself is one SQL function, `ut.journey(uri)`
 * (migration 002), shared with the analyst view `analyst.unit_journey`, so both always agree.
 */
import type pg from 'pg';
import { UsageError } from '../errors';
import type { Identifier } from '../events';
import { Gs1Error, toIdentifier } from '../gs1';
import { db } from '../store';

export interface JourneyStep {
  eventId: string;
  /** UTC, ms since the epoch. */
  eventTime: number;
  /** UTC, ISO 8601. */
  eventTimeUtc: string;
  /** The event's own offset, e.g. "+01:00". */
  eventTimeZoneOffset: string;
  /** Local wall-clock time at the event, ISO 8601 with its offset. */
  eventTimeLocal: string;
  eventType: string;
  action: string | null;
  bizStep: string | null;
  disposition: string | null;
  bizLocation: string | null;
  readPoint: string | null;
  /** bizLocation, else readPoint. */
  location: string | null;
  /** The container whose event this is (case, pallet, shipment); null for the unit's own events. */
  via: string | null;
}

export interface Journey {
  unit: Identifier;
  steps: JourneyStep[];
}

interface JourneyRow {
  event_id: string;
  event_time: Date;
  event_tz: string;
  event_type: string;
  action: string | null;
  biz_step: string | null;
  disposition: string | null;
  biz_location: string | null;
  read_point: string | null;
  via_container: string | null;
}

/** The journey of one identifier (canonical Digital Link), oldest first; empty when unknown. */
export async function journeyOf(pool: pg.Pool, uri: string): Promise<JourneyStep[]> {
  const result = await db('journey query', () =>
    pool.query<JourneyRow>({
      // Named: each connection prepares it once.
      name: 'ut.journey',
      text: `SELECT event_id, event_time, event_tz, event_type, action, biz_step, disposition,
                    biz_location, read_point, via_container
               FROM ut.journey($1)`,
      values: [uri],
    }),
  );
  return result.rows.map(toStep);
}

function toStep(r: JourneyRow): JourneyStep {
  const t = r.event_time.getTime();
  return {
    eventId: r.event_id,
    eventTime: t,
    eventTimeUtc: r.event_time.toISOString(),
    eventTimeZoneOffset: r.event_tz,
    eventTimeLocal: localTime(t, r.event_tz),
    eventType: r.event_type,
    action: r.action,
    bizStep: r.biz_step,
    disposition: r.disposition,
    bizLocation: r.biz_location,
    readPoint: r.read_point,
    location: r.biz_location ?? r.read_point,
    via: r.via_container,
  };
}

/** "2026-01-05T07:00:00.000+01:00" for 06:00Z at +01:00; UTC ("Z") when the offset is unreadable. */
export function localTime(utcMs: number, offset: string): string {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(offset);
  if (!m) return new Date(utcMs).toISOString();
  const minutes = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  return new Date(utcMs + minutes * 60_000).toISOString().replace('Z', offset);
}

/**
 * Turns what a person typed into the identifier the store keys on: an EPC URN, a Digital Link, an
 * element string, or a bare serial together with its GTIN. Throws a UsageError saying what to give.
 */
export function resolveUnitId(id: string, { gtin }: { gtin?: string } = {}): Identifier {
  const input = gtin === undefined ? id.trim() : `(01)${gtin.trim()}(21)${id.trim()}`;
  let unit: Identifier;
  try {
    unit = toIdentifier(input);
  } catch (err) {
    if (err instanceof Gs1Error)
      throw new UsageError(`'${input}' is not a valid GS1 identifier: ${err.message}`);
    throw err;
  }
  if (unit.scheme === 'other' && gtin === undefined && !/[:/]/.test(input)) {
    throw new UsageError(
      `'${id}' is not a GS1 identifier; give a serial with --gtin GTIN, an EPC URN, a Digital Link or an element string`,
    );
  }
  return unit;
}

/**
 * For the ops API (`GET /units/{id}/journey`) and the CLI: resolves the id, returns the journey, or
 * null when the store has never seen the unit. A malformed id throws a UsageError (HTTP 400).
 */
export async function unitJourney(
  pool: pg.Pool,
  id: string,
  { gtin }: { gtin?: string } = {},
): Promise<Journey | null> {
  const unit = resolveUnitId(id, { gtin });
  const steps = await journeyOf(pool, unit.uri);
  return steps.length === 0 ? null : { unit, steps };
}

const GS1_RESOLVER = 'https://id.gs1.org/';
const short = (uri: string | null) =>
  uri === null ? '' : uri.startsWith(GS1_RESOLVER) ? uri.slice(GS1_RESOLVER.length) : uri;

/** A readable table: local time with zone, step, disposition, location, the container that carried it. */
export function formatJourney({ unit, steps }: Journey): string {
  const header = ['time', 'step', 'disposition', 'location', 'via'];
  const rows = steps.map((s) => [
    s.eventTimeLocal.replace('T', ' ').replace(/(\.\d+)?(Z|[-+]\d\d:\d\d)$/, ' $2'),
    s.bizStep ?? (s.action ? `${s.eventType} ${s.action}` : s.eventType),
    s.disposition ?? '',
    short(s.location),
    short(s.via),
  ]);
  const widths = header.map((h, i) => rows.reduce((m, r) => Math.max(m, r[i]!.length), h.length));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    `journey of ${unit.uri} (${steps.length} event${steps.length === 1 ? '' : 's'}, identifiers relative to ${GS1_RESOLVER})`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ].join('\n');
}

/** The reference story (a unit, its case and pallet, plant → DC → store) the journey and analyst tests use. */
export * as referenceStory from './story';
