/**
 * Exception cases in the console: the queue every feed frame carries, and the routes that work one
 * case. Every rule (who may perform a step, what evidence it needs, whether the case may close) is
 * libs/cases'; these routes hand the request over and map its refusals to a status, so the CLI, the
 * ops API and the console enforce one playbook.
 *
 *   GET  /api/cases/{id}                 the case with its playbook steps, history and directives
 *   GET  /api/cases/evidence/{sha256}    a photo's bytes
 *   POST /api/cases/{id}/evidence        the body is the JPEG/PNG itself → {sha256, width, height, ...}
 *   POST /api/cases/{id}/steps           {step, photo?, code?, value?, note?, to?}
 *   POST /api/cases/{id}/close           {note?}  (409 names the required step that is missing)
 */
import type pg from 'pg';
import {
  attachPhoto,
  closeCase,
  containWith,
  listCases,
  MAX_PHOTO_BYTES,
  photoBytes,
  playbookOf,
  recordStep,
  showCase,
  type CaseRow,
} from '../cases';
import { UsageError } from '../errors';
import { sendJson, sendProblem } from '../http';
import type { OpsDeps } from '../recalls';
import { db } from '../store';
import type { Role } from '../tokens';
import type { Route } from './route';
import type { CaseQueue } from './wire';

export type { CaseQueue, CaseSummary } from './wire';

/** Act on cases: evidence, close (the ops API's /cases uses the same roles, docs/access.md). */
export const caseActors: readonly Role[] = ['quality', 'admin'];
/** Record a step: then the playbook step's own roles decide (a quarantine breach's steps allow recall coordinators). */
export const stepActors: readonly Role[] = ['quality', 'recall_coordinator', 'admin'];

export async function caseQueue(
  pool: pg.Pool,
  { limit = 50, closed = 10 }: { limit?: number; closed?: number } = {},
): Promise<CaseQueue> {
  const rows: CaseRow[] = [
    ...(await listCases(pool, { status: 'open', limit })),
    ...(await listCases(pool, { status: 'resolved', limit })),
    ...(await listCases(pool, { status: 'closed', limit: closed })),
  ];
  const entries = await db('console case history', () =>
    pool.query<{ case_id: string; n: number }>(
      'SELECT case_id, max(seq)::int AS n FROM ut.case_history WHERE case_id = ANY($1) GROUP BY case_id',
      [rows.map((r) => r.case_id)],
    ),
  );
  const counted = new Map(entries.rows.map((r) => [r.case_id, r.n]));
  const open = await db('console open cases', () =>
    pool.query<{ kind: string; n: number }>(
      "SELECT kind, count(*)::int AS n FROM ut.cases WHERE status IN ('open', 'resolved') GROUP BY kind ORDER BY kind",
    ),
  );
  return {
    cases: rows.map((c) => ({
      caseId: c.case_id,
      kind: c.kind,
      status: c.status,
      title: c.title,
      subject: c.subject,
      device: c.device_id,
      site: c.site,
      occurredAt: c.occurred_at.toISOString(),
      openedAt: c.opened_at.toISOString(),
      closedAt: c.closed_at?.toISOString() ?? null,
      entries: counted.get(c.case_id) ?? 0,
    })),
    openByKind: Object.fromEntries(open.rows.map((r) => [r.kind, r.n])),
  };
}

const str = (v: unknown, name: string): string | undefined => {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new UsageError(`${name} must be a string`);
  return v;
};

export function caseRoutes({
  deps,
  readers,
  changed,
  headers,
}: {
  deps: OpsDeps;
  readers: readonly Role[];
  /** After an action: the feed reads again, so every open page shows it at once. */
  changed: () => void;
  headers: Record<string, string>;
}): Route[] {
  const { pool } = deps;
  return [
    {
      method: 'GET',
      pattern: /^\/api\/cases\/evidence\/([0-9a-fA-F]{64})$/,
      name: '/api/cases/evidence/{sha256}',
      roles: readers,
      async run({ res, params }) {
        const photo = await photoBytes(pool, params[0]!);
        if (!photo) return sendProblem(res, 404, `no photo ${params[0]}`, { headers });
        res.writeHead(200, {
          'content-type': photo.mediaType,
          'content-length': photo.bytes.length,
          ...headers,
        });
        res.end(photo.bytes);
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/cases\/([^/]+)$/,
      name: '/api/cases/{id}',
      roles: readers,
      async run({ res, params }) {
        const view = await showCase(pool, params[0]!);
        // The page offers a form only for the steps a person performs; the engine refuses the rest anyway.
        const playbook = playbookOf(view.case);
        const steps = view.steps.map((s) => {
          const step = playbook.steps.find((p) => p.id === s.id);
          return { ...s, automatic: step?.automatic ?? false, action: step?.action ?? null };
        });
        sendJson(res, 200, { ...view, steps }, headers);
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/cases\/([^/]+)\/evidence$/,
      name: '/api/cases/{id}/evidence',
      roles: caseActors,
      async run({ res, params, who, raw }) {
        const bytes = await raw(MAX_PHOTO_BYTES);
        if (bytes === null)
          return sendProblem(res, 413, `the photo is larger than ${MAX_PHOTO_BYTES} bytes`, { headers });
        const photo = await attachPhoto(pool, params[0]!, bytes, { actor: who.name, role: who.role });
        changed();
        sendJson(res, 201, photo, headers);
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/cases\/([^/]+)\/steps$/,
      name: '/api/cases/{id}/steps',
      roles: stepActors,
      async run({ res, params, who, body }) {
        const b = await body();
        const step = str(b.step, 'step');
        if (!step) throw new UsageError('step is required: the playbook step id');
        const to = str(b.to, 'to');
        const entry = await recordStep(
          pool,
          params[0]!,
          step,
          { actor: who.name, role: who.role },
          {
            photo: str(b.photo, 'photo'),
            code: str(b.code, 'code'),
            value: str(b.value, 'value'),
            note: str(b.note, 'note'),
            to,
          },
          containWith(deps, { to, requestedBy: who.name }),
        );
        changed();
        sendJson(res, 201, entry, headers);
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/cases\/([^/]+)\/close$/,
      name: '/api/cases/{id}/close',
      roles: caseActors,
      async run({ res, params, who, body }) {
        const b = await body();
        const entry = await closeCase(
          pool,
          params[0]!,
          { actor: who.name, role: who.role },
          str(b.note, 'note'),
        );
        changed();
        sendJson(res, 200, entry, headers);
      },
    },
  ];
}
