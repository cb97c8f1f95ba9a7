/**
 * Cases in PostgreSQL: open (once per incident key), append history (hash-chained per case under
 * the case row's lock, and over all cases under an advisory lock), list, show, attach photos, record
 * steps, close, verify. The CLI, the ops API and the cases stage all go through these.
 */
import type pg from 'pg';
import { UnitrailError, UsageError } from '../errors';
import { db, storableText } from '../store';
import type { Incident } from './detect';
import { caseIdOf, canonicalId } from './detect';
import {
  checkStep,
  closeRefusal,
  RoleRefused,
  StateRefused,
  stepProgress,
  type Actor,
  type StepInput,
} from './engine';
import {
  entryHash,
  entryText,
  globalHash,
  verifyChain,
  verifyGlobalChain,
  type GlobalLinkRow,
  type HistoryEntry,
  type HistoryRow,
} from './history';
import { checkPhoto, type Photo } from './images';
import { playbooks, caseKinds, type CaseKind, type Playbook } from './playbook';

type Queryable = pg.Pool | pg.PoolClient;

export interface CaseRow {
  case_id: string;
  incident_key: string;
  kind: CaseKind;
  status: 'open' | 'resolved' | 'closed';
  title: string;
  playbook: string;
  playbook_version: number;
  source: string;
  source_ref: string | null;
  subject: string | null;
  units: string[];
  device_id: string | null;
  site: string | null;
  line_id: string | null;
  gtin: string | null;
  operator_id: string | null;
  event_id: string | null;
  occurred_at: Date;
  opened_at: Date;
  opened_by: string;
  closed_at: Date | null;
  closed_by: string | null;
  detail: Record<string, unknown>;
}

export async function inTransaction<T>(
  pool: pg.Pool,
  what: string,
  fn: (c: pg.PoolClient) => Promise<T>,
): Promise<T> {
  return db(what, async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // Before any row lock: a writer that held a case row while waiting for this could deadlock.
      await lockHistoryChain(client);
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  });
}

/** Any value other locks do not use: the ledger's anchor is 724_004. */
const HISTORY_CHAIN_LOCK = 724_090;

/**
 * The chain over all cases has one writer at a time, in commit order: the lock is held until the
 * transaction ends (taking it again in the same transaction is immediate).
 */
async function lockHistoryChain(client: pg.PoolClient): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [HISTORY_CHAIN_LOCK]);
}

/**
 * Appends one entry to its case's chain and to the chain over all cases; the caller holds the case
 * row's lock (FOR UPDATE) in `client`'s transaction.
 */
export async function appendHistory(
  client: pg.PoolClient,
  caseId: string,
  e: {
    actor: string;
    role?: string | null;
    action: string;
    step?: string | null;
    detail?: Record<string, unknown>;
    at?: Date;
  },
): Promise<HistoryEntry> {
  const last = await client.query<{ seq: number; hash: Buffer }>(
    'SELECT seq, hash FROM ut.case_history WHERE case_id = $1 ORDER BY seq DESC LIMIT 1',
    [caseId],
  );
  const prev = last.rows[0]?.hash ?? null;
  await lockHistoryChain(client);
  const head = await client.query<{ gseq: string; ghash: Buffer }>(
    'SELECT gseq, ghash FROM ut.case_history ORDER BY gseq DESC LIMIT 1',
  );
  const gprev = head.rows[0]?.ghash ?? null;
  const entry: HistoryEntry = {
    caseId,
    seq: (last.rows[0]?.seq ?? 0) + 1,
    at: (e.at ?? new Date()).toISOString(),
    actor: e.actor,
    role: e.role ?? null,
    action: e.action,
    step: e.step ?? null,
    detail: e.detail ?? {},
  };
  const text = entryText(entry);
  const hash = entryHash(prev, text);
  await client.query(
    `INSERT INTO ut.case_history (case_id, seq, at, actor, action, step, entry, prev_hash, hash, gseq, gprev, ghash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      caseId,
      entry.seq,
      entry.at,
      entry.actor,
      entry.action,
      entry.step,
      text,
      prev,
      hash,
      Number(head.rows[0]?.gseq ?? 0) + 1,
      gprev,
      globalHash(gprev, hash),
    ],
  );
  return entry;
}

/** Every string made storable (an operator's text may carry a NUL; PostgreSQL text and jsonb refuse it). */
function storable<T>(v: T): T {
  if (typeof v === 'string') return storableText(v) as T;
  if (Array.isArray(v)) return v.map(storable) as T;
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [storableText(k), storable(x)])) as T;
  return v;
}

/** Opens the incident's case unless its key has one already; the 'opened' entry in the same transaction. */
export async function openCase(
  client: pg.PoolClient,
  incident: Incident,
  { openedBy, playbook = playbooks().get(incident.kind)! }: { openedBy: string; playbook?: Playbook },
): Promise<{ caseId: string; opened: boolean }> {
  incident = storable(incident);
  const caseId = caseIdOf(incident.incidentKey);
  const r = await client.query(
    `INSERT INTO ut.cases (case_id, incident_key, kind, title, playbook, playbook_version, source, source_ref,
        subject, units, device_id, site, line_id, gtin, operator_id, event_id, occurred_at, opened_by, detail)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)
     ON CONFLICT (incident_key) DO NOTHING`,
    [
      caseId,
      incident.incidentKey,
      incident.kind,
      incident.title,
      playbook.file,
      playbook.version,
      incident.source,
      incident.sourceRef,
      incident.subject,
      incident.units,
      incident.deviceId,
      incident.site,
      incident.lineId,
      incident.gtin,
      incident.operatorId,
      incident.eventId,
      new Date(incident.occurredAt),
      openedBy,
      JSON.stringify(incident.detail),
    ],
  );
  if (r.rowCount === 0) {
    await corroborate(client, caseId, incident, openedBy);
    return { caseId, opened: false };
  }
  await appendHistory(client, caseId, {
    actor: openedBy,
    action: 'opened',
    detail: {
      incidentKey: incident.incidentKey,
      kind: incident.kind,
      source: incident.source,
      sourceRef: incident.sourceRef,
      playbook: { file: playbook.file, version: playbook.version },
    },
  });
  return { caseId, opened: true };
}

/**
 * A second source of an incident that has its case already (a clerk's report of a pallet whose
 * receiving showed it mislabeled, or the other way round): recorded once per source record as a
 * 'corroborated' entry, its units and detail added to the case (what the case had stays).
 * A re-read of the record that opened the case, or of one recorded already, changes nothing.
 */
async function corroborate(
  client: pg.PoolClient,
  caseId: string,
  incident: Incident,
  actor: string,
): Promise<void> {
  if (incident.source === 'manual' || incident.sourceRef === null) return;
  await lockCase(client, caseId);
  const seen = await client.query(
    `SELECT 1 FROM ut.case_history WHERE case_id = $1 AND action IN ('opened', 'corroborated')
        AND entry::jsonb -> 'detail' ->> 'source' = $2 AND entry::jsonb -> 'detail' ->> 'sourceRef' = $3 LIMIT 1`,
    [caseId, incident.source, incident.sourceRef],
  );
  if ((seen.rowCount ?? 0) > 0) return;
  await client.query(
    `UPDATE ut.cases SET units = units || ARRAY(SELECT u FROM unnest($2::text[]) AS u WHERE u <> ALL (units)),
        detail = $3::jsonb || detail WHERE case_id = $1`,
    [caseId, incident.units, JSON.stringify(incident.detail)],
  );
  await appendHistory(client, caseId, {
    actor,
    action: 'corroborated',
    detail: {
      incidentKey: incident.incidentKey,
      source: incident.source,
      sourceRef: incident.sourceRef,
      title: incident.title,
      evidence: incident.detail,
    },
  });
}

/** The case row, locked for this transaction; a one-line error when there is none. */
export async function lockCase(client: pg.PoolClient, caseId: string): Promise<CaseRow> {
  const r = await client.query<CaseRow>('SELECT * FROM ut.cases WHERE case_id = $1 FOR UPDATE', [caseId]);
  if (r.rowCount === 0)
    throw new UnitrailError('NOT_FOUND', `no case '${caseId}' (see 'unitrail exceptions list')`);
  return r.rows[0]!;
}

export async function historyOf(q: Queryable, caseId: string): Promise<HistoryEntry[]> {
  const r = await q.query<{ entry: string }>(
    'SELECT entry FROM ut.case_history WHERE case_id = $1 ORDER BY seq',
    [caseId],
  );
  return r.rows.map((x) => JSON.parse(x.entry) as HistoryEntry);
}

export function playbookOf(c: Pick<CaseRow, 'kind'>): Playbook {
  return playbooks().get(c.kind)!;
}

export interface CaseFilter {
  status?: string;
  kind?: string;
  limit?: number;
}

export async function listCases(
  pool: pg.Pool,
  { status, kind, limit = 50 }: CaseFilter = {},
): Promise<CaseRow[]> {
  if (status && !['open', 'resolved', 'closed'].includes(status))
    throw new UsageError(`status ${status} must be open, resolved or closed`);
  if (kind && !(caseKinds as readonly string[]).includes(kind))
    throw new UsageError(`kind ${kind} must be one of ${caseKinds.join(', ')}`);
  const r = await db('cases list', () =>
    pool.query<CaseRow>(
      `SELECT * FROM ut.cases WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR kind = $2)
        ORDER BY opened_at DESC, case_id LIMIT $3`,
      [status ?? null, kind ?? null, limit],
    ),
  );
  return r.rows;
}

export interface DirectiveStatus {
  directiveId: string;
  to: string;
  issuedAt: Date;
  items: { id: string; arrived: boolean; location: string | null }[];
}

export interface CaseView {
  case: CaseRow;
  playbook: { file: string; version: number; title: string };
  steps: {
    id: string;
    title: string;
    evidence: string;
    roles: string[];
    required: boolean;
    done: HistoryEntry | null;
  }[];
  history: HistoryEntry[];
  directives: DirectiveStatus[];
  /** Why it may not close yet, or null. */
  closeRefusal: string | null;
}

export async function showCase(pool: pg.Pool, caseId: string): Promise<CaseView> {
  const r = await db('case', () =>
    pool.query<CaseRow>('SELECT * FROM ut.cases WHERE case_id = $1', [caseId]),
  );
  const c = r.rows[0];
  if (!c) throw new UnitrailError('NOT_FOUND', `no case '${caseId}' (see 'unitrail exceptions list')`);
  const history = await historyOf(pool, caseId);
  const playbook = playbookOf(c);
  return {
    case: c,
    playbook: { file: playbook.file, version: playbook.version, title: playbook.title },
    steps: stepProgress(playbook, history).map(({ step, done }) => ({
      id: step.id,
      title: step.title,
      evidence: step.evidence,
      roles: step.roles,
      required: step.required,
      done,
    })),
    history,
    directives: await directivesOf(pool, caseId),
    closeRefusal: c.status === 'closed' ? null : closeRefusal(caseId, playbook, history),
  };
}

/**
 * Each directive's items, arrived or not yet: arrived when the item's latest event (unit_state) is at
 * the containment location and is not one of the containment events themselves.
 */
export async function directivesOf(q: Queryable, caseId: string): Promise<DirectiveStatus[]> {
  const r = await q.query<{
    directive_id: string;
    to_location: string;
    issued_at: Date;
    id: string;
    biz_location: string | null;
    arrived: boolean;
  }>(
    `SELECT d.directive_id, d.to_location, d.issued_at, i.id, s.biz_location,
            coalesce(s.biz_location = 'https://id.gs1.org/414/' || d.to_location
                     AND NOT (s.last_event_id = ANY (d.event_ids)), false) AS arrived
       FROM ut.case_directives d
       CROSS JOIN LATERAL unnest(d.containers || d.units) AS i(id)
       LEFT JOIN ut.unit_state s ON s.uri = i.id
      WHERE d.case_id = $1 ORDER BY d.issued_at, d.directive_id`,
    [caseId],
  );
  const out = new Map<string, DirectiveStatus>();
  for (const x of r.rows) {
    const d = out.get(x.directive_id) ?? {
      directiveId: x.directive_id,
      to: x.to_location,
      issuedAt: x.issued_at,
      items: [],
    };
    d.items.push({ id: x.id, arrived: x.arrived, location: x.biz_location });
    out.set(x.directive_id, d);
  }
  return [...out.values()];
}

/** Opens a case by hand (CLI, ops API). */
export async function openManualCase(
  pool: pg.Pool,
  input: {
    kind: string;
    title: string;
    subject?: string | null;
    units?: string[];
    site?: string | null;
    deviceId?: string | null;
    key?: string | null;
  },
  who: Actor,
  now = Date.now(),
): Promise<{ caseId: string; opened: boolean }> {
  if (!(caseKinds as readonly string[]).includes(input.kind))
    throw new UsageError(`kind ${input.kind} must be one of ${caseKinds.join(', ')}`);
  if (!input.title?.trim()) throw new UsageError('a title is required: say what happened');
  if (!['quality', 'admin'].includes(who.role))
    throw new RoleRefused(`opening a case needs role quality or admin; ${who.actor} has ${who.role}`);
  const key = input.key?.trim() || `manual:${now}:${Math.random().toString(36).slice(2, 10)}`;
  const units = (input.units ?? (input.subject ? [input.subject] : [])).map(canonicalId);
  const subject = input.subject ? canonicalId(input.subject) : (units[0] ?? null);
  const incident: Incident = {
    incidentKey: key.startsWith('manual:') ? key : `manual:${key}`,
    kind: input.kind as CaseKind,
    title: input.title.trim().slice(0, 300),
    source: 'manual',
    sourceRef: null,
    subject,
    units,
    deviceId: input.deviceId ?? null,
    site: input.site ?? null,
    lineId: null,
    gtin: null,
    operatorId: null,
    eventId: null,
    occurredAt: now,
    detail: { openedByHand: true },
  };
  return inTransaction(pool, 'case open', (c) => openCase(c, incident, { openedBy: who.actor }));
}

/** Stores a photo (once per content) and attaches it to the case; returns what was checked. */
export async function attachPhoto(
  pool: pg.Pool,
  caseId: string,
  bytes: Buffer,
  who: Actor,
): Promise<Photo & { seq: number }> {
  const photo = checkPhoto(bytes);
  if (!['quality', 'admin'].includes(who.role))
    throw new RoleRefused(`evidence needs role quality or admin; ${who.actor} has ${who.role}`);
  return inTransaction(pool, 'case evidence', async (client) => {
    const c = await lockCase(client, caseId);
    if (c.status === 'closed') throw new StateRefused(`case ${caseId} is closed`);
    await client.query(
      `INSERT INTO ut.evidence_blobs (sha256, media_type, width, height, size, bytes) VALUES ($1,$2,$3,$4,$5,$6)
       ON CONFLICT (sha256) DO NOTHING`,
      [Buffer.from(photo.sha256, 'hex'), photo.mediaType, photo.width, photo.height, photo.size, bytes],
    );
    const e = await appendHistory(client, caseId, {
      actor: who.actor,
      role: who.role,
      action: 'evidence',
      detail: { ...photo },
    });
    return { ...photo, seq: e.seq };
  });
}

export async function photoBytes(
  pool: pg.Pool,
  sha256: string,
): Promise<{ mediaType: string; bytes: Buffer } | null> {
  if (!/^[0-9a-f]{64}$/i.test(sha256)) throw new UsageError(`${sha256} is not a SHA-256 in hex`);
  const r = await pool.query<{ media_type: string; bytes: Buffer }>(
    'SELECT media_type, bytes FROM ut.evidence_blobs WHERE sha256 = $1',
    [Buffer.from(sha256, 'hex')],
  );
  return r.rows[0] ? { mediaType: r.rows[0].media_type, bytes: r.rows[0].bytes } : null;
}

/**
 * Records a step a person performed, after the engine checked role and evidence. A containment
 * step calls `contain` inside the transaction (it publishes and records the directive) and the
 * history keeps what it did.
 */
export async function recordStep(
  pool: pg.Pool,
  caseId: string,
  stepId: string,
  who: Actor,
  input: StepInput,
  contain?: (
    client: pg.PoolClient,
    c: CaseRow,
    playbook: Playbook,
    seq: number,
  ) => Promise<Record<string, unknown>>,
): Promise<HistoryEntry> {
  return inTransaction(pool, 'case step', async (client) => {
    const c = await lockCase(client, caseId);
    if (c.status === 'closed') throw new StateRefused(`case ${caseId} is closed`);
    const playbook = playbookOf(c);
    const history = await historyOf(client, caseId);
    const { step, evidence } = checkStep(playbook, stepId, who, input, history);
    let containment: Record<string, unknown> | undefined;
    if (step.action === 'containment') {
      if (!contain)
        throw new UsageError(
          `step '${step.id}' reroutes goods; it needs Kafka (run it from the CLI or the ops API)`,
        );
      containment = await contain(client, c, playbook, history.length + 1);
    }
    return appendHistory(client, caseId, {
      actor: who.actor,
      role: who.role,
      action: 'step',
      step: step.id,
      detail: { title: step.title, evidence, ...(containment ? { containment } : {}) },
    });
  });
}

export async function closeCase(
  pool: pg.Pool,
  caseId: string,
  who: Actor,
  note?: string,
): Promise<HistoryEntry> {
  if (!['quality', 'admin'].includes(who.role))
    throw new RoleRefused(`closing a case needs role quality or admin; ${who.actor} has ${who.role}`);
  return inTransaction(pool, 'case close', async (client) => {
    const c = await lockCase(client, caseId);
    const refusal = closeRefusal(caseId, playbookOf(c), await historyOf(client, caseId));
    if (refusal) throw new StateRefused(refusal);
    await client.query(
      `UPDATE ut.cases SET status = 'closed', closed_at = now(), closed_by = $2 WHERE case_id = $1`,
      [caseId, who.actor],
    );
    return appendHistory(client, caseId, {
      actor: who.actor,
      role: who.role,
      action: 'closed',
      detail: { note: note?.trim() || null },
    });
  });
}

/**
 * The cases stage's MISSING_SKU resolution: an event a case waits for reached the journey (its
 * replay passed validation). Records the automatic step and marks the case resolved; idempotent.
 */
export async function resolveLanded(
  client: pg.PoolClient,
  eventIds: string[],
  actor: string,
): Promise<string[]> {
  if (eventIds.length === 0) return [];
  const r = await client.query<{ case_id: string; event_id: string }>(
    `SELECT case_id, event_id FROM ut.cases WHERE status = 'open' AND event_id = ANY($1) ORDER BY case_id FOR UPDATE`,
    [eventIds],
  );
  for (const c of r.rows) {
    const playbook = playbookOf({ kind: 'MISSING_SKU' });
    const auto = playbook.steps.find((s) => s.automatic);
    await appendHistory(client, c.case_id, {
      actor,
      action: auto ? 'step' : 'resolved',
      step: auto?.id ?? null,
      detail: {
        title: auto?.title ?? 'resolved',
        evidence: { kind: 'event', eventId: c.event_id, passed: true },
      },
    });
    await client.query(`UPDATE ut.cases SET status = 'resolved' WHERE case_id = $1`, [c.case_id]);
  }
  return r.rows.map((c) => c.case_id);
}

/** A note on the case of an incident key (e.g. a device episode cleared), once per alert. */
export async function noteCase(
  client: pg.PoolClient,
  incidentKey: string,
  action: string,
  detail: Record<string, unknown>,
  actor: string,
): Promise<boolean> {
  const r = await client.query<{ case_id: string }>(
    'SELECT case_id FROM ut.cases WHERE incident_key = $1 FOR UPDATE',
    [incidentKey],
  );
  const caseId = r.rows[0]?.case_id;
  if (!caseId) return false;
  const seen = await client.query(
    'SELECT 1 FROM ut.case_history WHERE case_id = $1 AND action = $2 LIMIT 1',
    [caseId, action],
  );
  if ((seen.rowCount ?? 0) > 0) return false;
  await appendHistory(client, caseId, { actor, action, detail });
  return true;
}

export type VerifyOutcome =
  | { ok: true; cases: number; entries: number; head: { gseq: number; ghash: string } | null }
  | { ok: false; cases: number; entries: number; caseId: string; seq: number; problem: string };

/**
 * Verifies every case's chain (or one case's), then the chain over all cases (always whole: a
 * deleted case leaves no rows of its own to check), and that every case row has its history.
 * Names the first bad entry; when all is well, the head of the chain over all cases, to keep elsewhere.
 */
export async function verifyCases(pool: pg.Pool, caseId?: string): Promise<VerifyOutcome> {
  const r = await db('case history', () =>
    pool.query<HistoryRow>(
      `SELECT case_id, seq, at, actor, action, step, entry, prev_hash, hash FROM ut.case_history
        WHERE ($1::text IS NULL OR case_id = $1) ORDER BY case_id, seq`,
      [caseId ?? null],
    ),
  );
  const byCase = new Map<string, HistoryRow[]>();
  for (const row of r.rows) byCase.set(row.case_id, [...(byCase.get(row.case_id) ?? []), row]);
  const failed = (check: { caseId: string; seq: number; problem: string }, entries: number) =>
    ({
      ok: false,
      cases: byCase.size,
      entries,
      caseId: check.caseId,
      seq: check.seq,
      problem: check.problem,
    }) as const;
  let entries = 0;
  for (const [, rows] of byCase) {
    const check = verifyChain(rows);
    if (!check.ok) return failed(check, entries);
    entries += check.entries;
  }
  const bare = await db('case history', () =>
    pool.query<{ case_id: string }>(
      `SELECT case_id FROM ut.cases c WHERE ($1::text IS NULL OR case_id = $1)
          AND NOT EXISTS (SELECT 1 FROM ut.case_history h WHERE h.case_id = c.case_id) ORDER BY case_id LIMIT 1`,
      [caseId ?? null],
    ),
  );
  if (bare.rows[0])
    return failed({ caseId: bare.rows[0].case_id, seq: 1, problem: 'its history is gone' }, entries);
  const links = await db('case history', () =>
    pool.query<GlobalLinkRow>(
      'SELECT case_id, seq, gseq, gprev, ghash, hash FROM ut.case_history ORDER BY gseq',
    ),
  );
  const global = verifyGlobalChain(links.rows);
  if (!global.ok) return failed(global, entries);
  const last = links.rows.at(-1);
  return {
    ok: true,
    cases: byCase.size,
    entries,
    head: last ? { gseq: Number(last.gseq), ghash: last.ghash.toString('hex') } : null,
  };
}
