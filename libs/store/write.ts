/**
 * The journey sink's write: one batch, one transaction, idempotent, order-tolerant.
 *
 * A batch is prepared in JavaScript first (`prepareBatch`: every row in COPY's binary format, the
 * row hashes of the chain), with no database, so a caller can prepare batch N+1 while batch N commits.
 * `writePrepared` then writes it in two round trips:
 *   BEGIN + the chain's lock + the parents' locks + the batch id + the chain's head
 *   then one simple query (libs/store/copy.ts runScript: the text and every COPY's data in one
 *   write) that COPYs the ledger rows straight into ut.events, the identifiers and aggregation
 *     facts, appends the batch to its partition's hash chain, COPYs the batch's newest state per
 *     unit into a temporary staging table (ut_stage_units), upserts unit state from it (moves only
 *     to a newer event) and its container now (a batch with DELETEs first locks the unit-state rows
 *     it touches, in the one order every sink uses), and COMMITs. The unit-state row locks, the
 *     only locks another partition's sink may wait on, are so held while the server works and never
 *     while this process (niced as a background stage, maybe descheduled) reads a reply.
 *   A replayed event makes the ledger COPY fail on the primary key: then, back to a savepoint, COPY
 *     into a staging table and INSERT ... ON CONFLICT DO NOTHING RETURNING names the new events, and
 *     the rest goes for those. Now and then the chain is due an anchor, written before the unit state.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { touchedIdentifiers, type Identifier, type SerializationEvent } from '../events';
import { BinaryRows, copyInBinary, runScript, type ScriptStep } from './copy';
import { chainHeadSql, chainLink, writeAnchor, type ChainHead } from './ledger';

export interface SinkRow {
  event: SerializationEvent;
  recallId: string | null;
  /** Kafka timestamp (ms) of the raw record the event came from, when known. */
  originTs?: number | null;
}

export interface WriteOptions {
  /**
   * The hash chain this batch extends: one per journey partition (for example
   * `ut.journey.v1/3`), so sinks on different partitions never wait on each other. Defaults to the
   * sink's name.
   */
  chain?: string;
  /** Every this many batches of a chain, the sink also writes an anchor tying every chain's head. */
  anchorEvery?: number;
}

interface PreparedEvent {
  row: SinkRow;
  eventId: string;
  /** The record text, byte for byte what the ledger keeps and the chain hashes. */
  text: string;
  /** Its rows in COPY's binary format (BinaryRows): the ledger row without its batch id, identifiers, facts. */
  ledgerRow: Buffer;
  identifierRows: Buffer;
  factRows: Buffer;
  /** Its SHARED_COLUMNS, encoded (its unit-state rows copy them). */
  where: Buffer;
  /**
   * What the unit-state statement needs again, computed once here: the identifiers it touched
   * and its aggregation facts.
   */
  touched: Touched[];
  facts: Fact[];
}

type Touched = ReturnType<typeof touchedIdentifiers>[number];
type Fact = { child: string; parent: string; action: string };

export interface PreparedBatch {
  events: PreparedEvent[];
  /** Parents of aggregation events, sorted: their locks keep "container now" exact across sinks. */
  parents: string[];
}

const ts = (ms: number) => new Date(ms).toISOString();

/** Everything about a batch that needs no database: COPY rows, hashes' inputs, lock keys. */
export function prepareBatch(rows: SinkRow[]): PreparedBatch {
  const seen = new Set<string>();
  const events: PreparedEvent[] = [];
  const parents = new Set<string>();
  const out = new BinaryRows();
  const shared = new BinaryRows();
  for (const row of rows) {
    const e = row.event;
    // Once each: a batch may hold the same event twice (a replayed record next to its original).
    if (seen.has(e.eventId)) continue;
    seen.add(e.eventId);
    const text = JSON.stringify(e);
    const touched = touchedIdentifiers(e);
    // The fields the event's ledger row, identifier rows and unit-state rows share, encoded once
    // (SHARED_COLUMNS, then WHAT_COLUMNS): of the ~155 fields a batch writes per event (4.7
    // identifiers), about 70 were these same values again (issue 12, docs/capacity.md).
    const where = shared
      .time(e.eventTime)
      .text(e.eventId)
      .text(e.bizStep)
      .text(e.disposition)
      .text(e.bizLocation)
      .text(e.readPoint)
      .take();
    const what = shared.text(e.eventTimeZoneOffset).text(e.eventType).text(e.action).take();
    // The ledger row's fields (EVENT_COLUMNS), then its batch id, added at the write.
    out
      .row(EVENT_FIELDS + 1)
      .fields(where)
      .fields(what)
      .text(e.parentId?.uri ?? null)
      .text(e.sourceSystem)
      .text(e.machineId)
      .text(e.operatorId)
      .text(row.recallId)
      .text(e.sourceEventId)
      .text(`${e.lineage.topic}/${e.lineage.partition}/${e.lineage.offset}`)
      .text(text)
      .time(row.originTs || null)
      .textArray(touched.map(({ id }) => id.uri));
    const ledgerRow = out.take();
    for (const { role, id } of touched) {
      out.row(IDENTIFIER_FIELDS).text(id.uri).text(role).text(id.gtin).fields(where).fields(what);
    }
    const identifierRows = out.take();
    const facts = aggregationFacts(e);
    for (const f of facts) {
      out.row(5).text(e.eventId).text(f.child).text(f.parent).time(e.eventTime).text(f.action);
      parents.add(f.parent);
    }
    const factRows = out.take();
    events.push({
      row,
      eventId: e.eventId,
      text,
      ledgerRow,
      identifierRows,
      factRows,
      where,
      touched,
      facts,
    });
  }
  // One lock order for every sink: concurrent batches touching the same keys wait, never deadlock.
  events.sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  return { events, parents: [...parents].sort() };
}

/** ADD opens "child in parent", DELETE closes it (child '*': every child of that parent). */
function aggregationFacts(e: SerializationEvent): Fact[] {
  if (e.eventType !== 'AggregationEvent' || !e.parentId || !e.action) return [];
  const children =
    e.childEpcs.length > 0 ? e.childEpcs.map((c) => c.uri) : e.action === 'DELETE' ? ['*'] : [];
  return children.map((child) => ({ child, parent: e.parentId!.uri, action: e.action! }));
}

// Written once per event and copied into its rows (prepareBatch): when, which event, and where
// (SHARED_COLUMNS); what happened (WHAT_COLUMNS).
const SHARED_COLUMNS = 'event_time, event_id, biz_step, disposition, biz_location, read_point';
const WHAT_COLUMNS = 'event_tz, event_type, action';
/** How many fields a row of these columns has (BinaryRows.row), from the list itself. */
const columnCount = (columns: string) => columns.split(',').length;
// identifier_uris: the units the event touched, so reads that start from ledger rows (a device's
// reads, a recall by device) need no index of the identifiers by event (migration 095).
const EVENT_COLUMNS = `${SHARED_COLUMNS}, ${WHAT_COLUMNS}, parent_uri, source_system, machine_id, operator_id,
  recall_id, source_event_id, lineage, record, origin_ts, identifier_uris`;
const EVENT_FIELDS = columnCount(EVENT_COLUMNS);
/** The identifier rows' columns, in the order `PreparedEvent.identifierRows` writes them. */
export const IDENTIFIER_COLUMNS = `uri, role, gtin, ${SHARED_COLUMNS}, ${WHAT_COLUMNS}`;
const IDENTIFIER_FIELDS = columnCount(IDENTIFIER_COLUMNS);
const PARENT_LOCK = 724_003;

/** Writes a prepared batch in one transaction; returns how many of its events were new. */
export async function writePrepared(
  client: pg.PoolClient,
  batch: PreparedBatch,
  sink: string,
  { chain = sink, anchorEvery = 64 }: WriteOptions = {},
): Promise<number> {
  if (batch.events.length === 0) return 0;
  const lit = quoteLiteral;
  try {
    const begin = await client.query(
      [
        'BEGIN',
        `SELECT pg_advisory_xact_lock(${LEDGER_CHAIN_LOCK}, hashtext(${lit(chain)}))`,
        ...batch.parents.map((p) => `SELECT pg_advisory_xact_lock(${PARENT_LOCK}, hashtext(${lit(p)}))`),
        STAGE_UNITS_SQL,
        "SELECT nextval('ut.ledger_batch_seq') AS id",
        chainHeadSql(lit(chain)),
        'SAVEPOINT ledger_copy',
      ].join(';'),
    );
    const results = begin as unknown as pg.QueryResult[];
    const batchId = String(results[results.length - 3]!.rows[0]!.id);
    const head = results[results.length - 2]!.rows[0] as ChainHead;
    const link = { batchId, chain, sink, anchorEvery };
    const ledgerCopy = { copy: `ut.events (${EVENT_COLUMNS}, batch_id)`, rows: ledgerRows(batch, batchId) };
    let fresh = batch.events;
    let rest = restOfBatch(fresh, head, link);
    try {
      // Every event new (the usual case): the whole batch and its COMMIT in one round trip.
      await runScript(client, [ledgerCopy, ...rest.now]);
    } catch (err) {
      if ((err as { code?: string }).code !== '23505') throw err;
      // Some events are in the ledger already (a replay): the ledger COPY failed on the primary
      // key. Back to the savepoint, the new ones found through a staging table, then their rest.
      await client.query('ROLLBACK TO SAVEPOINT ledger_copy');
      fresh = await insertNewOnly(client, batch, batchId);
      if (fresh.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      rest = restOfBatch(fresh, head, link);
      await runScript(client, rest.now);
    }
    if (rest.afterAnchor) {
      await writeAnchor(client, sink);
      await runScript(client, rest.afterAnchor);
    }
    return fresh.length;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/**
 * What follows the new events' ledger rows: their identifiers and aggregation facts (new in this
 * transaction: no conflict), the batch's link in its partition's hash chain, the unit-state rows
 * staged by COPY (no lock taken), then the unit-state statements and COMMIT. `now` goes in the round
 * trip that carries the ledger rows, so the unit-state row locks, the only locks another partition's
 * sink may wait on (units and containers two partitions both touch), are held while the server works
 * and never across a round trip to this (niced, maybe descheduled) process. When the chain is due an
 * anchor, `now` stops before the unit state, and `afterAnchor` (the unit state and COMMIT) follows
 * the anchor.
 */
function restOfBatch(
  fresh: PreparedEvent[],
  head: ChainHead,
  link: { batchId: string; chain: string; sink: string; anchorEvery: number },
): { now: ScriptStep[]; afterAnchor: ScriptStep[] | null } {
  const rowHashes = fresh.map((e) => rowHash(e.eventId, e.text));
  const { sql, anchorDue } = chainLink(head, { ...link, rowHashes }, quoteLiteral);
  const rows: ScriptStep[] = [
    { copy: `ut.event_identifiers (${IDENTIFIER_COLUMNS})`, rows: fresh.map((e) => e.identifierRows) },
    { copy: FACT_TARGET, rows: fresh.map((e) => e.factRows) },
    sql,
    { copy: `ut_stage_units (${STAGE_UNIT_COLUMNS})`, rows: [unitStateRows(fresh)] },
  ];
  const commit = [...unitStateSql(fresh, quoteLiteral), 'COMMIT'];
  return anchorDue ? { now: rows, afterAnchor: commit } : { now: [...rows, ...commit], afterAnchor: null };
}

const FACT_TARGET = 'ut.aggregation_facts (event_id, child_uri, parent_uri, event_time, action)';

export const LEDGER_CHAIN_LOCK = 724_002;

/** The batch's ledger rows for COPY, each followed by the batch id, its last field. */
function ledgerRows(batch: PreparedBatch, batchId: string): Buffer[] {
  const id = new BinaryRows().int8(Number(batchId)).take();
  return batch.events.flatMap((e) => [e.ledgerRow, id]);
}

/** The chain's row hash; one-shot `crypto.hash` (a fifth cheaper than a Hash object for a 2 KB record). */
export const rowHash = (eventId: string, recordText: string): Buffer =>
  crypto.hash('sha256', `${eventId}|${recordText}`, 'buffer');

async function insertNewOnly(
  client: pg.PoolClient,
  batch: PreparedBatch,
  batchId: string,
): Promise<PreparedEvent[]> {
  // Per connection, emptied at each commit; created here, in the transaction, so that a rollback
  // that takes it away is followed by a new one next time.
  await client.query(
    'CREATE TEMP TABLE IF NOT EXISTS ut_stage_events (LIKE ut.events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS',
  );
  await copyInBinary(client, `ut_stage_events (${EVENT_COLUMNS}, batch_id)`, ledgerRows(batch, batchId));
  const inserted = await client.query<{ event_id: string }>(
    `INSERT INTO ut.events (${EVENT_COLUMNS}, batch_id)
     SELECT ${EVENT_COLUMNS}, batch_id FROM ut_stage_events ORDER BY event_id
     ON CONFLICT DO NOTHING RETURNING event_id`,
  );
  const ids = new Set(inserted.rows.map((r) => r.event_id));
  return batch.events.filter((e) => ids.has(e.eventId));
}

/**
 * Where the batch's unit-state rows wait for the upsert: a temporary table of the connection, emptied
 * at each commit, created in the batch's transaction (a rollback that takes it away is followed by a
 * new one next time). The rows go in by COPY: as array literals in the statement's text (15 arrays,
 * about 1.8 KB of SQL per event) the server spent a third of the upsert's CPU scanning and parsing
 * them (issue 12, docs/capacity.md).
 */
const STAGE_UNITS_SQL = `CREATE TEMP TABLE IF NOT EXISTS ut_stage_units (
    uri text, scheme text, gtin text, serial text, lot text, ev text, t timestamptz, step text,
    disp text, loc text, rp text, recall text, parent text, add_t timestamptz, add_ev text
  ) ON COMMIT DELETE ROWS`;
/** The staged row's columns; t..rp are the event's SHARED_COLUMNS, in their order. */
const STAGE_UNIT_COLUMNS =
  'uri, scheme, gtin, serial, lot, t, ev, step, disp, loc, rp, recall, parent, add_t, add_ev';

/**
 * The batch's unit-state rows for a binary COPY, one per identifier, in uri order: the newest event
 * of the batch that touched it, and its newest ADD as a child (parent, time, event), if any.
 */
function unitStateRows(fresh: PreparedEvent[]): Buffer {
  // Newest event per identifier within the batch first, so one row per uri reaches the upsert.
  const latest = new Map<string, { p: PreparedEvent; id: Identifier }>();
  const added = new Map<string, { parent: string; t: number; ev: string }>();
  for (const p of fresh) {
    for (const { id } of p.touched) {
      const cur = latest.get(id.uri);
      if (!cur || newer(p.row.event, cur.p.row.event)) latest.set(id.uri, { p, id });
    }
    for (const f of p.facts) {
      if (f.action !== 'ADD') continue;
      const cur = added.get(f.child);
      const e = p.row.event;
      if (!cur || e.eventTime > cur.t || (e.eventTime === cur.t && e.eventId > cur.ev))
        added.set(f.child, { parent: f.parent, t: e.eventTime, ev: e.eventId });
    }
  }
  const out = new BinaryRows();
  for (const [uri, { p, id }] of [...latest].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const add = added.get(uri);
    out
      .row(15)
      .text(uri)
      .text(id.scheme)
      .text(id.gtin)
      .text(id.serial)
      .text(id.lot)
      .fields(p.where)
      .text(p.row.recallId)
      .text(add?.parent ?? null)
      .time(add?.t ?? null)
      .text(add?.ev ?? null);
  }
  return out.take();
}

/**
 * Unit state, one upsert per batch, from the staged rows. An identifier moves to the batch's newest
 * event that touched it if that is newer than the event it holds. Its container now moves to the
 * batch's newest ADD of it as a child, if that is newer than the ADD it holds: to that parent,
 * unless a later DELETE of it (or of every child, '*') on that parent is already among the facts
 * (this batch's are written first, and the parents' locks, taken at BEGIN, make every committed
 * fact about these parents visible here, whichever sink wrote it). Both in one statement: a row is
 * rewritten once. The rows go in uri order (COLLATE "C", as the lock pass takes them).
 */
const UPSERT_UNIT_STATE_SQL = (() => {
  const eventNewer =
    '(excluded.last_event_time, excluded.last_event_id) > (s.last_event_time, s.last_event_id)';
  const addNewer = `excluded.container_time IS NOT NULL AND (s.container_time IS NULL
    OR (excluded.container_time, excluded.container_event_id) > (s.container_time, s.container_event_id))`;
  const ifEvent = (col: string, value: string) =>
    `${col} = CASE WHEN ${eventNewer} THEN ${value} ELSE s.${col} END`;
  const ifAdd = (col: string) => `${col} = CASE WHEN ${addNewer} THEN excluded.${col} ELSE s.${col} END`;
  return `INSERT INTO ut.unit_state AS s (uri, scheme, gtin, serial, lot, last_event_id, last_event_time, biz_step, disposition,
       biz_location, read_point, recall_id, container_uri, container_time, container_event_id)
     SELECT u.uri, u.scheme, u.gtin, u.serial, u.lot, u.ev, u.t, u.step, u.disp, u.loc, u.rp, u.recall,
            CASE WHEN u.parent IS NULL OR EXISTS (
                   SELECT 1 FROM ut.aggregation_facts d
                    WHERE d.parent_uri = u.parent AND d.action = 'DELETE'
                      AND d.child_uri IN (u.uri, '*') AND d.event_time > u.add_t)
                 THEN NULL ELSE u.parent END,
            u.add_t, u.add_ev
       FROM ut_stage_units u
      ORDER BY u.uri COLLATE "C"
     ON CONFLICT (uri) DO UPDATE SET
       ${ifEvent('last_event_id', 'excluded.last_event_id')}, ${ifEvent('last_event_time', 'excluded.last_event_time')},
       ${ifEvent('biz_step', 'excluded.biz_step')}, ${ifEvent('disposition', 'COALESCE(excluded.disposition, s.disposition)')},
       ${ifEvent('biz_location', 'COALESCE(excluded.biz_location, s.biz_location)')},
       ${ifEvent('read_point', 'COALESCE(excluded.read_point, s.read_point)')},
       ${ifEvent('recall_id', 'COALESCE(excluded.recall_id, s.recall_id)')},
       ${ifEvent('lot', 'COALESCE(s.lot, excluded.lot)')}, ${ifEvent('updated_at', 'now()')},
       ${ifAdd('container_uri')}, ${ifAdd('container_time')}, ${ifAdd('container_event_id')}
     WHERE ${eventNewer} OR (${addNewer})`;
})();

interface Deletes {
  child: string[];
  parent: string[];
  t: string[];
}

/** The DELETE facts of the batch's new events (child '*': every child of that parent). */
function deletesOf(fresh: PreparedEvent[]): Deletes {
  const del: Deletes = { child: [], parent: [], t: [] };
  for (const { facts, row } of fresh) {
    let time: string | undefined; // as text once per event, for its DELETEs only
    for (const f of facts) {
      if (f.action !== 'DELETE') continue;
      del.child.push(f.child);
      del.parent.push(f.parent);
      del.t.push((time ??= ts(row.event.eventTime)));
    }
  }
  return del;
}

/**
 * Before a batch with DELETEs touches unit state in two statements (the upsert, then the
 * DELETEs' updates), it locks every existing row both will touch in one pass, in the upsert's
 * order (uri, COLLATE "C"). Every sink then takes unit-state row locks in one order, so two sinks
 * sharing units wait for each other instead of deadlocking (40P01). The rows: the staged ones
 * (every unit the batch touched, a DELETE's children among them) and those a '*' DELETE empties,
 * the units in its parent now (unit_state_container_idx, migration 099: as many as the parent
 * holds, whatever its history). No other sink can add to that parent meanwhile (the parent's lock
 * is held since BEGIN). A batch without DELETEs needs no such pass: its one upsert already goes in
 * that order. (Found from the parent's ADD facts instead, as after migration 098, a crate with
 * 200,000 past ADD facts and 50 units in it took 11 minutes: each candidate row was checked against
 * the array of all 200,000.)
 */
function lockUnitStatesSql(del: Deletes, arr: ArrayLiteral): string {
  const emptied = [...new Set(del.parent.filter((_, i) => del.child[i] === '*'))];
  const inEmptied = emptied.length === 0 ? '' : ` OR container_uri = ANY(${arr(emptied)})`;
  return `SELECT 1 FROM ut.unit_state
      WHERE uri = ANY(ARRAY(SELECT uri FROM ut_stage_units))${inEmptied}
      ORDER BY uri COLLATE "C" FOR UPDATE`;
}

/**
 * The DELETEs of this batch (its ADDs went with the upsert): a DELETE of a child empties its
 * container now only if that parent holds it since an earlier ADD; a DELETE naming no child ('*')
 * empties every unit whose container now is that parent, as of its time.
 */
function maintainContainersSql(del: Deletes, arr: ArrayLiteral): string[] {
  const d = `unnest(${arr(del.child)}, ${arr(del.parent)}, ${arr(del.t, 'timestamptz')}) AS d(child, parent, t)`;
  const sql = [
    `UPDATE ut.unit_state s SET container_uri = NULL FROM ${d}
      WHERE d.child <> '*' AND s.uri = d.child AND s.container_uri = d.parent AND s.container_time < d.t`,
  ];
  if (del.child.includes('*')) {
    sql.push(`UPDATE ut.unit_state s SET container_uri = NULL FROM ${d}
      WHERE d.child = '*' AND s.container_uri = d.parent AND s.container_time < d.t`);
  }
  return sql;
}

/**
 * Every statement of the batch's unit-state work after its rows are staged, in order, as text with
 * its values inline (so it can go with the COMMIT in one simple query): with DELETEs, the lock
 * pass, the upsert, the DELETEs' updates; without, the upsert alone.
 */
function unitStateSql(fresh: PreparedEvent[], lit: (s: string) => string): string[] {
  const arr = arrayLiteral(lit);
  const deletes = deletesOf(fresh);
  if (deletes.child.length === 0) return [UPSERT_UNIT_STATE_SQL];
  return [lockUnitStatesSql(deletes, arr), UPSERT_UNIT_STATE_SQL, ...maintainContainersSql(deletes, arr)];
}

/**
 * A text as an SQL literal, exactly what pg's `escapeLiteral` gives (' doubled; with a backslash in
 * it, E'...' and \\ doubled too), built by two native replaces. pg's loop appends one character at a
 * time: on the unit-state statement's arrays (tens of kilobytes a batch) that loop, and flattening
 * the string it built, were a tenth of the fused process's CPU.
 */
export function quoteLiteral(text: string): string {
  const quoted = `'${text.replace(/'/g, "''")}'`;
  return text.includes('\\') ? ` E${quoted.replace(/\\/g, '\\\\')}` : quoted;
}

const ARRAY_SPECIAL = /[\\"]/;

/** Values as PostgreSQL's array input reads them: {"a","b",NULL} (COPY's own escaping comes after). */
export const arrayText = (values: (string | null)[]) =>
  `{${values
    .map((v) =>
      v === null ? 'NULL' : ARRAY_SPECIAL.test(v) ? `"${v.replace(/[\\"]/g, (ch) => `\\${ch}`)}"` : `"${v}"`,
    )
    .join(',')}}`;

/** A PostgreSQL array of `type` written as a literal: '{"a","b",NULL}'::text[]. */
type ArrayLiteral = (values: (string | null)[], type?: string) => string;

export const arrayLiteral =
  (lit: (s: string) => string): ArrayLiteral =>
  (values, type = 'text') =>
    `${lit(arrayText(values))}::${type}[]`;

/**
 * Every unit state's container now, recomputed from all the aggregation facts (for a store loaded
 * without the sink, such as the query benchmark's): what maintainContainers keeps up batch by batch.
 */
export const CONTAINERS_FROM_FACTS_SQL = `UPDATE ut.unit_state s
   SET container_time = a.event_time, container_event_id = a.event_id,
       container_uri = CASE WHEN EXISTS (
                              SELECT 1 FROM ut.aggregation_facts d
                               WHERE d.parent_uri = a.parent_uri AND d.action = 'DELETE'
                                 AND d.child_uri IN (a.child_uri, '*') AND d.event_time > a.event_time)
                            THEN NULL ELSE a.parent_uri END
  FROM (SELECT DISTINCT ON (f.child_uri) f.child_uri, f.parent_uri, f.event_time, f.event_id
          FROM ut.aggregation_facts f WHERE f.action = 'ADD'
         ORDER BY f.child_uri, f.event_time DESC, f.event_id DESC) a
 WHERE s.uri = a.child_uri`;

function newer(a: SerializationEvent, b: SerializationEvent): boolean {
  return a.eventTime > b.eventTime || (a.eventTime === b.eventTime && a.eventId > b.eventId);
}
