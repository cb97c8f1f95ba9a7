/**
 * The routes: POST /capture, GET /capture, GET /capture/{id}, /healthz, /metrics. A POST is checked
 * synchronously (token, media type, size, document, each event), answered 202 with its job, and
 * its accepted events are published in the background; the job records how that went.
 */
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pool } from 'pg';
import client from 'prom-client';
import { InvalidInputError, oneLine } from '../../libs/errors';
import { createRetry } from '../../libs/retry';
import type { Logger } from '../../libs/log';
import type { EpcisEventEnvelope } from '../../libs/sources';
import type { Role } from '../../libs/tokens';
import type { RuleContext } from '../../libs/rules';
import { checkDocument } from './document';
import { checkMediaType, errorBehaviourOf, readBody, sendJson, sendProblem, utf8 } from './http';
import { answerFailure, authorize, decodeStrict, requestMetrics } from '../../libs/http';
import {
  type CaptureJob,
  type JobEvent,
  finalStatus,
  finishJob,
  getJob,
  insertJob,
  jobView,
  listJobs,
  planCapture,
  touchJob,
} from './jobs';
import type { Publisher } from '../../libs/sources';
import { recordCapturedEvents } from '../../libs/epcis-query';
import type { QueryRoutes } from './query';

/** Who may capture and read capture jobs; an admin sees every producer's jobs. */
const captureRoles: readonly Role[] = ['producer', 'admin'];

export interface CaptureHandlerOptions {
  pool: Pool;
  publisher: Publisher;
  /** The validator's rule context as of now (its clock, its tolerances). */
  rules: () => RuleContext;
  maxBytes: number;
  /** Most events one document may hold (GS1-EPCIS-Capture-Limit); 413 above. */
  maxEvents?: number;
  log: Logger;
  heartbeatMs?: number;
  /** The EPCIS query binding (services/capture-api/query.ts), served beside capture. */
  query?: QueryRoutes;
}

export interface CaptureHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Resolves when every job being published has finished. */
  drain(): Promise<void>;
  registry: client.Registry;
}

export function createCaptureHandler({
  pool,
  publisher,
  rules,
  maxBytes,
  maxEvents = 10_000,
  log,
  heartbeatMs = 15_000,
  query,
}: CaptureHandlerOptions): CaptureHandler {
  const metrics = requestMetrics('capture-api', 'capture');
  const { registry } = metrics;
  // Whatever failed, the job row is worth another try: 10 more, 0.5 s growing to 8 s, with jitter.
  const recordJob = createRetry({ retries: 10, retriable: () => true, initialMs: 500, maxMs: 8000 });
  const events = new client.Counter({
    name: 'unitrail_capture_events_total',
    help: 'Captured events: accepted, rejected (listed in their job) and published',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const jobs = new client.Counter({
    name: 'unitrail_capture_jobs_total',
    help: 'Capture jobs by final status',
    labelNames: ['status'],
    registers: [registry],
  });
  const inFlight = new Set<Promise<void>>();
  new client.Gauge({
    name: 'unitrail_capture_jobs_running',
    help: 'Jobs whose events are being published by this process',
    registers: [registry],
    collect() {
      this.set(inFlight.size);
    },
  });

  const principalOf = (req: IncomingMessage, res: ServerResponse) => authorize(pool, req, res, captureRoles);

  async function capture(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const who = await principalOf(req, res);
    if (!who) return;
    const media = checkMediaType(req.headers['content-type']);
    if (!media.ok) return sendProblem(res, 415, media.reason);
    const behaviour = errorBehaviourOf(req.headers['gs1-capture-error-behaviour'] as string | undefined);
    if (behaviour === null) {
      return sendProblem(res, 400, 'GS1-Capture-Error-Behaviour must be proceed or rollback');
    }
    const tooLarge = () =>
      sendProblem(res, 413, `the document is larger than ${maxBytes} bytes; split it into several captures`, {
        headers: { connection: 'close' },
      });
    if (Number(req.headers['content-length'] ?? 0) > maxBytes) {
      // Read nothing: node discards the rest of the body once the answer is sent.
      return tooLarge();
    }
    const body = await readBody(req, maxBytes);
    if (!body.ok) return tooLarge();
    const text = utf8(body.body);
    if (text === null) return sendProblem(res, 400, 'the document is not valid UTF-8');

    let doc;
    try {
      doc = checkDocument(text, { rules: rules() });
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      return sendProblem(res, 400, err.reasons.map((r) => r.message).join('; '), { reasons: err.reasons });
    }
    if (doc.eventCount > maxEvents) {
      return sendProblem(
        res,
        413,
        `the document holds ${doc.eventCount} events; at most ${maxEvents} per capture (GS1-EPCIS-Capture-Limit)`,
      );
    }
    const plan = planCapture(doc, behaviour);
    const job: CaptureJob = {
      captureId: crypto.randomUUID(),
      status: 'running',
      producer: who.name,
      documentFormat: doc.format,
      documentBytes: body.body.length,
      errorBehaviour: behaviour,
      eventCount: doc.eventCount,
      acceptedCount: plan.publish.length,
      publishedCount: 0,
      errors: doc.rejected,
      events: plan.publish.map((e) => ({ index: e.index, eventId: e.eventId })),
      failure: plan.failure,
      createdAt: new Date(),
      finishedAt: null,
    };
    events.inc({ outcome: 'accepted' }, plan.publish.length);
    events.inc({ outcome: 'rejected' }, doc.rejected.length);
    if (plan.publish.length === 0) {
      job.status = finalStatus({ ...counts(job), publishedCount: 0, failure: plan.failure });
      job.finishedAt = job.createdAt;
      jobs.inc({ status: job.status });
    }
    await insertJob(pool, job);
    // The events as sent, for the query binding's answers (before they can land).
    await recordCapturedEvents(pool, {
      captureId: job.captureId,
      producer: who.name,
      documentFormat: doc.format,
      events: plan.publish.map((e) => ({ eventId: e.eventId, json: e.json })),
    });
    const location = `/capture/${job.captureId}`;
    sendJson(res, 202, jobView(job), { location });
    log.info('capture accepted', {
      captureId: job.captureId,
      producer: who.name,
      events: doc.eventCount,
      accepted: plan.publish.length,
      rejected: doc.rejected.length,
    });
    if (plan.publish.length === 0) return;

    const receivedAt = job.createdAt.getTime();
    const outgoing = plan.publish.map((e) => {
      const envelope: EpcisEventEnvelope = {
        captureId: job.captureId,
        eventIndex: e.index,
        documentFormat: doc.format,
        event: e.json,
        namespaces: doc.namespaces,
        receivedAt,
        producer: who.name,
      };
      return { key: e.key, envelope };
    });
    const publication = publishJob(job, outgoing).finally(() => inFlight.delete(publication));
    inFlight.add(publication);
  }

  async function publishJob(job: CaptureJob, outgoing: Parameters<Publisher['publish']>[0]): Promise<void> {
    const heartbeat = setInterval(() => void touchJob(pool, job.captureId).catch(() => {}), heartbeatMs);
    let records: string[] = [];
    let failure: string | null = null;
    let published = 0;
    try {
      records = await publisher.publish(outgoing, async (n) => {
        published = n;
        await touchJob(pool, job.captureId, n);
      });
      published = records.length;
    } catch (err) {
      failure = `publishing stopped after ${published} of ${outgoing.length} events: ${oneLine(err)}; send the document again (what was published is deduplicated)`;
      log.error('capture publication failed', { captureId: job.captureId, error: oneLine(err) });
    } finally {
      clearInterval(heartbeat);
    }
    events.inc({ outcome: 'published' }, published);
    const withRecords: JobEvent[] = job.events.map((e, i) => (records[i] ? { ...e, record: records[i] } : e));
    const status = finalStatus({ ...counts(job), publishedCount: published, failure });
    jobs.inc({ status });
    // The events are out; only the job row is behind. Keep trying for a while, then let the
    // stale-job rule mark it failed: a resend is harmless.
    await recordJob(() =>
      finishJob(pool, job.captureId, { status, publishedCount: published, events: withRecords, failure }),
    ).catch((err) =>
      log.error('capture job not recorded', { captureId: job.captureId, error: oneLine(err) }),
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://capture.invalid');
    const method = req.method ?? 'GET';
    const started = process.hrtime.bigint();
    let route = 'other';
    try {
      const queried = await query?.handle(req, res, url);
      if (queried) {
        route = queried;
        return;
      }
      // POST /events captures a single event, like POST /capture (EPCIS 2.0 REST binding).
      if (url.pathname === '/capture' || (url.pathname === '/events' && method === 'POST')) {
        route = '/capture';
        if (method === 'POST') await capture(req, res);
        else if (method === 'GET') await list(req, res, url);
        else
          sendProblem(res, 405, `${method} is not allowed on /capture`, { headers: { allow: 'GET, POST' } });
      } else if (url.pathname.startsWith('/capture/')) {
        route = '/capture/{id}';
        const id = decodeStrict(url.pathname.slice(9), 'capture id');
        if (!id.ok) sendProblem(res, 400, id.reason);
        else if (method === 'GET') await one(req, res, id.value);
        else
          sendProblem(res, 405, `${method} is not allowed on a capture job`, { headers: { allow: 'GET' } });
      } else if (url.pathname === '/healthz') {
        route = '/healthz';
        await health(res);
      } else if (url.pathname === '/metrics') {
        route = '/metrics';
        await metrics.serve(res);
      } else {
        sendProblem(res, 404, `no such resource: ${url.pathname}`);
      }
    } catch (err) {
      answerFailure(res, log, err, { method, path: url.pathname, service: 'capture API' });
    } finally {
      metrics.observe(route, res.statusCode, started);
    }
  }

  async function one(req: IncomingMessage, res: ServerResponse, captureId: string): Promise<void> {
    const who = await principalOf(req, res);
    if (!who) return;
    const job = await getJob(pool, captureId, who.role === 'admin' ? null : who.name);
    if (!job) return sendProblem(res, 404, `no capture job ${captureId}`);
    sendJson(res, 200, jobView(job));
  }

  async function list(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const who = await principalOf(req, res);
    if (!who) return;
    const raw = url.searchParams.get('limit') ?? '50';
    const limit = Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      return sendProblem(res, 400, `limit ${raw} must be a whole number from 1 to 500`);
    }
    const found = await listJobs(pool, { producer: who.role === 'admin' ? null : who.name, limit });
    sendJson(res, 200, { captureJobs: found.map((j) => jobView(j, { summary: true })) });
  }

  async function health(res: ServerResponse): Promise<void> {
    let database = 'ok';
    try {
      await pool.query('SELECT 1');
    } catch (err) {
      database = oneLine(err);
    }
    const ok = publisher.connected && database === 'ok';
    sendJson(res, ok ? 200 : 503, {
      status: ok ? 'ok' : 'unhealthy',
      kafka: publisher.connected ? 'ok' : 'not connected',
      database,
      jobsRunning: inFlight.size,
    });
  }

  return {
    handle,
    registry,
    async drain() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

const counts = (job: CaptureJob) => ({ eventCount: job.eventCount, rejectedCount: job.errors.length });
