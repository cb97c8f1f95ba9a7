/**
 * Hostile input at the door, against the real capture API and ops API (issue 13 §1-§2): each
 * document is answered 400 with its reason code, no capture job is created for it (so nothing is
 * published and nothing can reach ut.events), and every ops API request - hostile ids included -
 * has its audit row.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import { config } from './helpers';
import { createPool } from '../libs/store';
import { createToken, revokeToken } from '../libs/tokens';
import { startCaptureApi, type RunningCaptureApi } from '../services/capture-api';
import { startOpsApi, type RunningOpsApi } from '../services/ops-api';

jest.setTimeout(120_000);

const tag = crypto.randomBytes(4).toString('hex');
const producer = `it-hostile-${tag}`;
// The ops API's reads are for warranty teams and coordinators, not capture clients (docs/access.md).
const warrantyTeam = `it-hostile-w-${tag}`;
let token = '';
let opsToken = '';
let pool: pg.Pool;
let capture: RunningCaptureApi;
let ops: RunningOpsApi;

beforeAll(async () => {
  pool = createPool(config.databaseUrl);
  token = (await createToken(pool, { name: producer, role: 'producer' })).token;
  opsToken = (await createToken(pool, { name: warrantyTeam, role: 'warranty' })).token;
  capture = await startCaptureApi({ config, port: 0 });
  ops = await startOpsApi({ config, port: 0 });
});

afterAll(async () => {
  await capture?.stop();
  await ops?.stop();
  await revokeToken(pool, producer);
  await revokeToken(pool, warrantyTeam);
  await pool.end();
});

const ctx = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';
const readPoint = `urn:epc:id:sgln:4012345.00001.${tag}`;
const event = (extra: Record<string, unknown> = {}) => ({
  type: 'ObjectEvent',
  eventTime: new Date(Date.now() - 60_000).toISOString(),
  eventTimeZoneOffset: '+00:00',
  epcList: [`urn:epc:id:sgtin:4012345.011111.${tag}`],
  action: 'OBSERVE',
  bizStep: 'shipping',
  readPoint: { id: readPoint },
  ...extra,
});
const json = (e: unknown) =>
  JSON.stringify({
    '@context': [ctx, { ex: 'https://example.com/ns/' }],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2025-06-01T10:00:00Z',
    epcisBody: { eventList: [e] },
  });
const xml = (inner: string) =>
  `<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:ex="https://example.com/ns/" schemaVersion="2.0" creationDate="2025-06-01T10:00:00Z">
  <EPCISBody><EventList><ObjectEvent>
    <eventTime>${new Date(Date.now() - 60_000).toISOString()}</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
    <epcList><epc>urn:epc:id:sgtin:4012345.011111.${tag}</epc></epcList><action>OBSERVE</action>
    <readPoint><id>${readPoint}</id></readPoint>${inner}
  </ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>`;

const deepJson = '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000);
const quantity = (q: number) => ({
  quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.011111.L1', quantity: q, uom: 'KGM' }],
});
const hostile: [string, string, string][] = [
  ['NUL in bizStep', json(event({ bizStep: 'ship\u0000ping' })), 'INPUT_TEXT_INVALID'],
  ['NUL in readPoint.id', json(event({ readPoint: { id: `${readPoint}\u0000` } })), 'INPUT_TEXT_INVALID'],
  ['NUL in bizLocation.id', json(event({ bizLocation: { id: `${readPoint}\u0000` } })), 'INPUT_TEXT_INVALID'],
  [
    'NUL in an EPC',
    json(event({ epcList: [`urn:epc:id:sgtin:4012345.011111.\u0000${tag}`] })),
    'INPUT_TEXT_INVALID',
  ],
  ['NUL in eventID', json(event({ eventID: `urn:uuid:\u0000${tag}` })), 'INPUT_TEXT_INVALID'],
  ['a lone \\ud800', json(event({ 'ex:note': 'X' })).replace('"X"', '"\\ud800"'), 'INPUT_TEXT_INVALID'],
  ['XML &#0;', xml('<ex:note>a&#0;b</ex:note>'), 'INPUT_TEXT_INVALID'],
  ['XML &#xD800;', xml('<ex:note>a&#xD800;b</ex:note>'), 'INPUT_TEXT_INVALID'],
  ['eventTime 0000-01-01', json(event({ eventTime: '0000-01-01T00:00:00Z' })), 'TIME_INVALID'],
  ['eventTime 0099-06-01', json(event({ eventTime: '0099-06-01T00:00:00Z' })), 'TIME_INVALID'],
  ['eventTime 2025-02-31', json(event({ eventTime: '2025-02-31T00:00:00Z' })), 'SCHEMA_VIOLATION'],
  [
    'eventTime 2025-02-31 in XML',
    xml('').replace(/<eventTime>[^<]*/, '<eventTime>2025-02-31T00:00:00Z'),
    'TIME_INVALID',
  ],
  ['a negative quantity', json(event(quantity(-5))), 'QUANTITY_NEGATIVE'],
  [
    'a 20,000-character identifier',
    json(event({ epcList: [`urn:example:${'x'.repeat(20_000)}`] })),
    'IDENTIFIER_TOO_LONG',
  ],
  [
    '5,000 nested objects',
    json(event({ 'ex:deep': 0 })).replace('"ex:deep":0', `"ex:deep":${deepJson}`),
    'INPUT_TOO_DEEP',
  ],
  ['50,000 nested XML tags', xml('<ex:d>'.repeat(50_000) + '</ex:d>'.repeat(50_000)), 'INPUT_TOO_DEEP'],
  [
    '100,000 EPCs in one event',
    json(
      event({ epcList: Array.from({ length: 100_000 }, (_, i) => `urn:epc:id:sgtin:4012345.011111.${i}`) }),
    ),
    'INPUT_TOO_LARGE',
  ],
  ['a GS1 schema violation', json(event({ action: 'LOOK' })), 'SCHEMA_VIOLATION'],
];

async function post(
  text: string,
): Promise<{ status: number; body: { title: string; reasons?: { code: string }[] } }> {
  const res = await fetch(`http://127.0.0.1:${capture.port}/capture`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': text.startsWith('<') ? 'application/xml' : 'application/ld+json',
    },
    body: text,
  });
  return { status: res.status, body: (await res.json()) as never };
}

describe('the capture API refuses hostile documents with 400 and the reason', () => {
  it.each(hostile)('%s', async (_what, text, code) => {
    const { status, body } = await post(text);
    expect(status).toBe(400);
    expect(body.reasons?.map((r) => r.code)).toContain(code);
    expect(body.title.length).toBeGreaterThan(10);
  });

  it('created no capture job for any of them, so nothing reached Kafka or ut.events', async () => {
    const res = await fetch(`http://127.0.0.1:${capture.port}/capture?limit=500`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await res.json()).toEqual({ captureJobs: [] });
    const { rows } = await pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM ut.events WHERE read_point LIKE $1 OR biz_location LIKE $1',
      [`%${tag}%`],
    );
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it('answers a capture id that is not text with 400, not 500', async () => {
    for (const id of ['%ud800', '%FF%FE', 'a%00b']) {
      const res = await fetch(`http://127.0.0.1:${capture.port}/capture/${id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(400);
    }
  });

  it('still takes a good document (the control)', async () => {
    const { status } = await post(json(event()));
    expect(status).toBe(202);
  });
});

describe('the ops API answers hostile ids with 400 and audits every request', () => {
  const ids = ['%ud800', '%ED%A0%80', '%FF%FE', 'a%00b'];

  it.each(ids)('GET /units/{id}/journey and /warranty/{id} with %s', async (id) => {
    for (const path of [`/units/${id}/journey`, `/warranty/${id}`]) {
      const res = await fetch(`http://127.0.0.1:${ops.port}${path}`, {
        headers: { authorization: `Bearer ${opsToken}` },
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { title: string }).title).toMatch(
        /the id .*(not percent-encoded UTF-8|NUL)/,
      );
    }
  });

  it('a NUL in a query parameter is 400, not 500', async () => {
    const res = await fetch(`http://127.0.0.1:${ops.port}/units/x/journey?gtin=%00`, {
      headers: { authorization: `Bearer ${opsToken}` },
    });
    expect(res.status).toBe(400);
  });

  it('wrote an audit row for each request, the id kept as it came', async () => {
    const { rows } = await pool.query<{ action: string; resource: string; status: number; detail: unknown }>(
      'SELECT action, resource, status, detail FROM ut.audit_log WHERE actor = $1 ORDER BY audit_id',
      [warrantyTeam],
    );
    expect(rows.filter((r) => r.status === 400)).toHaveLength(ids.length * 2 + 1);
    for (const id of ids) {
      expect(rows).toContainEqual(
        expect.objectContaining({ action: 'GET /units/{id}/journey', resource: id, status: 400 }),
      );
      expect(rows).toContainEqual(
        expect.objectContaining({ action: 'GET /warranty/{id}', resource: id, status: 400 }),
      );
    }
    expect(rows).toContainEqual(
      expect.objectContaining({ resource: 'x', status: 400, detail: { query: '?gtin=%00' } }),
    );
  });
});
