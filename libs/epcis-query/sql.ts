/**
 * An EventQuery → one parameterised SELECT on the journey store. Filters use the ledger's columns
 * and indexes where the store has them (event type, times, action, bizStep, disposition, locations,
 * identifiers by role); quantities, classes and source/destination/bizTransaction lists are read
 * from the canonical record. Paging is by keyset (order key, event id), never OFFSET.
 */
import type { EventQuery } from './params';

/** A position in the ledger: the newest chain_seq seen of each hash chain (absent: none yet). */
export type Heads = Record<string, number>;

/** True when `b` holds a batch that `a` has not seen. */
export function headsAhead(a: Heads, b: Heads): boolean {
  return Object.entries(b).some(([chain, seq]) => seq > (a[chain] ?? 0));
}

/** Whose events a caller may see: all (admin) or those captured by one of `owners`. */
export type Visibility = { all: true } | { all: false; owners: string[] };

export interface EventsSqlOptions {
  visibility: Visibility;
  /** Keyset position: events strictly after this (order key, event id) in the query's order. */
  after?: { key: string; id: string } | null;
  limit: number;
  /**
   * Only the events of ledger batches that landed after `after` and up to `upTo`: what landed since.
   * Positions are per hash chain (one per journey partition), because chain_seq is commit-ordered
   * only within its chain.
   */
  chain?: { after: Heads; upTo: Heads } | null;
}

export interface Sql {
  text: string;
  values: unknown[];
}

/** The columns every events SELECT yields. */
export interface EventRow {
  event_id: string;
  record: unknown;
  captured: unknown;
  record_time: Date;
  order_key: string;
}

const orderColumn = { eventTime: 'e.event_time', recordTime: 'e.inserted_at' } as const;

function builder() {
  const values: unknown[] = [];
  const p = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  return { values, p };
}

function conditions(q: EventQuery, visibility: Visibility, p: (v: unknown) => string): string[] {
  const where: string[] = [];
  // One value as `=`: then an index on (column, ..., event_time) also gives the answer's order,
  // and the first page reads only its own rows.
  const oneOf = (column: string, values: readonly string[]) =>
    values.length === 1 ? `${column} = ${p(values[0])}` : `${column} = ANY(${p(values)}::text[])`;
  if (q.eventTypes) where.push(oneOf('e.event_type', q.eventTypes));
  if (q.eventTime.ge) where.push(`e.event_time >= ${p(q.eventTime.ge)}`);
  if (q.eventTime.lt) where.push(`e.event_time < ${p(q.eventTime.lt)}`);
  if (q.recordTime.ge) where.push(`e.inserted_at >= ${p(q.recordTime.ge)}`);
  if (q.recordTime.lt) where.push(`e.inserted_at < ${p(q.recordTime.lt)}`);
  if (q.actions) where.push(oneOf('e.action', q.actions));
  if (q.bizSteps) where.push(oneOf('e.biz_step', q.bizSteps));
  if (q.dispositions) where.push(oneOf('e.disposition', q.dispositions));
  if (q.readPoints) where.push(oneOf('e.read_point', q.readPoints));
  if (q.bizLocations) where.push(oneOf('e.biz_location', q.bizLocations));
  for (const m of q.epcMatches) {
    const roles = p(m.roles);
    const parts: string[] = [];
    if (m.uris.length > 0) {
      parts.push(
        `SELECT i.event_id, i.event_time FROM ut.event_identifiers i WHERE ${oneOf('i.uri', m.uris)} AND i.role = ANY(${roles}::text[])`,
      );
    }
    if (m.gtins.length > 0) {
      parts.push(
        `SELECT i.event_id, i.event_time FROM ut.event_identifiers i WHERE i.gtin = ANY(${p(m.gtins)}::text[]) AND i.role = ANY(${roles}::text[])`,
      );
    }
    // (event_id, event_time): the ledger's key, so each probe reaches one partition.
    where.push(`(e.event_id, e.event_time) IN (${parts.join(' UNION ALL ')})`);
  }
  for (const c of q.classMatches) {
    where.push(
      `EXISTS (SELECT 1 FROM json_array_elements(e.record->'quantityList') q WHERE q->>'role' = ANY(${p(c.roles)}::text[]) AND q->>'epcClass' = ANY(${p(c.classes)}::text[]))`,
    );
  }
  for (const { op, value } of q.quantities) {
    where.push(
      `EXISTS (SELECT 1 FROM json_array_elements(e.record->'quantityList') q WHERE (q->>'quantity')::float8 ${op} ${p(value)}::float8)`,
    );
  }
  if (q.eventIds) {
    const ids = p(q.eventIds);
    where.push(`(e.event_id = ANY(${ids}::text[]) OR e.source_event_id = ANY(${ids}::text[]))`);
  }
  if (q.errorDeclaration) {
    where.push(`jsonb_exists((e.record->>'extensions')::jsonb, 'errorDeclaration')`);
  }
  for (const [list, matches] of [
    ['sourceList', q.sources],
    ['destinationList', q.destinations],
    ['bizTransactionList', q.bizTransactions],
  ] as const) {
    for (const m of matches) {
      where.push(
        `EXISTS (SELECT 1 FROM json_array_elements(e.record->'${list}') s WHERE s->>'type' = ${p(m.type)} AND s->>'id' = ANY(${p(m.ids)}::text[]))`,
      );
    }
  }
  if (!visibility.all) {
    where.push(
      `EXISTS (SELECT 1 FROM ut.captured_events c WHERE c.event_id = e.event_id AND c.producer = ANY(${p(visibility.owners)}::text[]))`,
    );
  }
  return where;
}

export function eventsSql(
  q: EventQuery,
  { visibility, after = null, limit, chain = null }: EventsSqlOptions,
): Sql {
  const { values, p } = builder();
  const where = conditions(q, visibility, p);
  const col = orderColumn[q.orderBy];
  const dir = q.orderDirection;
  if (after) {
    where.push(
      `(${col}, e.event_id) ${dir === 'DESC' ? '<' : '>'} (${p(after.key)}::timestamptz, ${p(after.id)})`,
    );
  }
  if (chain) {
    where.push(
      `e.batch_id IN (SELECT b.batch_id FROM ut.ledger_batches b
         JOIN jsonb_each_text(${p(JSON.stringify(chain.upTo))}::jsonb) u(chain, seq) ON u.chain = b.chain
        WHERE b.chain_seq <= u.seq::bigint
          AND b.chain_seq > coalesce((${p(JSON.stringify(chain.after))}::jsonb ->> b.chain)::bigint, 0))`,
    );
  }
  const capturedBy = visibility.all ? '' : ` AND c.producer = ANY(${p(visibility.owners)}::text[])`;
  const text = `SELECT e.event_id, e.record, e.inserted_at AS record_time,
    to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS order_key,
    (SELECT c.event FROM ut.captured_events c WHERE c.event_id = e.event_id${capturedBy}
      ORDER BY c.captured_at, c.producer LIMIT 1) AS captured
  FROM ut.events e
  ${where.length > 0 ? `WHERE ${where.join('\n    AND ')}` : ''}
  ORDER BY ${col} ${dir}, e.event_id ${dir}
  LIMIT ${p(limit)}`;
  return { text, values };
}

/** How many events match, counting no further than `atMost` (for maxEventCount). */
export function countSql(q: EventQuery, visibility: Visibility, atMost: number): Sql {
  const { values, p } = builder();
  const where = conditions(q, visibility, p);
  return {
    text: `SELECT count(*)::int AS n FROM (SELECT 1 FROM ut.events e ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} LIMIT ${p(atMost)}) x`,
    values,
  };
}

/** The discovery resources: which values of one kind the caller's events carry. */
export type ValueKind = 'epcs' | 'bizSteps' | 'bizLocations' | 'readPoints' | 'dispositions';

const valueColumn: Record<Exclude<ValueKind, 'epcs'>, string> = {
  bizSteps: 'e.biz_step',
  bizLocations: 'e.biz_location',
  readPoints: 'e.read_point',
  dispositions: 'e.disposition',
};

/** Distinct values after `after` in text order, at most `limit`. */
export function valuesSql(kind: ValueKind, visibility: Visibility, after: string | null, limit: number): Sql {
  const { values, p } = builder();
  const col = kind === 'epcs' ? 'i.uri' : valueColumn[kind];
  const where = [`${col} IS NOT NULL`];
  if (!visibility.all) {
    where.push(
      `EXISTS (SELECT 1 FROM ut.captured_events c WHERE c.event_id = e.event_id AND c.producer = ANY(${p(visibility.owners)}::text[]))`,
    );
  }
  if (after !== null) where.push(`${col} > ${p(after)}`);
  const from =
    kind === 'epcs'
      ? 'ut.event_identifiers i JOIN ut.events e ON e.event_id = i.event_id AND e.event_time = i.event_time'
      : 'ut.events e';
  return {
    text: `SELECT DISTINCT ${col} AS v FROM ${from} WHERE ${where.join(' AND ')} ORDER BY 1 LIMIT ${p(limit)}`,
    values,
  };
}
