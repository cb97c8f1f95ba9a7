/**
 * The query benchmark (`unitrail bench queries`): builds a journey store of N events directly in PostgreSQL (a database of
 * its own), then measures the two questions people ask most: a unit's journey, and every unit of a
 * 10,000-unit lot with where it is now. Prints one JSON line.
 *
 * The store's shape, per pallet (1,564 events): 960 units commissioned one by one at one of three
 * plants, packed 24 to a case (40 cases), the cases palletised, the pallet shipped; ten pallets
 * loaded into a shipment that departs, arrives at one of four DCs and is unloaded; each pallet
 * received and broken down at the DC; each case shipped to one of forty stores and received there;
 * every other unit sold at the store. Lots are 10,000 consecutive units. All of it is written the
 * way the sink writes it: events, identifiers with roles, aggregation facts, unit state.
 */
import pg from 'pg';
import { performance } from 'node:perf_hooks';
import { UsageError } from '../errors';
import { gs1CheckDigit } from '../gs1';
import {
  CONTAINERS_FROM_FACTS_SQL,
  createPool,
  databaseName,
  dropDatabase,
  ensureDatabase,
  migrate,
  withDatabase,
} from '../store';
import { journeyOf } from '../journey';
import { msSeries } from './raw-rates';

const UNITS_PER_CASE = 24;
const CASES_PER_PALLET = 40;
const UNITS_PER_PALLET = UNITS_PER_CASE * CASES_PER_PALLET;
const PALLETS_PER_SHIPMENT = 10;
const UNITS_PER_LOT = 10_000;
/**
 * Events per pallet: its units commissioned and its cases packed; palletised, shipped, received and
 * broken down (4); its share of the shipment's load, depart, arrive and unload; each case dispatched
 * and received at a store; half its units sold.
 */
const EVENTS_PER_PALLET =
  UNITS_PER_PALLET +
  CASES_PER_PALLET +
  4 +
  4 / PALLETS_PER_SHIPMENT +
  2 * CASES_PER_PALLET +
  UNITS_PER_PALLET / 2;
/** Pallets written per statement: small enough to show progress, large enough to stay set-based. */
const CHUNK_PALLETS = 250;

const PREFIX = '4012345';
const withCheck = (digits: string) => digits + String(gs1CheckDigit(digits));
const GTINS = ['10001', '10002', '10003'].map((ref) => withCheck(`0${PREFIX}${ref}`));
const gln = (ref: number) => `https://id.gs1.org/414/${withCheck(PREFIX + String(ref).padStart(5, '0'))}`;
const PLANTS = [1, 2, 3].map(gln);
const DCS = [11, 12, 13, 14].map(gln);
const STORES = Array.from({ length: 40 }, (_, i) => gln(101 + i));

const sqlArray = (xs: string[]) => `ARRAY[${xs.map((x) => `'${x}'`).join(',')}]`;

// Identifiers and times as SQL expressions of a unit number u, case c, pallet p or shipment s.
// The same expressions serve events, identifiers, facts and unit state, so they always agree.
const gtinOf = (u: string) => `(${sqlArray(GTINS)})[((${u}) / ${UNITS_PER_LOT}) % 3 + 1]`;
const serialOf = (u: string) => `('S' || lpad((${u})::text, 10, '0'))`;
const lotOf = (u: string) => `('L' || lpad(((${u}) / ${UNITS_PER_LOT})::text, 5, '0'))`;
const unitUri = (u: string) => `('https://id.gs1.org/01/' || ${gtinOf(u)} || '/21/' || ${serialOf(u)})`;
const caseUri = (c: string) => `bench.sscc('1', ${c})`;
const palletUri = (p: string) => `bench.sscc('2', ${p})`;
const shipmentUri = (s: string) => `bench.gsin(${s})`;
const plantOf = (p: string) => `(${sqlArray(PLANTS)})[((${p}) / ${PALLETS_PER_SHIPMENT}) % 3 + 1]`;
const dcOf = (s: string) => `(${sqlArray(DCS)})[(${s}) % 4 + 1]`;
const storeOf = (c: string) => `(${sqlArray(STORES)})[(${c}) % 40 + 1]`;
const eventId = (tag: string, n: string) =>
  `('ni:///sha-256;' || md5('${tag}' || (${n})) || md5('${tag}.' || (${n})) || '?ver=CBV2.0')`;
const BASE = `TIMESTAMPTZ '2026-01-01 00:00:00+00'`;
const secs = (expr: string) => `(${BASE} + (${expr}) * INTERVAL '1 second')`;
/** A pallet starts every 45 minutes; its shipment leaves 30 minutes after its last pallet started. */
const palletStart = (p: string) => `((${p})::bigint * 2700)`;
const shipmentStart = (s: string, pallets: number) =>
  `(LEAST((${s})::bigint * ${PALLETS_PER_SHIPMENT} + ${PALLETS_PER_SHIPMENT - 1}, ${pallets - 1}) * 2700 + 1800)`;

/** One event kind: a SELECT of event columns over `n`, its identifiers, and its aggregation facts. */
interface EventKind {
  tag: string;
  /** Rows of the SELECT: units, cases, pallets or shipments. */
  per: 'unit' | 'soldUnit' | 'case' | 'pallet' | 'shipment';
  select: (pallets: number) => string;
}

// Columns every kind's SELECT yields, in this order.
const COLS = `n, event_id, event_time, event_tz, event_type, action, biz_step, disposition, location,
  parent_uri, source_system, machine_id, epc_uri, epc_scheme, epc_gtin, epc_serial, epc_lot, epc_sscc, batch_id`;

const unitEpc = (u: string) => `${unitUri(u)}, 'sgtin', ${gtinOf(u)}, ${serialOf(u)}, ${lotOf(u)}, NULL`;
const containerEpc = (uri: string, scheme: string) => `${uri}, '${scheme}', NULL, NULL, NULL, NULL`;
const noEpc = `NULL, NULL, NULL, NULL, NULL, NULL`;

const kinds: EventKind[] = [
  {
    tag: 'commission',
    per: 'unit',
    select:
      () => `SELECT n, ${eventId('commission', 'n')}, ${secs(`${palletStart(`n / ${UNITS_PER_PALLET}`)} + n % ${UNITS_PER_PALLET}`)},
      '+01:00', 'ObjectEvent', 'ADD', 'commissioning', 'active', ${plantOf(`n / ${UNITS_PER_PALLET}`)}, NULL, 'MES',
      'line-' || ((n / ${UNITS_PER_PALLET * PALLETS_PER_SHIPMENT}) % 3 + 1) || '-printer-' || ((n / ${UNITS_PER_CASE}) % 2 + 1),
      ${unitEpc('n')}, n / ${UNITS_PER_PALLET * PALLETS_PER_SHIPMENT}`,
  },
  {
    tag: 'pack',
    per: 'case',
    select: () => `SELECT n, ${eventId('pack', 'n')},
      ${secs(`${palletStart(`n / ${CASES_PER_PALLET}`)} + (n % ${CASES_PER_PALLET}) * ${UNITS_PER_CASE} + ${UNITS_PER_CASE + 1}`)},
      '+01:00', 'AggregationEvent', 'ADD', 'packing', 'in_progress', ${plantOf(`n / ${CASES_PER_PALLET}`)}, ${caseUri('n')}, 'MES',
      'line-' || ((n / ${CASES_PER_PALLET * PALLETS_PER_SHIPMENT}) % 3 + 1) || '-packer', ${noEpc},
      n / ${CASES_PER_PALLET * PALLETS_PER_SHIPMENT}`,
  },
  {
    tag: 'palletize',
    per: 'pallet',
    select: () => `SELECT n, ${eventId('palletize', 'n')}, ${secs(`${palletStart('n')} + 1200`)},
      '+01:00', 'AggregationEvent', 'ADD', 'packing', 'in_progress', ${plantOf('n')}, ${palletUri('n')}, 'WMS',
      'wms-scanner-' || ((n / ${PALLETS_PER_SHIPMENT}) % 3 + 1), ${noEpc}, n / ${PALLETS_PER_SHIPMENT}`,
  },
  {
    tag: 'ship',
    per: 'pallet',
    select: () => `SELECT n, ${eventId('ship', 'n')}, ${secs(`${palletStart('n')} + 1500`)},
      '+01:00', 'ObjectEvent', 'OBSERVE', 'shipping', 'in_transit', ${plantOf('n')}, NULL, 'WMS',
      'wms-scanner-' || ((n / ${PALLETS_PER_SHIPMENT}) % 3 + 1), ${containerEpc(palletUri('n'), 'sscc')}, n / ${PALLETS_PER_SHIPMENT}`,
  },
  {
    tag: 'load',
    per: 'shipment',
    select: (pallets) => `SELECT n, ${eventId('load', 'n')}, ${secs(shipmentStart('n', pallets))},
      '+01:00', 'AggregationEvent', 'ADD', 'loading', 'in_progress', ${plantOf(`n * ${PALLETS_PER_SHIPMENT}`)}, ${shipmentUri('n')}, 'WMS',
      'wms-scanner-' || (n % 3 + 1), ${noEpc}, n`,
  },
  {
    tag: 'depart',
    per: 'shipment',
    select: (
      pallets,
    ) => `SELECT n, ${eventId('depart', 'n')}, ${secs(`${shipmentStart('n', pallets)} + 300`)},
      '+01:00', 'ObjectEvent', 'OBSERVE', 'departing', 'in_transit', ${plantOf(`n * ${PALLETS_PER_SHIPMENT}`)}, NULL, 'TMS',
      'truck-' || (n % 50), ${containerEpc(shipmentUri('n'), 'gsin')}, n`,
  },
  {
    tag: 'arrive',
    per: 'shipment',
    select: (
      pallets,
    ) => `SELECT n, ${eventId('arrive', 'n')}, ${secs(`${shipmentStart('n', pallets)} + 86400`)},
      '-06:00', 'ObjectEvent', 'OBSERVE', 'arriving', 'in_transit', ${dcOf('n')}, NULL, 'TMS',
      'truck-' || (n % 50), ${containerEpc(shipmentUri('n'), 'gsin')}, n`,
  },
  {
    tag: 'unload',
    per: 'shipment',
    select: (
      pallets,
    ) => `SELECT n, ${eventId('unload', 'n')}, ${secs(`${shipmentStart('n', pallets)} + 87000`)},
      '-06:00', 'AggregationEvent', 'DELETE', 'unloading', NULL, ${dcOf('n')}, ${shipmentUri('n')}, 'WMS',
      'dc-scanner-' || (n % 4 + 1), ${noEpc}, n`,
  },
  {
    tag: 'receive',
    per: 'pallet',
    select: (pallets) => `SELECT n, ${eventId('receive', 'n')},
      ${secs(`${shipmentStart(`n / ${PALLETS_PER_SHIPMENT}`, pallets)} + 87600 + (n % ${PALLETS_PER_SHIPMENT}) * 60`)},
      '-06:00', 'ObjectEvent', 'OBSERVE', 'receiving', 'in_progress', ${dcOf(`n / ${PALLETS_PER_SHIPMENT}`)}, NULL, 'WMS',
      'dc-scanner-' || ((n / ${PALLETS_PER_SHIPMENT}) % 4 + 1), ${containerEpc(palletUri('n'), 'sscc')}, n / ${PALLETS_PER_SHIPMENT}`,
  },
  {
    tag: 'breakdown',
    per: 'pallet',
    select: (pallets) => `SELECT n, ${eventId('breakdown', 'n')},
      ${secs(`${shipmentStart(`n / ${PALLETS_PER_SHIPMENT}`, pallets)} + 88800 + (n % ${PALLETS_PER_SHIPMENT}) * 60`)},
      '-06:00', 'AggregationEvent', 'DELETE', 'unpacking', NULL, ${dcOf(`n / ${PALLETS_PER_SHIPMENT}`)}, ${palletUri('n')}, 'WMS',
      'dc-scanner-' || ((n / ${PALLETS_PER_SHIPMENT}) % 4 + 1), ${noEpc}, n / ${PALLETS_PER_SHIPMENT}`,
  },
  {
    tag: 'dispatch',
    per: 'case',
    select: (pallets) => `SELECT n, ${eventId('dispatch', 'n')},
      ${secs(`${shipmentStart(`n / ${CASES_PER_PALLET * PALLETS_PER_SHIPMENT}`, pallets)} + 172800 + (n % 400) * 60`)},
      '-06:00', 'ObjectEvent', 'OBSERVE', 'shipping', 'in_transit', ${dcOf(`n / ${CASES_PER_PALLET * PALLETS_PER_SHIPMENT}`)}, NULL, 'WMS',
      'dc-scanner-' || ((n / ${CASES_PER_PALLET * PALLETS_PER_SHIPMENT}) % 4 + 1), ${containerEpc(caseUri('n'), 'sscc')},
      n / ${CASES_PER_PALLET * PALLETS_PER_SHIPMENT}`,
  },
  {
    tag: 'store',
    per: 'case',
    select: (pallets) => `SELECT n, ${eventId('store', 'n')},
      ${secs(`${shipmentStart(`n / ${CASES_PER_PALLET * PALLETS_PER_SHIPMENT}`, pallets)} + 259200 + (n % 400) * 60`)},
      '-05:00', 'ObjectEvent', 'OBSERVE', 'receiving', 'sellable_not_accessible', ${storeOf('n')}, NULL, 'WMS',
      'store-scanner-' || (n % 40 + 1), ${containerEpc(caseUri('n'), 'sscc')}, n / ${CASES_PER_PALLET * PALLETS_PER_SHIPMENT}`,
  },
  {
    tag: 'sell',
    per: 'soldUnit',
    select: (pallets) => `SELECT n, ${eventId('sell', 'n')},
      ${secs(`${shipmentStart(`n / ${UNITS_PER_PALLET * PALLETS_PER_SHIPMENT}`, pallets)} + 345600 + (n % ${UNITS_PER_PALLET}) * 420`)},
      '-05:00', 'ObjectEvent', 'OBSERVE', 'retail_selling', 'retail_sold', ${storeOf(`n / ${UNITS_PER_CASE}`)}, NULL, 'EPCIS',
      'pos-' || ((n / ${UNITS_PER_CASE}) % 40 + 1), ${unitEpc('n')}, n / ${UNITS_PER_PALLET * PALLETS_PER_SHIPMENT}`,
  },
];

/** The rows a kind covers for pallets [p0, p1): `n` values, as a FROM clause. */
function rangeOf(kind: EventKind, p0: number, p1: number, pallets: number): string | undefined {
  const series = (lo: number, hi: number, step = 1) =>
    hi > lo ? `generate_series(${lo}::bigint, ${hi - 1}::bigint, ${step}) AS n` : undefined;
  switch (kind.per) {
    case 'unit':
      return series(p0 * UNITS_PER_PALLET, p1 * UNITS_PER_PALLET);
    case 'soldUnit':
      return series(p0 * UNITS_PER_PALLET, p1 * UNITS_PER_PALLET, 2);
    case 'case':
      return series(p0 * CASES_PER_PALLET, p1 * CASES_PER_PALLET);
    case 'pallet':
      return series(p0, p1);
    case 'shipment': {
      // A shipment belongs to the chunk that holds its first pallet.
      const s0 = Math.ceil(p0 / PALLETS_PER_SHIPMENT);
      const s1 = Math.min(Math.ceil(p1 / PALLETS_PER_SHIPMENT), Math.ceil(pallets / PALLETS_PER_SHIPMENT));
      return series(s0, s1);
    }
  }
}

/** Children of an aggregation kind, as a lateral FROM over the kind's row `k`. */
interface Children {
  from: string;
  uri: string;
  scheme: string;
  gtin: string;
  serial: string;
  lot: string;
  sscc: string;
}
function childrenOf(tag: string, pallets: number): Children | undefined {
  const sscc = (uri: string) => ({
    scheme: `'sscc'`,
    gtin: 'NULL',
    serial: 'NULL',
    lot: 'NULL',
    sscc: `substr(${uri}, 23)`,
  });
  if (tag === 'pack') {
    const u = `(k.n * ${UNITS_PER_CASE} + j)`;
    return {
      from: `generate_series(0, ${UNITS_PER_CASE - 1}) AS j`,
      uri: unitUri(u),
      scheme: `'sgtin'`,
      gtin: gtinOf(u),
      serial: serialOf(u),
      lot: lotOf(u),
      sscc: 'NULL',
    };
  }
  if (tag === 'palletize') {
    const uri = caseUri(`(k.n * ${CASES_PER_PALLET} + j)`);
    return { from: `generate_series(0, ${CASES_PER_PALLET - 1}) AS j`, uri, ...sscc(uri) };
  }
  if (tag === 'load') {
    const uri = palletUri(`(k.n * ${PALLETS_PER_SHIPMENT} + j)`);
    // The last shipment may be short.
    const last = `LEAST(${PALLETS_PER_SHIPMENT - 1}, ${pallets - 1} - k.n * ${PALLETS_PER_SHIPMENT})`;
    return { from: `generate_series(0, ${last}) AS j`, uri, ...sscc(uri) };
  }
  return undefined;
}

/**
 * Unit state as the sink leaves it: each identifier at its newest event, with disposition, location
 * and read point carried forward when that event has none. Keyed by the kind whose event is newest.
 */
const STATE_INSERT = `INSERT INTO ut.unit_state (uri, scheme, gtin, serial, lot, last_event_id, last_event_time,
  biz_step, disposition, biz_location, read_point)`;
const lastSeen: Record<string, string> = {
  // Sold units (even numbers) were last seen at the till...
  sell: `SELECT epc_uri, 'sgtin', epc_gtin, epc_serial, epc_lot, event_id, event_time, biz_step, disposition,
    location, location FROM k`,
  // ...the others when they were packed.
  pack: `SELECT uri, 'sgtin', gtin, serial, lot, event_id, event_time, biz_step, disposition, location, location
    FROM kc WHERE j % 2 = 1`,
  // Cases: received at the store. Pallets: broken down at the DC, shipments: unloaded there (both
  // DELETEs without a disposition, so the one before carries on).
  store: `SELECT epc_uri, 'sscc', NULL, NULL, NULL, event_id, event_time, biz_step, disposition, location, location FROM k`,
  breakdown: `SELECT parent_uri, 'sscc', NULL, NULL, NULL, event_id, event_time, biz_step, 'in_progress', location,
    location FROM k`,
  unload: `SELECT parent_uri, 'gsin', NULL, NULL, NULL, event_id, event_time, biz_step, 'in_transit', location,
    location FROM k`,
};

/**
 * One statement per kind for pallets [p0, p1): its rows are computed once (a materialised CTE) and
 * written to events, identifiers, aggregation facts and unit state from there.
 */
function chunkStatements(p0: number, p1: number, pallets: number): string[] {
  const out: string[] = [];
  for (const kind of kinds) {
    const range = rangeOf(kind, p0, p1, pallets);
    if (!range) continue;
    const children = childrenOf(kind.tag, pallets);
    const ctes = [`k(${COLS}) AS MATERIALIZED (${kind.select(pallets)} FROM ${range})`];
    if (children) {
      ctes.push(`kc AS MATERIALIZED (SELECT k.event_id, k.event_time, k.event_tz, k.event_type, k.parent_uri, k.action,
        k.biz_step, k.disposition, k.location, j, ${children.uri} AS uri, ${children.scheme} AS scheme, ${children.gtin} AS gtin,
        ${children.serial} AS serial, ${children.lot} AS lot, ${children.sscc} AS sscc
        FROM k CROSS JOIN LATERAL ${children.from})`);
    }
    const childJson = children
      ? `(SELECT json_agg(json_build_object('uri', ${children.uri})) FROM ${children.from})`
      : `'[]'::json`;
    ctes.push(`ev AS (INSERT INTO ut.events (event_id, event_time, event_tz, event_type, action, biz_step, disposition,
        read_point, biz_location, parent_uri, source_system, machine_id, lineage, batch_id, identifier_uris, record)
      SELECT k.event_id, k.event_time, k.event_tz, k.event_type, k.action, k.biz_step, k.disposition, k.location,
        k.location, k.parent_uri, k.source_system, k.machine_id, 'bench/0/' || k.n, k.batch_id,
        array_remove(ARRAY[k.epc_uri, k.parent_uri], NULL)${children ? ` || ARRAY(SELECT ${children.uri} FROM ${children.from})` : ''},
        json_build_object('eventId', k.event_id, 'eventType', k.event_type, 'action', k.action,
          'epcList', CASE WHEN k.epc_uri IS NULL THEN '[]'::json ELSE json_build_array(json_build_object('uri', k.epc_uri,
            'scheme', k.epc_scheme, 'gtin', k.epc_gtin, 'serial', k.epc_serial, 'lot', k.epc_lot)) END,
          'parentId', CASE WHEN k.parent_uri IS NULL THEN NULL ELSE json_build_object('uri', k.parent_uri) END,
          'childEpcs', ${childJson},
          'eventTime', (extract(epoch FROM k.event_time) * 1000)::bigint, 'eventTimeZoneOffset', k.event_tz,
          'readPoint', k.location, 'bizLocation', k.location, 'bizStep', k.biz_step, 'disposition', k.disposition,
          'sourceSystem', k.source_system, 'machineId', k.machine_id,
          'lineage', json_build_object('topic', 'bench', 'partition', 0, 'offset', k.n))
      FROM k)`);
    // Identifiers carry what a journey shows (migration 010), as the sink writes them.
    ctes.push(`id AS (INSERT INTO ut.event_identifiers (uri, event_time, event_id, role, gtin, event_tz, event_type, action,
        biz_step, disposition, biz_location, read_point)
      SELECT k.epc_uri, k.event_time, k.event_id, 'epc', k.epc_gtin, k.event_tz, k.event_type, k.action, k.biz_step,
        k.disposition, k.location, k.location
      FROM k WHERE k.epc_uri IS NOT NULL
      UNION ALL
      SELECT k.parent_uri, k.event_time, k.event_id, 'parent', NULL, k.event_tz, k.event_type, k.action, k.biz_step,
        k.disposition, k.location, k.location
      FROM k WHERE k.parent_uri IS NOT NULL
      ${children ? `UNION ALL SELECT uri, event_time, event_id, 'child', gtin, event_tz, event_type, action, biz_step, disposition, location, location FROM kc` : ''})`);
    if (children) {
      ctes.push(`fa AS (INSERT INTO ut.aggregation_facts (event_id, child_uri, parent_uri, event_time, action)
        SELECT event_id, uri, parent_uri, event_time, action FROM kc)`);
    } else if (kind.select(pallets).includes(`'DELETE'`)) {
      ctes.push(`fa AS (INSERT INTO ut.aggregation_facts (event_id, child_uri, parent_uri, event_time, action)
        SELECT event_id, '*', parent_uri, event_time, action FROM k)`);
    }
    const state = lastSeen[kind.tag];
    if (state) ctes.push(`st AS (${STATE_INSERT} ${state})`);
    out.push(`WITH ${ctes.join(',\n')} SELECT 1`);
  }
  return out;
}

/** The GS1 check digit of `d` (a SQL text of `length` digits) as one SQL expression: weights 3,1,3... from the right. */
function checkDigitSql(d: string, length: number): string {
  const terms = Array.from(
    { length },
    (_, i) => `substr(${d}, ${i + 1}, 1)::int * ${(length - 1 - i) % 2 === 0 ? 3 : 1}`,
  );
  return `((10 - (${terms.join(' + ')}) % 10) % 10)::text`;
}

// Plain expressions (no FROM), so PostgreSQL inlines them into the statements that call them.
const HELPERS = `
CREATE SCHEMA bench;
CREATE FUNCTION bench.with_check(d text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT d || ${checkDigitSql("lpad(d, 17, '0')", 17)} $$;
CREATE FUNCTION bench.sscc(ext text, n bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT 'https://id.gs1.org/00/' || bench.with_check(ext || '${PREFIX}' || lpad(n::text, 9, '0')) $$;
CREATE FUNCTION bench.gsin(n bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT 'https://id.gs1.org/402/' || bench.with_check('${PREFIX}' || lpad(n::text, 9, '0')) $$;
`;

const LOADED_TABLES = ['ut.events', 'ut.event_identifiers', 'ut.aggregation_facts', 'ut.unit_state'];

/** Takes the loaded tables' indexes off (to build them once at the end), returning how to put them back. */
interface IndexDef {
  table: string;
  def: string;
}
async function dropIndexes(client: pg.PoolClient): Promise<IndexDef[]> {
  const defs = await client.query<{ table: string; def: string; drop: string }>(
    `SELECT i.indrelid::regclass::text AS table, CASE WHEN con.conname IS NOT NULL
                 THEN format('ALTER TABLE %s ADD CONSTRAINT %I %s', i.indrelid::regclass, con.conname, pg_get_constraintdef(con.oid))
                 ELSE pg_get_indexdef(i.indexrelid) END AS def,
            CASE WHEN con.conname IS NOT NULL
                 THEN format('ALTER TABLE %s DROP CONSTRAINT %I', i.indrelid::regclass, con.conname)
                 ELSE format('DROP INDEX %s', i.indexrelid::regclass) END AS drop
       FROM pg_index i LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
      WHERE i.indrelid = ANY($1::regclass[])`,
    [LOADED_TABLES],
  );
  const restore: IndexDef[] = [];
  for (const { table, def, drop } of defs.rows) {
    try {
      await client.query(drop);
      // A partitioned table's index reads back as "ON ONLY", which would build no partition's index.
      restore.push({ table, def: def.replace(' ON ONLY ', ' ON ') });
    } catch {
      // Something else depends on it (a foreign key from a later migration): leave it in place.
    }
  }
  return restore;
}

/** Unlogged: the bench store is disposable, and skipping the WAL halves the time to build it. */
async function unlogged(client: pg.PoolClient): Promise<void> {
  const leaves = await client.query<{ t: string }>(
    `SELECT c.oid::regclass::text AS t FROM pg_class c
      WHERE c.relkind = 'r' AND (c.oid = ANY($1::regclass[]) OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = ANY($1::regclass[])))`,
    [LOADED_TABLES],
  );
  for (const { t } of leaves.rows) {
    await client.query(`ALTER TABLE ${t} SET UNLOGGED`).catch(() => {});
  }
}

async function runJobs(
  pool: pg.Pool,
  jobs: string[][],
  workers: number,
  onDone: (done: number) => void,
  { inTransaction = true } = {},
): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    const client = await pool.connect();
    try {
      await client.query(`SET synchronous_commit = off`);
      await client.query(`SET work_mem = '256MB'`);
      while (next < jobs.length) {
        const job = jobs[next++]!;
        if (inTransaction) await client.query('BEGIN');
        for (const sql of job) await client.query(sql);
        if (inTransaction) await client.query('COMMIT');
        onDone(++done);
      }
    } finally {
      client.release();
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
}

export interface QueryBenchResult {
  events: number;
  units: number;
  generateSeconds: number | null;
  journey: { runs: number; p50Ms: number; p99Ms: number; meanSteps: number };
  /** The same units again, their pages now in shared buffers. */
  journeyAgain: { p50Ms: number; p99Ms: number };
  lot: { runs: number; units: number; p50Ms: number; p99Ms: number };
  /**
   * Other lots, in the same connection once it has served the first series: as the console's and
   * ops API's kept connections serve them (a backend that has mapped the shared buffers it reads).
   */
  lotServed: { runs: number; p50Ms: number; p99Ms: number };
  /** A lot each in a new connection (connected first, not timed): what a pool that closes idle connections gives after a pause. */
  lotNewConnection: { runs: number; p50Ms: number; p99Ms: number };
}

/** Lots timed each in a new connection (`lotNewConnection`): each costs a backend's start. */
const NEW_CONNECTION_LOTS = 10;

/** Builds the bench store (unless `reuse` finds one) and measures both queries. */
export async function benchQueries({
  url,
  events = 10_000_000,
  reuse = false,
  journeyRuns = 500,
  lotRuns = 30,
  workers = 2,
  progress = () => {},
}: {
  url: string;
  events?: number;
  reuse?: boolean;
  journeyRuns?: number;
  lotRuns?: number;
  workers?: number;
  progress?: (line: string) => void;
}): Promise<QueryBenchResult> {
  const say = progress;
  const pallets = Math.max(PALLETS_PER_SHIPMENT, Math.ceil(events / EVENTS_PER_PALLET));
  let generateSeconds: number | null = null;
  const name = databaseName(url);
  const existing = await withClient(withDatabase(url, 'postgres'), (c) =>
    c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]),
  );
  if (reuse && existing.rowCount !== 0) {
    // The store is kept between runs; a migration added since (an index, say) still applies.
    const pool = createPool(url, { max: 1 });
    try {
      const applied = await migrate(pool);
      if (applied.length > 0) say(`bench queries: applied ${applied.join(', ')} to the kept store`);
    } finally {
      await pool.end();
    }
  }
  if (!reuse || existing.rowCount === 0) {
    const started = performance.now();
    await dropDatabase(url, name);
    await ensureDatabase(url);
    const pool = createPool(url, { max: workers });
    try {
      await migrate(pool);
      const client = await pool.connect();
      let restore: IndexDef[];
      try {
        await client.query(HELPERS);
        await unlogged(client);
        restore = await dropIndexes(client);
      } finally {
        client.release();
      }
      const jobs: string[][] = [];
      for (let p0 = 0; p0 < pallets; p0 += CHUNK_PALLETS)
        jobs.push(chunkStatements(p0, Math.min(pallets, p0 + CHUNK_PALLETS), pallets));
      say(
        `bench queries: writing ${pallets} pallets (~${Math.round(pallets * EVENTS_PER_PALLET)} events) in ${jobs.length} chunks`,
      );
      await runJobs(pool, jobs, workers, (done) =>
        say(
          `bench queries: ${done}/${jobs.length} chunks written (${Math.round((performance.now() - started) / 1000)} s)`,
        ),
      );
      const since = () => `${Math.round((performance.now() - started) / 1000)} s`;
      // Largest tables first, so that the two builders finish together.
      const bytes = await pool.query<{ t: string; n: string }>(
        `SELECT t, (SELECT sum(pg_relation_size(relid)) FROM pg_partition_tree(t::regclass)) AS n FROM unnest($1::text[]) AS t`,
        [LOADED_TABLES],
      );
      const size = new Map(bytes.rows.map((r) => [r.t, Number(r.n)]));
      restore.sort((a, b) => (size.get(b.table) ?? 0) - (size.get(a.table) ?? 0));
      say(`bench queries: building ${restore.length} indexes (${since()})`);
      await runJobs(
        pool,
        restore.map(({ def }) => [`SET maintenance_work_mem = '1GB'`, def]),
        workers,
        () => {},
      );
      // The container now of every unit, case and pallet, as the sink maintains it.
      say(`bench queries: containers now (${since()})`);
      await pool.query(CONTAINERS_FROM_FACTS_SQL);
      // Statistics everywhere; the visibility map only where index-only scans read (aggregation
      // facts, identifiers, unit state): vacuuming the ledger itself would read it all again for nothing.
      say(`bench queries: analyze (${since()})`);
      await runJobs(
        pool,
        [
          ['ANALYZE ut.events'],
          ['VACUUM (ANALYZE) ut.aggregation_facts'],
          ['VACUUM (ANALYZE) ut.event_identifiers'],
          ['VACUUM (ANALYZE) ut.unit_state'],
        ],
        workers,
        () => {},
        { inTransaction: false },
      );
      generateSeconds = Math.round((performance.now() - started) / 1000);
    } finally {
      await pool.end();
    }
  }
  return measureQueries(url, { generateSeconds, journeyRuns, lotRuns });
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Times the journey and lot queries on a built bench store (`benchQueries`, `bench queries --beside`). */
export async function measureQueries(
  url: string,
  {
    generateSeconds,
    journeyRuns,
    lotRuns,
  }: { generateSeconds: number | null; journeyRuns: number; lotRuns: number },
): Promise<QueryBenchResult> {
  const pool = createPool(url, { max: 1 });
  try {
    const count = async (sql: string) => Number((await pool.query<{ n: string }>(sql)).rows[0]!.n);
    const events = await count('SELECT count(*) AS n FROM ut.events');
    const units = await count(`SELECT count(*) AS n FROM ut.unit_state WHERE scheme = 'sgtin'`);
    if (units === 0)
      throw new UsageError(`the bench store at ${databaseName(url)} is empty; run without --reuse`);
    const rnd = (n: number) => Math.floor(Math.random() * n);
    const unitUriOf = (u: number) =>
      `https://id.gs1.org/01/${GTINS[Math.floor(u / UNITS_PER_LOT) % 3]}/21/S${String(u).padStart(10, '0')}`;

    // Random units: their pages are mostly not in shared buffers, as for any unit someone asks
    // about. Then the same units again, whose pages now are: the difference is the reads.
    const sample = Array.from({ length: journeyRuns }, () => unitUriOf(rnd(units)));
    for (let i = 0; i < 20; i++) await journeyOf(pool, unitUriOf(rnd(units))); // the session plans it
    const timeJourneys = async () => {
      const ms: number[] = [];
      let steps = 0;
      for (const uri of sample) {
        const t = performance.now();
        steps += (await journeyOf(pool, uri)).length;
        ms.push(performance.now() - t);
      }
      return { ms, steps };
    };
    const cold = await timeJourneys();
    const warm = await timeJourneys();
    const fullLots = Math.floor(units / UNITS_PER_LOT);
    const timeLot = async (on: pg.Pool) => {
      const lot = rnd(fullLots);
      const t = performance.now();
      const r = await on.query({
        name: 'bench.lot',
        text: `SELECT unit_uri, serial, location, container, disposition, last_event_time
                 FROM analyst.lot_units_now WHERE gtin = $1 AND lot = $2`,
        values: [GTINS[lot % 3], `L${String(lot).padStart(5, '0')}`],
      });
      return { ms: performance.now() - t, units: r.rowCount ?? 0 };
    };
    const lotMs: number[] = [];
    const servedMs: number[] = [];
    const newConnectionMs: number[] = [];
    let lotUnits = 0;
    if (fullLots > 0) {
      for (let i = -3; i < lotRuns; i++) {
        const { ms, units } = await timeLot(pool);
        if (i >= 0) {
          lotMs.push(ms);
          lotUnits = units;
        }
      }
      for (let i = 0; i < lotRuns; i++) servedMs.push((await timeLot(pool)).ms);
      for (let i = 0; i < Math.min(lotRuns, NEW_CONNECTION_LOTS); i++) {
        const fresh = createPool(url, { max: 1 });
        try {
          await fresh.query('SELECT 1');
          newConnectionMs.push((await timeLot(fresh)).ms);
        } finally {
          await fresh.end();
        }
      }
    }
    const again = msSeries(warm.ms);
    return {
      events,
      units,
      generateSeconds,
      journey: { ...msSeries(cold.ms), meanSteps: Math.round((cold.steps / cold.ms.length) * 10) / 10 },
      journeyAgain: { p50Ms: again.p50Ms, p99Ms: again.p99Ms },
      lot: { ...msSeries(lotMs), units: lotUnits },
      lotServed: msSeries(servedMs),
      lotNewConnection: msSeries(newConnectionMs),
    };
  } finally {
    await pool.end();
  }
}

/** The URL of the bench store `name` beside `databaseUrl` (same server and user). */
export function benchStoreUrl(databaseUrl: string, name = 'unitrail_bench'): string {
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new UsageError(`--database ${name} must be letters, digits and _`);
  return withDatabase(databaseUrl, name);
}

/** A pool on a bench store that `bench queries` built; a missing one is named with the way to build it. */
export async function openBenchStore(databaseUrl: string, name = 'unitrail_bench'): Promise<pg.Pool> {
  const pool = createPool(benchStoreUrl(databaseUrl, name), { max: 2 });
  try {
    await pool.query('SELECT 1');
    return pool;
  } catch (err) {
    await pool.end();
    if ((err as { code?: string }).code === '3D000')
      throw new UsageError(`database ${name} does not exist; build it with 'unitrail bench queries' first`);
    throw err;
  }
}

/** Runs `fn` on a pool of the bench store, then closes it. */
export async function withBenchStore<T>(
  databaseUrl: string,
  name: string | undefined,
  fn: (pool: pg.Pool) => Promise<T>,
): Promise<T> {
  const pool = await openBenchStore(databaseUrl, name);
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}
