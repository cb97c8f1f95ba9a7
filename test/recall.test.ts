/**
 * A recall in the middle of a running demo, on the real stack (every stage its own process, the ops
 * API in this one): a lot is recalled while its pallets are on their way; the events that follow
 * land through the surge topic with the recall id, containers included; the report lists every
 * unit of the lot with the case, pallet and place the demo gave it; quarantine events reach the
 * ledger; the partner holding the goods is notified once, by alert and by a signed webhook; a move
 * after the quarantine raises a breach alert; a second warranty claim is flagged.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type Redis from 'ioredis';
import type pg from 'pg';
import { config, pipelineGroupsFree, randomSeed, redis, seenPrefix, Stages, waitFor } from './helpers';
import { createCodec } from '../libs/avro';
import { generateDemo, demoMasterdata, world, type DemoRecord } from '../libs/demo';
import { accountFor, produceRecords, rawEndOffsets } from '../libs/demo';
import { parseDocument } from '../libs/epcis';
import { toDigitalLink } from '../libs/gs1';
import { createKafka } from '../libs/kafka';
import type { MasterdataRecord } from '../libs/masterdata';
import { loadMasterdata } from '../libs/masterdata';
import { verifySignature } from '../libs/notify';
import type { Recall } from '../libs/recalls';
import type { RecallReport } from '../libs/recalls';
import { normalize, type MesUnitEvent, type WmsMovement } from '../libs/sources';
import { followCompacted, type CompactedView } from '../libs/state';
import { createPool } from '../libs/store';
import { createToken, revokeToken } from '../libs/tokens';
import { topics } from '../libs/topics';
import { stageNames } from '../services/stages';
import { createPublisher } from '../libs/sources';
import { startOpsApi, type RunningOpsApi } from '../services/ops-api';

jest.setTimeout(600_000);

const kafka = createKafka({ brokers: config.kafkaBrokers });
const codec = createCodec({ url: config.schemaRegistryUrl });
const suffix = crypto.randomBytes(3).toString('hex');
const stages = new Stages();
const secret = `whsec-${suffix}`;
const partnerId = 'it-recall-dc-partner';
let pool: pg.Pool;
let r: Redis;
let api: RunningOpsApi;
let base: string;
let receiver: http.Server;
const webhooks: { headers: http.IncomingHttpHeaders; body: string }[] = [];
const token = { coordinator: '', reader: '', producer: '' };

beforeAll(async () => {
  pool = createPool(config.databaseUrl);
  r = redis();
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      webhooks.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/notices`;
  // The DC is run by a distribution partner (site attribute `partner`); a second partner holds nothing.
  const masterdata: MasterdataRecord[] = [
    ...demoMasterdata().map((m) =>
      m.kind === 'site' && m.id === world.dcGln
        ? { ...m, attributes: { ...m.attributes, partner: partnerId } }
        : m,
    ),
    {
      kind: 'partner',
      id: partnerId,
      name: 'Chicago Distribution Co',
      attributes: { webhook: hook, webhookSecret: secret },
      deleted: false,
      updatedAt: Date.now(),
    },
    {
      kind: 'partner',
      id: 'it-recall-idle-partner',
      name: 'Idle Partner',
      attributes: { webhook: hook, webhookSecret: secret, glns: '4012345999994' },
      deleted: false,
      updatedAt: Date.now(),
    },
  ];
  await loadMasterdata(pool, kafka, codec, masterdata);
  await pipelineGroupsFree();
  stages.start(...stageNames);
  api = await startOpsApi({ config, port: 0, deliverOptions: { baseMs: 50, attempts: 3 } });
  base = `http://127.0.0.1:${api.port}`;
  token.coordinator = (
    await createToken(pool, { name: `it-recall-coord-${suffix}`, role: 'recall_coordinator' })
  ).token;
  token.reader = (await createToken(pool, { name: `it-recall-reader-${suffix}`, role: 'warranty' })).token;
  token.producer = (
    await createToken(pool, { name: `it-recall-producer-${suffix}`, role: 'producer' })
  ).token;
});

afterAll(async () => {
  await api?.stop();
  await stages.stopAll();
  await new Promise<void>((ok) => receiver?.close(() => ok()));
  for (const who of ['coord', 'reader', 'producer']) await revokeToken(pool, `it-recall-${who}-${suffix}`);
  await pool.end();
  r.disconnect();
});

const call = (method: string, path: string, body?: unknown, bearer = token.coordinator) =>
  fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

type Ranges = Awaited<ReturnType<typeof rawEndOffsets>>;
async function produceAndSettle(records: DemoRecord[], what: string): Promise<void> {
  const before: Ranges = await rawEndOffsets(kafka);
  await produceRecords(kafka, codec, records);
  const after = await rawEndOffsets(kafka);
  const prefix = await seenPrefix();
  await waitFor(what, async () => {
    const a = await accountFor(pool, r, before, after, prefix);
    return a.landed + a.duplicates + a.dlq >= a.produced;
  });
}

const lineage = { topic: '', partition: 0, offset: 0, schemaId: 0 };
const eventIdOf = (x: DemoRecord) => normalize(x.topic, x.value, { ...lineage, topic: x.topic }).eventId;

/** Alerts on ut.alerts.v1 about one recall, read from the beginning. */
async function alertsOf(recallId: string, until: (alerts: { kind: string }[]) => boolean) {
  const found: { kind: string; partner: string | null; eventId: string | null; alertId: string }[] = [];
  const consumer = kafka.consumer({ groupId: `ut.test.alerts.${crypto.randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.alerts.name, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const { value } = await codec.decode<(typeof found)[number] & { recallId: string | null }>(
        message.value,
      );
      if (value.recallId === recallId) found.push(value);
    },
  });
  try {
    await waitFor(`alerts of ${recallId}`, async () => until(found), { timeoutMs: 60_000 });
    await new Promise((ok) => setTimeout(ok, 2000)); // anything more that should not be there
    return found;
  } finally {
    await consumer.disconnect();
  }
}

describe('a recall in the middle of a running demo', () => {
  const seed = randomSeed();
  // 100 pallets of 13 records; lot k holds pallets 10k..10k+9, of three GTINs in turn.
  const records = generateDemo({ events: 1300, seed });
  const mes = (i: number) => records[i]!.value as MesUnitEvent;
  const palletOf = (i: number) => Math.floor(i / 13);
  const lot = mes(30 * 13).lot!;
  const gtin = mes(30 * 13).gtin;
  const recalledPallets = [30, 33, 36, 39];
  // Cut inside pallet 33: its units are packed and palletised, its shipment is still to come.
  const cut = 33 * 13 + 9;
  let recall: Recall;

  it('declares the recall while the lot is on its way, and the router follows within a second', async () => {
    expect(recalledPallets.every((p) => mes(p * 13).gtin === gtin && mes(p * 13).lot === lot)).toBe(true);
    await produceAndSettle(records.slice(0, cut), 'the first part of the stream to land');

    const view: CompactedView<Recall> = await followCompacted({
      kafka,
      codec,
      topic: topics.recalls.name,
      name: `recall-test-${suffix}`,
    });
    await view.ready;
    try {
      const reason = `integration test ${suffix}`;
      const sentAt = Date.now();
      // Watched from before the POST: the follower may see the record before the answer arrives.
      const seen = waitFor(
        'the recall on the followed topic',
        async () => (view.values().some((x) => x.reason === reason) ? Date.now() : undefined),
        { everyMs: 2 },
      );
      const res = await call('POST', '/recalls', { gtin, lots: [lot], reason });
      const answeredAt = Date.now();
      expect(res.status).toBe(201);
      const body = (await res.json()) as { recall: Recall; units: number };
      recall = body.recall;
      expect(body.units).toBe(2 * 24); // pallets 30 and 33 are in the store
      expect(recall.containers).toHaveLength(2 * 5); // 4 cases and a pallet each
      const seenAt = await seen;
      // Measured, not asserted (timings belong to benchmarks): the router's follower is the same code.
      process.stderr.write(
        `recall ${recall.recallId}: POST /recalls answered in ${answeredAt - sentAt} ms; a follower of ut.recalls.v1 had it ${seenAt - sentAt} ms after the POST was sent\n`,
      );
    } finally {
      await view.stop();
    }
    // Without a coordinator's token, no recall.
    expect((await call('POST', '/recalls', { gtin, lots: [lot], reason: 'x' }, token.reader)).status).toBe(
      403,
    );
    // Least privilege (docs/access.md): a producer's token captures events and reads nothing here.
    for (const path of [
      '/recalls',
      `/recalls/${recall.recallId}`,
      `/recalls/${recall.recallId}/report`,
      `/warranty/1?gtin=${gtin}`,
      `/units/urn:epc:id:sgtin:0614141.107346.1/journey`,
    ]) {
      expect([path, (await call('GET', path, undefined, token.producer)).status]).toEqual([path, 403]);
      expect((await call('GET', path, undefined, token.reader)).status).not.toBe(403);
    }
  });

  it('routes the later events of the lot and of its containers through the surge topic', async () => {
    // A live stream keeps cause before effect: units are packed before their pallet is built, and the
    // pallet built before it ships. The rest is sent in that order (the demo's event times say so).
    const rest = records.slice(cut).map((x, k) => ({ x, i: cut + k }));
    const phase = (ops: string[]) =>
      rest.filter(({ x }) => {
        const v = x.value as { operation?: string; movementType?: string };
        return ops.includes(v.operation ?? v.movementType ?? 'TMS');
      });
    const phases = [phase(['COMMISSION', 'PACK']), phase(['PALLETIZE']), phase(['SHIP', 'TMS', 'RECEIVE'])];
    expect(phases.flat()).toHaveLength(rest.length);
    for (const [n, p] of phases.entries()) {
      await produceAndSettle(
        p.map(({ x }) => x),
        `phase ${n + 1} of the rest to land`,
      );
    }
    const ids = rest.map(({ x, i }) => ({ id: eventIdOf(x), pallet: palletOf(i) }));
    const rows = await pool.query<{ event_id: string; recall_id: string | null }>(
      'SELECT event_id, recall_id FROM ut.events WHERE event_id = ANY($1::text[])',
      [ids.map((e) => e.id)],
    );
    const recallOf = new Map(rows.rows.map((x) => [x.event_id, x.recall_id]));
    expect(recallOf.size).toBe(ids.length);
    const surge = ids.filter((e) => recalledPallets.includes(e.pallet));
    expect(surge.length).toBe(4 + 2 * 13); // pallet 33's shipment, pallets 36 and 39 whole
    for (const e of ids) {
      expect([e.pallet, recallOf.get(e.id)]).toEqual([
        e.pallet,
        recalledPallets.includes(e.pallet) ? recall.recallId : null,
      ]);
    }
  });

  it('reports every unit of the lot with the case, pallet and place the demo gave it', async () => {
    // What the demo generated: each unit's case (PACK) and the case's pallet (PALLETIZE), received at the DC.
    const expected = new Map<string, { case: string; pallet: string }>();
    for (const p of recalledPallets) {
      const pallet = records[p * 13 + 8]!.value as WmsMovement;
      for (let c = 0; c < 4; c++) {
        const pack = mes(p * 13 + c * 2 + 1);
        expect(pack.operation).toBe('PACK');
        for (const serial of pack.serials) {
          expect(pallet.items).toContain(`(00)${pack.caseSscc}`);
          expected.set(toDigitalLink(`(01)${gtin}(21)${serial}`), {
            case: toDigitalLink(`(00)${pack.caseSscc}`),
            pallet: toDigitalLink(pallet.container!),
          });
        }
      }
    }
    const res = await call('GET', `/recalls/${recall.recallId}/report`, undefined, token.reader);
    expect(res.status).toBe(200);
    const report = (await res.json()) as RecallReport;
    expect(report.units.map((u) => u.unit).sort()).toEqual([...expected.keys()].sort());
    const dc = toDigitalLink(`(414)${world.dcGln}`);
    for (const u of report.units) {
      const want = expected.get(u.unit)!;
      expect({ unit: u.unit, containers: u.containers, location: u.location, lot: u.lot }).toEqual({
        unit: u.unit,
        containers: [want.case, want.pallet],
        location: dc,
        lot,
      });
      expect(u.custodian).toEqual({ kind: 'partner', id: partnerId, name: 'Chicago Distribution Co' });
      expect(u.status).toBe('delivered to a partner');
    }
    expect(report.bySite).toEqual([{ location: dc, name: 'Chicago DC', units: 96 }]);
    expect(report.byPartner).toEqual([{ partner: partnerId, name: 'Chicago Distribution Co', units: 96 }]);

    const epcis = await call(
      'GET',
      `/recalls/${recall.recallId}/report?format=epcis`,
      undefined,
      token.reader,
    );
    const doc = parseDocument(await epcis.text());
    expect(doc.events.flatMap((e) => e.epcList as string[]).sort()).toEqual([...expected.keys()].sort());
    const csv = await (await call('GET', `/recalls/${recall.recallId}/report?format=csv`)).text();
    expect(csv.trim().split('\n')).toHaveLength(97);
  });

  it('quarantines the units through the pipeline and notifies the partner once', async () => {
    const res = await call('POST', `/recalls/${recall.recallId}/quarantine`, {});
    expect(res.status).toBe(200);
    const outcome = (await res.json()) as {
      quarantine: { units: number; eventIds: string[] };
      notices: unknown[];
    };
    expect(outcome.quarantine.units).toBe(96);
    expect(outcome.notices).toEqual([{ partner: partnerId, units: 96, alert: 'sent', webhook: 'sent' }]);

    // Asked again, nobody is notified twice.
    const again = (await (await call('POST', `/recalls/${recall.recallId}/notify`)).json()) as {
      notices: unknown[];
    };
    expect(again.notices).toEqual([
      { partner: partnerId, units: 96, alert: 'already sent', webhook: 'already sent' },
    ]);
    const mine = webhooks.filter(
      (w) => w.headers['x-unitrail-delivery'] === `${recall.recallId}:${partnerId}`,
    );
    expect(mine).toHaveLength(1);
    expect(verifySignature(mine[0]!.body, secret, mine[0]!.headers['x-unitrail-signature'] as string)).toBe(
      true,
    );
    expect(JSON.parse(mine[0]!.body)).toMatchObject({ recallId: recall.recallId, unitCount: 96 });
    expect(webhooks.filter((w) => w.body.includes('it-recall-idle-partner'))).toHaveLength(0);

    // The quarantine events are in the ledger, in the recall, one per unit's place.
    const held = await waitFor('the quarantine events in the ledger', async () => {
      const q = await pool.query<{ units: string; events: string }>(
        `SELECT count(DISTINCT i.uri) AS units, count(DISTINCT e.event_id) AS events
           FROM ut.events e JOIN ut.event_identifiers i ON i.event_id = e.event_id AND i.event_time = e.event_time
          WHERE e.event_id = ANY($1::text[]) AND e.recall_id = $2 AND e.biz_step = 'holding' AND e.disposition = 'recalled'`,
        [outcome.quarantine.eventIds, recall.recallId],
      );
      return Number(q.rows[0]!.units) === 96 && q.rows[0];
    });
    expect(Number(held.events)).toBe(outcome.quarantine.eventIds.length);
    const report = (await (await call('GET', `/recalls/${recall.recallId}/report`)).json()) as RecallReport;
    expect(report.byStatus).toEqual({ quarantined: 96 });
  });

  it('raises a breach alert when a quarantined unit moves', async () => {
    const unit = toDigitalLink(`(01)${gtin}(21)${mes(30 * 13).serials[0]}`);
    const publisher = createPublisher({ kafka, codec });
    await publisher.connect();
    const event = {
      type: 'ObjectEvent',
      eventTime: new Date(Date.now() + 1000).toISOString(),
      eventTimeZoneOffset: '-06:00',
      epcList: [unit],
      action: 'OBSERVE',
      bizStep: 'shipping',
      disposition: 'in_transit',
      readPoint: { id: toDigitalLink(`(414)${world.dcGln}`) },
      bizLocation: { id: toDigitalLink(`(414)${world.dcGln}`) },
    };
    try {
      await publisher.publish([
        {
          key: unit,
          envelope: {
            captureId: `it-breach-${suffix}`,
            eventIndex: 0,
            documentFormat: 'json',
            event: JSON.stringify(event),
            namespaces: {},
            receivedAt: Date.now(),
            producer: 'it-partner',
          },
        },
      ]);
    } finally {
      await publisher.close();
    }
    const alerts = await alertsOf(recall.recallId, (a) => a.some((x) => x.kind === 'quarantine_breach'));
    expect(alerts.filter((a) => a.kind === 'quarantine_breach')).toHaveLength(1);
    expect(alerts.filter((a) => a.kind === 'partner_notice').map((a) => a.partner)).toEqual([partnerId]);
  });

  it('checks warranty claims and flags a second one with the first reference', async () => {
    const serial = mes(36 * 13).serials[2]!;
    const path = `/warranty/${encodeURIComponent(serial)}`;
    const first = await call('POST', `${path}/claims`, { gtin, claimRef: `C-${suffix}-1` }, token.reader);
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({
      genuine: true,
      claim: { duplicate: false, firstClaimRef: null },
    });
    const second = await call('POST', `${path}/claims`, { gtin, claimRef: `C-${suffix}-2` }, token.reader);
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ claim: { duplicate: true, firstClaimRef: `C-${suffix}-1` } });
    const check = (await (
      await call('GET', `${path}?gtin=${gtin}`, undefined, token.reader)
    ).json()) as Record<string, unknown>;
    expect(check).toMatchObject({
      exists: true,
      genuine: true,
      sold: false,
      recall: { recallId: recall.recallId },
      verdict: 'recalled',
    });
    expect((check.claims as unknown[]).length).toBe(2);
    const unknown = await call('GET', `/warranty/NOSUCH${suffix}?gtin=${gtin}`, undefined, token.reader);
    expect(await unknown.json()).toMatchObject({ exists: false, verdict: 'unknown_serial' });
  });

  it('closes the recall, and the audit log says who did what', async () => {
    const closed = (await (await call('POST', `/recalls/${recall.recallId}/close`)).json()) as Recall;
    expect(closed.status).toBe('closed');
    const list = (await (await call('GET', '/recalls?status=closed', undefined, token.reader)).json()) as {
      recalls: Recall[];
    };
    expect(list.recalls.map((x) => x.recallId)).toContain(recall.recallId);
    expect((await fetch(`${base}/recalls/${recall.recallId}`)).status).toBe(401);
    const audit = await pool.query<{ actor: string; action: string; status: number }>(
      'SELECT actor, action, status FROM ut.audit_log WHERE resource = $1 ORDER BY audit_id',
      [recall.recallId],
    );
    expect(audit.rows).toEqual(
      expect.arrayContaining([
        { actor: `it-recall-coord-${suffix}`, action: 'POST /recalls', status: 201 },
        { actor: `it-recall-reader-${suffix}`, action: 'GET /recalls/{id}/report', status: 200 },
        { actor: `it-recall-coord-${suffix}`, action: 'POST /recalls/{id}/quarantine', status: 200 },
        { actor: `it-recall-coord-${suffix}`, action: 'POST /recalls/{id}/close', status: 200 },
        { actor: 'anonymous', action: 'GET /recalls/{id}', status: 401 },
      ]),
    );
  });
});
