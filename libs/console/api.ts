/**
 * The console's HTTP surface: the built web page (static files), its JSON API and the live feed
 * (Server-Sent Events). Same bearer tokens and roles as the ops API; every API request is written
 * to the audit log. The browser sends the token in the Authorization header only (never in a URL),
 * so the feed is read with fetch() rather than EventSource, which cannot send headers.
 *
 *   GET  /api/session                         who the token is and what it may do
 *   GET  /api/feed                            text/event-stream: `hello` (history + frame), then `frame` per tick
 *   GET  /api/recalls                         recall summaries (units by status, notices, surge)
 *   POST /api/recalls                         declare {gtin, lots?, serials?, from?, to?, device?, reason}
 *   POST /api/recalls/{id}/quarantine|notify|close
 *   GET  /api/recalls/{id}/report?format=csv|epcis|json
 *   GET  /api/units/{id}[?gtin=G]             journey (with source, device, operator) and warranty verdict
 *   GET  /api/dlq[?reason&source&since]       counts, per minute, newest records
 *   GET  /api/dlq/{id}                        one record in full
 *   POST /api/dlq/{id}/replay                 send it back to its source topic
 *   GET  /api/devices                         device alerts and the exception queue
 *   POST /api/devices/{alertId}/ack           {note}: acknowledge a device alert (as the ops API's)
 *   GET  /api/cases/{id}, POST /api/cases/{id}/evidence|steps|close   one case (routes in cases.ts)
 *   GET  /healthz
 */
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RoleRefused, StateRefused } from '../cases';
import { InvalidInputError, UnitrailError, UsageError, oneLine } from '../errors';
import { answerFailure, auditRequest, authorize, readBody, sendJson, sendProblem } from '../http';
import { journeyOf, resolveUnitId } from '../journey';
import type { Logger } from '../log';
import { audit } from '../audit';
import { notifyAll, quarantine, type OpsDeps } from '../recalls';
import { closeRecall, declareRecall } from '../recalls';
import { formatCsv, formatEpcis, recallReport } from '../recalls';
import { getRecall } from '../recalls';
import { dlqCounts, dlqDetail, dlqPerMinute, dlqRecords, parseSince, replayDlq } from '../dlq';
import type { Principal, Role } from '../tokens';
import { checkWarranty } from '../warranty';
import { db } from '../store';
import { caseActors, caseRoutes } from './cases';
import { ackAlert } from '../devices';
import { deviceAckers, deviceSignals } from './devices';
import type { Feed } from './feed';
import { recallSummaries } from './recalls';
import type { Route } from './route';
import type { Session } from './wire';

export const readers: readonly Role[] = ['viewer', 'warranty', 'recall_coordinator', 'quality', 'admin'];
export const coordinators: readonly Role[] = ['recall_coordinator', 'admin'];
export const replayers: readonly Role[] = ['admin'];

const MAX_BODY = 1024 * 1024;

/** Served with every answer: no inline script, nothing framed, nothing sniffed or cached. */
export const securityHeaders: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};
const noStore = { 'cache-control': 'no-store' };

export type { Ctx, Route } from './route';

const time = (v: unknown, name: string): number | null => {
  if (v === undefined || v === null || v === '') return null;
  const t = Date.parse(String(v));
  if (!Number.isFinite(t)) throw new UsageError(`${name} ${String(v)} is not an ISO 8601 time`);
  return t;
};
const strings = (v: unknown, name: string): string[] => {
  if (v === undefined || v === null || v === '') return [];
  if (typeof v === 'string')
    return v
      .split(/[,\s]+/)
      .map((x) => x.trim())
      .filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string'))
    return v.map((x) => x.trim()).filter(Boolean);
  throw new UsageError(`${name} must be a list of strings`);
};
const optionalString = (v: unknown, name: string): string | null => {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') throw new UsageError(`${name} must be a string`);
  return v;
};

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

export interface ConsoleHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Ends every open feed stream (before the server closes). */
  closeStreams(): void;
}

export function createConsoleHandler({
  deps,
  feed,
  log,
  staticDir,
  ownSources = ['MES'],
  heartbeatMs = 15_000,
}: {
  deps: OpsDeps;
  feed: Feed;
  log: Logger;
  /** The built web page (dist/console-web); null serves the API only. */
  staticDir: string | null;
  ownSources?: readonly string[];
  heartbeatMs?: number;
}): ConsoleHandler {
  const { pool } = deps;
  const streams = new Set<ServerResponse>();

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: /^\/api\/session$/,
      name: '/api/session',
      roles: readers,
      async run({ res, who }) {
        const session: Session = {
          name: who.name,
          role: who.role,
          may: {
            recalls: coordinators.includes(who.role),
            replay: replayers.includes(who.role),
            cases: caseActors.includes(who.role),
            ack: deviceAckers.includes(who.role),
          },
        };
        sendJson(res, 200, session, noStore);
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/feed$/,
      name: '/api/feed',
      roles: readers,
      async run({ req, res }) {
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'x-accel-buffering': 'no',
          connection: 'keep-alive',
          ...noStore,
        });
        req.socket.setNoDelay(true);
        const send = (event: string, data: unknown) =>
          res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        res.write('retry: 1000\n\n');
        send('hello', feed.current());
        const unsubscribe = feed.subscribe((frame) => send('frame', frame));
        const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs);
        streams.add(res);
        await new Promise<void>((resolve) => {
          const done = () => {
            clearInterval(heartbeat);
            unsubscribe();
            streams.delete(res);
            resolve();
          };
          req.once('close', done);
          res.once('close', done);
        });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/recalls$/,
      name: '/api/recalls',
      roles: readers,
      async run({ res }) {
        sendJson(res, 200, { recalls: await recallSummaries(pool) }, noStore);
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/recalls$/,
      name: '/api/recalls',
      roles: coordinators,
      async run({ res, who, body }) {
        const b = await body();
        const gtin = optionalString(b.gtin, 'gtin');
        const reason = optionalString(b.reason, 'reason');
        if (gtin === null) throw new UsageError('gtin is required');
        if (reason === null) throw new UsageError('reason is required: say why the goods are recalled');
        const { recall, units } = await declareRecall(
          deps,
          {
            gtin: gtin.trim().padStart(14, '0'),
            lots: strings(b.lots, 'lots'),
            serials: strings(b.serials, 'serials'),
            fromTime: time(b.from, 'from'),
            toTime: time(b.to, 'to'),
            deviceId: optionalString(b.device, 'device'),
            reason,
          },
          { declaredBy: who.name },
        );
        void feed.refresh();
        sendJson(res, 201, { recall, units }, noStore);
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/recalls\/([^/]+)\/quarantine$/,
      name: '/api/recalls/{id}/quarantine',
      roles: coordinators,
      async run({ res, params, who, body }) {
        const b = await body();
        const outcome = await quarantine(deps, params[0]!, {
          site: optionalString(b.site, 'site'),
          notify: b.notify !== false,
          requestedBy: who.name,
        });
        void feed.refresh();
        sendJson(res, 200, outcome, noStore);
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/recalls\/([^/]+)\/notify$/,
      name: '/api/recalls/{id}/notify',
      roles: coordinators,
      async run({ res, params }) {
        const notices = await notifyAll(deps, params[0]!);
        void feed.refresh();
        sendJson(res, 200, { recallId: params[0], notices }, noStore);
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/recalls\/([^/]+)\/close$/,
      name: '/api/recalls/{id}/close',
      roles: coordinators,
      async run({ res, params, who }) {
        const closed = await closeRecall(deps, params[0]!, { closedBy: who.name });
        void feed.refresh();
        sendJson(res, 200, closed, noStore);
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/recalls\/([^/]+)\/report$/,
      name: '/api/recalls/{id}/report',
      roles: readers,
      async run({ res, url, params }) {
        const format = url.searchParams.get('format') ?? 'json';
        if (!['json', 'csv', 'epcis'].includes(format))
          return sendProblem(res, 400, `format ${format} must be json, csv or epcis`);
        const recall = await getRecall(pool, params[0]!);
        if (!recall) return sendProblem(res, 404, `no recall ${params[0]}`);
        const report = await recallReport(pool, recall);
        if (format === 'json') return sendJson(res, 200, report, noStore);
        const text = format === 'csv' ? formatCsv(report) : formatEpcis(report);
        res.writeHead(200, {
          'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/ld+json',
          'content-disposition': `attachment; filename="${recall.recallId}.${format === 'csv' ? 'csv' : 'jsonld'}"`,
          'content-length': Buffer.byteLength(text),
          ...noStore,
        });
        res.end(text);
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/units\/([^/]+)$/,
      name: '/api/units/{id}',
      roles: readers,
      async run({ res, url, params }) {
        const gtin = url.searchParams.get('gtin') || undefined;
        const unit = resolveUnitId(params[0]!, { gtin });
        const steps = await journeyOf(pool, unit.uri);
        if (steps.length === 0)
          return sendProblem(res, 404, `no events for ${unit.uri}; check the identifier (or give the GTIN)`);
        const who = await db('console journey sources', () =>
          pool.query<{
            event_id: string;
            source_system: string;
            machine_id: string | null;
            operator_id: string | null;
            recall_id: string | null;
          }>(
            'SELECT event_id, source_system, machine_id, operator_id, recall_id FROM ut.events WHERE event_id = ANY($1)',
            [steps.map((s) => s.eventId)],
          ),
        );
        const by = new Map(who.rows.map((r) => [r.event_id, r]));
        const warranty = await checkWarranty(pool, unit.uri, { ownSources });
        sendJson(
          res,
          200,
          {
            unit,
            steps: steps.map((s) => {
              const w = by.get(s.eventId);
              return {
                ...s,
                sourceSystem: w?.source_system ?? null,
                machineId: w?.machine_id ?? null,
                operatorId: w?.operator_id ?? null,
                recallId: w?.recall_id ?? null,
              };
            }),
            warranty,
          },
          noStore,
        );
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/dlq$/,
      name: '/api/dlq',
      roles: readers,
      async run({ res, url }) {
        const since = url.searchParams.get('since');
        const f = {
          reason: url.searchParams.get('reason') || undefined,
          source: url.searchParams.get('source') || undefined,
          since: since ? parseSince(since) : undefined,
        };
        const perMinuteSince = f.since ?? new Date(Date.now() - 60 * 60_000);
        sendJson(
          res,
          200,
          {
            counts: await dlqCounts(pool, f),
            perMinute: await dlqPerMinute(pool, perMinuteSince),
            records: await dlqRecords(pool, f, { limit: 50 }),
          },
          noStore,
        );
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/dlq\/([^/]+)$/,
      name: '/api/dlq/{id}',
      roles: readers,
      async run({ res, params }) {
        const detail = await dlqDetail(pool, deps.codec, params[0]!);
        if (!detail) return sendProblem(res, 404, `no DLQ record ${params[0]}`);
        sendJson(
          res,
          200,
          JSON.parse(JSON.stringify(detail, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))),
          noStore,
        );
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/dlq\/([^/]+)\/replay$/,
      name: '/api/dlq/{id}/replay',
      roles: replayers,
      async run({ res, params, who }) {
        const exists = await dlqRecords(pool, { ids: [params[0]!] }, { limit: 1 });
        if (exists.length === 0) return sendProblem(res, 404, `no DLQ record ${params[0]}`);
        const replayed = await replayDlq(pool, deps.kafka, { ids: [params[0]!] }, { replayedBy: who.name });
        if (replayed === 0)
          return sendProblem(
            res,
            409,
            `DLQ record ${params[0]} was replayed already (or has no original bytes)`,
          );
        sendJson(res, 200, { dlqId: params[0], replayed }, noStore);
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/devices$/,
      name: '/api/devices',
      roles: readers,
      async run({ res }) {
        sendJson(res, 200, await deviceSignals(pool), noStore);
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/devices\/([^/]+)\/ack$/,
      name: '/api/devices/{id}/ack',
      roles: deviceAckers,
      async run({ res, params, who, body }) {
        const note = optionalString((await body()).note, 'note');
        if (note === null || note.trim() === '') throw new UsageError('note is required: what was done');
        const known = await pool.query('SELECT 1 FROM ut.device_alerts WHERE alert_id = $1', [params[0]]);
        if (known.rows.length === 0) return sendProblem(res, 404, `no device alert ${params[0]}`);
        const acked = await ackAlert(pool, params[0]!, { note: note.trim(), by: who.name });
        void feed.refresh();
        sendJson(res, 200, acked, noStore);
      },
    },
    ...caseRoutes({ deps, readers, changed: () => void feed.refresh(), headers: noStore }),
  ];

  function serveStatic(res: ServerResponse, pathname: string): boolean {
    if (staticDir === null) return false;
    const rel = pathname === '/' || !path.extname(pathname) ? 'index.html' : pathname.slice(1);
    const file = path.resolve(staticDir, rel);
    if (!file.startsWith(path.resolve(staticDir) + path.sep)) return false;
    let body: Buffer;
    try {
      body = fs.readFileSync(file);
    } catch {
      return false;
    }
    res.writeHead(200, {
      'content-type': contentTypes[path.extname(file)] ?? 'application/octet-stream',
      'content-length': body.length,
      // Vite names assets by their content hash; the page itself is always asked for again.
      'cache-control': rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    res.end(body);
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const method = req.method ?? 'GET';
    for (const [k, v] of Object.entries(securityHeaders)) res.setHeader(k, v);
    let route: Route | undefined;
    let who: Principal | null = null;
    let resource: string | null = null;
    try {
      if (url.pathname === '/healthz') {
        await pool.query('SELECT 1');
        return sendJson(res, 200, { status: 'ok', feed: feed.current().frame !== null }, noStore);
      }
      if (!url.pathname.startsWith('/api/')) {
        if (method !== 'GET' && method !== 'HEAD')
          return sendProblem(res, 405, `${method} is not allowed on ${url.pathname}`);
        if (serveStatic(res, url.pathname)) return;
        return sendProblem(
          res,
          404,
          staticDir === null || !fs.existsSync(path.join(staticDir, 'index.html'))
            ? 'the console page is not built; run npm run build'
            : `no such file: ${url.pathname}`,
        );
      }
      const matching = routes.filter((r) => r.pattern.test(url.pathname));
      route = matching.find((r) => r.method === method);
      if (!route) {
        if (matching.length > 0)
          return sendProblem(res, 405, `${method} is not allowed on ${url.pathname}`, {
            headers: { allow: matching.map((r) => r.method).join(', ') },
          });
        return sendProblem(res, 404, `no such resource: ${url.pathname}`);
      }
      const params = route.pattern.exec(url.pathname)!.slice(1).map(decodeURIComponent);
      resource = params[0] ?? null;
      who = await authorize(pool, req, res, route.roles, { headers: noStore });
      if (!who) return;
      if (route.name === '/api/feed') {
        // The stream stays open for hours: audit the opening, not the end.
        await audit(pool, {
          actor: who.name,
          role: who.role,
          action: `console ${method} ${route.name}`,
          status: 200,
        });
      }
      await route.run({
        req,
        res,
        url,
        params,
        who,
        body: async () => {
          const read = await readBody(req, MAX_BODY);
          if (!read.ok) throw new UsageError(`the body is larger than ${MAX_BODY} bytes`);
          if (read.body.length === 0) return {};
          let parsed: unknown;
          try {
            parsed = JSON.parse(read.body.toString('utf8'));
          } catch (err) {
            throw new UsageError(`the body is not JSON: ${oneLine(err)}`);
          }
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
            throw new UsageError('the body must be a JSON object');
          return parsed as Record<string, unknown>;
        },
        raw: async (max) => {
          const read = await readBody(req, max);
          return read.ok ? read.body : null;
        },
      });
    } catch (err) {
      // The case engine's refusals: a role the playbook does not allow, a case not ready to close.
      const status =
        err instanceof RoleRefused
          ? 403
          : err instanceof StateRefused
            ? 409
            : err instanceof UnitrailError && err.code === 'NOT_FOUND'
              ? 404
              : err instanceof UsageError || err instanceof InvalidInputError
                ? 400
                : null;
      if (status !== null) {
        if (!res.headersSent) sendProblem(res, status, (err as Error).message, { headers: noStore });
      } else {
        answerFailure(res, log, err, { method, path: url.pathname, service: 'console', headers: noStore });
      }
    } finally {
      if (route && route.name !== '/api/feed') {
        await auditRequest(pool, log, {
          actor: who?.name ?? 'anonymous',
          role: who?.role ?? null,
          action: `console ${method} ${route.name}`,
          resource,
          status: res.statusCode,
          detail: Object.fromEntries(url.searchParams),
        });
      }
    }
  }

  return {
    handle,
    closeStreams() {
      for (const s of streams) s.end();
      streams.clear();
    },
  };
}
