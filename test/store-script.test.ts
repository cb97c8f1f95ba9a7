/**
 * runScript (libs/store/copy.ts) against a real PostgreSQL: statements and binary COPYs in one
 * write and one round trip, and a connection that stays usable when a statement of the script fails.
 */
import type pg from 'pg';
import { freshDatabase } from './helpers';
import { BinaryRows, prepareBatch, runScript, writePrepared } from '../libs/store';
import { canonicalEvent } from '../libs/events';

jest.setTimeout(60_000);

let db: Awaited<ReturnType<typeof freshDatabase>>;
let pool: pg.Pool;
beforeAll(async () => {
  db = await freshDatabase('script');
  pool = db.pool;
}, 60_000);
afterAll(async () => db.drop(), 60_000);

const rows = (...values: [string, number | null][]) => {
  const out = new BinaryRows();
  for (const [text, ms] of values) out.row(2).text(text).time(ms);
  return out.take();
};

/** Counts the writes to the client's socket while `fn` runs. */
async function writesDuring(client: pg.PoolClient, fn: () => Promise<unknown>): Promise<number> {
  const stream = (client as unknown as { connection: { stream: { write: (...a: unknown[]) => boolean } } })
    .connection.stream;
  const write = stream.write;
  let n = 0;
  stream.write = (...a: unknown[]) => {
    n++;
    return write.apply(stream, a);
  };
  try {
    await fn();
  } finally {
    stream.write = write;
  }
  return n;
}

describe('runScript', () => {
  it('runs statements and several COPYs in order, in one write', async () => {
    const client = await pool.connect();
    try {
      await client.query(
        'CREATE TEMP TABLE a (name text, at timestamptz); CREATE TEMP TABLE b (name text, at timestamptz)',
      );
      const t = Date.UTC(2026, 11, 2, 9, 30, 0, 123);
      const writes = await writesDuring(client, () =>
        runScript(client, [
          'BEGIN',
          { copy: 'a (name, at)', rows: [rows(['one', t]), rows(['zwei ü', null])] },
          { copy: 'b (name, at)', rows: [] }, // nothing to copy: left out
          "INSERT INTO b SELECT name || '!', at FROM a",
          { copy: 'b (name, at)', rows: [rows(["it's", t + 1])] },
          'COMMIT',
        ]),
      );
      expect(writes).toBe(1);
      const a = await client.query('SELECT name, at FROM a ORDER BY name');
      expect(a.rows).toEqual([
        { name: 'one', at: new Date(t) },
        { name: 'zwei ü', at: null },
      ]);
      const b = await client.query('SELECT name, at FROM b ORDER BY name');
      expect(b.rows).toEqual([
        { name: "it's", at: new Date(t + 1) },
        { name: 'one!', at: new Date(t) },
        { name: 'zwei ü!', at: null },
      ]);
    } finally {
      client.release();
    }
  });

  it('rejects with the server error of a failing COPY; the rest is skipped and the connection goes on', async () => {
    const client = await pool.connect();
    try {
      await client.query(
        'CREATE TEMP TABLE k (name text PRIMARY KEY, at timestamptz); CREATE TEMP TABLE after (name text, at timestamptz)',
      );
      await client.query('BEGIN');
      const failed = runScript(client, [
        { copy: 'k (name, at)', rows: [rows(['x', null], ['x', null])] },
        { copy: 'after (name, at)', rows: [rows(['never', null])] },
        'COMMIT',
      ]);
      await expect(failed).rejects.toMatchObject({ code: '23505', table: 'k' });
      // The transaction is aborted, as after any failed statement; the data behind the failed COPY was dropped.
      await expect(client.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
      await client.query('ROLLBACK');
      await runScript(client, [{ copy: 'after (name, at)', rows: [rows(['later', null])] }]);
      const after = await client.query('SELECT name FROM after');
      expect(after.rows).toEqual([{ name: 'later' }]);
    } finally {
      client.release();
    }
  });

  it('rejects when a statement before the first COPY fails, and the COPY data sent behind it is ignored', async () => {
    const client = await pool.connect();
    try {
      await client.query('CREATE TEMP TABLE c (name text, at timestamptz)');
      await expect(
        runScript(client, [
          'SELECT * FROM no_such_table',
          { copy: 'c (name, at)', rows: [rows(['lost', null])] },
        ]),
      ).rejects.toMatchObject({ code: '42P01' });
      const answer = await client.query('SELECT count(*)::int AS n FROM c');
      expect(answer.rows).toEqual([{ n: 0 }]);
    } finally {
      client.release();
    }
  });
});

describe('writePrepared', () => {
  const event = (n: number) =>
    canonicalEvent({
      eventId: `ni:///sha-256;${n.toString(16).padStart(64, 'a')}?ver=CBV2.0`,
      eventType: 'ObjectEvent',
      action: 'OBSERVE',
      eventTime: Date.UTC(2026, 10, 30, 8) + n,
      eventTimeZoneOffset: '+00:00',
      sourceSystem: 'WMS',
      epcList: [
        {
          uri: `https://id.gs1.org/01/04012345100019/21/S${n}`,
          scheme: 'sgtin',
          gtin: '04012345100019',
          serial: `S${n}`,
          lot: 'L1',
          sscc: null,
          original: null,
        },
      ],
      lineage: { topic: 'ut.raw.wms.v1', partition: 0, offset: n, schemaId: 1 },
    });

  it('writes a batch of new events in two round trips, and a replayed one still lands once', async () => {
    const client = await pool.connect();
    const queries: unknown[] = [];
    const query = client.query.bind(client);
    (client as unknown as { query: unknown }).query = (q: unknown, ...rest: unknown[]) => {
      queries.push(q);
      return (query as (...a: unknown[]) => unknown)(q, ...rest);
    };
    try {
      // Events by number, written as one batch of chain 'script-test' (an anchor every 1,000 batches).
      const write = (...ns: number[]) =>
        writePrepared(
          client,
          prepareBatch(ns.map((n) => ({ event: event(n), recallId: null }))),
          'script-test',
          { chain: 'script-test', anchorEvery: 1_000 },
        );
      // The chain's first batch is due an anchor: written first, so the next batch is a usual one.
      await write(1);
      queries.length = 0;
      const fresh = await write(2, 3);
      expect(fresh).toBe(2);
      expect(queries).toHaveLength(2);
      // A replay of event 3 beside a new event 4: the fallback path names the one new event.
      const replay = await write(3, 4);
      expect(replay).toBe(1);
    } finally {
      client.release();
    }
    const stored = await pool.query(
      `SELECT (SELECT count(*)::int FROM ut.events) AS events,
              (SELECT count(*)::int FROM ut.event_identifiers) AS identifiers,
              (SELECT count(*)::int FROM ut.unit_state) AS units,
              (SELECT array_agg(row_count ORDER BY chain_seq) FROM ut.ledger_batches WHERE chain = 'script-test') AS batches`,
    );
    expect(stored.rows[0]).toEqual({ events: 4, identifiers: 4, units: 4, batches: [1, 2, 1] });
  });
});
