/** The journey store in PostgreSQL: connection, the sink's batch write, the ledger chain, queries. */
import crypto from 'node:crypto';
import pg from 'pg';
import { DependencyError } from '../errors';
import type { Config } from '../config';
import { touchedIdentifiers, type SerializationEvent } from '../events';

import { migrate } from './migrate';

export { migrate, listMigrations } from './migrate';

/** TLS to PostgreSQL, as libpq's sslmode: `verify-full` checks the CA and the host name, `verify-ca` only the CA. */
export interface StoreTls {
  sslMode?: 'disable' | 'require' | 'verify-ca' | 'verify-full';
  /** PEM of the CA that signed the server's certificate (verify-ca / verify-full). */
  ca?: string;
}

export function sslOptions({ sslMode = 'disable', ca }: StoreTls = {}): pg.PoolConfig['ssl'] {
  if (sslMode === 'disable') return undefined;
  if (sslMode === 'require') return { rejectUnauthorized: false };
  return {
    rejectUnauthorized: true,
    ...(ca ? { ca } : {}),
    // verify-ca: the chain must lead to the CA; the certificate may name another host.
    ...(sslMode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
  };
}

/**
 * Errors that mean the connection itself failed (lost mid-query, or never made): pg reports these
 * without a SQLSTATE ("Connection terminated unexpectedly", a pool time-out), so they are marked
 * where they are raised, by the client's 'error' event and by the pool's connect, and `db()` reads the mark.
 */
const connectionFailures = new WeakSet<object>();
const markConnectionFailure = (err: unknown) => {
  if (err && typeof err === 'object') connectionFailures.add(err);
};

/**
 * A client that always has an 'error' listener: pg emits 'error' on a client whose server went
 * away, and an in-use client without a listener would take the process down (pg-pool only listens
 * while the client is idle). The query in flight is rejected with the same error, marked here.
 */
class StoreClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', markConnectionFailure);
  }
}

/** A pool whose failures to hand out a connection (refused, timed out, cut while connecting) are marked. */
class StorePool extends pg.Pool {
  override connect(): Promise<pg.PoolClient>;
  override connect(
    callback: (
      err: Error | undefined,
      client: pg.PoolClient | undefined,
      done: (release?: unknown) => void,
    ) => void,
  ): void;
  override connect(
    callback?: (
      err: Error | undefined,
      client: pg.PoolClient | undefined,
      done: (release?: unknown) => void,
    ) => void,
  ): Promise<pg.PoolClient> | void {
    if (callback) {
      super.connect((err, client, done) => {
        if (err) markConnectionFailure(err);
        callback(err, client, done);
      });
      return;
    }
    return super.connect().catch((err: unknown) => {
      markConnectionFailure(err);
      throw err;
    });
  }
}

/** The journey store's pool with the configured TLS: what stages and commands open. */
export function poolFor(
  config: Pick<Config, 'databaseUrl' | 'databaseSslMode' | 'databaseSslCaFile'>,
  { max = 4 }: { max?: number } = {},
): pg.Pool {
  return createPool(config.databaseUrl, {
    max,
    tls: { sslMode: config.databaseSslMode, ca: config.databaseSslCaFile },
  });
}

export function createPool(
  url: string,
  { max = 4, tls = {} }: { max?: number; tls?: StoreTls } = {},
): pg.Pool {
  const pool = new StorePool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5000,
    // A server that vanished without a FIN (a cut cable, a failed-over host) is noticed by TCP keep-alive.
    keepAlive: true,
    ssl: sslOptions(tls),
    Client: StoreClient,
  });
  pool.on('error', () => {}); // idle-client errors surface on the next query instead
  return pool;
}

// SQLSTATE classes 08 (connection exception), 57P (operator intervention: shutdown, crash),
// 53 (insufficient resources), and 40001/40P01 (serialization failure, deadlock: retry the transaction).
const RETRIABLE_SQLSTATE = /^(08|57P|53|40001$|40P01$)/;
// Socket-level errno codes of a server that is down, restarting or unreachable.
const RETRIABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

/** True when a PostgreSQL error means the server or the connection failed, so the same work may succeed later. */
export function isConnectionFailure(err: unknown): boolean {
  if (err && typeof err === 'object' && connectionFailures.has(err)) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (RETRIABLE_SQLSTATE.test(code) || RETRIABLE_ERRNO.has(code));
}

/** Wraps a database call so that connection failures are retriable DependencyErrors. */
export async function db<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isConnectionFailure(err)) {
      throw new DependencyError('postgres', `${what}: ${(err as Error).message}`, err);
    }
    throw err;
  }
}

/** Creates the database named in the URL when missing (connects to the `postgres` maintenance db). */
export async function ensureDatabase(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new DependencyError(
      'postgres',
      `cannot connect to ${admin.host} (${(err as Error).message}); is PostgreSQL running?`,
      err,
    );
  }
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) return false;
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    return true;
  } finally {
    await client.end();
  }
}

/** Drops a database on the same server as `baseUrl` (connecting to the maintenance db `postgres`). */
export async function dropDatabase(baseUrl: string, name: string): Promise<void> {
  const admin = new URL(baseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** A migrated database of its own beside `baseUrl`'s, for a test or a benchmark; drop() removes it. */
export async function scratchDatabase(
  baseUrl: string,
  name: string,
): Promise<{ url: string; pool: pg.Pool; drop: () => Promise<void> }> {
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  const pool = createPool(url.toString());
  await migrate(pool);
  return {
    url: url.toString(),
    pool,
    drop: async () => {
      await pool.end();
      await dropDatabase(baseUrl, name);
    },
  };
}

const LEDGER_LOCK = 724_002;

export const rowHash = (eventId: string, recordText: string) =>
  crypto.createHash('sha256').update(`${eventId}|${recordText}`).digest();

export function batchHash(prev: Buffer | null, rowHashesInEventIdOrder: Buffer[]): Buffer {
  const h = crypto.createHash('sha256');
  if (prev) h.update(prev);
  for (const r of rowHashesInEventIdOrder) h.update(r);
  return h.digest();
}

export interface SinkRow {
  event: SerializationEvent;
  recallId: string | null;
  /** Kafka timestamp (ms) of the raw record the event came from, when known. */
  originTs?: number | null;
}

/**
 * Writes one batch in one transaction; idempotent. Returns how many events were new.
 * Order-tolerant: identifiers and aggregation facts are append-only (intervals are derived),
 * and unit state only moves to an event with a later event time.
 */
export async function writeBatch(pool: pg.Pool, rows: SinkRow[], sink: string): Promise<number> {
  if (rows.length === 0) return 0;
  return db('journey sink write', async () => {
    const client = await pool.connect();
    let released = false;
    try {
      await client.query('BEGIN');
      const batchId = Number(
        (await client.query<{ id: string }>("SELECT nextval('ut.ledger_batch_seq') AS id")).rows[0]!.id,
      );
      const cols = 18;
      const values: unknown[] = [];
      const tuples: string[] = [];
      const texts = new Map<string, string>();
      // One lock order for every sink: concurrent batches touching the same keys wait, never deadlock.
      const ordered = [...rows].sort((a, b) =>
        a.event.eventId < b.event.eventId ? -1 : a.event.eventId > b.event.eventId ? 1 : 0,
      );
      ordered.forEach(({ event: e, recallId, originTs }, i) => {
        const text = JSON.stringify(e);
        texts.set(e.eventId, text);
        const b = i * cols;
        tuples.push(`(${Array.from({ length: cols }, (_, k) => `$${b + k + 1}`).join(',')},${batchId})`);
        values.push(
          e.eventId,
          new Date(e.eventTime),
          e.eventTimeZoneOffset,
          e.eventType,
          e.action,
          e.bizStep,
          e.disposition,
          e.readPoint,
          e.bizLocation,
          e.parentId?.uri ?? null,
          e.sourceSystem,
          e.machineId,
          e.operatorId,
          recallId,
          e.sourceEventId,
          `${e.lineage.topic}/${e.lineage.partition}/${e.lineage.offset}`,
          text,
          originTs ? new Date(originTs) : null,
        );
      });
      const inserted = await client.query<{ event_id: string }>(
        `INSERT INTO ut.events (event_id, event_time, event_tz, event_type, action, biz_step, disposition, read_point,
           biz_location, parent_uri, source_system, machine_id, operator_id, recall_id, source_event_id, lineage, record, origin_ts, batch_id)
         VALUES ${tuples.join(',')}
         ON CONFLICT DO NOTHING RETURNING event_id`,
        values,
      );
      const fresh = new Set(inserted.rows.map((r) => r.event_id));
      // Once each: a batch may hold the same event twice (a replayed record next to its original).
      const pending = new Set(fresh);
      const freshRows = rows.filter((r) => pending.delete(r.event.eventId));
      if (freshRows.length > 0) {
        await insertIdentifiers(client, freshRows);
        await insertAggregationFacts(client, freshRows);
        await upsertUnitState(client, freshRows);
        // The chain: serialise only this last step across concurrent sinks.
        await client.query('SELECT pg_advisory_xact_lock($1)', [LEDGER_LOCK]);
        const prev = await client.query<{ batch_hash: Buffer; chain_seq: string }>(
          'SELECT batch_hash, chain_seq FROM ut.ledger_batches ORDER BY chain_seq DESC LIMIT 1',
        );
        const prevHash = prev.rows[0]?.batch_hash ?? null;
        const seq = Number(prev.rows[0]?.chain_seq ?? 0) + 1;
        const ids = [...fresh].sort();
        const hash = batchHash(
          prevHash,
          ids.map((id) => rowHash(id, texts.get(id)!)),
        );
        await client.query(
          'INSERT INTO ut.ledger_batches (batch_id, chain_seq, prev_hash, batch_hash, row_count, sink) VALUES ($1,$2,$3,$4,$5,$6)',
          [batchId, seq, prevHash, hash, ids.length, sink],
        );
      }
      await client.query('COMMIT');
      return freshRows.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      // A client whose connection failed is destroyed, not returned to the pool.
      released = true;
      client.release(isConnectionFailure(err) ? (err as Error) : undefined);
      throw err;
    } finally {
      if (!released) client.release();
    }
  });
}

async function insertIdentifiers(client: pg.PoolClient, rows: SinkRow[]): Promise<void> {
  const cols = {
    event_id: [] as string[],
    event_time: [] as Date[],
    role: [] as string[],
    uri: [] as string[],
    scheme: [] as string[],
    gtin: [] as (string | null)[],
    serial: [] as (string | null)[],
    lot: [] as (string | null)[],
    sscc: [] as (string | null)[],
  };
  for (const { event } of rows) {
    for (const { role, id } of touchedIdentifiers(event)) {
      cols.event_id.push(event.eventId);
      cols.event_time.push(new Date(event.eventTime));
      cols.role.push(role);
      cols.uri.push(id.uri);
      cols.scheme.push(id.scheme);
      cols.gtin.push(id.gtin);
      cols.serial.push(id.serial);
      cols.lot.push(id.lot);
      cols.sscc.push(id.sscc);
    }
  }
  if (cols.uri.length === 0) return;
  await client.query(
    `INSERT INTO ut.event_identifiers (event_id, event_time, role, uri, scheme, gtin, serial, lot, sscc)
     SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
     ON CONFLICT DO NOTHING`,
    [
      cols.event_id,
      cols.event_time,
      cols.role,
      cols.uri,
      cols.scheme,
      cols.gtin,
      cols.serial,
      cols.lot,
      cols.sscc,
    ],
  );
}

async function insertAggregationFacts(client: pg.PoolClient, rows: SinkRow[]): Promise<void> {
  const ev: string[] = [],
    child: string[] = [],
    parent: string[] = [],
    time: Date[] = [],
    action: string[] = [];
  for (const { event: e } of rows) {
    if (e.eventType !== 'AggregationEvent' || !e.parentId || !e.action) continue;
    const children =
      e.childEpcs.length > 0 ? e.childEpcs.map((c) => c.uri) : e.action === 'DELETE' ? ['*'] : [];
    for (const c of children) {
      ev.push(e.eventId);
      child.push(c);
      parent.push(e.parentId.uri);
      time.push(new Date(e.eventTime));
      action.push(e.action);
    }
  }
  if (ev.length === 0) return;
  await client.query(
    `INSERT INTO ut.aggregation_facts (event_id, child_uri, parent_uri, event_time, action)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[]) ON CONFLICT DO NOTHING`,
    [ev, child, parent, time, action],
  );
}

async function upsertUnitState(client: pg.PoolClient, rows: SinkRow[]): Promise<void> {
  // Newest event per identifier within the batch first, so one row per uri reaches the upsert.
  const latest = new Map<string, { row: SinkRow; id: ReturnType<typeof touchedIdentifiers>[number]['id'] }>();
  for (const row of rows) {
    for (const { id } of touchedIdentifiers(row.event)) {
      const cur = latest.get(id.uri);
      if (!cur || newer(row.event, cur.row.event)) latest.set(id.uri, { row, id });
    }
  }
  const c = {
    uri: [] as string[],
    scheme: [] as string[],
    gtin: [] as (string | null)[],
    serial: [] as (string | null)[],
    lot: [] as (string | null)[],
    ev: [] as string[],
    t: [] as Date[],
    step: [] as (string | null)[],
    disp: [] as (string | null)[],
    loc: [] as (string | null)[],
    rp: [] as (string | null)[],
    recall: [] as (string | null)[],
  };
  for (const [uri, { row, id }] of [...latest].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    c.uri.push(uri);
    c.scheme.push(id.scheme);
    c.gtin.push(id.gtin);
    c.serial.push(id.serial);
    c.lot.push(id.lot);
    c.ev.push(row.event.eventId);
    c.t.push(new Date(row.event.eventTime));
    c.step.push(row.event.bizStep);
    c.disp.push(row.event.disposition);
    c.loc.push(row.event.bizLocation);
    c.rp.push(row.event.readPoint);
    c.recall.push(row.recallId);
  }
  await client.query(
    `INSERT INTO ut.unit_state AS s (uri, scheme, gtin, serial, lot, last_event_id, last_event_time, biz_step, disposition, biz_location, read_point, recall_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
     ON CONFLICT (uri) DO UPDATE SET
       last_event_id = excluded.last_event_id, last_event_time = excluded.last_event_time,
       biz_step = excluded.biz_step, disposition = COALESCE(excluded.disposition, s.disposition),
       biz_location = COALESCE(excluded.biz_location, s.biz_location), read_point = COALESCE(excluded.read_point, s.read_point),
       recall_id = COALESCE(excluded.recall_id, s.recall_id),
       lot = COALESCE(s.lot, excluded.lot), updated_at = now()
     WHERE (excluded.last_event_time, excluded.last_event_id) > (s.last_event_time, s.last_event_id)`,
    [c.uri, c.scheme, c.gtin, c.serial, c.lot, c.ev, c.t, c.step, c.disp, c.loc, c.rp, c.recall],
  );
}

function newer(a: SerializationEvent, b: SerializationEvent): boolean {
  return a.eventTime > b.eventTime || (a.eventTime === b.eventTime && a.eventId > b.eventId);
}

export interface VerifyResult {
  ok: boolean;
  batches: number;
  rows: number;
  /** The first batch whose recomputed hash differs (chain order), with why. */
  firstBad?: { batchId: number; chainSeq: number; reason: string };
}

/**
 * Recomputes the chain from the stored rows in chain order. Row hashes are recomputed in SQL from
 * the stored text (json keeps it byte for byte), so any change made outside the sink shows.
 */
export async function verifyLedger(
  pool: pg.Pool,
  onProgress?: (done: number, total: number) => void,
): Promise<VerifyResult> {
  const total = Number(
    (await pool.query<{ n: string }>('SELECT count(*) AS n FROM ut.ledger_batches')).rows[0]!.n,
  );
  let prev: Buffer | null = null;
  let done = 0;
  let rows = 0;
  const page = 500;
  for (let fromSeq = 0; ;) {
    const batches = await pool.query<{
      batch_id: string;
      chain_seq: string;
      prev_hash: Buffer | null;
      batch_hash: Buffer;
      row_count: number;
    }>(
      'SELECT batch_id, chain_seq, prev_hash, batch_hash, row_count FROM ut.ledger_batches WHERE chain_seq > $1 ORDER BY chain_seq LIMIT $2',
      [fromSeq, page],
    );
    if (batches.rowCount === 0) break;
    const ids = batches.rows.map((b) => b.batch_id);
    const rowHashes = await pool.query<{ batch_id: string; hashes: Buffer[]; n: string }>(
      `SELECT batch_id, array_agg(sha256(convert_to(event_id || '|' || record::text, 'UTF8')) ORDER BY event_id COLLATE "C") AS hashes, count(*) AS n
         FROM ut.events WHERE batch_id = ANY($1::bigint[]) GROUP BY batch_id`,
      [ids],
    );
    const byBatch = new Map(rowHashes.rows.map((r) => [r.batch_id, r]));
    for (const b of batches.rows) {
      const bad = (reason: string): VerifyResult => ({
        ok: false,
        batches: done,
        rows,
        firstBad: { batchId: Number(b.batch_id), chainSeq: Number(b.chain_seq), reason },
      });
      const prevStored = b.prev_hash ? Buffer.from(b.prev_hash) : null;
      if ((prev === null) !== (prevStored === null) || (prev && prevStored && !prev.equals(prevStored))) {
        return bad('its link to the previous batch was changed');
      }
      const r = byBatch.get(b.batch_id);
      const n = Number(r?.n ?? 0);
      if (n !== b.row_count) return bad(`it should hold ${b.row_count} rows and holds ${n}`);
      const hash = batchHash(prev, r?.hashes ?? []);
      if (!hash.equals(Buffer.from(b.batch_hash))) return bad('a row in it was changed');
      prev = hash;
      done++;
      rows += n;
      fromSeq = Number(b.chain_seq);
    }
    onProgress?.(done, total);
  }
  const orphans = await pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM ut.events e WHERE NOT EXISTS (SELECT 1 FROM ut.ledger_batches b WHERE b.batch_id = e.batch_id)',
  );
  if (Number(orphans.rows[0]!.n) > 0) {
    return {
      ok: false,
      batches: done,
      rows,
      firstBad: {
        batchId: -1,
        chainSeq: -1,
        reason: `${orphans.rows[0]!.n} rows belong to no batch of the chain`,
      },
    };
  }
  return { ok: true, batches: done, rows };
}

export interface DlqRow {
  dlqId: string;
  stage: string;
  reasons: { code: string; message: string }[];
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: number;
  schemaId: number | null;
  sourceSystem: string | null;
  deviceId: string | null;
  eventId: string | null;
  originalKey: Buffer | null;
  originalValue: Buffer | null;
  originalHeaders: Record<string, Buffer>;
  replayOf: string | null;
  failedAt: number;
}

export async function writeDlq(pool: pg.Pool, rows: DlqRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db('dlq write', async () => {
    const values: unknown[] = [];
    const tuples = rows.map((r, i) => {
      values.push(
        r.dlqId,
        r.stage,
        r.reasons.map((x) => x.code),
        JSON.stringify(r.reasons),
        r.sourceTopic,
        r.sourcePartition,
        r.sourceOffset,
        r.schemaId,
        r.sourceSystem,
        r.deviceId,
        r.eventId,
        r.originalKey,
        r.originalValue,
        JSON.stringify(
          Object.fromEntries(
            Object.entries(r.originalHeaders).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
        ),
        r.replayOf,
        new Date(r.failedAt),
      );
      return `(${Array.from({ length: 16 }, (_, k) => `$${i * 16 + k + 1}`).join(',')})`;
    });
    await pool.query(
      `INSERT INTO ut.dlq (dlq_id, stage, reason_codes, reasons, source_topic, source_partition, source_offset, schema_id,
         source_system, device_id, event_id, original_key, original_value, original_headers, replay_of, failed_at)
       VALUES ${tuples.join(',')} ON CONFLICT (dlq_id) DO NOTHING`,
      values,
    );
  });
}
