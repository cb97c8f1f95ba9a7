/**
 * The maintained "container now" (ut.unit_state.container_uri) against the rule it replaces: the
 * lateral joins over ut.aggregation_facts that analyst.lot_units_now and the recall report used to
 * run on every read (kept here, verbatim, as the referee). Random aggregation histories (packs,
 * unpacks of one child, unpacks of every child, re-packs elsewhere, observations at sites) arrive
 * in random order, in random batches, two sinks writing at the same time on two chains; the
 * views must give the same rows as the old query on the same data.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { freshDatabase } from './helpers';
import { verifyLedger, writeBatch } from '../libs/store';
import { reportSql } from '../libs/recalls';
import { canonicalEvent, type Identifier, type SerializationEvent } from '../libs/events';

/** migration 002's analyst.lot_units_now body: four levels of "latest ADD, unless closed". */
function oldLevel(k: number, child: string): string {
  return `LEFT JOIN LATERAL (
  SELECT a.parent_uri FROM (
    SELECT f.parent_uri, f.event_time FROM ut.aggregation_facts f
     WHERE f.child_uri = ${child} AND f.action = 'ADD' ORDER BY f.event_time DESC LIMIT 1) a
  WHERE NOT EXISTS (SELECT 1 FROM ut.aggregation_facts d
                     WHERE d.parent_uri = a.parent_uri AND d.action = 'DELETE'
                       AND d.child_uri IN (${child}, '*') AND d.event_time > a.event_time)
) c${k} ON true
LEFT JOIN ut.unit_state s${k} ON s${k}.uri = c${k}.parent_uri`;
}
const OLD_LOT_UNITS_NOW = `
SELECT s.gtin, s.lot, s.uri AS unit_uri, s.serial,
       here.location, c1.parent_uri AS container, here.disposition, here.last_event_time,
       c2.parent_uri AS c2, c3.parent_uri AS c3, c4.parent_uri AS c4
FROM ut.unit_state s
${oldLevel(1, 's.uri')}
${oldLevel(2, 'c1.parent_uri')}
${oldLevel(3, 'c2.parent_uri')}
${oldLevel(4, 'c3.parent_uri')}
CROSS JOIN LATERAL (SELECT GREATEST(s.last_event_time, s1.last_event_time, s2.last_event_time,
                                   s3.last_event_time, s4.last_event_time) AS t) newest
CROSS JOIN LATERAL (
  SELECT CASE newest.t WHEN s.last_event_time THEN COALESCE(s.biz_location, s.read_point)
                       WHEN s1.last_event_time THEN COALESCE(s1.biz_location, s1.read_point)
                       WHEN s2.last_event_time THEN COALESCE(s2.biz_location, s2.read_point)
                       WHEN s3.last_event_time THEN COALESCE(s3.biz_location, s3.read_point)
                       ELSE COALESCE(s4.biz_location, s4.read_point) END AS location,
         CASE newest.t WHEN s.last_event_time THEN s.disposition
                       WHEN s1.last_event_time THEN s1.disposition
                       WHEN s2.last_event_time THEN s2.disposition
                       WHEN s3.last_event_time THEN s3.disposition
                       ELSE s4.disposition END AS disposition,
         newest.t AS last_event_time
) here
WHERE s.scheme = 'sgtin'`;

const GTIN = '04012345100019';
let seq = 0;
const unit = (lot: string, n: number): Identifier => ({
  uri: `https://id.gs1.org/01/${GTIN}/21/${lot}-${n}`,
  scheme: 'sgtin',
  gtin: GTIN,
  serial: `${lot}-${n}`,
  lot,
  sscc: null,
  original: null,
});
const container = (lot: string, n: number): Identifier => {
  const ref = `3${crypto.createHash('sha1').update(`${lot}/${n}`).digest('hex').replace(/\D/g, '').slice(0, 16)}`;
  return {
    uri: `https://id.gs1.org/00/${ref}`,
    scheme: 'sscc',
    gtin: null,
    serial: null,
    lot: null,
    sscc: ref,
    original: null,
  };
};
function ev(over: Partial<SerializationEvent>): SerializationEvent {
  seq++;
  return canonicalEvent({
    eventId: `ni:///sha-256;${crypto.createHash('sha256').update(`containers-${seq}`).digest('hex')}?ver=CBV2.0`,
    eventType: 'ObjectEvent',
    action: 'OBSERVE',
    eventTime: 0,
    eventTimeZoneOffset: '+00:00',
    sourceSystem: 'WMS',
    machineId: 'scanner-9',
    lineage: { topic: 'ut.raw.wms.v1', partition: 0, offset: seq, schemaId: 1 },
    ...over,
  });
}

/** A seeded generator, so a failure can be replayed from the seed in its message. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random history: units into cases, cases onto pallets, pallets into a shipment; unpacks; moves. */
function history(lot: string, random: () => number): SerializationEvent[] {
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
  const units = Array.from({ length: 6 }, (_, i) => unit(lot, i));
  const cases = Array.from({ length: 3 }, (_, i) => container(lot, i));
  const pallets = Array.from({ length: 2 }, (_, i) => container(lot, 10 + i));
  const shipment = container(lot, 20);
  const sites = ['https://id.gs1.org/414/4012345000016', 'https://id.gs1.org/414/4012345000023'];
  const events: SerializationEvent[] = [];
  // Distinct times: the old query picks "the latest ADD" with no tie-break.
  let time = Date.UTC(2026, 3, 1);
  const next = () => (time += 60_000 + Math.floor(random() * 60_000));
  for (const u of units) {
    events.push(ev({ epcList: [u], eventTime: next(), bizStep: 'commissioning', bizLocation: sites[0]! }));
  }
  for (let i = 0; i < 40; i++) {
    const r = random();
    const level = pick([
      { children: units, parents: cases },
      { children: cases, parents: pallets },
      { children: pallets, parents: [shipment] },
    ]);
    const parent = pick(level.parents);
    const t = next();
    if (r < 0.45) {
      const children = level.children.filter(() => random() < 0.5);
      if (children.length === 0) continue;
      events.push(
        ev({
          eventType: 'AggregationEvent',
          action: 'ADD',
          parentId: parent,
          childEpcs: children,
          eventTime: t,
          bizStep: 'packing',
        }),
      );
    } else if (r < 0.6) {
      events.push(
        ev({
          eventType: 'AggregationEvent',
          action: 'DELETE',
          parentId: parent,
          childEpcs: [pick(level.children)],
          eventTime: t,
          bizStep: 'unpacking',
        }),
      );
    } else if (r < 0.7) {
      // No children: unpack everything the parent holds.
      events.push(
        ev({
          eventType: 'AggregationEvent',
          action: 'DELETE',
          parentId: parent,
          childEpcs: [],
          eventTime: t,
          bizStep: 'unpacking',
        }),
      );
    } else {
      const what = pick([...units, ...cases, ...pallets, shipment]);
      events.push(
        ev({
          epcList: [what],
          eventTime: t,
          bizStep: pick(['shipping', 'receiving', 'storing']),
          bizLocation: pick(sites),
          disposition: pick(['in_progress', 'in_transit', null]),
        }),
      );
    }
  }
  return events;
}

function shuffle<T>(xs: T[], random: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

// Whole batches against a real PostgreSQL: more than jest's 5 s on a busy box.
jest.setTimeout(120_000);

let db: Awaited<ReturnType<typeof freshDatabase>>;
beforeAll(async () => {
  db = await freshDatabase('containers');
}, 60_000);
afterAll(async () => db.drop(), 30_000);

describe('the maintained container now', () => {
  const seeds = Array.from({ length: 8 }, () => crypto.randomInt(1, 2 ** 31 - 1));

  it.each(seeds)('gives the same lot rows and recall chains as the old query (seed %i)', async (seed) => {
    const random = rng(seed);
    const lot = `L${seed}`;
    const events = shuffle(history(lot, random), random);
    // Random batches, two at a time on two chains, as two sinks (normal and surge) would write them.
    const batches: SerializationEvent[][] = [];
    for (let i = 0; i < events.length;) {
      const n = 1 + Math.floor(random() * 6);
      batches.push(events.slice(i, i + n));
      i += n;
    }
    for (let i = 0; i < batches.length; i += 2) {
      await Promise.all(
        batches.slice(i, i + 2).map((b, k) =>
          writeBatch(
            db.pool,
            b.map((event) => ({ event, recallId: null })),
            'test',
            { chain: `test/${k}` },
          ),
        ),
      );
    }
    // A replay of everything changes nothing.
    await writeBatch(
      db.pool,
      events.map((event) => ({ event, recallId: null })),
      'test',
      { chain: 'test/0' },
    );

    const now = await db.pool.query(
      `SELECT v.*, s1.container_uri AS c2, s2.container_uri AS c3, s3.container_uri AS c4
         FROM analyst.lot_units_now v
         LEFT JOIN ut.unit_state s0 ON s0.uri = v.unit_uri
         LEFT JOIN ut.unit_state s1 ON s1.uri = s0.container_uri
         LEFT JOIN ut.unit_state s2 ON s2.uri = s1.container_uri
         LEFT JOIN ut.unit_state s3 ON s3.uri = s2.container_uri
        WHERE v.gtin = $1 AND v.lot = $2 ORDER BY v.unit_uri`,
      [GTIN, lot],
    );
    const old = await db.pool.query(
      `SELECT * FROM (${OLD_LOT_UNITS_NOW}) o WHERE o.gtin = $1 AND o.lot = $2 ORDER BY o.unit_uri`,
      [GTIN, lot],
    );
    expect(now.rows).toHaveLength(6);
    expect(now.rows).toEqual(old.rows);

    const report = await db.pool.query(reportSql(`s.gtin = '${GTIN}' AND s.lot = '${lot}'`));
    expect(
      report.rows.map((r: Record<string, unknown>) => [r.uri, r.c1, r.c2, r.c3, r.c4, r.location]),
    ).toEqual(old.rows.map((r) => [r.unit_uri, r.container, r.c2, r.c3, r.c4, r.location]));
  });

  it('keeps a unit out of its case once the case is emptied, whichever arrives first', async () => {
    const lot = 'LEMPTY';
    const u = unit(lot, 1);
    const c = container(lot, 1);
    const t = (m: number) => Date.UTC(2026, 4, 1, 0, m);
    const pack = ev({
      eventType: 'AggregationEvent',
      action: 'ADD',
      parentId: c,
      childEpcs: [u],
      eventTime: t(1),
    });
    const empty = ev({
      eventType: 'AggregationEvent',
      action: 'DELETE',
      parentId: c,
      childEpcs: [],
      eventTime: t(2),
    });
    await writeBatch(db.pool, [{ event: empty, recallId: null }], 'test');
    const before = await db.pool.query('SELECT container_uri FROM ut.unit_state WHERE uri = $1', [u.uri]);
    expect(before.rows).toEqual([]); // the unit is not known yet: an empty DELETE names no child
    await writeBatch(db.pool, [{ event: pack, recallId: null }], 'test');
    const after = await db.pool.query(
      'SELECT container_uri, container_event_id FROM ut.unit_state WHERE uri = $1',
      [u.uri],
    );
    expect(after.rows).toEqual([{ container_uri: null, container_event_id: pack.eventId }]);
    const repack = ev({
      eventType: 'AggregationEvent',
      action: 'ADD',
      parentId: c,
      childEpcs: [u],
      eventTime: t(3),
    });
    await writeBatch(db.pool, [{ event: repack, recallId: null }], 'test');
    const back = await db.pool.query('SELECT container_uri FROM ut.unit_state WHERE uri = $1', [u.uri]);
    expect(back.rows).toEqual([{ container_uri: c.uri }]);
  });

  it('empties a returnable crate by the units in it now, not by every unit its history ever held', async () => {
    // A crate used 400 times, 50 units a use, each use unpacked unit by unit: 20,000 ADD facts.
    const lot = 'LCRATE';
    const crate = container(lot, 0);
    const t = (use: number, s: number) => Date.UTC(2026, 5, 1) + use * 3600_000 + s * 1000;
    const units = (use: number) => Array.from({ length: 50 }, (_, i) => unit(lot, use * 50 + i));
    const history: SerializationEvent[] = [];
    for (let use = 0; use < 400; use++) {
      const childEpcs = units(use);
      history.push(
        ev({
          eventType: 'AggregationEvent',
          action: 'ADD',
          parentId: crate,
          childEpcs,
          eventTime: t(use, 1),
        }),
      );
      history.push(
        ev({
          eventType: 'AggregationEvent',
          action: 'DELETE',
          parentId: crate,
          childEpcs,
          eventTime: t(use, 2),
        }),
      );
    }
    const last = units(400);
    history.push(
      ev({
        eventType: 'AggregationEvent',
        action: 'ADD',
        parentId: crate,
        childEpcs: last,
        eventTime: t(400, 1),
      }),
    );
    // A database of its own, written on one connection whose statistics are flushed before and
    // after the emptying: how many aggregation-fact rows it read is then a count, not a timing.
    const crateDb = await freshDatabase('crate');
    const one = new pg.Pool({ connectionString: crateDb.url, max: 1 });
    const factsRead = async () => {
      await one.query('SELECT pg_stat_force_next_flush()');
      const r = await crateDb.pool.query(
        `SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) AS n FROM pg_stat_user_tables
          WHERE schemaname = 'ut' AND relname = 'aggregation_facts'`,
      );
      return Number(r.rows[0].n);
    };
    const inCrate = async () =>
      (
        await crateDb.pool.query('SELECT count(*)::int AS n FROM ut.unit_state WHERE container_uri = $1', [
          crate.uri,
        ])
      ).rows[0].n;
    try {
      for (let i = 0; i < history.length; i += 100)
        await writeBatch(
          one,
          history.slice(i, i + 100).map((event) => ({ event, recallId: null })),
          'test',
        );
      expect(await inCrate()).toBe(50);
      const before = await factsRead();
      const empty = ev({
        eventType: 'AggregationEvent',
        action: 'DELETE',
        parentId: crate,
        childEpcs: [],
        eventTime: t(400, 2),
      });
      expect(await writeBatch(one, [{ event: empty, recallId: null }], 'test')).toBe(1);
      const read = (await factsRead()) - before;
      expect(await inCrate()).toBe(0);
      const rows = await crateDb.pool.query('SELECT container_uri FROM ut.unit_state WHERE uri = ANY($1)', [
        last.map((u) => u.uri),
      ]);
      expect(rows.rows).toEqual(last.map(() => ({ container_uri: null })));
      // Finding the 50 units from the crate's 20,050 ADD facts read them all (and rechecked each
      // against all of them); now the work is the units in the crate.
      expect(read).toBeLessThan(1000);
    } finally {
      await one.end();
      await crateDb.drop();
    }
  });

  it('leaves every chain verifiable', async () => {
    const r = await verifyLedger(db.pool);
    expect(r).toMatchObject({ ok: true });
    expect(r.chains).toBeGreaterThanOrEqual(2);
    expect(r.anchors).toBeGreaterThan(0);
  });
});
