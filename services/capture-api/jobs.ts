/**
 * Capture jobs (EPCIS 2.0 §12 capture interface): what became of each captured document, kept in
 * PostgreSQL so that GET /capture/{id} answers after a restart. A job is `running` while its events
 * are published, then `success` (every event published), `partial` (some rejected, the rest
 * published) or `failed` (nothing published, or publishing stopped).
 */
import type { Pool } from 'pg';
import { db } from '../../libs/store';
import type { CheckedDocument, RejectedEvent } from './document';

export type JobStatus = 'running' | 'success' | 'partial' | 'failed';
/** GS1-Capture-Error-Behaviour: `rollback` captures nothing when any event is rejected. */
export type ErrorBehaviour = 'proceed' | 'rollback';

export interface JobEvent {
  index: number;
  eventId: string;
  /** The raw record `topic/partition/offset`, as ut.events.lineage and the DLQ name it. */
  record?: string;
}

export interface CaptureJob {
  captureId: string;
  status: JobStatus;
  producer: string;
  documentFormat: string;
  documentBytes: number;
  errorBehaviour: ErrorBehaviour;
  eventCount: number;
  acceptedCount: number;
  publishedCount: number;
  errors: RejectedEvent[];
  events: JobEvent[];
  failure: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

/** A running job whose process has not touched it for this long has died with it. */
export const STALE_AFTER_SECONDS = 90;

/** What to publish: every accepted event, or with `rollback` none as soon as one is rejected. */
export function planCapture(
  doc: CheckedDocument,
  behaviour: ErrorBehaviour,
): { publish: CheckedDocument['accepted']; failure: string | null } {
  if (behaviour === 'rollback' && doc.rejected.length > 0) {
    return {
      publish: [],
      failure: `${doc.rejected.length} of ${doc.eventCount} events rejected and GS1-Capture-Error-Behaviour is rollback: nothing was captured`,
    };
  }
  return { publish: doc.accepted, failure: null };
}

/** The status of a finished job. */
export function finalStatus({
  eventCount,
  rejectedCount,
  publishedCount,
  failure,
}: {
  eventCount: number;
  rejectedCount: number;
  publishedCount: number;
  failure: string | null;
}): Exclude<JobStatus, 'running'> {
  if (failure !== null) return 'failed';
  if (rejectedCount === 0 && publishedCount === eventCount) return 'success';
  return publishedCount === 0 ? 'failed' : 'partial';
}

/** The job as the API shows it; field names follow the EPCIS 2.0 capture job where it has them. */
export function jobView(job: CaptureJob, { summary = false } = {}) {
  return {
    captureID: job.captureId,
    status: job.status,
    running: job.status === 'running',
    success: job.status === 'success',
    captureErrorBehaviour: job.errorBehaviour,
    createdAt: job.createdAt.toISOString(),
    finishedAt: job.finishedAt?.toISOString() ?? null,
    producer: job.producer,
    documentFormat: job.documentFormat,
    documentBytes: job.documentBytes,
    counts: {
      events: job.eventCount,
      accepted: job.acceptedCount,
      rejected: job.errors.length,
      published: job.publishedCount,
    },
    ...(job.failure === null ? {} : { failure: job.failure }),
    ...(summary ? {} : { errors: job.errors, events: job.events }),
  };
}

export async function insertJob(pool: Pool, job: CaptureJob): Promise<void> {
  await db('capture job insert', () =>
    pool.query(
      `INSERT INTO ut.capture_jobs (capture_id, status, producer, document_format, document_bytes, error_behaviour,
         event_count, accepted_count, published_count, errors, events, failure, created_at, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        job.captureId,
        job.status,
        job.producer,
        job.documentFormat,
        job.documentBytes,
        job.errorBehaviour,
        job.eventCount,
        job.acceptedCount,
        job.publishedCount,
        JSON.stringify(job.errors),
        JSON.stringify(job.events),
        job.failure,
        job.createdAt,
        job.finishedAt,
      ],
    ),
  );
}

/** Marks a running job alive (and how far it got), so that readers do not take it for dead. */
export async function touchJob(pool: Pool, captureId: string, publishedCount?: number): Promise<void> {
  await db('capture job progress', () =>
    pool.query(
      `UPDATE ut.capture_jobs SET updated_at = now(), published_count = COALESCE($2, published_count)
        WHERE capture_id = $1 AND status = 'running'`,
      [captureId, publishedCount ?? null],
    ),
  );
}

export async function finishJob(
  pool: Pool,
  captureId: string,
  done: { status: JobStatus; publishedCount: number; events: JobEvent[]; failure: string | null },
): Promise<void> {
  await db('capture job finish', () =>
    pool.query(
      `UPDATE ut.capture_jobs SET status = $2, published_count = $3, events = $4, failure = $5,
         updated_at = now(), finished_at = now() WHERE capture_id = $1`,
      [captureId, done.status, done.publishedCount, JSON.stringify(done.events), done.failure],
    ),
  );
}

const columns = `capture_id, status, producer, document_format, document_bytes, error_behaviour, event_count,
  accepted_count, published_count, errors, events, failure, created_at, finished_at`;

interface JobRow {
  capture_id: string;
  status: JobStatus;
  producer: string;
  document_format: string;
  document_bytes: number;
  error_behaviour: ErrorBehaviour;
  event_count: number;
  accepted_count: number;
  published_count: number;
  errors: RejectedEvent[];
  events: JobEvent[];
  failure: string | null;
  created_at: Date;
  finished_at: Date | null;
}

const fromRow = (r: JobRow): CaptureJob => ({
  captureId: r.capture_id,
  status: r.status,
  producer: r.producer,
  documentFormat: r.document_format,
  documentBytes: r.document_bytes,
  errorBehaviour: r.error_behaviour,
  eventCount: r.event_count,
  acceptedCount: r.accepted_count,
  publishedCount: r.published_count,
  errors: r.errors,
  events: r.events,
  failure: r.failure,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
});

/**
 * A job left `running` by a capture API that stopped mid-publication: say so. Its document is not
 * kept, so it cannot be resumed; sending it again is safe (the event hash deduplicates).
 */
async function failStaleJobs(pool: Pool, captureId?: string): Promise<void> {
  await pool.query(
    `UPDATE ut.capture_jobs SET status = 'failed', finished_at = now(), updated_at = now(),
       failure = 'the capture API stopped before every event was published; send the document again (events already published are deduplicated by their hash)'
     WHERE status = 'running' AND updated_at < now() - make_interval(secs => $1)
       AND ($2::text IS NULL OR capture_id = $2)`,
    [STALE_AFTER_SECONDS, captureId ?? null],
  );
}

/** The job, if it exists and `producer` (null: any) captured it. */
export async function getJob(
  pool: Pool,
  captureId: string,
  producer: string | null,
): Promise<CaptureJob | undefined> {
  return db('capture job read', async () => {
    await failStaleJobs(pool, captureId);
    const res = await pool.query<JobRow>(
      `SELECT ${columns} FROM ut.capture_jobs WHERE capture_id = $1 AND ($2::text IS NULL OR producer = $2)`,
      [captureId, producer],
    );
    return res.rows[0] ? fromRow(res.rows[0]) : undefined;
  });
}

/** The newest jobs first, of one producer or (null) of all. */
export async function listJobs(
  pool: Pool,
  { producer, limit }: { producer: string | null; limit: number },
): Promise<CaptureJob[]> {
  return db('capture job list', async () => {
    await failStaleJobs(pool);
    const res = await pool.query<JobRow>(
      `SELECT ${columns.replace('errors, events', "errors, '[]'::jsonb AS events")} FROM ut.capture_jobs
        WHERE ($1::text IS NULL OR producer = $1) ORDER BY created_at DESC LIMIT $2`,
      [producer, limit],
    );
    return res.rows.map(fromRow);
  });
}
