/**
 * Migration 010 (the lean write path) takes an existing store to the new schema without losing a
 * row: a store is built at the migrations before it and filled the way the sink wrote before
 * (multi-row INSERTs, one global hash chain), then migrated; every row, every journey and the lot
 * view must be the same, the old chain must still verify, and the new sink must write on top.
 * Migration 086 (the lot view's memoized container walk, no JIT) likewise, from a store at 080.
 * Migration 090 (case histories chained across cases) likewise, from cases written the 070 way.
 * Migration 095 (ledger rows name their units; no identifier index by event) likewise, from a store
 * the sink wrote before it.
 * Migration 096 (device health history) likewise, from device health the stage wrote before it: its
 * state, positions and alert episodes stay as they were, and the stage's history adds on top.
 * Migration 098 (unit state without its index by container) likewise, from a store the sink wrote
 * before it: a DELETE of every child written after it still empties the container.
 * Migration 100 (lz4 for the record text in every ledger partition) likewise: every ledger row reads
 * as it was, and records written after it are compressed with lz4.
 * Migration 101 (the identifiers hash-partitioned by unit) likewise: every identifier row and journey
 * is the same, each row sits in the partition its uri hashes to, and rows written after it too.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import { config } from './helpers';
import {
  appendChain,
  batchHash,
  BinaryRows,
  copyInBinary,
  dropDatabase,
  ensureDatabase,
  createPool,
  IDENTIFIER_COLUMNS,
  listMigrations,
  migrate,
  prepareBatch,
  rowHash,
  verifyLedger,
  writeBatch,
} from '../libs/store';
import { touchedIdentifiers, type SerializationEvent } from '../libs/events';
import { referenceStory } from '../libs/journey';
import { canonicalEvent } from '../libs/events';
import { entryHash, entryText, openManualCase, verifyCases } from '../libs/cases';
import { addToHistory, loadFleet, observe, saveFleet, type Fleet, type HistoryBucket } from '../libs/devices';

const { story, GTIN, LOT, at, PLANT } = referenceStory;

/** The sink's write as it was before migration 010 (the schema of migrations 001-006). */
async function oldWriteBatch(pool: pg.Pool, events: SerializationEvent[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const batchId = (await client.query("SELECT nextval('ut.ledger_batch_seq') AS id")).rows[0].id;
    const texts = events.map((e) => JSON.stringify(e));
    await client.query(
      `INSERT INTO ut.events (event_id, event_time, event_tz, event_type, action, biz_step, disposition, read_point,
         biz_location, parent_uri, source_system, machine_id, lineage, record, batch_id)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
         $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::json[], $15::bigint[])`,
      [
        events.map((e) => e.eventId),
        events.map((e) => new Date(e.eventTime)),
        events.map((e) => e.eventTimeZoneOffset),
        events.map((e) => e.eventType),
        events.map((e) => e.action),
        events.map((e) => e.bizStep),
        events.map((e) => e.disposition),
        events.map((e) => e.readPoint),
        events.map((e) => e.bizLocation),
        events.map((e) => e.parentId?.uri ?? null),
        events.map((e) => e.sourceSystem),
        events.map((e) => e.machineId),
        events.map((e) => `${e.lineage.topic}/${e.lineage.partition}/${e.lineage.offset}`),
        texts,
        events.map(() => batchId),
      ],
    );
    for (const e of events) {
      for (const { role, id } of touchedIdentifiers(e)) {
        await client.query(
          `INSERT INTO ut.event_identifiers (event_id, event_time, role, uri, scheme, gtin, serial, lot, sscc)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
          [e.eventId, new Date(e.eventTime), role, id.uri, id.scheme, id.gtin, id.serial, id.lot, id.sscc],
        );
        await client.query(
          `INSERT INTO ut.unit_state AS s (uri, scheme, gtin, serial, lot, last_event_id, last_event_time, biz_step,
             disposition, biz_location, read_point)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
           ON CONFLICT (uri) DO UPDATE SET last_event_id = excluded.last_event_id,
             last_event_time = excluded.last_event_time, biz_step = excluded.biz_step,
             disposition = COALESCE(excluded.disposition, s.disposition),
             biz_location = COALESCE(excluded.biz_location, s.biz_location),
             read_point = COALESCE(excluded.read_point, s.read_point)
           WHERE (excluded.last_event_time, excluded.last_event_id) > (s.last_event_time, s.last_event_id)`,
          [
            id.uri,
            id.scheme,
            id.gtin,
            id.serial,
            id.lot,
            e.eventId,
            new Date(e.eventTime),
            e.bizStep,
            e.disposition,
            e.bizLocation,
            e.readPoint,
          ],
        );
      }
      if (e.eventType === 'AggregationEvent' && e.parentId && e.action) {
        const children =
          e.childEpcs.length > 0 ? e.childEpcs.map((c) => c.uri) : e.action === 'DELETE' ? ['*'] : [];
        for (const c of children) {
          await client.query(
            'INSERT INTO ut.aggregation_facts (event_id, child_uri, parent_uri, event_time, action) VALUES ($1,$2,$3,$4,$5)',
            [e.eventId, c, e.parentId.uri, new Date(e.eventTime), e.action],
          );
        }
      }
    }
    const prev = await client.query(
      'SELECT batch_hash, chain_seq FROM ut.ledger_batches ORDER BY chain_seq DESC LIMIT 1',
    );
    const order = events
      .map((e, i) => ({ id: e.eventId, text: texts[i]! }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const prevHash = prev.rows[0]?.batch_hash ?? null;
    await client.query(
      'INSERT INTO ut.ledger_batches (batch_id, chain_seq, prev_hash, batch_hash, row_count, sink) VALUES ($1,$2,$3,$4,$5,$6)',
      [
        batchId,
        Number(prev.rows[0]?.chain_seq ?? 0) + 1,
        prevHash,
        batchHash(
          prevHash,
          order.map((o) => rowHash(o.id, o.text)),
        ),
        events.length,
        'old-sink',
      ],
    );
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

const name = `unitrail_it_migration_${crypto.randomBytes(3).toString('hex')}`;
const urlOf = (db: string) => {
  const url = new URL(config.databaseUrl);
  url.pathname = `/${db}`;
  return url.toString();
};
/** A database of its own for the enclosing block: created before, dropped after; `pool()` reaches it. */
function scratchStore(db: string): () => pg.Pool {
  let p: pg.Pool;
  beforeAll(async () => {
    await ensureDatabase(urlOf(db));
    p = createPool(urlOf(db));
  }, 60_000);
  afterAll(async () => {
    await p.end();
    await dropDatabase(config.databaseUrl, db);
  }, 60_000);
  return () => p;
}
const storePool = scratchStore(name);
let pool: pg.Pool;
beforeAll(() => {
  pool = storePool();
});

/** Each unit's journey, as `ut.journey` gives it. */
async function journeysOf(db: pg.Pool, units: string[]): Promise<unknown[]> {
  const all: unknown[] = [];
  for (const u of units) all.push({ u, steps: (await db.query('SELECT * FROM ut.journey($1)', [u])).rows });
  return all;
}

type Snapshot = Record<string, unknown[]>;
async function snapshot(): Promise<Snapshot> {
  const q = async (sql: string) => (await pool.query(sql)).rows;
  const units = (await q('SELECT uri FROM ut.unit_state ORDER BY uri')).map((r) => r.uri as string);
  const journeys = await journeysOf(pool, units);
  return {
    events: await q(
      'SELECT event_id, event_time, batch_id, record::text AS record FROM ut.events ORDER BY event_id',
    ),
    identifiers: await q(
      'SELECT event_id, event_time, role, uri, gtin FROM ut.event_identifiers ORDER BY event_id, role, uri',
    ),
    facts: await q('SELECT * FROM ut.aggregation_facts ORDER BY event_id, child_uri'),
    states: await q(
      `SELECT uri, scheme, gtin, serial, lot, last_event_id, last_event_time, biz_step, disposition, biz_location,
              read_point, recall_id FROM ut.unit_state ORDER BY uri`,
    ),
    batches: await q(
      'SELECT batch_id, chain_seq, prev_hash, batch_hash, row_count FROM ut.ledger_batches ORDER BY batch_id',
    ),
    lot: await q('SELECT * FROM analyst.lot_units_now ORDER BY unit_uri'),
    journeys,
  };
}

// Each step writes or migrates a whole store: minutes, not jest's 5 s, on a busy box.
jest.setTimeout(180_000);

describe('migration 010 on an existing store', () => {
  let before: Snapshot;

  it('builds a store at the migrations before it, the way the sink wrote then', async () => {
    await migrate(
      pool,
      listMigrations().filter((m) => m.version < 10),
    );
    const events = Object.values(story);
    // Out of event-time order, in three batches.
    for (const batch of [events.slice(10), events.slice(4, 10), events.slice(0, 4)])
      await oldWriteBatch(pool, batch);
    before = await snapshot();
    expect(before.events).toHaveLength(events.length);
    expect(before.journeys.length).toBeGreaterThan(4);
    expect((await verifyOld()).ok).toBe(true);
  });

  it('migrates without losing or changing a row, a journey or a lot row', async () => {
    const applied = await migrate(pool);
    expect(applied).toContain('010_lean_write_path');
    const after = await snapshot();
    expect(after).toEqual(before);
    const containers = await pool.query(
      'SELECT uri, container_uri FROM ut.unit_state WHERE container_uri IS NOT NULL ORDER BY uri',
    );
    expect(containers.rows.length).toBeGreaterThan(0); // the other unit is still in its case
  });

  it('keeps the old chain verifiable and writes new batches on chains of their own', async () => {
    const more = canonicalEvent({
      ...story.commission,
      eventId: `ni:///sha-256;${'f'.repeat(64)}?ver=CBV2.0`,
      eventTime: at(6, 9),
      bizStep: 'inspecting',
      bizLocation: PLANT,
    });
    expect(
      await writeBatch(pool, [{ event: more, recallId: null }], 'journey-sink', { chain: 'ut.journey.v1/0' }),
    ).toBe(1);
    const r = await verifyLedger(pool);
    expect(r).toMatchObject({ ok: true, chains: 2, rows: Object.values(story).length + 1 });
    const lot = await pool.query(
      'SELECT count(*)::int AS n FROM analyst.lot_units_now WHERE gtin = $1 AND lot = $2',
      [GTIN, LOT],
    );
    expect(lot.rows[0].n).toBe(2);
  });
});

describe('migration 086 on an existing store', () => {
  const name086 = `${name}_086`;
  const storeOf086 = scratchStore(name086);
  let store: pg.Pool;
  beforeAll(() => {
    store = storeOf086();
  });

  const lotView = async () =>
    (await store.query('SELECT * FROM analyst.lot_units_now ORDER BY unit_uri')).rows;
  const counts = async () =>
    (
      await store.query(`SELECT (SELECT count(*) FROM ut.events)::int AS events,
        (SELECT count(*) FROM ut.unit_state)::int AS states,
        (SELECT count(*) FROM ut.aggregation_facts)::int AS facts`)
    ).rows[0];

  it('keeps every row and gives the same lot rows, and new sessions plan without JIT', async () => {
    // Today's writer needs migration 095's column; 095 touches nothing 086 does.
    await migrate(
      store,
      listMigrations().filter((m) => m.version < 86 || m.version === 95),
    );
    const events = Object.values(story);
    for (const batch of [events.slice(10), events.slice(4, 10), events.slice(0, 4)]) {
      await writeBatch(
        store,
        batch.map((event) => ({ event, recallId: null })),
        'journey-sink',
        { chain: 'ut.journey.v1/0' },
      );
    }
    const lotBefore = await lotView();
    const countsBefore = await counts();
    expect(lotBefore.length).toBeGreaterThan(0);
    expect(lotBefore.some((r) => r.container !== null)).toBe(true);

    expect(await migrate(store)).toContain('086_lot_view_and_jit');
    expect(await lotView()).toEqual(lotBefore);
    expect(await counts()).toEqual(countsBefore);
    const fresh = createPool(urlOf(name086), { max: 1 });
    try {
      expect((await fresh.query('SHOW jit')).rows[0].jit).toBe('off');
    } finally {
      await fresh.end();
    }
  });
});

describe('migration 090 on existing cases', () => {
  const name090 = `${name}_090`;
  const storeOf090 = scratchStore(name090);
  let store: pg.Pool;
  beforeAll(() => {
    store = storeOf090();
  });

  /** Cases and their history the way 070's code wrote them: one chain per case, nothing across. */
  async function oldCases(): Promise<void> {
    const t = Date.UTC(2026, 0, 1);
    for (const [k, id] of ['C-OLD1', 'C-OLD2', 'C-OLD3'].entries()) {
      await store.query(
        `INSERT INTO ut.cases (case_id, incident_key, kind, title, playbook, playbook_version, source, occurred_at, opened_by)
         VALUES ($1, $2, 'OTHER', 'old case', 'other.yaml', 1, 'manual', $3, 'amy')`,
        [id, `manual:${id}`, new Date(t)],
      );
      let prev: Buffer | null = null;
      // Interleaved in time: case k's entry s at minute 10*s + k.
      for (let seq = 1; seq <= 3 - (k === 2 ? 1 : 0); seq++) {
        const at = new Date(t + (10 * seq + k) * 60_000).toISOString();
        const text = entryText({
          caseId: id,
          seq,
          at,
          actor: 'amy',
          role: null,
          action: 'note',
          step: null,
          detail: {},
        });
        const hash = entryHash(prev, text);
        await store.query(
          `INSERT INTO ut.case_history (case_id, seq, at, actor, action, step, entry, prev_hash, hash)
           VALUES ($1, $2, $3, 'amy', 'note', NULL, $4, $5, $6)`,
          [id, seq, at, text, prev, hash],
        );
        prev = hash;
      }
    }
  }
  const rowsOf = async () =>
    (
      await store.query(
        'SELECT case_id, seq, at, actor, action, step, entry, prev_hash, hash FROM ut.case_history ORDER BY case_id, seq',
      )
    ).rows;

  it('chains every existing entry across cases without losing one, and new entries chain on', async () => {
    await migrate(
      store,
      listMigrations().filter((m) => m.version < 90),
    );
    await oldCases();
    const before = await rowsOf();
    expect(before).toHaveLength(8);

    expect(await migrate(store)).toContain('090_case_history_global_chain');
    expect(await rowsOf()).toEqual(before);
    const order = await store.query<{ case_id: string; seq: number; gseq: string }>(
      'SELECT case_id, seq, gseq FROM ut.case_history ORDER BY gseq',
    );
    // In the order written (time), numbered without gaps.
    expect(order.rows.map((r) => [r.case_id, r.seq, Number(r.gseq)])).toEqual([
      ['C-OLD1', 1, 1],
      ['C-OLD2', 1, 2],
      ['C-OLD3', 1, 3],
      ['C-OLD1', 2, 4],
      ['C-OLD2', 2, 5],
      ['C-OLD3', 2, 6],
      ['C-OLD1', 3, 7],
      ['C-OLD2', 3, 8],
    ]);
    expect(await verifyCases(store)).toMatchObject({ ok: true, cases: 3, entries: 8, head: { gseq: 8 } });

    const opened = await openManualCase(
      store,
      { kind: 'OTHER', title: 'after 090' },
      { actor: 'amy', role: 'quality' },
    );
    expect(opened.opened).toBe(true);
    expect(await verifyCases(store)).toMatchObject({ ok: true, cases: 4, entries: 9, head: { gseq: 9 } });
  });
});

describe('migration 095 on an existing store', () => {
  const name095 = `${name}_095`;
  const storeOf095 = scratchStore(name095);
  let store: pg.Pool;
  beforeAll(() => {
    store = storeOf095();
  });

  /** The sink's write before 095: the same COPYs, the ledger rows without identifier_uris. */
  async function writeBefore095(events: SerializationEvent[], chain: string): Promise<void> {
    const batch = prepareBatch(events.map((event) => ({ event, recallId: null })));
    const client = await store.connect();
    try {
      await client.query('BEGIN');
      const batchId = (await client.query("SELECT nextval('ut.ledger_batch_seq') AS id")).rows[0].id;
      // The ledger's columns of the time, in order: no identifier_uris.
      const ledger = new BinaryRows();
      for (const { row, text } of batch.events) {
        const e = row.event;
        ledger
          .row(19)
          .text(e.eventId)
          .time(e.eventTime)
          .text(e.eventTimeZoneOffset)
          .text(e.eventType)
          .text(e.action)
          .text(e.bizStep)
          .text(e.disposition)
          .text(e.readPoint)
          .text(e.bizLocation)
          .text(e.parentId?.uri ?? null)
          .text(e.sourceSystem)
          .text(e.machineId)
          .text(e.operatorId)
          .text(row.recallId)
          .text(e.sourceEventId)
          .text(`${e.lineage.topic}/${e.lineage.partition}/${e.lineage.offset}`)
          .text(text)
          .time(null)
          .int8(Number(batchId));
      }
      await copyInBinary(
        client,
        `ut.events (event_id, event_time, event_tz, event_type, action, biz_step, disposition, read_point, biz_location,
          parent_uri, source_system, machine_id, operator_id, recall_id, source_event_id, lineage, record, origin_ts, batch_id)`,
        [ledger.take()],
      );
      // The identifiers table is the same before 095: today's rows, in the writer's column order.
      await copyInBinary(
        client,
        `ut.event_identifiers (${IDENTIFIER_COLUMNS})`,
        batch.events.map((e) => e.identifierRows),
      );
      await copyInBinary(
        client,
        'ut.aggregation_facts (event_id, child_uri, parent_uri, event_time, action)',
        batch.events.map((e) => e.factRows),
      );
      const rowHashes = batch.events.map((e) => rowHash(e.eventId, e.text));
      await appendChain(client, { batchId, chain, sink: 'journey-sink', rowHashes });
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  }

  const deviceReads = async () =>
    (await store.query('SELECT * FROM analyst.device_reads ORDER BY event_id, unit_uri')).rows;
  const ledger = async () =>
    (
      await store.query(
        'SELECT event_id, event_time, batch_id, record::text AS record FROM ut.events ORDER BY event_id',
      )
    ).rows;
  const identifiers = async () =>
    (await store.query('SELECT * FROM ut.event_identifiers ORDER BY event_id, role, uri')).rows;

  it('gives every existing ledger row its units, drops no row, and reads the same', async () => {
    await migrate(
      store,
      listMigrations().filter((m) => m.version < 95),
    );
    const events = Object.values(story);
    await writeBefore095(events.slice(6), 'ut.journey.v1/0');
    await writeBefore095(events.slice(0, 6), 'ut.journey.v1/1');
    const readsBefore = await deviceReads();
    const ledgerBefore = await ledger();
    const identifiersBefore = await identifiers();
    expect(readsBefore.length).toBeGreaterThan(0);
    expect(ledgerBefore).toHaveLength(events.length);

    expect(await migrate(store)).toContain('095_ledger_rows_name_their_units');
    expect(await ledger()).toEqual(ledgerBefore);
    expect(await identifiers()).toEqual(identifiersBefore);
    expect(await deviceReads()).toEqual(readsBefore);
    // Each ledger row names exactly the identifiers its event touched.
    const named = await store.query<{ event_id: string; identifier_uris: string[] }>(
      'SELECT event_id, identifier_uris FROM ut.events',
    );
    const byId = new Map(events.map((e) => [e.eventId, e]));
    for (const r of named.rows) {
      expect([...r.identifier_uris].sort()).toEqual(
        touchedIdentifiers(byId.get(r.event_id)!)
          .map(({ id }) => id.uri)
          .sort(),
      );
    }
    const idx = await store.query("SELECT 1 FROM pg_indexes WHERE indexname = 'event_identifiers_event_idx'");
    expect(idx.rowCount).toBe(0);
    expect(await verifyLedger(store)).toMatchObject({ ok: true, rows: events.length });
  });

  it('stays append-only and the sink writes the units of new rows itself', async () => {
    await expect(store.query("UPDATE ut.events SET lineage = 'x'")).rejects.toThrow(/append-only/);
    const more = canonicalEvent({
      ...story.commission,
      eventId: `ni:///sha-256;${'e'.repeat(64)}?ver=CBV2.0`,
      eventTime: at(6, 9),
      bizStep: 'inspecting',
    });
    expect(
      await writeBatch(store, [{ event: more, recallId: null }], 'journey-sink', {
        chain: 'ut.journey.v1/0',
      }),
    ).toBe(1);
    const row = await store.query('SELECT identifier_uris FROM ut.events WHERE event_id = $1', [
      more.eventId,
    ]);
    expect(row.rows[0].identifier_uris).toEqual(touchedIdentifiers(more).map(({ id }) => id.uri));
    const reads = await store.query('SELECT unit_uri FROM analyst.device_reads WHERE event_id = $1', [
      more.eventId,
    ]);
    expect(reads.rows.map((r) => r.unit_uri)).toEqual(touchedIdentifiers(more).map(({ id }) => id.uri));
    expect(await verifyLedger(store)).toMatchObject({ ok: true });
  });
});

describe('migration 096 on existing device health', () => {
  const name096 = `${name}_096`;
  const storeOf096 = scratchStore(name096);
  const T = Date.UTC(2026, 10, 1, 8);
  const site = '4012345000009';
  /** A printer's verifications, one a second from `from`: every tenth unread, grades A..F in turn. */
  function observeReads(fleet: Fleet, from: number, n: number): Map<string, HistoryBucket> {
    const history = new Map<string, HistoryBucket>();
    for (let i = from; i < from + n; i++) {
      const o = {
        kind: 'verification' as const,
        device: 'line-1-printer',
        site,
        receivedAt: T + i * 1000,
        id: `M1-${i}`,
        read: i % 10 !== 0,
        grade: i % 5,
      };
      observe(fleet, o);
      addToHistory(history, o);
    }
    return history;
  }
  const tables = [
    'ut.device_health',
    'ut.device_health_positions',
    'ut.device_health_streams',
    'ut.device_alerts',
  ];
  const rows = async (store: pg.Pool) => {
    const out: Record<string, unknown[]> = {};
    for (const t of tables) out[t] = (await store.query(`SELECT * FROM ${t} ORDER BY 1, 2`)).rows;
    return out;
  };

  it('keeps every device, position and alert row, and the stage adds its history on top', async () => {
    const store = storeOf096();
    await migrate(
      store,
      listMigrations().filter((m) => m.version < 96),
    );
    // The stage's write before 096: state, positions, watermarks and an alert episode.
    const fleet: Fleet = { devices: {} };
    observeReads(fleet, 0, 400);
    await saveFleet(store, {
      devices: Object.values(fleet.devices),
      positions: new Map([['ut.signals.v1:0', 400]]),
      alerts: [],
      marks: { 'ut.signals.v1:0': T + 399_000 },
    });
    await store.query(
      `INSERT INTO ut.device_alerts (alert_id, device, site, kind, metric, value, baseline, since, at_record, raised_at)
       VALUES ('device:line-1-printer:print_grade:1', 'line-1-printer', $1, 'device_degrading', 'print_grade', 1.9, 3.7,
               to_timestamp($2 / 1000.0), 'M1-300', to_timestamp($2 / 1000.0))`,
      [site, T + 300_000],
    );
    const before = await rows(store);
    expect(before['ut.device_health']).toHaveLength(1);
    expect(before['ut.device_alerts']).toHaveLength(1);

    expect(await migrate(store)).toContain('096_device_health_history');
    expect(await rows(store)).toEqual(before);
    const loaded = await loadFleet(store);
    expect(loaded.fleet.devices['line-1-printer']).toEqual(fleet.devices['line-1-printer']);
    expect(await store.query('SELECT * FROM ut.device_health_history')).toMatchObject({ rowCount: 0 });

    // The stage's next batch writes its history with its state; the counts are those of the batch.
    const history = observeReads(fleet, 400, 600);
    await saveFleet(store, {
      devices: Object.values(fleet.devices),
      positions: new Map([['ut.signals.v1:0', 1000]]),
      alerts: [],
      history: [...history.values()],
    });
    const sums = await store.query(
      `SELECT count(*)::int AS buckets, sum(verifications)::int AS v, sum(no_reads)::int AS n, sum(graded)::int AS g,
              sum(low_grades)::int AS low FROM ut.device_health_history`,
    );
    // 600 reads from 400 s to 999 s: buckets of 5 min from 300 s, 600 s and 900 s.
    expect(sums.rows[0]).toEqual({ buckets: 3, v: 600, n: 60, g: 540, low: 180 });
    expect((await rows(store))['ut.device_alerts']).toEqual(before['ut.device_alerts']);
  });
});

/** Verify before the migration: the chain as one chain (the verify of 010 needs its `chain` column). */
async function verifyOld(): Promise<{ ok: boolean }> {
  const batches = await pool.query(
    'SELECT batch_id, prev_hash, batch_hash FROM ut.ledger_batches ORDER BY chain_seq',
  );
  let prev: Buffer | null = null;
  for (const b of batches.rows) {
    const rows = await pool.query(
      `SELECT event_id, record::text AS text FROM ut.events WHERE batch_id = $1 ORDER BY event_id COLLATE "C"`,
      [b.batch_id],
    );
    const hash = batchHash(
      prev,
      rows.rows.map((r) => rowHash(r.event_id, r.text)),
    );
    if (!hash.equals(b.batch_hash)) return { ok: false };
    prev = hash;
  }
  return { ok: batches.rows.length > 0 };
}

/**
 * The reference story's last four events (the case's DELETE of every child, then the case shipped
 * and received) written after a migration: the unit leaves the case, the other unit stays in its
 * own, and the ledger verifies.
 */
async function expectUnpackingEmptiesTheCase(store: pg.Pool): Promise<void> {
  const { unpack, caseAfterUnpacking, shipToStore, receiveAtStore } = story;
  const after = [unpack, caseAfterUnpacking, shipToStore, receiveAtStore];
  expect(
    await writeBatch(
      store,
      after.map((event) => ({ event, recallId: null })),
      'journey-sink',
      { chain: 'ut.journey.v1/0' },
    ),
  ).toBe(after.length);
  const containerOf = async (uri: string) =>
    (await store.query('SELECT container_uri FROM ut.unit_state WHERE uri = $1', [uri])).rows[0]
      ?.container_uri;
  expect(await containerOf(referenceStory.unit.uri)).toBeNull();
  expect(await containerOf(referenceStory.other.uri)).toBe(referenceStory.caseB.uri);
  expect(await verifyLedger(store)).toMatchObject({ ok: true, rows: Object.values(story).length });
}

describe('migration 098 on an existing store', () => {
  const name098 = `${name}_098`;
  const storeOf098 = scratchStore(name098);
  let store: pg.Pool;
  beforeAll(() => {
    store = storeOf098();
  });

  const rows = async () => {
    const q = async (sql: string) => (await store.query(sql)).rows;
    return {
      events: await q(
        'SELECT event_id, event_time, batch_id, record::text AS record FROM ut.events ORDER BY event_id',
      ),
      identifiers: await q('SELECT * FROM ut.event_identifiers ORDER BY event_id, role, uri'),
      facts: await q('SELECT * FROM ut.aggregation_facts ORDER BY event_id, child_uri'),
      states: await q(
        `SELECT uri, scheme, gtin, serial, lot, last_event_id, last_event_time, biz_step, disposition, biz_location,
                read_point, recall_id, container_uri, container_time, container_event_id FROM ut.unit_state ORDER BY uri`,
      ),
      batches: await q('SELECT * FROM ut.ledger_batches ORDER BY batch_id'),
      lot: await q('SELECT * FROM analyst.lot_units_now ORDER BY unit_uri'),
    };
  };
  const containerOf = async (uri: string) =>
    (await store.query('SELECT container_uri FROM ut.unit_state WHERE uri = $1', [uri])).rows[0]
      ?.container_uri;

  it('keeps every row and lot row, drops the index, and a later DELETE of every child still empties the case', async () => {
    await migrate(
      store,
      listMigrations().filter((m) => m.version < 98),
    );
    const { unpack: _u, caseAfterUnpacking: _c, shipToStore: _s, receiveAtStore: _r, ...before098 } = story;
    const events = Object.values(before098);
    for (const [i, batch] of [events.slice(8), events.slice(0, 8)].entries())
      await writeBatch(
        store,
        batch.map((event) => ({ event, recallId: null })),
        'journey-sink',
        { chain: `ut.journey.v1/${i}` },
      );
    const before = await rows();
    expect(before.events).toHaveLength(events.length);
    expect(await containerOf(referenceStory.unit.uri)).toBe(referenceStory.caseA.uri);

    expect(
      await migrate(
        store,
        listMigrations().filter((m) => m.version <= 98),
      ),
    ).toContain('098_unit_state_hot_updates');
    expect(await rows()).toEqual(before);
    const idx = await store.query("SELECT 1 FROM pg_indexes WHERE indexname = 'unit_state_container_idx'");
    expect(idx.rowCount).toBe(0);

    // The case's DELETE of every child finds the unit through the case's ADD facts now.
    await expectUnpackingEmptiesTheCase(store);
  });
});

describe('migration 099 on an existing store', () => {
  const name099 = `${name}_099`;
  const storeOf099 = scratchStore(name099);
  let store: pg.Pool;
  beforeAll(() => {
    store = storeOf099();
  });
  const containerOf = async (uri: string) =>
    (await store.query('SELECT container_uri FROM ut.unit_state WHERE uri = $1', [uri])).rows[0]
      ?.container_uri;
  const states = async () =>
    (
      await store.query(
        `SELECT uri, last_event_id, container_uri, container_time, container_event_id FROM ut.unit_state ORDER BY uri`,
      )
    ).rows;

  it('keeps every unit-state row, brings the container index back, and a later DELETE of every child empties the case', async () => {
    await migrate(
      store,
      listMigrations().filter((m) => m.version <= 98),
    );
    const { unpack: _u, caseAfterUnpacking: _c, shipToStore: _s, receiveAtStore: _r, ...before099 } = story;
    const events = Object.values(before099);
    await writeBatch(
      store,
      events.map((event) => ({ event, recallId: null })),
      'journey-sink',
      { chain: 'ut.journey.v1/0' },
    );
    const before = await states();
    expect(before.length).toBeGreaterThan(0);
    expect(await containerOf(referenceStory.unit.uri)).toBe(referenceStory.caseA.uri);

    expect(await migrate(store)).toContain('099_unit_state_container_index_again');
    expect(await states()).toEqual(before);
    const idx = await store.query(
      "SELECT indexdef FROM pg_indexes WHERE schemaname = 'ut' AND indexname = 'unit_state_container_idx'",
    );
    expect(idx.rows[0]?.indexdef).toMatch(/\(container_uri\) WHERE \(container_uri IS NOT NULL\)/);

    await expectUnpackingEmptiesTheCase(store);
  });
});

describe('migration 100 on an existing store', () => {
  const name100 = `${name}_100`;
  const storeOf100 = scratchStore(name100);
  let store: pg.Pool;
  beforeAll(() => {
    store = storeOf100();
  });
  /** A commissioning like the story's whose record is long enough (~4 KB) for its row to be compressed. */
  const longRecord = (n: number) =>
    canonicalEvent({
      ...story.commission,
      eventId: `ni:///sha-256;${String(n).repeat(64)}?ver=CBV2.0`,
      eventTime: at(6, 9 + n),
      extensions: JSON.stringify({ note: 'inspected, no remarks '.repeat(180) }),
    });
  const ledger = async () =>
    (
      await store.query(
        `SELECT event_id, event_time, batch_id, record::text AS record, identifier_uris,
                pg_column_compression(record) AS method
           FROM ut.events ORDER BY event_id`,
      )
    ).rows;
  const partitionMethods = async () =>
    (
      await store.query(
        `SELECT DISTINCT a.attcompression AS method FROM pg_inherits i
           JOIN pg_attribute a ON a.attrelid = i.inhrelid AND a.attname = 'record'
          WHERE i.inhparent = 'ut.events'::regclass`,
      )
    ).rows.map((r) => r.method as string);

  it('keeps every ledger row as it was, and new records in every partition are compressed with lz4', async () => {
    await migrate(
      store,
      listMigrations().filter((m) => m.version < 100),
    );
    const events = [...Object.values(story), longRecord(1)];
    await writeBatch(
      store,
      events.map((event) => ({ event, recallId: null })),
      'journey-sink',
      { chain: 'ut.journey.v1/0' },
    );
    const before = await ledger();
    expect(before).toHaveLength(events.length);
    expect(await partitionMethods()).not.toEqual(['l']);
    expect(before.find((r) => r.event_id === longRecord(1).eventId)?.method).toBe('pglz');

    expect(await migrate(store)).toContain('100_ledger_partitions_lz4');
    expect(await ledger()).toEqual(before); // nothing rewritten: the pglz value is read as it was
    expect(await partitionMethods()).toEqual(['l']);

    const later = longRecord(2);
    await writeBatch(store, [{ event: later, recallId: null }], 'journey-sink', { chain: 'ut.journey.v1/0' });
    const written = (await ledger()).find((r) => r.event_id === later.eventId);
    expect(written?.method).toBe('lz4');
    expect(written?.record).toBe(JSON.stringify(later));
    expect(await verifyLedger(store)).toMatchObject({ ok: true, rows: events.length + 1 });
  });
});

describe('migration 101 on an existing store', () => {
  const name101 = `${name}_101`;
  const storeOf101 = scratchStore(name101);
  let store: pg.Pool;
  beforeAll(() => {
    store = storeOf101();
  });
  const identifiers = async () =>
    (await store.query('SELECT * FROM ut.event_identifiers ORDER BY event_id, role, uri')).rows;
  /** Each partition's rows, by the partition the row sits in and the one its uri hashes to. */
  const placement = async () =>
    (
      await store.query<{ partition: string; rows: number; misplaced: number }>(
        `SELECT c.relname AS partition, count(i.uri)::int AS rows,
                count(i.uri) FILTER (WHERE NOT satisfies_hash_partition('ut.event_identifiers'::regclass, 8,
                                       substring(c.relname FROM '\\d+$')::int, i.uri))::int AS misplaced
           FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
           LEFT JOIN ut.event_identifiers i ON i.tableoid = c.oid
          WHERE h.inhparent = 'ut.event_identifiers'::regclass
          GROUP BY c.relname ORDER BY c.relname`,
      )
    ).rows;

  it('keeps every identifier row and journey, puts each row in its unit’s partition, and the sink writes on', async () => {
    await migrate(
      store,
      listMigrations().filter((m) => m.version < 101),
    );
    const { unpack: _u, caseAfterUnpacking: _c, shipToStore: _s, receiveAtStore: _r, ...before101 } = story;
    const events = Object.values(before101);
    await writeBatch(
      store,
      events.map((event) => ({ event, recallId: null })),
      'journey-sink',
      { chain: 'ut.journey.v1/0' },
    );
    const units = (await store.query('SELECT uri FROM ut.unit_state ORDER BY uri')).rows.map(
      (r) => r.uri as string,
    );
    const before = { identifiers: await identifiers(), journeys: await journeysOf(store, units) };
    expect(before.identifiers.length).toBeGreaterThan(events.length);
    expect(
      (await store.query("SELECT relkind FROM pg_class WHERE oid = 'ut.event_identifiers'::regclass")).rows,
    ).toEqual([{ relkind: 'r' }]);

    expect(await migrate(store)).toContain('101_identifiers_by_unit_hash');
    expect({ identifiers: await identifiers(), journeys: await journeysOf(store, units) }).toEqual(before);
    const parts = await placement();
    expect(parts.map((p) => p.partition)).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((n) => `event_identifiers_${n}`),
    );
    expect(parts.reduce((n, p) => n + p.rows, 0)).toBe(before.identifiers.length);
    expect(parts.filter((p) => p.rows > 0).length).toBeGreaterThan(1);
    expect(parts.every((p) => p.misplaced === 0)).toBe(true);
    // A read by one unit reaches one partition.
    const plan = (
      await store.query(`EXPLAIN (COSTS OFF) SELECT * FROM ut.event_identifiers WHERE uri = $1`, [
        referenceStory.unit.uri,
      ])
    ).rows
      .map((r) => r['QUERY PLAN'] as string)
      .join('\n');
    expect(plan.match(/event_identifiers_\d/g)?.length).toBe(1);

    // The rest of the story, written after the migration, lands in its units' partitions.
    await expectUnpackingEmptiesTheCase(store);
    const after = await placement();
    expect(after.every((p) => p.misplaced === 0)).toBe(true);
    const later = [story.unpack, story.caseAfterUnpacking, story.shipToStore, story.receiveAtStore];
    const laterRows = later.reduce((n, e) => n + touchedIdentifiers(e).length, 0);
    expect(laterRows).toBeGreaterThan(0);
    expect(after.reduce((n, p) => n + p.rows, 0)).toBe(before.identifiers.length + laterRows);
  });
});
