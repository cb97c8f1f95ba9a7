/** The journey store in PostgreSQL: connection, the sink's batch write, the ledger chain, queries. */
import pg from 'pg';
import { DependencyError, oneLine } from '../errors';
import { createRetry } from '../retry';
import { prepareBatch, writePrepared, type SinkRow, type WriteOptions } from './write';
import type { Config } from '../config';

import { migrate } from './migrate';
import { storableText } from './text';
import { storeTypes } from './timestamps';

export { migrate, listMigrations } from './migrate';
export { storableText } from './text';
export {
  CONTAINERS_FROM_FACTS_SQL,
  IDENTIFIER_COLUMNS,
  prepareBatch,
  writePrepared,
  rowHash,
  type SinkRow,
  type WriteOptions,
  type PreparedBatch,
} from './write';
export { verifyLedger, batchHash, anchorHash, appendChain, writeAnchor, type VerifyResult } from './ledger';
export { BinaryRows, copyInBinary, runScript, type ScriptStep } from './copy';
export { grantAnalyst, ANALYST_GROUP } from './analyst';
export { db, isConnectionFailure } from './failure';
import { db, isConnectionFailure, markConnectionFailure } from './failure';

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
  { max = 4, keepIdle = false }: { max?: number; keepIdle?: boolean } = {},
): pg.Pool {
  return createPool(config.databaseUrl, {
    max,
    keepIdle,
    tls: { sslMode: config.databaseSslMode, ca: config.databaseSslCaFile },
  });
}

/** How long node-pg keeps an idle connection by default (its own default, said here). */
export const IDLE_CONNECTION_MS = 10_000;

/**
 * `keepIdle`: idle connections stay open until the pool ends, for the services that answer people
 * (console, ops API, capture and query API). A new connection is a new PostgreSQL backend: it maps
 * each shared buffer it touches for the first time (two page faults per 8 KB buffer without huge
 * pages), fills its catalog caches and plans its prepared statements again. On the 10M-event bench
 * store a 10,000-unit lot took p50 107-120 ms in a new connection and 30-38 ms in one that had
 * served before (docs/capacity.md); with node-pg's default a coordinator's query after ten quiet
 * seconds got a new one.
 */
export function createPool(
  url: string,
  { max = 4, tls = {}, keepIdle = false }: { max?: number; tls?: StoreTls; keepIdle?: boolean } = {},
): pg.Pool {
  const pool = new StorePool({
    connectionString: url,
    max,
    idleTimeoutMillis: keepIdle ? 0 : IDLE_CONNECTION_MS,
    connectionTimeoutMillis: 5000,
    // A server that vanished without a FIN (a cut cable, a failed-over host) is noticed by TCP keep-alive.
    keepAlive: true,
    ssl: sslOptions(tls),
    types: storeTypes,
    Client: StoreClient,
  });
  pool.on('error', () => {}); // idle-client errors surface on the next query instead
  return pool;
}

/** The database a PostgreSQL URL names (its path, percent-decoded; `postgres` when it names none). */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1)) || 'postgres';
}

/** The same URL naming another database on the same server, as the same user. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Creates the database named in the URL when missing (connects to the `postgres` maintenance db); true when it did. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  const admin = new URL(withDatabase(url, 'postgres'));
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
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
  } catch (err) {
    if ((err as { code?: string }).code === '42P04') return false; // created concurrently
    throw new DependencyError('postgres', `could not create database ${name}: ${oneLine(err)}`, err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops a database on the same server as `baseUrl` (connecting to the maintenance db `postgres`). */
export async function dropDatabase(baseUrl: string, name: string): Promise<void> {
  const client = new pg.Client({
    connectionString: withDatabase(baseUrl, 'postgres'),
    connectionTimeoutMillis: 5000,
  });
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
  const url = withDatabase(baseUrl, name);
  await ensureDatabase(url);
  const pool = createPool(url);
  await migrate(pool);
  return {
    url,
    pool,
    drop: async () => {
      await pool.end();
      await dropDatabase(baseUrl, name);
    },
  };
}

/**
 * Writes one batch in one transaction; idempotent. Returns how many events were new.
 * Order-tolerant: identifiers and aggregation facts are append-only (intervals are derived),
 * and unit state (with its container now) only moves to a newer event. See ./write.ts.
 */
export async function writeBatch(
  pool: pg.Pool,
  rows: SinkRow[],
  sink: string,
  options: WriteOptions = {},
): Promise<number> {
  if (rows.length === 0) return 0;
  const prepared = prepareBatch(rows);
  return db('journey sink write', () =>
    lostRace(async () => {
      const client = await pool.connect();
      let released = false;
      try {
        return await writePrepared(client, prepared, sink, options);
      } catch (err) {
        // A client whose connection failed is destroyed, not returned to the pool.
        released = true;
        client.release(isConnectionFailure(err) ? (err as Error) : undefined);
        throw err;
      } finally {
        if (!released) client.release();
      }
    }),
  );
}

/**
 * Two sinks whose batches share units or containers may deadlock or fail to serialize; PostgreSQL
 * then rolls one back. That batch is written again at once, a few times, before it counts as a
 * failure for the runtime's own back-off (the write is idempotent).
 */
const lostRace = createRetry({
  retries: 4,
  initialMs: 10,
  maxMs: 200,
  jitter: 1,
  retriable: (err) => ['40P01', '40001'].includes((err as { code?: unknown }).code as string),
});

/** The row with its text labels storable (see storableText); the original key, value and headers stay bytes. */
function storableDlqRow(r: DlqRow): DlqRow {
  const t = storableText;
  return {
    ...r,
    dlqId: t(r.dlqId),
    stage: t(r.stage),
    reasons: r.reasons.map((x) => ({ code: t(x.code), message: t(x.message) })),
    sourceTopic: t(r.sourceTopic),
    sourceSystem: t(r.sourceSystem),
    deviceId: t(r.deviceId),
    eventId: t(r.eventId),
    replayOf: t(r.replayOf),
  };
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
    const tuples = rows.map(storableDlqRow).map((r, i) => {
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
