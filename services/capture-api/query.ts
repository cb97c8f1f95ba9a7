/**
 * The EPCIS 2.0 REST query binding beside capture: GET /events and the discovery resources,
 * named queries, webhook subscriptions and WebSocket subscriptions, OPTIONS discovery with the GS1
 * headers. Everything about queries is in libs/epcis-query; this file maps HTTP onto it. Every
 * request to a resource is audited (ut.audit_log) before its answer is sent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Pool } from 'pg';
import { WebSocketServer } from 'ws';
import {
  type Dispatcher,
  type QueryParams,
  type ValueKind,
  QueryNotImplementedError,
  QueryParameterError,
  QueryTooLargeError,
  auditQuery,
  createNamedQuery,
  createSubscription,
  deleteNamedQuery,
  deleteSubscription,
  findEvents,
  findValues,
  getNamedQuery,
  listNamedQueries,
  listSubscriptions,
  paramsFromUrl,
  parseEventQuery,
  queryDocument,
  queryDocumentXml,
  scheduleOf,
  subscriptionView,
  visibilityOf,
} from '../../libs/epcis-query';
import { standardContextUrl } from '../../libs/epcis';
import { eventTypes } from '../../libs/events';
import { oneLine } from '../../libs/errors';
import { decodeQuery, decodeStrict } from '../../libs/http';
import type { Logger } from '../../libs/log';
import { authenticate, type Principal, type Role } from '../../libs/tokens';
import { readBody, utf8 } from './http';

/** Who may query: producers (their own and shared events), readers (shared events), admins (all). */
export const queryRoles: readonly Role[] = ['producer', 'reader', 'admin'];

export const gs1Headers = {
  'GS1-EPCIS-Version': '2.0.0',
  'GS1-EPCIS-Min': '2.0.0',
  'GS1-EPCIS-Max': '2.0.0',
  'GS1-CBV-Version': '2.0.0',
  'GS1-CBV-Min': '2.0.0',
  'GS1-CBV-Max': '2.0.0',
  'GS1-EPC-Format': 'Always_GS1_Digital_Link',
  'GS1-CBV-XML-Format': 'Always_URN',
  'GS1-Vendor-Version': 'unitrail 0.1.0',
};

const topLevel = [
  'events',
  'eventTypes',
  'epcs',
  'bizSteps',
  'bizLocations',
  'readPoints',
  'dispositions',
  'capture',
  'queries',
];

/** The resource collections and the query parameter each one's `/{value}/events` stands for. */
const collections: Record<string, { kind: ValueKind | 'eventTypes'; param: string }> = {
  eventTypes: { kind: 'eventTypes', param: 'eventType' },
  epcs: { kind: 'epcs', param: 'MATCH_anyEPC' },
  bizSteps: { kind: 'bizSteps', param: 'EQ_bizStep' },
  bizLocations: { kind: 'bizLocations', param: 'EQ_bizLocation' },
  readPoints: { kind: 'readPoints', param: 'EQ_readPoint' },
  dispositions: { kind: 'dispositions', param: 'EQ_disposition' },
};

export interface QueryRoutesOptions {
  pool: Pool;
  log: Logger;
  dispatcher: Dispatcher;
  maxBytes: number;
  /** Most events one capture may hold (GS1-EPCIS-Capture-Limit). */
  captureLimit?: number;
  defaultPerPage?: number;
  maxPerPage?: number;
}

export interface QueryRoutes {
  /** Answers the request when it is a query resource; returns its route name, or null (not ours). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<string | null>;
  /** WebSocket subscriptions: GET /queries/{name}/events with Upgrade: websocket. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const problemTypes: Record<number, string> = {
  400: 'epcisException:QueryParameterException',
  401: 'epcisException:SecurityException',
  403: 'epcisException:SecurityException',
  404: 'epcisException:NoSuchResourceException',
  405: 'epcisException:MethodNotAllowedException',
  406: 'epcisException:NotAcceptableException',
  409: 'epcisException:ResourceAlreadyExistsException',
  413: 'epcisException:QueryTooLargeException',
  415: 'epcisException:UnsupportedMediaTypeException',
  501: 'epcisException:ImplementationException',
};
const problem = (status: number, message: string) =>
  new HttpProblem(status, problemTypes[status] ?? 'epcisException:ImplementationException', message);

type Format = 'json' | 'ld+json' | 'xml';

/** Content negotiation (RFC 9110 §12.5.1, q-values honoured): JSON-LD by default, XML on request. */
export function negotiate(accept: string | undefined): Format | null {
  if (!accept || accept.trim() === '') return 'json';
  const offers: [string, Format][] = [
    ['application/json', 'json'],
    ['application/ld+json', 'ld+json'],
    ['application/xml', 'xml'],
    ['text/xml', 'xml'],
  ];
  let best: { format: Format; q: number } | null = null;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!(q > 0)) continue;
    for (const [type, format] of offers) {
      const [major] = type.split('/');
      if (range === type || range === '*/*' || range === `${major}/*`) {
        if (!best || q > best.q) best = { format: range === '*/*' ? 'json' : format, q };
        break;
      }
    }
  }
  return best?.format ?? null;
}

export function createQueryRoutes({
  pool,
  log,
  dispatcher,
  maxBytes,
  captureLimit = 10_000,
  defaultPerPage = 30,
  maxPerPage = 1000,
}: QueryRoutesOptions): QueryRoutes {
  const wss = new WebSocketServer({ noServer: true });

  function send(
    res: ServerResponse,
    status: number,
    body: string | null,
    headers: Record<string, string> = {},
    contentType = 'application/json',
  ): void {
    const all: Record<string, string | number> = { ...gs1Headers, ...headers };
    if (body !== null) {
      all['content-type'] = contentType;
      all['content-length'] = Buffer.byteLength(body);
    }
    res.writeHead(status, all);
    res.end(body ?? undefined);
  }

  function sendProblem(res: ServerResponse, p: HttpProblem, headers: Record<string, string> = {}): void {
    send(
      res,
      p.status,
      JSON.stringify({ type: p.type, title: p.message, status: p.status }),
      headers,
      'application/problem+json',
    );
  }

  function options(res: ServerResponse, allow: string, extra: Record<string, string> = {}): void {
    send(res, 204, null, { allow, 'GS1-Extensions': '', ...extra });
  }

  async function who(req: IncomingMessage): Promise<Principal> {
    const auth = await authenticate(pool, req.headers.authorization, queryRoles);
    if (!auth.ok) throw problem(auth.status, auth.reason);
    return auth.principal;
  }

  function perPageOf(url: URL): number {
    const raw = url.searchParams.get('perPage');
    if (raw === null) return defaultPerPage;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > maxPerPage) {
      throw problem(400, `perPage ${raw} must be a whole number from 1 to ${maxPerPage}`);
    }
    return n;
  }

  function formatOf(req: IncomingMessage): Format {
    const f = negotiate(req.headers.accept);
    if (f === null) {
      throw problem(
        406,
        `cannot answer ${req.headers.accept}; ask for application/ld+json, application/json or application/xml`,
      );
    }
    return f;
  }

  /** The answer of an event query: a page, its Link to the next one, audited, then sent. */
  async function events(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    principal: Principal,
    params: QueryParams,
    { route, queryName, single = false }: { route: string; queryName?: string; single?: boolean },
  ): Promise<void> {
    const format = formatOf(req);
    const perPage = single ? 1 : perPageOf(url);
    const page = await findEvents(pool, params, { visibility: await visibilityOf(pool, principal), perPage });
    if (single && page.events.length === 0)
      throw problem(404, `no event ${String(params.EQ_eventID)} that this token may see`);
    const doc = queryDocument(page.events, { queryName: queryName ?? 'SimpleEventQuery' });
    const headers: Record<string, string> = { 'GS1-Extensions': '' };
    if (page.nextPageToken) {
      const next = new URL(url.pathname + url.search, 'http://x');
      next.searchParams.set('nextPageToken', page.nextPageToken);
      next.searchParams.set('perPage', String(perPage));
      headers.link = `<${next.pathname}${next.search}>; rel="next"`;
      headers['GS1-Next-Page-Token-Expires'] = page.expires!.toISOString();
    }
    await audited(principal, route, req, 200, { events: page.events.length, query: params });
    if (format === 'xml') send(res, 200, queryDocumentXml(doc), headers, 'application/xml');
    else
      send(
        res,
        200,
        JSON.stringify(doc),
        headers,
        format === 'ld+json' ? 'application/ld+json' : 'application/json',
      );
  }

  async function audited(
    principal: Principal,
    route: string,
    req: IncomingMessage,
    status: number,
    detail: Record<string, unknown> = {},
  ): Promise<void> {
    await auditQuery(pool, {
      actor: principal.name,
      role: principal.role,
      action: `${req.method ?? 'GET'} ${route}`,
      resource: req.url ?? null,
      status,
      detail,
    });
  }

  function collection(member: string[]): string {
    return JSON.stringify({ '@context': [standardContextUrl], type: 'Collection', member });
  }

  async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json' && type !== 'application/ld+json') {
      throw problem(415, `Content-Type ${type || '(none)'} is not application/json`);
    }
    const body = await readBody(req, Math.min(maxBytes, 1024 * 1024));
    if (!body.ok) throw problem(413, 'the request body is larger than 1 MiB');
    const text = utf8(body.body);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text ?? '');
    } catch {
      throw problem(400, 'the request body is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw problem(400, 'the request body must be a JSON object');
    }
    return parsed as Record<string, unknown>;
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<string | null> {
    const method = req.method ?? 'GET';
    // Ids and parameters that are not text are refused, never decoded leniently into U+FFFD.
    const parts = url.pathname
      .split('/')
      .filter((p) => p !== '')
      .map((raw) => {
        const part = decodeStrict(raw, 'the path segment');
        if (!part.ok) throw problem(400, part.reason);
        return part.value;
      });
    const query = decodeQuery(url.search);
    if (!query.ok) throw problem(400, query.reason);
    const [top, value, sub, subId, extra] = parts;

    if (parts.length === 0) {
      if (method === 'OPTIONS') return (options(res, 'OPTIONS, GET'), 'OPTIONS /');
      if (method !== 'GET') throw problem(405, `${method} is not allowed on /`);
      const principal = await who(req);
      await audited(principal, '/', req, 200);
      send(res, 200, collection(topLevel));
      return '/';
    }
    if (top === 'capture' && parts.length === 1 && method === 'OPTIONS') {
      options(res, 'OPTIONS, POST, GET', {
        'GS1-EPCIS-Capture-Limit': String(captureLimit),
        'GS1-EPCIS-Capture-File-Size-Limit': String(maxBytes),
        'GS1-Capture-Error-Behaviour': 'proceed, rollback',
      });
      return 'OPTIONS /capture';
    }
    if (top === 'events') {
      if (parts.length > 2) throw problem(404, `no such resource: ${url.pathname}`);
      // POST /events (a single event) is capture's; the capture routes take it.
      if (method === 'POST' && parts.length === 1) return null;
      if (method === 'OPTIONS')
        return (options(res, parts.length === 1 ? 'OPTIONS, GET, POST' : 'OPTIONS, GET'), 'OPTIONS /events');
      if (method !== 'GET') throw problem(405, `${method} is not allowed on ${url.pathname}`);
      const principal = await who(req);
      if (parts.length === 1) {
        await events(req, res, url, principal, paramsFromUrl(url.searchParams), { route: '/events' });
        return '/events';
      }
      await events(
        req,
        res,
        url,
        principal,
        { EQ_eventID: value! },
        { route: '/events/{eventID}', single: true },
      );
      return '/events/{eventID}';
    }
    if (top !== undefined && top in collections) {
      const { kind, param } = collections[top]!;
      if (parts.length > 3 || (parts.length === 3 && sub !== 'events')) {
        throw problem(404, `no such resource: ${url.pathname}`);
      }
      if (method === 'OPTIONS') return (options(res, 'OPTIONS, GET'), `OPTIONS /${top}`);
      if (method !== 'GET') throw problem(405, `${method} is not allowed on ${url.pathname}`);
      const principal = await who(req);
      if (parts.length === 1) {
        formatOf(req);
        let members: string[];
        const headers: Record<string, string> = {};
        if (kind === 'eventTypes') members = [...eventTypes];
        else {
          const perPage = perPageOf(url);
          const token = url.searchParams.get('nextPageToken');
          let after: string | null = null;
          if (token !== null) {
            after = Buffer.from(token, 'base64url').toString('utf8');
            if (after === '') throw problem(400, 'nextPageToken is not a token this repository issued');
          }
          const found = await findValues(pool, kind, await visibilityOf(pool, principal), { after, perPage });
          members = found.values;
          if (found.next !== null) {
            headers.link = `</${top}?perPage=${perPage}&nextPageToken=${Buffer.from(found.next).toString('base64url')}>; rel="next"`;
          }
        }
        await audited(principal, `/${top}`, req, 200, { members: members.length });
        send(res, 200, collection(members), headers);
        return `/${top}`;
      }
      if (parts.length === 2) {
        await audited(principal, `/${top}/{id}`, req, 200);
        send(res, 200, collection(['events']));
        return `/${top}/{id}`;
      }
      const params = { ...paramsFromUrl(url.searchParams) };
      if (param in params)
        throw problem(400, `${param} is given by the path; leave it out of the query string`);
      // The path holds one value: a `|` in it is part of the value, not a list.
      const routeName = `/${top}/{id}/events`;
      await events(req, res, url, principal, { ...params, [param]: [value!] }, { route: routeName });
      return routeName;
    }
    if (top === 'queries') {
      if (method === 'OPTIONS') return (options(res, 'OPTIONS, GET, POST, DELETE'), 'OPTIONS /queries');
      const principal = await who(req);
      if (parts.length === 1) {
        if (method === 'GET') {
          const list = await listNamedQueries(pool, principal.name);
          await audited(principal, '/queries', req, 200, { queries: list.length });
          send(res, 200, JSON.stringify(list.map((q) => ({ name: q.name, query: q.query }))));
          return '/queries';
        }
        if (method !== 'POST') throw problem(405, `${method} is not allowed on /queries`);
        const body = await readJson(req);
        const outcome = await createNamedQuery(pool, principal.name, body.name, body.query);
        if (outcome === 'exists')
          throw problem(409, `a query named ${String(body.name)} exists; DELETE it first`);
        await audited(principal, '/queries', req, 201, { name: body.name });
        const location = `/queries/${encodeURIComponent(String(body.name))}`;
        send(res, 201, null, { location });
        return '/queries';
      }
      const name = value!;
      const named = await getNamedQuery(pool, principal.name, name);
      if (!named) throw problem(404, `no query named ${name}`);
      if (parts.length === 2) {
        if (method === 'DELETE') {
          await deleteNamedQuery(pool, principal.name, name);
          await audited(principal, '/queries/{name}', req, 204);
          send(res, 204, null);
          return '/queries/{name}';
        }
        if (method !== 'GET') throw problem(405, `${method} is not allowed on a query`);
        await audited(principal, '/queries/{name}', req, 200);
        send(res, 200, JSON.stringify({ name: named.name, query: named.query }));
        return '/queries/{name}';
      }
      if (sub === 'events' && parts.length === 3) {
        if (method !== 'GET') throw problem(405, `${method} is not allowed on a query's events`);
        const paging: QueryParams = {};
        for (const k of ['perPage', 'nextPageToken']) {
          const v = url.searchParams.get(k);
          if (v !== null) paging[k] = v;
        }
        for (const k of url.searchParams.keys()) {
          if (!(k in paging))
            throw problem(
              400,
              `${k}: a named query's parameters are fixed; only perPage and nextPageToken may be added`,
            );
        }
        await events(
          req,
          res,
          url,
          principal,
          { ...named.query, ...paging },
          {
            route: '/queries/{name}/events',
            queryName: name,
          },
        );
        return '/queries/{name}/events';
      }
      if (sub === 'subscriptions' && parts.length === 3) {
        if (method === 'GET') {
          const subs = await listSubscriptions(pool, { owner: principal.name, queryName: name });
          await audited(principal, '/queries/{name}/subscriptions', req, 200);
          send(res, 200, JSON.stringify(subs.map(subscriptionView)));
          return '/queries/{name}/subscriptions';
        }
        if (method !== 'POST') throw problem(405, `${method} is not allowed on subscriptions`);
        const body = await readJson(req);
        const s = await createSubscription(pool, subscriptionInput(principal.name, name, body));
        await audited(principal, '/queries/{name}/subscriptions', req, 201, {
          subscriptionID: s.subscriptionId,
        });
        send(res, 201, JSON.stringify(subscriptionView(s)), {
          location: `/queries/${encodeURIComponent(name)}/subscriptions/${s.subscriptionId}`,
        });
        dispatcher.wake();
        return '/queries/{name}/subscriptions';
      }
      if (sub === 'subscriptions' && parts.length === 4 && extra === undefined) {
        const subs = await listSubscriptions(pool, { owner: principal.name, queryName: name });
        const s = subs.find((x) => x.subscriptionId === subId);
        if (!s) throw problem(404, `no subscription ${subId} on ${name}`);
        if (method === 'DELETE') {
          await deleteSubscription(pool, principal.name, name, subId!);
          await audited(principal, '/queries/{name}/subscriptions/{id}', req, 204);
          send(res, 204, null);
        } else if (method === 'GET') {
          await audited(principal, '/queries/{name}/subscriptions/{id}', req, 200);
          send(res, 200, JSON.stringify(subscriptionView(s)));
        } else throw problem(405, `${method} is not allowed on a subscription`);
        return '/queries/{name}/subscriptions/{id}';
      }
      throw problem(404, `no such resource: ${url.pathname}`);
    }
    return null;
  }

  function subscriptionInput(owner: string, queryName: string, body: Record<string, unknown>) {
    const dest = body.dest;
    if (typeof dest !== 'string' || !/^https?:\/\/\S+$/.test(dest)) {
      throw problem(400, 'dest must be the http(s) URL to deliver to');
    }
    const secret = body.signatureToken ?? body.secret;
    if (typeof secret !== 'string' || secret.length < 16) {
      throw problem(
        400,
        'signatureToken (at least 16 characters) is required: every delivery is signed with it',
      );
    }
    const stream = body.stream === true;
    const schedule = body.schedule === undefined ? null : scheduleOf(body.schedule);
    if (stream === (schedule !== null)) {
      throw problem(400, 'give either "stream": true or a "schedule", not both and not neither');
    }
    let initialRecordTime: Date | null = null;
    if (body.initialRecordTime !== undefined) {
      initialRecordTime = new Date(String(body.initialRecordTime));
      if (Number.isNaN(initialRecordTime.getTime()))
        throw problem(400, 'initialRecordTime is not a date-time');
    }
    return {
      owner,
      queryName,
      dest,
      secret,
      stream,
      schedule,
      reportIfEmpty: body.reportIfEmpty === true,
      initialRecordTime,
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<string | null> {
    try {
      return await route(req, res, url);
    } catch (err) {
      const p =
        err instanceof HttpProblem
          ? err
          : err instanceof QueryParameterError ||
              err instanceof QueryNotImplementedError ||
              err instanceof QueryTooLargeError
            ? new HttpProblem(err.status, err.type, err.message)
            : null;
      if (p === null) throw err;
      if (p.status >= 400 && p.status !== 401 && p.status !== 403) {
        const principal = await authenticate(pool, req.headers.authorization, queryRoles).catch(() => null);
        if (principal?.ok) {
          await audited(principal.principal, url.pathname, req, p.status, { error: p.message }).catch((e) =>
            log.error('audit log write failed', { error: oneLine(e) }),
          );
        }
      }
      sendProblem(res, p, p.status === 401 ? { 'www-authenticate': 'Bearer realm="unitrail"' } : {});
      return url.pathname.split('/')[1] ? `/${url.pathname.split('/')[1]}` : '/';
    }
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: number, reason: string) => {
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${reason}\n`,
      );
    };
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://capture.invalid');
      const m = /^\/queries\/([^/]+)\/events$/.exec(url.pathname);
      if (!m) return refuse(404, 'WebSocket subscriptions are at /queries/{name}/events');
      const auth = await authenticate(pool, req.headers.authorization, queryRoles);
      if (!auth.ok) return refuse(auth.status, auth.reason);
      const decoded = decodeStrict(m[1]!, 'the query name');
      if (!decoded.ok) return refuse(400, decoded.reason);
      const name = decoded.value;
      const named = await getNamedQuery(pool, auth.principal.name, name);
      if (!named) return refuse(404, `no query named ${name}`);
      const query = parseEventQuery(named.query);
      const initial = req.headers['gs1-query-initialrecordtime'] ?? url.searchParams.get('initialRecordTime');
      if (typeof initial === 'string') {
        const t = new Date(initial);
        if (Number.isNaN(t.getTime())) return refuse(400, 'GS1-Query-InitialRecordTime is not a date-time');
        query.recordTime.ge = t;
      }
      const visibility = await visibilityOf(pool, auth.principal);
      await audited(auth.principal, '/queries/{name}/events (WebSocket)', req, 101);
      wss.handleUpgrade(req, socket, head, (ws) => {
        void dispatcher
          .addSocket({
            subscriptionId: `ws-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
            queryName: name,
            query,
            visibility,
            position: typeof initial === 'string' ? {} : undefined,
            send: (text) => ws.send(text),
          })
          .then((subscriber) => ws.on('close', () => dispatcher.removeSocket(subscriber)));
      });
    })().catch((err) => {
      log.error('WebSocket subscription failed', { error: oneLine(err) });
      refuse(500, 'internal error; see the capture API log');
    });
  }

  return {
    handle,
    upgrade,
    close: () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
  };
}
