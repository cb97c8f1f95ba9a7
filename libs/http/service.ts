/**
 * What every HTTP service does around its routes, once: counts and times each request for
 * /metrics, checks the bearer token against the roles a route allows (docs/access.md), and writes
 * the request to the audit log.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pool } from 'pg';
import client from 'prom-client';
import { audit, type AuditEntry } from '../audit';
import { oneLine } from '../errors';
import type { Logger } from '../log';
import { serviceRegistry } from '../metrics';
import { authenticate, type Principal, type Role } from '../tokens';
import { sendProblem } from './answers';

export interface RequestMetrics {
  registry: client.Registry;
  /** Counts an answered request and observes its time since `started` (process.hrtime.bigint()). */
  observe(route: string, status: number, started: bigint): void;
  /** Answers GET /metrics. */
  serve(res: ServerResponse): Promise<void>;
}

/**
 * The service's registry (`unitrail-<service>`, with Node's metrics) and its request metrics:
 * `unitrail_<prefix>_requests_total{route,status}` and `unitrail_<prefix>_request_seconds{route}`.
 */
export function requestMetrics(service: string, prefix: string): RequestMetrics {
  const registry = serviceRegistry(service);
  const requests = new client.Counter({
    name: `unitrail_${prefix}_requests_total`,
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  const seconds = new client.Histogram({
    name: `unitrail_${prefix}_request_seconds`,
    help: 'Time to answer, by route (a stream: until it ends)',
    labelNames: ['route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    registry,
    observe(route, status, started) {
      requests.inc({ route, status: String(status) });
      seconds.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
    },
    async serve(res) {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(await registry.metrics());
    },
  };
}

/**
 * Serves /metrics and times every other request that `handle` answers, labelled by `routeOf` (a
 * few fixed names: a path with ids in it would make a series per id).
 */
export function withRequestMetrics(
  metrics: RequestMetrics,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  routeOf: (pathname: string) => string,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://service.invalid').pathname;
    if (pathname === '/metrics') return metrics.serve(res);
    const started = process.hrtime.bigint();
    res.once('close', () => metrics.observe(routeOf(pathname), res.statusCode, started));
    await handle(req, res);
  };
}

/**
 * The caller's principal when its bearer token holds one of `roles`; otherwise answers 401 (with
 * `WWW-Authenticate: Bearer`) or 403 and returns null.
 */
export async function authorize(
  pool: Pool,
  req: IncomingMessage,
  res: ServerResponse,
  roles: readonly Role[],
  { headers = {} }: { headers?: Record<string, string> } = {},
): Promise<Principal | null> {
  const auth = await authenticate(pool, req.headers.authorization, roles);
  if (auth.ok) return auth.principal;
  sendProblem(res, auth.status, auth.reason, {
    headers: {
      ...headers,
      ...(auth.status === 401 ? { 'www-authenticate': 'Bearer realm="unitrail"' } : {}),
    },
  });
  return null;
}

/** A request's audit entry. The answer is decided already: a failed write is logged, not thrown. */
export async function auditRequest(pool: Pool, log: Logger, entry: AuditEntry): Promise<void> {
  await audit(pool, entry).catch((err) =>
    log.error('audit log write failed', { error: oneLine(err), action: entry.action }),
  );
}

/**
 * An error no route answered: logged, and answered 503 with its message when it is retriable (a
 * dependency away: try again), else 500 naming the service's log (what failed inside is not the
 * client's to read). Nothing is sent when an answer has started (`answered`).
 */
export function answerFailure(
  res: ServerResponse,
  log: Logger,
  err: unknown,
  {
    method,
    path,
    service,
    headers = {},
    answered = res.headersSent,
  }: { method: string; path: string; service: string; headers?: Record<string, string>; answered?: boolean },
): void {
  log.error('request failed', { method, path, error: oneLine(err) });
  if (answered) return;
  const retriable = (err as { retriable?: boolean }).retriable === true;
  const detail = retriable ? oneLine(err) : `internal error; see the ${service} log`;
  sendProblem(res, retriable ? 503 : 500, detail, { headers });
}
