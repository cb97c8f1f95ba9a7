/**
 * The query interface's reads and writes on the journey store: captured events, who sees whose
 * events (the sharing rule), running an event query page by page, discovery values, named queries,
 * webhook subscriptions, and the audit log.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import type { JsonObject } from '../epcis';
import { UsageError } from '../errors';
import { db } from '../store';
import type { Principal } from '../tokens';
import { answerEvent } from './answer';
import { decodePageToken, encodePageToken, pageTokenTtlMs, queryDigest } from './page';
import { type EventQuery, type QueryParams, QueryParameterError, parseEventQuery } from './params';
import {
  type EventRow,
  type Heads,
  type Sql,
  type ValueKind,
  type Visibility,
  countSql,
  eventsSql,
  valuesSql,
} from './sql';

/** A pool or a client: what runs a query. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/**
 * A query with an identifier match runs as a named prepared statement (one per SQL shape and
 * connection): planning its join with every ledger partition costs more than running it, and a
 * prepared statement's generic plan prunes partitions at run time (MATCH_anyEPC on the bench store:
 * p50 29 → 5 ms). Other queries stay unprepared: their custom plan prunes partitions when planned
 * and reads a first page in index order, which the generic plan cannot (bizStep + bizLocation +
 * day: 25 ms planned each time, 150 ms generic).
 */
function prepared(sql: Sql, q: EventQuery | null = null): { name?: string; text: string; values: unknown[] } {
  if (q !== null && q.epcMatches.length === 0) return { text: sql.text, values: sql.values };
  const name = `epcisq_${crypto.createHash('sha256').update(sql.text).digest('hex').slice(0, 24)}`;
  return { name, text: sql.text, values: sql.values };
}

export class QueryTooLargeError extends Error {
  readonly status = 413;
  readonly type = 'epcisException:QueryTooLargeException';
  readonly retriable = false;
}

/** Each accepted event of a capture, as sent; written before the events are published. */
export async function recordCapturedEvents(
  pool: pg.Pool,
  {
    captureId,
    producer,
    documentFormat,
    events,
  }: {
    captureId: string;
    producer: string;
    documentFormat: string;
    events: { eventId: string; json: string }[];
  },
): Promise<void> {
  if (events.length === 0) return;
  await db('captured events write', () =>
    pool.query(
      `INSERT INTO ut.captured_events (event_id, producer, capture_id, document_format, event)
       SELECT id, $2, $3, $4, ev::json FROM unnest($1::text[], $5::text[]) AS t(id, ev)
       ON CONFLICT DO NOTHING`,
      [events.map((e) => e.eventId), producer, captureId, documentFormat, events.map((e) => e.json)],
    ),
  );
}

/**
 * The sharing rule: an admin sees every event; any other token sees the events it captured and
 * those captured by a token that shared with it (`unitrail epcis share OWNER READER`).
 */
export async function visibilityOf(pool: pg.Pool, who: Principal): Promise<Visibility> {
  if (who.role === 'admin') return { all: true };
  const shared = await db('shares lookup', () =>
    pool.query<{ owner: string }>('SELECT owner FROM ut.epcis_shares WHERE reader = $1', [who.name]),
  );
  return { all: false, owners: [who.name, ...shared.rows.map((r) => r.owner)] };
}

export async function share(pool: pg.Pool, owner: string, reader: string): Promise<boolean> {
  if (owner === reader) throw new UsageError('a token always sees its own events; name two different tokens');
  const res = await db('share', () =>
    pool.query('INSERT INTO ut.epcis_shares (owner, reader) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      owner,
      reader,
    ]),
  );
  return (res.rowCount ?? 0) > 0;
}

export async function unshare(pool: pg.Pool, owner: string, reader: string): Promise<boolean> {
  const res = await db('unshare', () =>
    pool.query('DELETE FROM ut.epcis_shares WHERE owner = $1 AND reader = $2', [owner, reader]),
  );
  return (res.rowCount ?? 0) > 0;
}

export async function listShares(
  pool: pg.Pool,
): Promise<{ owner: string; reader: string; createdAt: Date }[]> {
  const res = await db('shares list', () =>
    pool.query<{ owner: string; reader: string; created_at: Date }>(
      'SELECT owner, reader, created_at FROM ut.epcis_shares ORDER BY owner, reader',
    ),
  );
  return res.rows.map((r) => ({ owner: r.owner, reader: r.reader, createdAt: r.created_at }));
}

export interface EventsPage {
  events: JsonObject[];
  nextPageToken: string | null;
  /** When nextPageToken stops being accepted. */
  expires: Date | null;
}

export interface FindOptions {
  visibility: Visibility;
  perPage?: number;
  now?: number;
}

/** One page of an event query. `params` may carry nextPageToken (then the same query must come with it). */
export async function findEvents(
  pool: Queryable,
  params: QueryParams,
  { visibility, perPage = 30, now = Date.now() }: FindOptions,
): Promise<EventsPage> {
  const q = parseEventQuery(params);
  const raw = params.nextPageToken;
  const token = raw === undefined ? null : decodePageToken(String(raw), params, now);
  if (q.maxEventCount !== null && token === null) {
    const counted = countSql(q, visibility, q.maxEventCount + 1);
    const n = (await pool.query<{ n: number }>(prepared(counted, q))).rows[0]!.n;
    if (n > q.maxEventCount) {
      throw new QueryTooLargeError(
        `more than maxEventCount=${q.maxEventCount} events match; narrow the query`,
      );
    }
  }
  const served = token?.served ?? 0;
  const limit = q.eventCountLimit === null ? perPage : Math.min(perPage, q.eventCountLimit - served);
  if (limit <= 0) return { events: [], nextPageToken: null, expires: null };
  const sql = eventsSql(q, {
    visibility,
    after: token ? { key: token.afterKey, id: token.afterId } : null,
    limit: limit + 1,
  });
  const rows = (await pool.query<EventRow>(prepared(sql, q))).rows;
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  const total = served + page.length;
  const last = page[page.length - 1];
  const hasNext = more && last !== undefined && (q.eventCountLimit === null || total < q.eventCountLimit);
  const expires = now + pageTokenTtlMs;
  return {
    events: page.map(answerEvent),
    nextPageToken: hasNext
      ? encodePageToken({
          query: queryDigest(params),
          afterKey: last.order_key,
          afterId: last.event_id,
          served: total,
          expires,
        })
      : null,
    expires: hasNext ? new Date(expires) : null,
  };
}

/** Events of one query that landed in ledger batches (after, upTo] (subscriptions). */
export async function findLanded(
  pool: Queryable,
  q: EventQuery,
  visibility: Visibility,
  chain: { after: Heads; upTo: Heads },
  limit = 10_000,
): Promise<JsonObject[]> {
  const sql = eventsSql({ ...q, orderBy: 'recordTime', orderDirection: 'ASC' }, { visibility, limit, chain });
  return (await pool.query<EventRow>(prepared(sql, q))).rows.map(answerEvent);
}

/** The newest batch of every hash chain: the ledger's current end. */
export async function latestHeads(pool: Queryable): Promise<Heads> {
  const r = await pool.query<{ chain: string; seq: string }>(
    'SELECT chain, max(chain_seq) AS seq FROM ut.ledger_batches GROUP BY chain',
  );
  return Object.fromEntries(r.rows.map((row) => [row.chain, Number(row.seq)]));
}

export async function findValues(
  pool: Queryable,
  kind: ValueKind,
  visibility: Visibility,
  { after = null, perPage = 100 }: { after?: string | null; perPage?: number } = {},
): Promise<{ values: string[]; next: string | null }> {
  const sql = valuesSql(kind, visibility, after, perPage + 1);
  const values = (await pool.query<{ v: string }>(prepared(sql))).rows.map((r) => r.v);
  const more = values.length > perPage;
  const page = values.slice(0, perPage);
  return { values: page, next: more ? page[page.length - 1]! : null };
}

// Named queries ---------------------------------------------------------------------------------

export interface NamedQuery {
  name: string;
  query: QueryParams;
  createdAt: Date;
}

const queryName = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,99}$/;

export async function createNamedQuery(
  pool: pg.Pool,
  owner: string,
  name: unknown,
  query: unknown,
): Promise<'created' | 'exists'> {
  if (typeof name !== 'string' || !queryName.test(name)) {
    throw new QueryParameterError('name must be 1-100 letters, digits, ".", "_", "~" or "-"');
  }
  if (typeof query !== 'object' || query === null || Array.isArray(query)) {
    throw new QueryParameterError('query must be an object of query parameters');
  }
  parseEventQuery(query as QueryParams); // refuse a query that could never run
  for (const k of ['perPage', 'nextPageToken']) {
    if (k in query) throw new QueryParameterError(`${k} belongs to a request, not to a named query`);
  }
  const res = await db('named query create', () =>
    pool.query(
      'INSERT INTO ut.epcis_queries (owner, name, query) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [owner, name, JSON.stringify(query)],
    ),
  );
  return (res.rowCount ?? 0) > 0 ? 'created' : 'exists';
}

export async function getNamedQuery(pool: pg.Pool, owner: string, name: string): Promise<NamedQuery | null> {
  const r = await db('named query get', () =>
    pool.query<{ name: string; query: QueryParams; created_at: Date }>(
      'SELECT name, query, created_at FROM ut.epcis_queries WHERE owner = $1 AND name = $2',
      [owner, name],
    ),
  );
  const row = r.rows[0];
  return row ? { name: row.name, query: row.query, createdAt: row.created_at } : null;
}

export async function listNamedQueries(pool: pg.Pool, owner: string): Promise<NamedQuery[]> {
  const r = await db('named query list', () =>
    pool.query<{ name: string; query: QueryParams; created_at: Date }>(
      'SELECT name, query, created_at FROM ut.epcis_queries WHERE owner = $1 ORDER BY name',
      [owner],
    ),
  );
  return r.rows.map((row) => ({ name: row.name, query: row.query, createdAt: row.created_at }));
}

export async function deleteNamedQuery(pool: pg.Pool, owner: string, name: string): Promise<boolean> {
  const r = await db('named query delete', () =>
    pool.query('DELETE FROM ut.epcis_queries WHERE owner = $1 AND name = $2', [owner, name]),
  );
  return (r.rowCount ?? 0) > 0;
}

// Webhook subscriptions -------------------------------------------------------------------------

export interface Schedule {
  second?: string;
  minute?: string;
  hour?: string;
  dayOfMonth?: string;
  month?: string;
  dayOfWeek?: string;
}

export interface Subscription {
  subscriptionId: string;
  owner: string;
  queryName: string;
  dest: string;
  secret: string;
  stream: boolean;
  schedule: Schedule | null;
  reportIfEmpty: boolean;
  initialRecordTime: Date | null;
  lastHeads: Heads;
  lastNotifiedAt: Date | null;
  lastError: string | null;
  createdAt: Date;
}

interface SubscriptionRow {
  subscription_id: string;
  owner: string;
  query_name: string;
  dest: string;
  secret: string;
  stream: boolean;
  schedule: Schedule | null;
  report_if_empty: boolean;
  initial_record_time: Date | null;
  last_heads: Heads;
  last_notified_at: Date | null;
  last_error: string | null;
  created_at: Date;
}

const subscriptionOf = (r: SubscriptionRow): Subscription => ({
  subscriptionId: r.subscription_id,
  owner: r.owner,
  queryName: r.query_name,
  dest: r.dest,
  secret: r.secret,
  stream: r.stream,
  schedule: r.schedule,
  reportIfEmpty: r.report_if_empty,
  initialRecordTime: r.initial_record_time,
  lastHeads: r.last_heads,
  lastNotifiedAt: r.last_notified_at,
  lastError: r.last_error,
  createdAt: r.created_at,
});

/** The answer's view of a subscription: never the secret (OpenAPI AbstractQuerySubscriptionResponse). */
export function subscriptionView(s: Subscription): JsonObject {
  const out: JsonObject = {
    subscriptionID: s.subscriptionId,
    dest: s.dest,
    createdAt: s.createdAt.toISOString(),
    reportIfEmpty: s.reportIfEmpty,
  };
  if (s.stream) out.stream = true;
  if (s.schedule) out.schedule = { ...s.schedule };
  if (s.lastNotifiedAt) out.lastNotifiedAt = s.lastNotifiedAt.toISOString();
  if (s.initialRecordTime) out.initialRecordTime = s.initialRecordTime.toISOString();
  if (s.lastError) out.lastError = s.lastError;
  return out;
}

export async function createSubscription(
  pool: pg.Pool,
  s: Omit<Subscription, 'subscriptionId' | 'lastHeads' | 'lastNotifiedAt' | 'lastError' | 'createdAt'>,
): Promise<Subscription> {
  // From now on, or (initialRecordTime) from the start of the ledger, filtered by record time.
  const start = s.initialRecordTime ? {} : await latestHeads(pool);
  const r = await db('subscription create', () =>
    pool.query<SubscriptionRow>(
      `INSERT INTO ut.epcis_subscriptions (subscription_id, owner, query_name, dest, secret, stream, schedule,
         report_if_empty, initial_record_time, last_heads)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [
        crypto.randomUUID(),
        s.owner,
        s.queryName,
        s.dest,
        s.secret,
        s.stream,
        s.schedule ? JSON.stringify(s.schedule) : null,
        s.reportIfEmpty,
        s.initialRecordTime,
        JSON.stringify(start),
      ],
    ),
  );
  return subscriptionOf(r.rows[0]!);
}

export async function listSubscriptions(
  pool: pg.Pool,
  filter: { owner: string; queryName: string } | null = null,
): Promise<Subscription[]> {
  const r = await db('subscriptions list', () =>
    filter
      ? pool.query<SubscriptionRow>(
          'SELECT * FROM ut.epcis_subscriptions WHERE owner = $1 AND query_name = $2 ORDER BY created_at',
          [filter.owner, filter.queryName],
        )
      : pool.query<SubscriptionRow>('SELECT * FROM ut.epcis_subscriptions ORDER BY created_at'),
  );
  return r.rows.map(subscriptionOf);
}

export async function deleteSubscription(
  pool: pg.Pool,
  owner: string,
  queryName: string,
  id: string,
): Promise<boolean> {
  const r = await db('subscription delete', () =>
    pool.query(
      'DELETE FROM ut.epcis_subscriptions WHERE owner = $1 AND query_name = $2 AND subscription_id = $3',
      [owner, queryName, id],
    ),
  );
  return (r.rowCount ?? 0) > 0;
}

/** Compare-and-set of a subscription's position: true when this process won the delivery. */
export async function claimSubscription(pool: pg.Pool, id: string, from: Heads, to: Heads): Promise<boolean> {
  const r = await pool.query(
    'UPDATE ut.epcis_subscriptions SET last_heads = $3::jsonb, last_attempt_at = now() WHERE subscription_id = $1 AND last_heads = $2::jsonb',
    [id, JSON.stringify(from), JSON.stringify(to)],
  );
  return (r.rowCount ?? 0) > 0;
}

export async function recordDelivery(pool: pg.Pool, id: string, error: string | null): Promise<void> {
  await pool.query(
    error === null
      ? 'UPDATE ut.epcis_subscriptions SET last_notified_at = now(), last_error = NULL WHERE subscription_id = $1'
      : 'UPDATE ut.epcis_subscriptions SET last_error = $2 WHERE subscription_id = $1',
    error === null ? [id] : [id, error],
  );
}

// Audit -----------------------------------------------------------------------------------------

export interface QueryAudit {
  actor: string;
  role: string;
  action: string;
  resource: string | null;
  status: number;
  detail?: Record<string, unknown>;
}

/** Every query is audited like the ops API's requests (ut.audit_log). */
export async function auditQuery(pool: pg.Pool, a: QueryAudit): Promise<void> {
  await db('audit log', () =>
    pool.query(
      'INSERT INTO ut.audit_log (actor, role, action, resource, status, detail) VALUES ($1, $2, $3, $4, $5, $6)',
      [a.actor, a.role, a.action, a.resource, a.status, JSON.stringify(a.detail ?? {})],
    ),
  );
}
