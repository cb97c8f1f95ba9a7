/**
 * Recalls in PostgreSQL (ut.recalls, migration 005) and the questions the journey store answers for
 * them: which units a scope covers, and which containers hold those units now.
 */
import type pg from 'pg';
import { UsageError } from '../errors';
import { toIdentifier } from '../gs1';
import { db } from '../store';
import { withDefaults, type Recall } from './recall';

interface RecallRow {
  recall_id: string;
  status: string;
  reason: string;
  gtin: string;
  lots: string[];
  serials: string[];
  from_time: Date | null;
  to_time: Date | null;
  device_id: string | null;
  containers: string[];
  units: string[];
  quarantined_at: Date | null;
  quarantine_sites: string[];
  declared_at: Date;
  declared_by: string | null;
  closed_at: Date | null;
}

const ms = (d: Date | null) => (d === null ? null : d.getTime());
const date = (t: number | null) => (t === null ? null : new Date(t));

function fromRow(r: RecallRow): Recall {
  return withDefaults({
    recallId: r.recall_id,
    status: r.status,
    reason: r.reason,
    gtin: r.gtin,
    lots: r.lots,
    serials: r.serials,
    fromTime: ms(r.from_time),
    toTime: ms(r.to_time),
    deviceId: r.device_id,
    declaredAt: r.declared_at.getTime(),
    closedAt: ms(r.closed_at),
    declaredBy: r.declared_by,
    containers: r.containers,
    units: r.units,
    quarantinedAt: ms(r.quarantined_at),
    quarantineSites: r.quarantine_sites,
  });
}

/** Writes the recall as it is now (insert or replace): the database copy of the topic record. */
export async function saveRecall(pool: pg.Pool, r: Recall, { closedBy }: { closedBy?: string } = {}) {
  await db('recall save', () =>
    pool.query(
      `INSERT INTO ut.recalls (recall_id, status, reason, gtin, lots, serials, from_time, to_time, device_id,
         containers, units, quarantined_at, quarantine_sites, declared_at, declared_by, closed_at, closed_by)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)
       ON CONFLICT (recall_id) DO UPDATE SET status = excluded.status, containers = excluded.containers,
         units = excluded.units, quarantined_at = excluded.quarantined_at,
         quarantine_sites = excluded.quarantine_sites, closed_at = excluded.closed_at,
         closed_by = COALESCE(excluded.closed_by, ut.recalls.closed_by)`,
      [
        r.recallId,
        r.status,
        r.reason,
        r.gtin,
        r.lots,
        r.serials,
        date(r.fromTime),
        date(r.toTime),
        r.deviceId,
        r.containers,
        r.units,
        date(r.quarantinedAt),
        r.quarantineSites,
        new Date(r.declaredAt),
        r.declaredBy,
        date(r.closedAt),
        closedBy ?? null,
      ],
    ),
  );
}

export async function getRecall(pool: pg.Pool, recallId: string): Promise<Recall | null> {
  const res = await db('recall get', () =>
    pool.query<RecallRow>('SELECT * FROM ut.recalls WHERE recall_id = $1', [recallId]),
  );
  return res.rows[0] ? fromRow(res.rows[0]) : null;
}

/** Like getRecall, but a missing recall is the person's mistake: a UsageError that says what to do. */
export async function requireRecall(pool: pg.Pool, recallId: string): Promise<Recall> {
  const r = await getRecall(pool, recallId);
  if (!r) throw new UsageError(`no recall ${recallId}; 'unitrail recall list' shows them`);
  return r;
}

export async function listRecalls(
  pool: pg.Pool,
  { status }: { status?: 'active' | 'closed' } = {},
): Promise<Recall[]> {
  const res = await db('recall list', () =>
    pool.query<RecallRow>(
      `SELECT * FROM ut.recalls WHERE $1::text IS NULL OR status = $1 ORDER BY declared_at DESC, recall_id`,
      [status ?? null],
    ),
  );
  return res.rows.map(fromRow);
}

/** The canonical URI of each listed serial of the recall's GTIN. */
export function serialUris(gtin: string, serials: readonly string[]): string[] {
  return serials.map((s) => toIdentifier(`(01)${gtin}(21)${s}`).uri);
}

export type ScopeSql = { where: string; params: unknown[] };

/**
 * The WHERE clause on `ut.unit_state s` that selects a scope's units, written per scope kind so that
 * each one reaches an index: (gtin, lot), the primary key for a serial list, (machine_id, event_time)
 * for a device. A time window without a device takes the units any event touched in it.
 */
export function scopeSql(
  r: Pick<Recall, 'gtin' | 'lots' | 'serials' | 'fromTime' | 'toTime' | 'deviceId' | 'units'>,
): ScopeSql {
  const params: unknown[] = [r.gtin];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const clauses = [`s.scheme = 'sgtin'`, `s.gtin = $1`];
  if (r.lots.length > 0) clauses.push(`s.lot = ANY(${p(r.lots)}::text[])`);
  if (r.serials.length > 0) clauses.push(`s.uri = ANY(${p(serialUris(r.gtin, r.serials))}::text[])`);
  if (r.deviceId !== null || r.fromTime !== null || r.toTime !== null) {
    if (r.units.length > 0) {
      // Resolved when declared: the same units whatever the store has learned since.
      clauses.push(`s.uri = ANY(${p(r.units)}::text[])`);
    } else {
      const window = [
        ...(r.deviceId !== null ? [`e.machine_id = ${p(r.deviceId)}`] : []),
        ...(r.fromTime !== null ? [`e.event_time >= ${p(new Date(r.fromTime))}`] : []),
        ...(r.toTime !== null ? [`e.event_time <= ${p(new Date(r.toTime))}`] : []),
      ];
      // The units the window's ledger rows name (their GTIN is the unit's: s.gtin = $1 above).
      clauses.push(
        `s.uri IN (SELECT u.uri FROM ut.events e CROSS JOIN LATERAL unnest(e.identifier_uris) AS u(uri)
                    WHERE ${window.join(' AND ')})`,
      );
    }
  }
  return { where: clauses.join(' AND '), params };
}

/** The units a scope covers now (canonical URIs). */
export async function unitsInScope(pool: pg.Pool, r: Parameters<typeof scopeSql>[0]): Promise<string[]> {
  const { where, params } = scopeSql(r);
  const res = await db('recall scope', () =>
    pool.query<{ uri: string }>(`SELECT s.uri FROM ut.unit_state s WHERE ${where}`, params),
  );
  return res.rows.map((x) => x.uri);
}

/**
 * Every container that holds one of the units now, up the hierarchy (case, pallet, shipment...):
 * each state's maintained container now (the latest ADD of the child, unless a later DELETE of it,
 * or of every child, closed it).
 */
export async function containersHolding(pool: pg.Pool, units: readonly string[]): Promise<string[]> {
  if (units.length === 0) return [];
  const res = await db('recall containers', () =>
    pool.query<{ uri: string }>(
      `WITH RECURSIVE up (uri, depth) AS (
         SELECT u, 0 FROM unnest($1::text[]) AS u
         UNION
         SELECT s.container_uri, up.depth + 1
           FROM up JOIN ut.unit_state s ON s.uri = up.uri
          WHERE s.container_uri IS NOT NULL AND up.depth < 8)
       SELECT DISTINCT uri FROM up WHERE depth > 0 ORDER BY uri`,
      [units],
    ),
  );
  return res.rows.map((x) => x.uri);
}
