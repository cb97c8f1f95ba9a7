/**
 * Capture end to end on the real stack: EPCIS documents posted to the capture API (in this process)
 * flow through every pipeline stage (each its own process) into PostgreSQL. Every published raw
 * record must be accounted for: its event landed with that record as lineage, or the deduplicator
 * marked it a duplicate; and every event id is in ut.events exactly once, whichever notation and
 * however often it was sent.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Redis from 'ioredis';
import type pg from 'pg';
import { config, pipelineGroupsFree, redis, seenPrefix, Stages, waitFor } from './helpers';
import { objectEventDocument } from '../libs/bench';
import { eventHash, parseDocument } from '../libs/epcis';
import { toDigitalLink } from '../libs/gs1';
import { createPool } from '../libs/store';
import { createToken, revokeToken } from '../libs/tokens';
import { stageNames } from '../services/stages';
import { startCaptureApi, type RunningCaptureApi } from '../services/capture-api';

jest.setTimeout(600_000);

const conformance = path.join(__dirname, 'fixtures/conformance');
const documentsIn = (dir: string) =>
  fs
    .readdirSync(path.join(conformance, dir))
    .filter((f) => /\.(jsonld|xml)$/.test(f))
    .map((f) => path.join(conformance, dir, f));
const documents = [...documentsIn('epcis-examples'), ...documentsIn('epcis-hash')];

// Default settings: the horizon applies to our own systems, so GS1's 2005-2014 examples land.
const stages = new Stages();
const maxBytes = 1024 * 1024;
const suffix = crypto.randomBytes(3).toString('hex');
let api: RunningCaptureApi;
let base: string;
let pool: pg.Pool;
let r: Redis;
const token: Record<'producer' | 'other' | 'coordinator' | 'revoked', string> = {
  producer: '',
  other: '',
  coordinator: '',
  revoked: '',
};

interface Job {
  captureID: string;
  status: string;
  running: boolean;
  counts: { events: number; accepted: number; rejected: number; published: number };
  errors: { index: number; where: string; eventId?: string; reasons: { code: string; message: string }[] }[];
  events: { index: number; eventId: string; record?: string }[];
  failure?: string;
}

beforeAll(async () => {
  pool = createPool(config.databaseUrl);
  r = redis();
  await pipelineGroupsFree();
  stages.start(...stageNames);
  api = await startCaptureApi({ config, port: 0, maxBytes });
  base = `http://127.0.0.1:${api.port}`;
  token.producer = (await createToken(pool, { name: `it-producer-${suffix}`, role: 'producer' })).token;
  token.other = (await createToken(pool, { name: `it-other-${suffix}`, role: 'producer' })).token;
  token.coordinator = (
    await createToken(pool, { name: `it-coord-${suffix}`, role: 'recall_coordinator' })
  ).token;
  token.revoked = (await createToken(pool, { name: `it-revoked-${suffix}`, role: 'producer' })).token;
  await revokeToken(pool, `it-revoked-${suffix}`);
});

afterAll(async () => {
  await api?.stop();
  await stages.stopAll();
  for (const who of ['producer', 'other', 'coordinator']) await revokeToken(pool, `it-${who}-${suffix}`);
  await pool.end();
  r.disconnect();
});

const mediaType = (text: string) => (/^[\s\ufeff]*</.test(text) ? 'application/xml' : 'application/ld+json');

function post(
  body: string | Buffer,
  {
    bearer = token.producer,
    type = mediaType(String(body).slice(0, 64)),
    headers = {} as Record<string, string>,
  } = {},
): Promise<Response> {
  return fetch(`${base}/capture`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': type, ...headers },
    body,
  });
}

async function getJob(location: string, bearer = token.producer): Promise<Response> {
  return fetch(new URL(location, base), { headers: { authorization: `Bearer ${bearer}` } });
}

/** Posts a document and waits for its job to finish. */
async function capture(text: string, headers: Record<string, string> = {}): Promise<Job> {
  const res = await post(text, { headers });
  expect(res.status).toBe(202);
  const location = res.headers.get('location')!;
  expect(location).toMatch(/^\/capture\/[0-9a-f-]{36}$/);
  return waitFor(`capture job ${location}`, async () => {
    const job = (await (await getJob(location)).json()) as Job;
    return !job.running && job;
  });
}

/** Every published record landed (its lineage) or was dropped as a duplicate; returns which. */
async function accounted(records: string[]): Promise<Map<string, 'landed' | 'duplicate'>> {
  const prefix = await seenPrefix();
  return waitFor(`${records.length} raw records accounted for`, async () => {
    const landed = await pool.query<{ lineage: string }>(
      'SELECT lineage FROM ut.events WHERE lineage = ANY($1)',
      [records],
    );
    const out = new Map<string, 'landed' | 'duplicate'>(landed.rows.map((row) => [row.lineage, 'landed']));
    for (const record of records) {
      if (!out.has(record) && (await r.exists(`${prefix}dup:${record}`))) out.set(record, 'duplicate');
    }
    return out.size === records.length && out;
  });
}

async function countsOf(eventIds: string[]): Promise<Map<string, number>> {
  const rows = await pool.query<{ event_id: string; n: string }>(
    'SELECT event_id, count(*) AS n FROM ut.events WHERE event_id = ANY($1) GROUP BY event_id',
    [eventIds],
  );
  return new Map(rows.rows.map((row) => [row.event_id, Number(row.n)]));
}

const recordsOf = (job: Job) => job.events.map((e) => e.record!);

describe('capture → pipeline → PostgreSQL', () => {
  const published: { file: string; job: Job }[] = [];

  it('captures every conformance document whole and lands each of its events once', async () => {
    for (const file of documents) {
      const text = fs.readFileSync(file, 'utf8');
      const job = await capture(text);
      expect({ file: path.basename(file), status: job.status, errors: job.errors }).toEqual({
        file: path.basename(file),
        status: 'success',
        errors: [],
      });
      expect(job.events.map((e) => e.eventId)).toEqual(parseDocument(text).events.map(eventHash));
      expect(job.events.every((e) => /^ut\.raw\.epcis\.v1\/\d+\/\d+$/.test(e.record ?? ''))).toBe(true);
      published.push({ file, job });
    }
    const records = published.flatMap(({ job }) => recordsOf(job));
    await accounted(records);
    const ids = [...new Set(published.flatMap(({ job }) => job.events.map((e) => e.eventId)))];
    const counts = await countsOf(ids);
    expect(ids.filter((id) => counts.get(id) !== 1)).toEqual([]);
    // Documents: 9 GS1 examples + 23 hash vectors; every event of every one is in the ledger once.
    expect(published).toHaveLength(documents.length);
  });

  it('lands the same documents sent again, and in the other notation, once', async () => {
    const stems = documents
      .filter((f) => f.endsWith('.jsonld') && fs.existsSync(f.replace(/\.jsonld$/, '.xml')))
      .map((f) => f.replace(/\.jsonld$/, ''));
    expect(stems.length).toBeGreaterThanOrEqual(6);
    const again: Job[] = [];
    for (const stem of stems) {
      const asJson = await capture(fs.readFileSync(`${stem}.jsonld`, 'utf8'));
      const asXml = await capture(fs.readFileSync(`${stem}.xml`, 'utf8'));
      expect(asXml.events.map((e) => e.eventId)).toEqual(asJson.events.map((e) => e.eventId));
      again.push(asJson, asXml);
    }
    const outcome = await accounted(again.flatMap(recordsOf));
    expect([...outcome.values()].every((o) => o === 'duplicate')).toBe(true);
    const ids = [...new Set(again.flatMap((j) => j.events.map((e) => e.eventId)))];
    const counts = await countsOf(ids);
    expect(ids.filter((id) => counts.get(id) !== 1)).toEqual([]);
  });

  it('lands a new event once whether it comes as JSON-LD with an EPC URN or as XML with a Digital Link', async () => {
    const serial = `it${crypto.randomBytes(6).toString('hex')}`;
    const urn = `urn:epc:id:sgtin:4012345.011111.${serial}`;
    const eventTime = new Date(Date.now() - 60_000).toISOString();
    const json = objectEventDocument({
      epc: urn,
      eventTime,
      fields: { readPoint: { id: 'urn:epc:id:sgln:4012345.00001.0' }, 'ex:dock': '7' },
    });
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:ex="https://example.com/unitrail/" schemaVersion="2.0" creationDate="${eventTime}">
  <EPCISBody><EventList><ObjectEvent>
    <eventTime>${eventTime}</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
    <epcList><epc>${toDigitalLink(urn)}</epc></epcList>
    <action>OBSERVE</action><bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>
    <readPoint><id>urn:epc:id:sgln:4012345.00001.0</id></readPoint>
    <ex:dock>7</ex:dock>
  </ObjectEvent></EventList></EPCISBody>
</epcis:EPCISDocument>`;
    const first = await capture(json);
    const second = await capture(xml);
    expect(first.status).toBe('success');
    expect(second.status).toBe('success');
    const id = first.events[0]!.eventId;
    expect(second.events[0]!.eventId).toBe(id);
    const outcome = await accounted([...recordsOf(first), ...recordsOf(second)]);
    expect([...outcome.values()]).toEqual(['landed', 'duplicate']);
    expect(await countsOf([id])).toEqual(new Map([[id, 1]]));
    // The user extension travelled with the event (its namespace too) into the ledger.
    const row = await pool.query<{ record: { extensions: string | null; lineage: unknown } }>(
      'SELECT record FROM ut.events WHERE event_id = $1',
      [id],
    );
    expect(JSON.parse(row.rows[0]!.record.extensions!)).toMatchObject({
      '@context': { ex: 'https://example.com/unitrail/' },
      'ex:dock': '7',
    });
  });

  it('publishes the good events of a document with a bad one, and lists the bad one with its reasons', async () => {
    const tag = crypto.randomBytes(4).toString('hex');
    const eventTime = new Date(Date.now() - 60_000).toISOString();
    const event = (serial: string) => ({
      type: 'ObjectEvent',
      eventTime,
      eventTimeZoneOffset: '+00:00',
      epcList: [`urn:epc:id:sgtin:4012345.011111.${serial}`],
      action: 'OBSERVE',
    });
    const bad = { ...event(`${tag}x`), epcList: ['urn:epc:id:sgtin:4012345.011111'] };
    const text = JSON.stringify({
      '@context': 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: eventTime,
      epcisBody: { eventList: [event(`${tag}a`), bad, event(`${tag}b`), event(`${tag}c`)] },
    });
    const job = await capture(text);
    expect(job).toMatchObject({
      status: 'partial',
      counts: { events: 4, accepted: 3, rejected: 1, published: 3 },
      errors: [{ index: 1, where: '$.epcisBody.eventList[1]' }],
    });
    expect(job.errors[0]!.reasons[0]!.message).toMatch(/epcList\[0\]/);
    const outcome = await accounted(recordsOf(job));
    expect([...outcome.values()]).toEqual(['landed', 'landed', 'landed']);

    const rolledBack = await capture(text.replaceAll(tag, `${tag}r`), {
      'GS1-Capture-Error-Behaviour': 'rollback',
    });
    expect(rolledBack).toMatchObject({ status: 'failed', counts: { published: 0, rejected: 1 }, events: [] });
  });

  it('keeps jobs across a restart, and shows each producer only its own', async () => {
    const { job } = published[0]!;
    const restarted = await startCaptureApi({ config, port: 0 });
    try {
      const res = await fetch(`http://127.0.0.1:${restarted.port}/capture/${job.captureID}`, {
        headers: { authorization: `Bearer ${token.producer}` },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ captureID: job.captureID, status: 'success' });
    } finally {
      await restarted.stop();
    }
    expect((await getJob(`/capture/${job.captureID}`, token.other)).status).toBe(404);
    const list = (await (await getJob('/capture?limit=500')).json()) as { captureJobs: Job[] };
    expect(list.captureJobs.map((j) => j.captureID)).toContain(job.captureID);
    expect((await (await getJob('/capture', token.other)).json()) as unknown).toEqual({ captureJobs: [] });
  });
});

describe('capture API refusals', () => {
  const text = fs.readFileSync(path.join(conformance, 'epcis-hash/epcisDocWithSingleEvent.jsonld'), 'utf8');

  it('401 with WWW-Authenticate without a token, with an unknown or a revoked one', async () => {
    const none = await fetch(`${base}/capture`, {
      method: 'POST',
      headers: { 'content-type': 'application/ld+json' },
      body: text,
    });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await post(text, { bearer: 'ut_not-a-token' })).status).toBe(401);
    expect((await post(text, { bearer: token.revoked })).status).toBe(401);
    expect((await fetch(`${base}/capture`)).status).toBe(401);
  });

  it('403 for a token of another role', async () => {
    const res = await post(text, { bearer: token.coordinator });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { title: string }).title).toMatch(/recall_coordinator/);
  });

  it('413 above the size bound, declared or streamed', async () => {
    const big = Buffer.alloc(maxBytes + 1, ' ');
    expect((await post(big, { type: 'application/json' })).status).toBe(413);
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 4; i++) c.enqueue(new Uint8Array(maxBytes / 2).fill(32));
        c.close();
      },
    });
    const streamed = await fetch(`${base}/capture`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.producer}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it('400 naming the line of malformed XML and JSON, or the JSON path of a missing event list', async () => {
    const xml = await post(
      '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2">\n<EPCISBody>\n<EventList>\n</EPCISBody>',
    );
    expect(xml.status).toBe(400);
    expect(((await xml.json()) as { title: string }).title).toMatch(/line \d+/);
    const json = await post('{\n  "type": "EPCISDocument",\n  "epcisBody": { "eventList": [ } }');
    expect(json.status).toBe(400);
    const body = (await json.json()) as { title: string; reasons: { code: string }[] };
    expect(body.title).toMatch(/line 3/);
    expect(body.reasons[0]!.code).toBe('EPCIS_MALFORMED');
    const noList = await post(
      JSON.stringify({
        '@context': 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
        type: 'EPCISDocument',
        schemaVersion: '2.0',
        creationDate: '2025-06-01T10:00:00Z',
        epcisBody: {},
      }),
    );
    expect(noList.status).toBe(400);
    expect(((await noList.json()) as { title: string }).title).toMatch(/\$\.epcisBody/);
  });

  it('415 for another media type, 405 for another method, 404 for an unknown job', async () => {
    expect((await post(text, { type: 'text/plain' })).status).toBe(415);
    const del = await fetch(`${base}/capture`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token.producer}` },
    });
    expect(del.status).toBe(405);
    expect((await getJob('/capture/00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });

  it('serves /healthz and /metrics', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toMatchObject({
      status: 'ok',
      kafka: 'ok',
      database: 'ok',
    });
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(
      /unitrail_capture_requests_total\{route="\/capture",status="202"/,
    );
  });
});
