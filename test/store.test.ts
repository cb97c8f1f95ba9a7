/** The journey store against a real PostgreSQL: idempotent writes, order tolerance, the tamper-evident ledger. */
import type pg from 'pg';
import { freshDatabase } from './helpers';
import {
  verifyLedger,
  writeBatch,
  listMigrations,
  migrate,
  prepareBatch,
  writePrepared,
} from '../libs/store';
import { canonicalEvent, type Identifier, type SerializationEvent } from '../libs/events';

const sgtin = (serial: string): Identifier => ({
  uri: `https://id.gs1.org/01/04012345100019/21/${serial}`,
  scheme: 'sgtin',
  gtin: '04012345100019',
  serial,
  lot: 'L1',
  sscc: null,
  original: null,
});
const sscc = (n: string): Identifier => ({
  uri: `https://id.gs1.org/00/${n}`,
  scheme: 'sscc',
  gtin: null,
  serial: null,
  lot: null,
  sscc: n,
  original: null,
});
let seq = 0;
function ev(over: Partial<SerializationEvent>): SerializationEvent {
  seq++;
  return canonicalEvent({
    eventId: `ni:///sha-256;${seq.toString(16).padStart(64, '0')}?ver=CBV2.0`,
    eventType: 'ObjectEvent',
    action: 'OBSERVE',
    eventTime: Date.UTC(2026, 0, 5, 6),
    eventTimeZoneOffset: '+01:00',
    sourceSystem: 'MES',
    machineId: 'm1',
    lineage: { topic: 'ut.raw.mes.v1', partition: 0, offset: seq, schemaId: 1 },
    ...over,
  });
}
const row = (event: SerializationEvent) => ({ event, recallId: null });

// Whole batches against a real PostgreSQL: more than jest's 5 s on a busy box.
jest.setTimeout(120_000);

let db: Awaited<ReturnType<typeof freshDatabase>>;
let pool: pg.Pool;
beforeAll(async () => {
  db = await freshDatabase('store');
  pool = db.pool;
}, 60_000);
afterAll(async () => db.drop(), 60_000);

describe('journey store', () => {
  it('applies migrations once; running them again changes nothing', async () => {
    expect(await migrate(pool)).toEqual([]);
    const applied = await pool.query('SELECT count(*)::int AS n FROM ut_schema_migrations');
    expect(applied.rows[0].n).toBe(listMigrations().length);
  });

  it('writes a batch once, however often it is replayed', async () => {
    const batch = [ev({ epcList: [sgtin('001')] }), ev({ epcList: [sgtin('002')] })];
    expect(await writeBatch(pool, batch.map(row), 'test')).toBe(2);
    expect(await writeBatch(pool, batch.map(row), 'test')).toBe(0);
    const n = await pool.query('SELECT count(*)::int AS n FROM ut.events WHERE event_id = ANY($1)', [
      batch.map((b) => b.eventId),
    ]);
    expect(n.rows[0].n).toBe(2);
  });

  it('moves unit state only to a newer event, whatever the arrival order', async () => {
    const late = ev({ epcList: [sgtin('010')], eventTime: Date.UTC(2026, 0, 6), bizStep: 'shipping' });
    const early = ev({ epcList: [sgtin('010')], eventTime: Date.UTC(2026, 0, 5), bizStep: 'commissioning' });
    await writeBatch(pool, [row(late)], 'test');
    await writeBatch(pool, [row(early)], 'test');
    const s = await pool.query('SELECT biz_step, last_event_id FROM ut.unit_state WHERE uri = $1', [
      sgtin('010').uri,
    ]);
    expect(s.rows[0]).toEqual({ biz_step: 'shipping', last_event_id: late.eventId });
  });

  it('keeps unit state byte for byte when its values hold quotes, backslashes, commas, braces or NULL', async () => {
    // Unit state goes in as array literals inline with the COMMIT (one round trip): every text
    // must come back as it went in.
    const odd = `a"b\\c,d{e}f'g NULL`;
    const unit = { ...sgtin(`O"\\,{}'1`), lot: odd };
    const parent = sscc('340123450000000097');
    const e = ev({
      eventType: 'AggregationEvent',
      action: 'ADD',
      parentId: parent,
      childEpcs: [unit],
      bizStep: odd,
      disposition: null,
      readPoint: `rp\\"${odd}`,
    });
    await writeBatch(pool, [{ event: e, recallId: `R"\\{1}` }], 'test');
    const s = await pool.query(
      'SELECT serial, lot, biz_step, disposition, read_point, recall_id, container_uri FROM ut.unit_state WHERE uri = $1',
      [unit.uri],
    );
    expect(s.rows[0]).toEqual({
      serial: unit.serial,
      lot: odd,
      biz_step: odd,
      disposition: null,
      read_point: `rp\\"${odd}`,
      recall_id: `R"\\{1}`,
      container_uri: parent.uri,
    });
  });

  it('derives aggregation intervals from ADD and DELETE in any order', async () => {
    const unit = sgtin('020');
    const caseA = sscc('340123450000000011');
    const caseB = sscc('340123450000000028');
    const t = (h: number) => Date.UTC(2026, 0, 5, h);
    const add = ev({
      eventType: 'AggregationEvent',
      action: 'ADD',
      parentId: caseA,
      childEpcs: [unit],
      eventTime: t(1),
    });
    const del = ev({
      eventType: 'AggregationEvent',
      action: 'DELETE',
      parentId: caseA,
      childEpcs: [],
      eventTime: t(3),
    });
    const re = ev({
      eventType: 'AggregationEvent',
      action: 'ADD',
      parentId: caseB,
      childEpcs: [unit],
      eventTime: t(5),
    });
    await writeBatch(pool, [row(re)], 'test'); // the latest first
    await writeBatch(pool, [row(del), row(add)], 'test');
    const r = await pool.query(
      'SELECT parent_uri, from_time, to_time FROM ut.aggregation_intervals WHERE child_uri = $1 ORDER BY from_time',
      [unit.uri],
    );
    expect(r.rows).toEqual([
      { parent_uri: caseA.uri, from_time: new Date(t(1)), to_time: new Date(t(3)) },
      { parent_uri: caseB.uri, from_time: new Date(t(5)), to_time: null },
    ]);
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the ledger', async () => {
    await expect(pool.query("UPDATE ut.events SET biz_step = 'x'")).rejects.toThrow(/append-only/);
    await expect(pool.query('DELETE FROM ut.events')).rejects.toThrow(/append-only/);
    await expect(pool.query('TRUNCATE ut.events')).rejects.toThrow(/append-only/);
    await expect(pool.query('DELETE FROM ut.ledger_batches')).rejects.toThrow(/append-only/);
  });

  it('verifies an untouched ledger and names the batch a superuser tampered with', async () => {
    const before = await verifyLedger(pool);
    expect(before).toMatchObject({ ok: true });
    expect(before.rows).toBeGreaterThan(0);
    const victim = await pool.query(
      'SELECT event_id, batch_id FROM ut.events ORDER BY inserted_at LIMIT 1 OFFSET 1',
    );
    const client = await pool.connect();
    try {
      await client.query("SET session_replication_role = 'replica'"); // superuser: triggers off
      await client.query(
        `UPDATE ut.events SET record = json_build_object('tampered', true) WHERE event_id = $1`,
        [victim.rows[0].event_id],
      );
      await client.query("SET session_replication_role = 'origin'");
    } finally {
      client.release();
    }
    const after = await verifyLedger(pool);
    expect(after.ok).toBe(false);
    expect(after.firstBad).toMatchObject({
      batchId: Number(victim.rows[0].batch_id),
      reason: 'a row in it was changed',
    });
  });
});

describe('journey store, a batch holding one event twice', () => {
  let db2: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db2 = await freshDatabase('store_twice');
  }, 60_000);
  afterAll(async () => db2.drop(), 60_000);

  it('writes the event, its identifiers and its aggregation facts once, and the chain still verifies', async () => {
    const e = ev({
      eventType: 'AggregationEvent',
      action: 'ADD',
      parentId: sscc('340123450000000035'),
      childEpcs: [sgtin('030'), sgtin('031')],
    });
    expect(await writeBatch(db2.pool, [row(e), row(e)], 'test')).toBe(1);
    const ids = await db2.pool.query(
      'SELECT count(*)::int AS n FROM ut.event_identifiers WHERE event_id = $1',
      [e.eventId],
    );
    const facts = await db2.pool.query(
      'SELECT count(*)::int AS n FROM ut.aggregation_facts WHERE event_id = $1',
      [e.eventId],
    );
    expect({ ids: ids.rows[0].n, facts: facts.rows[0].n }).toEqual({ ids: 3, facts: 2 });
    expect(await verifyLedger(db2.pool)).toMatchObject({ ok: true, rows: 1 });
  });
});

describe('journey store, one hash chain per partition tied by anchors', () => {
  let db3: Awaited<ReturnType<typeof freshDatabase>>;
  const asSuperuser = async (sql: string, params: unknown[]) => {
    const client = await db3.pool.connect();
    try {
      await client.query("SET session_replication_role = 'replica'"); // superuser: triggers off
      await client.query(sql, params);
      await client.query("SET session_replication_role = 'origin'");
    } finally {
      client.release();
    }
  };
  beforeAll(async () => {
    db3 = await freshDatabase('store_chains');
    // Two partitions' sinks at the same time, three batches each, an anchor every second batch.
    for (let i = 0; i < 3; i++) {
      await Promise.all(
        ['ut.journey.v1/0', 'ut.journey.v1/1'].map((chain, k) =>
          writeBatch(
            db3.pool,
            [ev({ epcList: [sgtin(`1${k}${i}`)] }), ev({ epcList: [sgtin(`2${k}${i}`)] })].map(row),
            `sink-${k}`,
            { chain, anchorEvery: 2 },
          ),
        ),
      );
    }
  }, 60_000);
  afterAll(async () => db3.drop(), 60_000);

  it('verifies every chain and every anchor', async () => {
    const r = await verifyLedger(db3.pool);
    expect(r).toMatchObject({ ok: true, chains: 2, batches: 6, rows: 12 });
    expect(r.anchors).toBeGreaterThanOrEqual(2);
    const seqs = await db3.pool.query<{ chain: string; seqs: string[] }>(
      'SELECT chain, array_agg(chain_seq ORDER BY chain_seq) AS seqs FROM ut.ledger_batches GROUP BY chain ORDER BY chain',
    );
    expect(seqs.rows.map((r) => [r.chain, r.seqs.map(Number)])).toEqual([
      ['ut.journey.v1/0', [1, 2, 3]],
      ['ut.journey.v1/1', [1, 2, 3]],
    ]);
  });

  it('names the changed batch of the second chain', async () => {
    const victim = await db3.pool.query(
      `SELECT e.event_id, e.batch_id FROM ut.events e JOIN ut.ledger_batches b ON b.batch_id = e.batch_id
        WHERE b.chain = 'ut.journey.v1/1' AND b.chain_seq = 2 LIMIT 1`,
    );
    await asSuperuser(
      `UPDATE ut.events SET record = json_build_object('tampered', true) WHERE event_id = $1`,
      [victim.rows[0].event_id],
    );
    const r = await verifyLedger(db3.pool);
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({
      batchId: Number(victim.rows[0].batch_id),
      chain: 'ut.journey.v1/1',
      chainSeq: 2,
      reason: 'a row in it was changed',
    });
  });

  it('notices an anchor that was changed', async () => {
    const anchor = await db3.pool.query(
      'SELECT anchor_seq, heads::text AS heads FROM ut.ledger_anchors ORDER BY anchor_seq LIMIT 1',
    );
    const heads = JSON.parse(anchor.rows[0].heads) as [string, number, string][];
    heads[0]![2] = '00'.repeat(32);
    await asSuperuser('UPDATE ut.ledger_anchors SET heads = $1 WHERE anchor_seq = $2', [
      JSON.stringify(heads),
      anchor.rows[0].anchor_seq,
    ]);
    const r = await verifyLedger(db3.pool);
    expect(r.ok).toBe(false);
    expect(r.firstBad?.reason).toMatch(/anchor 1/);
  });
});

describe('journey store, two sinks sharing units', () => {
  let db4: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db4 = await freshDatabase('store_locks');
  }, 60_000);
  afterAll(async () => db4.drop(), 60_000);

  // Sink A observes the upper half of a case's units and unpacks the whole case ('*'); sink B, on
  // another partition, observes every unit of it at the same moment. Written without the sink's
  // retry: a deadlock (40P01) would reject one of them.
  it('never deadlock, and each unit ends where the newest facts put it', async () => {
    const rounds = 8;
    for (let r = 0; r < rounds; r++) {
      const parent = sscc(`3${String(r).padStart(17, '0')}`);
      const units = Array.from({ length: 120 }, (_, i) => sgtin(`LK${r}U${String(i).padStart(3, '0')}`));
      const t0 = Date.UTC(2026, 1, 1, 8, r);
      await writeBatch(
        db4.pool,
        [
          ...units.map((u) => row(ev({ action: 'ADD', epcList: [u], eventTime: t0 }))),
          row(
            ev({
              eventType: 'AggregationEvent',
              action: 'ADD',
              parentId: parent,
              childEpcs: units,
              eventTime: t0 + 1000,
            }),
          ),
        ],
        'journey-sink',
        { chain: 'setup' },
      );
      const a = prepareBatch([
        ...units.slice(60).map((u) => row(ev({ epcList: [u], eventTime: t0 + 2000 }))),
        row(ev({ eventType: 'AggregationEvent', action: 'DELETE', parentId: parent, eventTime: t0 + 3000 })),
      ]);
      const b = prepareBatch(units.map((u) => row(ev({ epcList: [u], eventTime: t0 + 2500 }))));
      const [ca, cb] = [await db4.pool.connect(), await db4.pool.connect()];
      try {
        const results = await Promise.allSettled([
          writePrepared(ca, a, 'journey-sink', { chain: 'ut.journey.v1/0' }),
          writePrepared(cb, b, 'journey-sink', { chain: 'ut.journey.v1/1' }),
        ]);
        expect(results.map((x) => (x.status === 'rejected' ? String(x.reason) : 'ok'))).toEqual(['ok', 'ok']);
      } finally {
        ca.release();
        cb.release();
      }
      const inside = await db4.pool.query(
        'SELECT count(*)::int AS n FROM ut.unit_state WHERE container_uri = $1',
        [parent.uri],
      );
      expect(inside.rows[0].n).toBe(0);
    }
  });
});
