/**
 * The ops API's routes. Reads take any valid token; recall writes take recall_coordinator (or
 * admin). Every request to a resource is written to the audit log: who, what, which, the answer.
 *
 *   GET  /units/{id}/journey[?gtin=G]          a unit's journey (libs/journey)
 *   GET  /recalls                              every recall
 *   POST /recalls                              declare {gtin, lots?, serials?, from?, to?, device?, reason}
 *   GET  /recalls/{id}                         one recall
 *   POST /recalls/{id}/close                   return its scope to the normal flow
 *   GET  /recalls/{id}/report[?format=json|csv|epcis]
 *   POST /recalls/{id}/quarantine              {site?, disposition?, notify?}
 *   POST /recalls/{id}/notify                  partner notices (once per partner)
 *   GET  /warranty/{id}[?gtin=G]               the warranty check
 *   POST /warranty/{id}/claims                 {claimRef, gtin?}: record a claim, flag a second one
 *   /cases...                                  exception cases (routes in cases.ts)
 *   GET  /devices[?site=GLN]                   every device's health, metrics and open alerts (docs/devices.md)
 *   POST /devices/{alertId}/ack                {note}: line maintenance acknowledges a device alert
 *   GET  /healthz, /metrics
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import client from 'prom-client';
import { InvalidInputError, UsageError, oneLine } from '../../libs/errors';
import { unitJourney } from '../../libs/journey';
import type { Logger } from '../../libs/log';
import { closeRecall, declareRecall } from '../../libs/recalls';
import { formatCsv, formatEpcis, recallReport } from '../../libs/recalls';
import { getRecall, listRecalls } from '../../libs/recalls';
import type { Principal, Role } from '../../libs/tokens';
import {
  answerFailure,
  auditRequest,
  authorize,
  decodeQuery,
  decodeStrict,
  readBody,
  requestMetrics,
  sendJson,
  sendProblem,
  utf8,
} from '../../libs/http';
import { textProblem } from '../../libs/epcis';
import { notifyAll, quarantine, type OpsDeps } from '../../libs/recalls';
import { checkWarranty } from '../../libs/warranty';
import { caseRoutes } from './cases';
import type { Route } from './route';
import { ackAlert, deviceAckers, listDevices } from '../../libs/devices';

// Who may read what (docs/access.md): producers only capture; journeys, recalls and warranty are
// read by the teams that act on them.
const readers: readonly Role[] = ['recall_coordinator', 'warranty', 'admin'];
const coordinators: readonly Role[] = ['recall_coordinator', 'admin'];
// Devices: the console shows them to every team; libs/devices' deviceAckers acknowledge their
// alerts (the quality role came with the exception cases, migration 070).
const deviceReaders: readonly Role[] = ['recall_coordinator', 'warranty', 'quality', 'admin', 'viewer'];
const MAX_BODY = 1024 * 1024;

export interface OpsHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  registry: client.Registry;
}

const time = (v: unknown, name: string): number | null => {
  if (v === undefined || v === null || v === '') return null;
  const t = Date.parse(String(v));
  if (!Number.isFinite(t)) throw new UsageError(`${name} ${String(v)} is not an ISO 8601 time`);
  return t;
};
const strings = (v: unknown, name: string): string[] => {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string'))
    return v.map((x) => x.trim()).filter(Boolean);
  throw new UsageError(`${name} must be an array of strings`);
};
const optionalString = (v: unknown, name: string): string | null => {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') throw new UsageError(`${name} must be a string`);
  return v;
};

/** A body whose strings hold NUL or lone surrogates is refused (it could not be stored as sent). */
function refuseUnstorableText(v: unknown, where: string): void {
  if (typeof v === 'string') {
    const problem = textProblem(v);
    if (problem !== null) throw new UsageError(`${where} ${problem}`);
  } else if (Array.isArray(v)) {
    v.forEach((item, i) => refuseUnstorableText(item, `${where}[${i}]`));
  } else if (typeof v === 'object' && v !== null) {
    for (const [key, child] of Object.entries(v)) {
      const problem = textProblem(key);
      if (problem !== null) throw new UsageError(`${where}: a key ${problem}`);
      refuseUnstorableText(child, `${where}.${key}`);
    }
  }
}

export function createOpsHandler({
  deps,
  log,
  ownSources = ['MES'],
}: {
  deps: OpsDeps;
  log: Logger;
  /** Our own systems: a unit they commissioned is genuine (OWN_SOURCES). */
  ownSources?: readonly string[];
}): OpsHandler {
  const { pool } = deps;
  const metrics = requestMetrics('ops-api', 'ops');

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: /^\/units\/([^/]+)\/journey$/,
      name: '/units/{id}/journey',
      roles: readers,
      async run({ res, url, params, resource }) {
        const id = params[0]!;
        resource(id);
        const found = await unitJourney(pool, id, { gtin: url.searchParams.get('gtin') ?? undefined });
        if (!found)
          return sendProblem(res, 404, `no events for ${id}; check the identifier (or pass ?gtin=)`);
        sendJson(res, 200, found);
      },
    },
    {
      method: 'GET',
      pattern: /^\/devices$/,
      name: '/devices',
      roles: deviceReaders,
      async run({ res, url }) {
        const site = url.searchParams.get('site');
        if (site !== null && !/^\d{13}$/.test(site))
          return sendProblem(res, 400, `site ${site} is not a GLN (13 digits)`);
        sendJson(res, 200, { devices: await listDevices(pool, { site: site ?? undefined }) });
      },
    },
    {
      method: 'POST',
      pattern: /^\/devices\/([^/]+)\/ack$/,
      name: '/devices/{id}/ack',
      roles: deviceAckers,
      async run({ res, params, who, body, resource }) {
        resource(params[0]!);
        const note = optionalString((await body()).note, 'note');
        if (note === null || note.trim() === '')
          return sendProblem(res, 400, 'note is required: what was done');
        const open = await pool.query('SELECT 1 FROM ut.device_alerts WHERE alert_id = $1', [params[0]]);
        if (open.rows.length === 0) return sendProblem(res, 404, `no device alert ${params[0]}`);
        sendJson(res, 200, await ackAlert(pool, params[0]!, { note, by: who.name }));
      },
    },
    {
      method: 'GET',
      pattern: /^\/recalls$/,
      name: '/recalls',
      roles: readers,
      async run({ res, url }) {
        const status = url.searchParams.get('status');
        if (status !== null && status !== 'active' && status !== 'closed') {
          return sendProblem(res, 400, `status ${status} must be active or closed`);
        }
        sendJson(res, 200, { recalls: await listRecalls(pool, { status: status ?? undefined }) });
      },
    },
    {
      method: 'POST',
      pattern: /^\/recalls$/,
      name: '/recalls',
      roles: coordinators,
      async run({ res, who, body, resource }) {
        const b = await body();
        const { recall, units } = await declareRecall(
          deps,
          {
            gtin: String(b.gtin ?? ''),
            lots: strings(b.lots, 'lots'),
            serials: strings(b.serials, 'serials'),
            fromTime: time(b.from, 'from'),
            toTime: time(b.to, 'to'),
            deviceId: optionalString(b.device, 'device'),
            reason: String(b.reason ?? ''),
          },
          { declaredBy: who.name },
        );
        resource(recall.recallId);
        sendJson(res, 201, { recall, units }, { location: `/recalls/${recall.recallId}` });
      },
    },
    {
      method: 'GET',
      pattern: /^\/recalls\/([^/]+)$/,
      name: '/recalls/{id}',
      roles: readers,
      async run({ res, params, resource }) {
        resource(params[0]!);
        const recall = await getRecall(pool, params[0]!);
        if (!recall) return sendProblem(res, 404, `no recall ${params[0]}`);
        sendJson(res, 200, recall);
      },
    },
    {
      method: 'POST',
      pattern: /^\/recalls\/([^/]+)\/close$/,
      name: '/recalls/{id}/close',
      roles: coordinators,
      async run({ res, params, who, resource }) {
        resource(params[0]!);
        sendJson(res, 200, await closeRecall(deps, params[0]!, { closedBy: who.name }));
      },
    },
    {
      method: 'GET',
      pattern: /^\/recalls\/([^/]+)\/report$/,
      name: '/recalls/{id}/report',
      roles: readers,
      async run({ res, url, params, resource }) {
        resource(params[0]!);
        const format = url.searchParams.get('format') ?? 'json';
        if (!['json', 'csv', 'epcis'].includes(format)) {
          return sendProblem(res, 400, `format ${format} must be json, csv or epcis`);
        }
        const recall = await getRecall(pool, params[0]!);
        if (!recall) return sendProblem(res, 404, `no recall ${params[0]}`);
        const report = await recallReport(pool, recall);
        if (format === 'json') return sendJson(res, 200, report);
        const text = format === 'csv' ? formatCsv(report) : formatEpcis(report);
        res.writeHead(200, {
          'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/ld+json',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      },
    },
    {
      method: 'POST',
      pattern: /^\/recalls\/([^/]+)\/quarantine$/,
      name: '/recalls/{id}/quarantine',
      roles: coordinators,
      async run({ res, params, who, body, resource }) {
        resource(params[0]!);
        const b = await body();
        const disposition = optionalString(b.disposition, 'disposition') ?? 'recalled';
        const outcome = await quarantine(deps, params[0]!, {
          site: optionalString(b.site, 'site'),
          disposition: disposition as 'recalled',
          notify: b.notify !== false,
          requestedBy: who.name,
        });
        sendJson(res, 200, outcome);
      },
    },
    {
      method: 'POST',
      pattern: /^\/recalls\/([^/]+)\/notify$/,
      name: '/recalls/{id}/notify',
      roles: coordinators,
      async run({ res, params, resource }) {
        resource(params[0]!);
        sendJson(res, 200, { recallId: params[0], notices: await notifyAll(deps, params[0]!) });
      },
    },
    {
      method: 'GET',
      pattern: /^\/warranty\/([^/]+)$/,
      name: '/warranty/{id}',
      roles: readers,
      async run({ res, url, params, resource }) {
        resource(params[0]!);
        sendJson(
          res,
          200,
          await checkWarranty(pool, params[0]!, {
            gtin: url.searchParams.get('gtin') ?? undefined,
            ownSources,
          }),
        );
      },
    },
    {
      method: 'POST',
      pattern: /^\/warranty\/([^/]+)\/claims$/,
      name: '/warranty/{id}/claims',
      roles: readers,
      async run({ res, params, who, body, resource }) {
        resource(params[0]!);
        const b = await body();
        const claimRef = optionalString(b.claimRef, 'claimRef');
        if (claimRef === null) return sendProblem(res, 400, 'claimRef is required: the claim reference');
        const check = await checkWarranty(pool, params[0]!, {
          gtin: optionalString(b.gtin, 'gtin') ?? undefined,
          claimRef,
          claimedBy: who.name,
          ownSources,
        });
        if (!check.exists) return sendJson(res, 404, check);
        sendJson(res, check.claim?.duplicate ? 200 : 201, check);
      },
    },
    ...caseRoutes(deps),
  ];

  async function health(res: ServerResponse): Promise<void> {
    let database = 'ok';
    try {
      await pool.query('SELECT 1');
    } catch (err) {
      database = oneLine(err);
    }
    sendJson(res, database === 'ok' ? 200 : 503, {
      status: database === 'ok' ? 'ok' : 'unhealthy',
      database,
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://ops.invalid');
    const method = req.method ?? 'GET';
    const started = process.hrtime.bigint();
    let routeName = 'other';
    let who: Principal | null = null;
    let resource: string | null = null;
    // A resource's answer is held until its audit entry is written: what a client saw was audited.
    let held: unknown[] | undefined;
    const release = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    // What the audit log records of the query: decoded when it is text, else as it came (still
    // percent-encoded, so that a NUL or a broken escape is stored safely and nothing goes unaudited).
    const query = decodeQuery(url.search);
    const detail: Record<string, string> = query.ok ? query.params : { query: url.search };
    try {
      if (url.pathname === '/healthz') {
        routeName = '/healthz';
        return await health(res);
      }
      if (url.pathname === '/metrics') {
        routeName = '/metrics';
        return await metrics.serve(res);
      }
      const matching = routes.filter((r) => r.pattern.test(url.pathname));
      const route = matching.find((r) => r.method === method);
      if (!route) {
        if (matching.length > 0) {
          return sendProblem(res, 405, `${method} is not allowed on ${url.pathname}`, {
            headers: { allow: matching.map((r) => r.method).join(', ') },
          });
        }
        return sendProblem(res, 404, `no such resource: ${url.pathname}`);
      }
      routeName = route.name;
      res.end = ((...args: unknown[]) => {
        held = args;
        return res;
      }) as ServerResponse['end'];
      const raw = route.pattern.exec(url.pathname)!.slice(1);
      // Until it is known to be text, the audit log keeps the id as it came (percent-encoded).
      resource = raw[0] ?? null;
      who = await authorize(pool, req, res, route.roles);
      if (!who) return;
      const params: string[] = [];
      for (const segment of raw) {
        const decoded = decodeStrict(segment, 'the id');
        if (!decoded.ok) return sendProblem(res, 400, decoded.reason);
        params.push(decoded.value);
      }
      resource = params[0] ?? null;
      if (!query.ok) return sendProblem(res, 400, query.reason);
      await route.run({
        req,
        res,
        url,
        params,
        who,
        resource: (r) => (resource = r),
        body: async () => {
          const read = await readBody(req, MAX_BODY);
          if (!read.ok) throw new UsageError(`the body is larger than ${MAX_BODY} bytes`);
          if (read.body.length === 0) return {};
          const text = utf8(read.body);
          if (text === null) throw new UsageError('the body is not valid UTF-8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch (err) {
            throw new UsageError(`the body is not JSON: ${oneLine(err)}`);
          }
          refuseUnstorableText(parsed, '$');
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
            throw new UsageError('the body must be a JSON object');
          }
          return parsed as Record<string, unknown>;
        },
      });
    } catch (err) {
      if (err instanceof UsageError || err instanceof InvalidInputError) {
        if (!res.headersSent && held === undefined) sendProblem(res, 400, err.message);
      } else {
        const answered = res.headersSent || held !== undefined;
        answerFailure(res, log, err, { method, path: url.pathname, service: 'ops API', answered });
      }
    } finally {
      metrics.observe(routeName, res.statusCode, started);
      if (routeName !== '/healthz' && routeName !== '/metrics' && routeName !== 'other') {
        await auditRequest(pool, log, {
          actor: who?.name ?? 'anonymous',
          role: who?.role ?? null,
          action: `${method} ${routeName}`,
          resource,
          status: res.statusCode,
          detail,
        });
      }
      if (held !== undefined) release(...held);
    }
  }

  return { handle, registry: metrics.registry };
}
