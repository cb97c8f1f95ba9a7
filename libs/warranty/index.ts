/**
 * Warranty checks: does the serial exist, did our own line commission it (genuine), was it sold and
 * when, is it under an active recall, has a claim been made on it already. Facts come from the
 * journey store; the verdict is a plain function of them (`warrantyVerdict`), tested beside this file.
 */
import type pg from 'pg';
import { resolveUnitId } from '../journey';
import type { Recall } from '../recalls';
import { listRecalls } from '../recalls';
import { db } from '../store';

export interface Claim {
  claimRef: string;
  claimedAt: string;
  claimedBy: string | null;
}

export interface WarrantyFacts {
  unit: string;
  gtin: string | null;
  serial: string | null;
  lot: string | null;
  exists: boolean;
  commissioning: { at: string; sourceSystem: string; location: string | null } | null;
  soldAt: string | null;
  recall: { recallId: string; reason: string; declaredAt: string } | null;
  claims: Claim[];
}

export type Verdict =
  'unknown_serial' | 'not_genuine' | 'recalled' | 'already_claimed' | 'not_sold' | 'valid';

export interface WarrantyCheck extends WarrantyFacts {
  genuine: boolean;
  sold: boolean;
  verdict: Verdict;
  /** Set when this request recorded (or repeated) a claim. */
  claim?: { claimRef: string; duplicate: boolean; firstClaimRef: string | null };
}

/**
 * Genuine: the first commissioning event came from one of our own systems (the MES). The verdict is
 * the first problem found, in the order a warranty desk asks: does it exist, is it ours, is it
 * recalled (the recall, not the warranty, then applies), was it claimed before, was it ever sold.
 */
export function warrantyVerdict(
  facts: WarrantyFacts,
  { ownSources = ['MES'], claimRef }: { ownSources?: readonly string[]; claimRef?: string } = {},
): Pick<WarrantyCheck, 'genuine' | 'sold' | 'verdict'> {
  const genuine = facts.commissioning !== null && ownSources.includes(facts.commissioning.sourceSystem);
  const sold = facts.soldAt !== null;
  const earlier = facts.claims.filter((c) => c.claimRef !== claimRef);
  const verdict: Verdict = !facts.exists
    ? 'unknown_serial'
    : !genuine
      ? 'not_genuine'
      : facts.recall
        ? 'recalled'
        : earlier.length > 0
          ? 'already_claimed'
          : !sold
            ? 'not_sold'
            : 'valid';
  return { genuine, sold, verdict };
}

/** A recall's scope as it applies to one unit (lot and serial from its state, device from its events). */
async function activeRecallOf(
  pool: pg.Pool,
  unit: { uri: string; gtin: string; serial: string | null; lot: string | null },
) {
  const candidates = (await listRecalls(pool, { status: 'active' })).filter((r) => r.gtin === unit.gtin);
  for (const r of candidates) {
    if (r.units.includes(unit.uri)) return r;
    if (r.lots.length > 0 && (unit.lot === null || !r.lots.includes(unit.lot))) continue;
    if (r.serials.length > 0 && (unit.serial === null || !r.serials.includes(unit.serial))) continue;
    if (r.deviceId === null && r.fromTime === null && r.toTime === null) return r;
    if (await touchedInWindow(pool, unit.uri, r)) return r;
  }
  return null;
}

async function touchedInWindow(pool: pg.Pool, uri: string, r: Recall): Promise<boolean> {
  const res = await db('warranty recall window', () =>
    pool.query(
      `SELECT 1 FROM ut.event_identifiers i JOIN ut.events e ON e.event_id = i.event_id AND e.event_time = i.event_time
        WHERE i.uri = $1 AND ($2::text IS NULL OR e.machine_id = $2)
          AND ($3::timestamptz IS NULL OR e.event_time >= $3) AND ($4::timestamptz IS NULL OR e.event_time <= $4)
        LIMIT 1`,
      [
        uri,
        r.deviceId,
        r.fromTime === null ? null : new Date(r.fromTime),
        r.toTime === null ? null : new Date(r.toTime),
      ],
    ),
  );
  return (res.rowCount ?? 0) > 0;
}

export async function warrantyFacts(
  pool: pg.Pool,
  id: string,
  { gtin }: { gtin?: string } = {},
): Promise<WarrantyFacts> {
  const unit = resolveUnitId(id, { gtin });
  const state = await db('warranty unit', () =>
    pool.query<{ gtin: string | null; serial: string | null; lot: string | null }>(
      'SELECT gtin, serial, lot FROM ut.unit_state WHERE uri = $1',
      [unit.uri],
    ),
  );
  const s = state.rows[0];
  const firstEvent = (where: string) =>
    db('warranty events', () =>
      pool.query<{ event_time: Date; source_system: string; biz_location: string | null }>(
        `SELECT e.event_time, e.source_system, COALESCE(e.biz_location, e.read_point) AS biz_location
           FROM ut.event_identifiers i JOIN ut.events e ON e.event_id = i.event_id AND e.event_time = i.event_time
          WHERE i.uri = $1 AND ${where} ORDER BY e.event_time LIMIT 1`,
        [unit.uri],
      ),
    );
  const commissioned = s ? (await firstEvent(`e.biz_step = 'commissioning'`)).rows[0] : undefined;
  const sold = s
    ? (await firstEvent(`(e.biz_step = 'retail_selling' OR e.disposition = 'retail_sold')`)).rows[0]
    : undefined;
  const claims = await listClaims(pool, unit.uri);
  const recall = s?.gtin
    ? await activeRecallOf(pool, { uri: unit.uri, gtin: s.gtin, serial: s.serial, lot: s.lot })
    : null;
  return {
    unit: unit.uri,
    gtin: s?.gtin ?? unit.gtin,
    serial: s?.serial ?? unit.serial,
    lot: s?.lot ?? unit.lot,
    exists: s !== undefined,
    commissioning: commissioned
      ? {
          at: commissioned.event_time.toISOString(),
          sourceSystem: commissioned.source_system,
          location: commissioned.biz_location,
        }
      : null,
    soldAt: sold ? sold.event_time.toISOString() : null,
    recall: recall
      ? {
          recallId: recall.recallId,
          reason: recall.reason,
          declaredAt: new Date(recall.declaredAt).toISOString(),
        }
      : null,
    claims,
  };
}

async function listClaims(pool: pg.Pool, uri: string): Promise<Claim[]> {
  const res = await db('warranty claims', () =>
    pool.query<{ claim_ref: string; claimed_at: Date; claimed_by: string | null }>(
      'SELECT claim_ref, claimed_at, claimed_by FROM ut.warranty_claims WHERE unit_uri = $1 ORDER BY claimed_at, claim_id',
      [uri],
    ),
  );
  return res.rows.map((r) => ({
    claimRef: r.claim_ref,
    claimedAt: r.claimed_at.toISOString(),
    claimedBy: r.claimed_by,
  }));
}

/**
 * Records a claim (once per unit and reference: sending the same reference again is the same claim)
 * and says whether an earlier claim exists, naming the first one's reference.
 */
export async function recordClaim(
  pool: pg.Pool,
  uri: string,
  claimRef: string,
  claimedBy: string | null,
): Promise<{ duplicate: boolean; firstClaimRef: string | null }> {
  return db('warranty claim', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // Two first claims at once must not both be first.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`warranty:${uri}`]);
      const first = await client.query<{ claim_ref: string }>(
        'SELECT claim_ref FROM ut.warranty_claims WHERE unit_uri = $1 ORDER BY claimed_at, claim_id LIMIT 1',
        [uri],
      );
      const firstRef = first.rows[0]?.claim_ref ?? null;
      await client.query(
        `INSERT INTO ut.warranty_claims (unit_uri, claim_ref, claimed_by, first_ref) VALUES ($1, $2, $3, $4)
         ON CONFLICT (unit_uri, claim_ref) DO NOTHING`,
        [uri, claimRef, claimedBy, firstRef === claimRef ? null : firstRef],
      );
      await client.query('COMMIT');
      const duplicate = firstRef !== null && firstRef !== claimRef;
      return { duplicate, firstClaimRef: duplicate ? firstRef : null };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  });
}

/** The whole check; with `claimRef`, records the claim first (unless the serial is unknown). */
export async function checkWarranty(
  pool: pg.Pool,
  id: string,
  {
    gtin,
    claimRef,
    claimedBy = null,
    ownSources,
  }: { gtin?: string; claimRef?: string; claimedBy?: string | null; ownSources?: readonly string[] } = {},
): Promise<WarrantyCheck> {
  let facts = await warrantyFacts(pool, id, { gtin });
  let claim: WarrantyCheck['claim'];
  if (claimRef !== undefined && facts.exists) {
    const recorded = await recordClaim(pool, facts.unit, claimRef, claimedBy);
    claim = { claimRef, ...recorded };
    facts = { ...facts, claims: await listClaims(pool, facts.unit) };
  }
  return { ...facts, ...warrantyVerdict(facts, { ownSources, claimRef }), ...(claim ? { claim } : {}) };
}

/** The check for people, one fact a line (`unitrail warranty`). */
export function formatWarranty(check: WarrantyCheck): string {
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  const { commissioning: c, recall, claim } = check;
  return [
    `unit        ${check.unit}`,
    `exists      ${yes(check.exists)}`,
    `genuine     ${yes(check.genuine)}${c ? ` (commissioned ${c.at} by ${c.sourceSystem})` : ''}`,
    `sold        ${check.soldAt ?? 'no'}`,
    `recall      ${recall ? `${recall.recallId}: ${recall.reason}` : 'none'}`,
    `claims      ${check.claims.map((x) => `${x.claimRef} (${x.claimedAt})`).join(', ') || 'none'}`,
    ...(claim?.duplicate
      ? [`FLAGGED     a second claim: ${claim.claimRef}; first claim ${claim.firstClaimRef}`]
      : []),
    `verdict     ${check.verdict}`,
  ].join('\n');
}
