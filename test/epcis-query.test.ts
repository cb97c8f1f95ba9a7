/**
 * The EPCIS 2.0 query binding end to end on the real stack: GS1's example documents captured
 * through the capture API, landed by every pipeline stage (each its own process), then found again
 * through GET /events by each of their EPCs, their bizStep and their eventTime window, with the
 * Event Hash ID recomputed from the answer equal to the captured one, in JSON-LD and XML. Every
 * JSON answer is checked against GS1's OpenAPI schemas with ajv. Subscriptions (webhook and
 * WebSocket) receive an event captured after them (how soon: `unitrail bench subscriptions`).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type pg from 'pg';
import WebSocket from 'ws';
import { config, pipelineGroupsFree, Stages, waitFor } from './helpers';
import { eventHash, parseDocument, type EpcisEvent } from '../libs/epcis';
import { toDigitalLink } from '../libs/gs1';
import { share, unshare } from '../libs/epcis-query';
import { locatedEventDocument, startWebhookReceiver, type WebhookDelivery } from '../libs/bench';
import { createPool } from '../libs/store';
import { createToken, revokeToken } from '../libs/tokens';
import { stageNames } from '../services/stages';
import { startCaptureApi, type RunningCaptureApi } from '../services/capture-api';

jest.setTimeout(900_000);

const conformance = path.join(__dirname, 'fixtures/conformance');
const documentsIn = (dir: string) =>
  fs
    .readdirSync(path.join(conformance, dir))
    .filter((f) => /\.(jsonld|xml)$/.test(f))
    .map((f) => path.join(conformance, dir, f));
const documents = [...documentsIn('epcis-examples'), ...documentsIn('epcis-hash')];

const openapi = JSON.parse(
  fs.readFileSync(path.join(conformance, 'epcis-rest/openapi.json'), 'utf8'),
) as object;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(openapi, 'openapi.json');
const validQueryDocument = ajv.compile({ $ref: 'openapi.json#/components/schemas/epcisQueryDocument' });
const validUriCollection = ajv.compile({ $ref: 'openapi.json#/components/schemas/UriCollection' });
const validEventTypes = ajv.compile({ $ref: 'openapi.json#/components/schemas/EventTypeCollection' });

const stages = new Stages();
const suffix = crypto.randomBytes(3).toString('hex');
const names = {
  a: `it-qa-${suffix}`,
  b: `it-qb-${suffix}`,
  reader: `it-qr-${suffix}`,
  admin: `it-qadmin-${suffix}`,
};
const token: Record<keyof typeof names, string> = { a: '', b: '', reader: '', admin: '' };
let api: RunningCaptureApi;
let base: string;
let pool: pg.Pool;

beforeAll(async () => {
  pool = createPool(config.databaseUrl);
  await pipelineGroupsFree();
  stages.start(...stageNames);
  api = await startCaptureApi({ config, port: 0, maxBytes: 1024 * 1024 });
  base = `http://127.0.0.1:${api.port}`;
  token.a = (await createToken(pool, { name: names.a, role: 'producer' })).token;
  token.b = (await createToken(pool, { name: names.b, role: 'producer' })).token;
  token.reader = (await createToken(pool, { name: names.reader, role: 'reader' })).token;
  token.admin = (await createToken(pool, { name: names.admin, role: 'admin' })).token;
});

afterAll(async () => {
  await api?.stop();
  await stages.stopAll();
  for (const n of Object.values(names)) await revokeToken(pool, n);
  await pool.end();
});

const mediaType = (text: string) => (/^[\s\ufeff]*</.test(text) ? 'application/xml' : 'application/ld+json');

interface Job {
  status: string;
  running: boolean;
  errors: unknown[];
  events: { index: number; eventId: string; record?: string }[];
}

async function capture(text: string, bearer: string): Promise<Job> {
  const res = await fetch(`${base}/capture`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': mediaType(text) },
    body: text,
  });
  expect(res.status).toBe(202);
  const location = res.headers.get('location')!;
  return waitFor(`capture job ${location}`, async () => {
    const job = (await (
      await fetch(new URL(location, base), { headers: { authorization: `Bearer ${bearer}` } })
    ).json()) as Job;
    return !job.running && job;
  });
}

async function landed(ids: string[]): Promise<void> {
  await waitFor(`${ids.length} events in the ledger`, async () => {
    const r = await pool.query<{ n: string }>(
      'SELECT count(DISTINCT event_id) AS n FROM ut.events WHERE event_id = ANY($1)',
      [ids],
    );
    return Number(r.rows[0]!.n) === ids.length;
  });
}

interface Answer {
  status: number;
  body: string;
  headers: Headers;
}

async function get(pathAndQuery: string, bearer: string, accept = 'application/ld+json'): Promise<Answer> {
  const res = await fetch(`${base}${pathAndQuery}`, {
    headers: { authorization: `Bearer ${bearer}`, accept },
  });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

let validated = 0;
/** A JSON query answer: checked against the OpenAPI schema; returns the hashes recomputed from it. */
function hashesOfJson(a: Answer): string[] {
  expect(a.status).toBe(200);
  const doc = JSON.parse(a.body) as unknown;
  const ok = validQueryDocument(doc);
  if (!ok) throw new Error(`answer does not validate: ${ajv.errorsText(validQueryDocument.errors)}`);
  validated++;
  return parseDocument(a.body).events.map(eventHash);
}

const query = (params: Record<string, string>) =>
  `/events?${new URLSearchParams({ perPage: '1000', ...params })}`;

function epcsOf(event: EpcisEvent): string[] {
  const out: string[] = [];
  for (const key of ['epcList', 'childEPCs', 'inputEPCList', 'outputEPCList']) {
    const v = event[key];
    if (Array.isArray(v)) for (const e of v) if (typeof e === 'string') out.push(e);
  }
  if (typeof event.parentID === 'string') out.push(event.parentID);
  return out;
}

/** The Digital Link of an EPC URN when it has one (queries accept both notations). */
function otherNotation(epc: string): string | null {
  if (!epc.startsWith('urn:epc:id:')) return null;
  try {
    return toDigitalLink(epc);
  } catch {
    return null;
  }
}

describe('EPCIS 2.0 query binding', () => {
  const captured: { file: string; event: EpcisEvent; hash: string }[] = [];

  it('captures every GS1 example document as partner A and lands its events', async () => {
    for (const file of documents) {
      const text = fs.readFileSync(file, 'utf8');
      const job = await capture(text, token.a);
      expect({ file: path.basename(file), status: job.status }).toEqual({
        file: path.basename(file),
        status: 'success',
      });
      const events = parseDocument(text).events;
      expect(job.events.map((e) => e.eventId)).toEqual(events.map(eventHash));
      events.forEach((event) => captured.push({ file: path.basename(file), event, hash: eventHash(event) }));
    }
    await landed([...new Set(captured.map((c) => c.hash))]);
    expect(captured.length).toBeGreaterThan(30);
  });

  it('finds each event again by each of its EPCs (URN and Digital Link), its bizStep and its eventTime window, with the captured hash', async () => {
    const misses: string[] = [];
    let lookups = 0;
    for (const { file, event, hash } of captured) {
      const asks: Record<string, string>[] = [];
      for (const epc of epcsOf(event)) {
        asks.push({ MATCH_anyEPC: epc });
        const dl = otherNotation(epc);
        if (dl) asks.push({ MATCH_anyEPC: dl });
      }
      if (typeof event.bizStep === 'string') asks.push({ EQ_bizStep: event.bizStep });
      const t = new Date(event.eventTime).getTime();
      asks.push({
        GE_eventTime: new Date(t - 1000).toISOString(),
        LT_eventTime: new Date(t + 1000).toISOString(),
      });
      for (const ask of asks) {
        lookups++;
        const hashes = hashesOfJson(await get(query(ask), token.a));
        if (!hashes.includes(hash)) misses.push(`${file} ${hash} by ${JSON.stringify(ask)}`);
      }
    }
    expect(misses).toEqual([]);
    expect(lookups).toBeGreaterThan(captured.length * 2);
  });

  it('answers in XML on request, with the same hashes', async () => {
    const misses: string[] = [];
    for (const { file, event, hash } of captured) {
      const t = new Date(event.eventTime).getTime();
      const a = await get(
        query({
          GE_eventTime: new Date(t - 1000).toISOString(),
          LT_eventTime: new Date(t + 1000).toISOString(),
        }),
        token.a,
        'application/xml',
      );
      expect(a.status).toBe(200);
      expect(a.headers.get('content-type')).toBe('application/xml');
      const hashes = parseDocument(a.body).events.map(eventHash);
      if (!hashes.includes(hash)) misses.push(`${file} ${hash}`);
    }
    expect(misses).toEqual([]);
  });

  it('pages with perPage and the Link header, every event once', async () => {
    const epc = 'urn:epc:id:sgtin:0614141.107346.2018';
    const whole = hashesOfJson(await get(query({ MATCH_anyEPC: epc }), token.a));
    expect(whole.length).toBeGreaterThanOrEqual(2);
    const seen: string[] = [];
    let next: string | null = `/events?${new URLSearchParams({ MATCH_anyEPC: epc, perPage: '1' })}`;
    while (next) {
      const a = await get(next, token.a);
      const page = hashesOfJson(a);
      expect(page.length).toBeLessThanOrEqual(1);
      seen.push(...page);
      const link = a.headers.get('link');
      next = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1]! : null;
      if (link) expect(a.headers.get('gs1-next-page-token-expires')).toMatch(/^\d{4}-/);
    }
    expect(seen.sort()).toEqual([...whole].sort());
  });

  it('answers /events/{eventID}, the discovery collections and their /events', async () => {
    const { hash, event } = captured.find(
      (c) => typeof c.event.bizStep === 'string' && epcsOf(c.event).length > 0,
    )!;
    expect(hashesOfJson(await get(`/events/${encodeURIComponent(hash)}`, token.a))).toEqual([hash]);
    const types = await get('/eventTypes', token.a);
    expect(validEventTypes(JSON.parse(types.body))).toBe(true);
    for (const top of ['epcs', 'bizSteps', 'bizLocations', 'readPoints', 'dispositions']) {
      const a = await get(`/${top}?perPage=1000`, token.a);
      expect(a.status).toBe(200);
      const doc = JSON.parse(a.body) as { member: string[] };
      if (top === 'epcs' || top === 'bizLocations' || top === 'readPoints') {
        expect(validUriCollection(doc)).toBe(true);
      }
      expect(doc.member.length).toBeGreaterThan(0);
    }
    const epcDoc = JSON.parse((await get('/epcs?perPage=1000', token.a)).body) as { member: string[] };
    const uri = epcDoc.member[0]!;
    expect(JSON.parse((await get(`/epcs/${encodeURIComponent(uri)}`, token.a)).body).member).toEqual([
      'events',
    ]);
    expect(
      hashesOfJson(await get(`/epcs/${encodeURIComponent(uri)}/events?perPage=1000`, token.a)).length,
    ).toBeGreaterThan(0);
    const step = await get(
      `/bizSteps/${encodeURIComponent(String(event.bizStep))}/events?perPage=1000`,
      token.a,
    );
    expect(hashesOfJson(step).length).toBeGreaterThan(0);
  });

  it('shows partner B none of A’s events until A shares with B’s reader', async () => {
    const { hash, event } = captured.find((c) => epcsOf(c.event).length > 0)!;
    const byEpc = query({ MATCH_anyEPC: epcsOf(event)[0]! });
    expect(hashesOfJson(await get(byEpc, token.b))).not.toContain(hash);
    expect((await get(`/events/${encodeURIComponent(hash)}`, token.b)).status).toBe(404);
    expect(hashesOfJson(await get(byEpc, token.reader))).not.toContain(hash);
    expect(JSON.parse((await get('/epcs?perPage=1000', token.b)).body).member).not.toContain(
      JSON.parse((await get('/epcs?perPage=1000', token.a)).body).member[0],
    );
    await share(pool, names.a, names.reader);
    try {
      expect(hashesOfJson(await get(byEpc, token.reader))).toContain(hash);
      expect(hashesOfJson(await get(byEpc, token.b))).not.toContain(hash);
    } finally {
      await unshare(pool, names.a, names.reader);
    }
    expect(hashesOfJson(await get(byEpc, token.reader))).not.toContain(hash);
    expect(hashesOfJson(await get(byEpc, token.admin))).toContain(hash);
    // A reader token queries but never captures.
    const refused = await fetch(`${base}/capture`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.reader}`, 'content-type': 'application/ld+json' },
      body: '{}',
    });
    expect(refused.status).toBe(403);
  });

  it('refuses bad parameters with 400 and the reason, unsupported ones with 501, unknown formats with 406', async () => {
    const cases: [string, number, RegExp][] = [
      ['/events?EQ_bizStp=shipping', 400, /unknown query parameter EQ_bizStp/],
      ['/events?GE_eventTime=yesterday', 400, /GE_eventTime "yesterday" is not a date-time/],
      ['/events?perPage=0', 400, /perPage 0 must be/],
      ['/events?EQ_action=MOVE', 400, /EQ_action "MOVE"/],
      ['/events?eventCountLimit=3', 400, /eventCountLimit needs orderBy/],
      ['/events?orderBy=eventTime&eventCountLimit=1&maxEventCount=2', 400, /mutually exclusive/],
      ['/events?nextPageToken=bogus', 400, /nextPageToken is not a token/],
      ['/events?MATCH_epc=urn:epc:id:sgtin:0614141.107346.2017|', 400, /empty value/],
      ['/events?EQ_value_Temperature=3', 501, /not supported/],
    ];
    for (const [url, status, reason] of cases) {
      const a = await get(url, token.a);
      expect({ url, status: a.status }).toEqual({ url, status });
      const body = JSON.parse(a.body) as { type: string; title: string; status: number };
      expect(body.title).toMatch(reason);
      expect(body.type).toMatch(/^epcisException:/);
    }
    expect((await get('/events', token.a, 'text/csv')).status).toBe(406);
    expect((await get('/events', 'ut_nope')).status).toBe(401);
    // A token issued for one query is refused with another.
    const first = await get(
      `/events?${new URLSearchParams({ MATCH_anyEPC: 'urn:epc:id:sgtin:0614141.107346.2018', perPage: '1' })}`,
      token.a,
    );
    const next = new URL(/^<([^>]+)>/.exec(first.headers.get('link')!)![1]!, base);
    const other = await get(
      `/events?EQ_action=ADD&nextPageToken=${next.searchParams.get('nextPageToken')}`,
      token.a,
    );
    expect(other.status).toBe(400);
  });

  it('audits every query', async () => {
    const r = await pool.query<{ action: string; status: number }>(
      "SELECT action, status FROM ut.audit_log WHERE actor = $1 AND action LIKE 'GET /events%'",
      [names.a],
    );
    expect(r.rows.length).toBeGreaterThan(captured.length);
    expect(r.rows.some((row) => row.status === 400)).toBe(true);
  });

  it('keeps named queries: create, list, run, conflict, delete (with their subscriptions)', async () => {
    const name = `q-${suffix}`;
    const body = {
      name,
      query: { MATCH_anyEPC: ['urn:epc:id:sgtin:0614141.107346.2018'], eventType: ['ObjectEvent'] },
    };
    const post = (b: unknown) =>
      fetch(`${base}/queries`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token.a}`, 'content-type': 'application/json' },
        body: JSON.stringify(b),
      });
    const created = await post(body);
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/queries/${name}`);
    expect((await post(body)).status).toBe(409);
    expect((await post({ name: `${name}-bad`, query: { EQ_nothing: ['x'] } })).status).toBe(400);
    expect(JSON.parse((await get('/queries', token.a)).body)).toContainEqual(body);
    expect(JSON.parse((await get(`/queries/${name}`, token.a)).body)).toEqual(body);
    expect((await get(`/queries/${name}`, token.b)).status).toBe(404);
    expect(hashesOfJson(await get(`/queries/${name}/events`, token.a)).length).toBeGreaterThan(0);
    const subscribed = await fetch(`${base}/queries/${name}/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.a}`, 'content-type': 'application/json' },
      body: JSON.stringify({ dest: 'http://127.0.0.1:9/gone', signatureToken: 'x'.repeat(16), stream: true }),
    });
    expect(subscribed.status).toBe(201);
    const remove = () =>
      fetch(`${base}/queries/${name}`, { method: 'DELETE', headers: { authorization: `Bearer ${token.a}` } });
    expect((await remove()).status).toBe(204);
    expect((await get(`/queries/${name}`, token.a)).status).toBe(404);
    // Deleting a query ends its subscriptions: a new query of the same name starts with none.
    expect((await post(body)).status).toBe(201);
    expect(JSON.parse((await get(`/queries/${name}/subscriptions`, token.a)).body)).toEqual([]);
    expect((await remove()).status).toBe(204);
  });

  it('delivers an event captured after a webhook and a WebSocket subscription to both', async () => {
    const name = `sub-${suffix}`;
    const bizLocation = `urn:epc:id:sgln:4012345.00001.${suffix}`;
    const created = await fetch(`${base}/queries`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.a}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, query: { EQ_bizLocation: [bizLocation] } }),
    });
    expect(created.status).toBe(201);

    const secret = crypto.randomBytes(16).toString('hex');
    const received: WebhookDelivery[] = [];
    const hook = await startWebhookReceiver(secret, (d) => received.push(d));
    const ws = new WebSocket(`ws://127.0.0.1:${api.port}/queries/${name}/events`, {
      headers: { authorization: `Bearer ${token.a}` },
    });
    const wsMessages: { at: number; body: string }[] = [];
    ws.on('message', (data) => wsMessages.push({ at: Date.now(), body: String(data) }));
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      const sub = await fetch(`${base}/queries/${name}/subscriptions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token.a}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          dest: hook.url,
          signatureToken: secret,
          stream: true,
        }),
      });
      expect(sub.status).toBe(201);
      const subscription = (await sub.json()) as { subscriptionID: string; secret?: string };
      expect(subscription.secret).toBeUndefined();
      await new Promise((r) => setTimeout(r, 300)); // the WebSocket's registration is asynchronous

      const serial = `q${crypto.randomBytes(5).toString('hex')}`;
      const doc = locatedEventDocument({ serial, bizLocation });
      const job = await capture(doc, token.a);
      const id = job.events[0]!.eventId;
      await waitFor(
        'the webhook and the WebSocket to receive the event',
        async () =>
          received.some((m) => m.body.includes(serial)) && wsMessages.some((m) => m.body.includes(serial)),
        { timeoutMs: 60_000, everyMs: 50 },
      );
      const hookMsg = received.find((m) => m.body.includes(serial))!;
      const wsMsg = wsMessages.find((m) => m.body.includes(serial))!;
      expect(hookMsg.signed).toBe(true);
      for (const m of [hookMsg, wsMsg]) {
        const parsed = JSON.parse(m.body) as { epcisBody: { queryResults: { queryName: string } } };
        expect(validQueryDocument(parsed)).toBe(true);
        expect(parsed.epcisBody.queryResults.queryName).toBe(name);
        expect(parseDocument(m.body).events.map(eventHash)).toEqual([id]);
      }
      const del = await fetch(`${base}/queries/${name}/subscriptions/${subscription.subscriptionID}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token.a}` },
      });
      expect(del.status).toBe(204);
    } finally {
      ws.close();
      await hook.close();
    }
    expect(validated).toBeGreaterThan(100);
  });

  it('answers OPTIONS with the GS1 headers', async () => {
    for (const [p, allow] of [
      ['/', 'OPTIONS, GET'],
      ['/capture', 'OPTIONS, POST, GET'],
    ] as const) {
      const res = await fetch(`${base}${p}`, { method: 'OPTIONS' });
      expect(res.status).toBe(204);
      expect(res.headers.get('allow')).toBe(allow);
      expect(res.headers.get('gs1-epcis-version')).toBe('2.0.0');
      expect(res.headers.get('gs1-cbv-version')).toBe('2.0.0');
    }
    const capture = await fetch(`${base}/capture`, { method: 'OPTIONS' });
    expect(Number(capture.headers.get('gs1-epcis-capture-limit'))).toBeGreaterThan(0);
    expect(Number(capture.headers.get('gs1-epcis-capture-file-size-limit'))).toBe(1024 * 1024);
  });
});
