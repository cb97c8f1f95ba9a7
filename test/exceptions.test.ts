/**
 * Exception cases on the real stack (every stage its own process, the CLI as a person runs it):
 * each source opens its case exactly once, even when the cases stage is SIGKILLed mid-run and its
 * input replayed from where the test began; clean records open nothing; a damaged-label case is
 * walked through its playbook (photo, containment, re-scan) and closes, after a missing photo and
 * an early close were refused; the containment event is in the ledger and the directive on its
 * topic, and the goods' later move shows them arrived; a MISSING_SKU case is resolved by
 * `dlq replay` after master data is loaded; the history verifies and names a tampered entry.
 */
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import { config, pipelineGroupsFree, randomSeed, Stages, waitFor, wmsRecord } from './helpers';
import { createCodec } from '../libs/avro';
import { caseIdOf, type Alert, type FloorSignal, type WmsDirective } from '../libs/cases';
import { tinyPng } from '../libs/cases/testing';
import { demoMasterdata, generateDemo, world, type DemoRecord } from '../libs/demo';
import { produceRecords } from '../libs/demo';
import { gs1CheckDigit, toDigitalLink } from '../libs/gs1';
import { createKafka, withAdmin } from '../libs/kafka';
import { loadMasterdata } from '../libs/masterdata';
import { normalize, type WmsMovement } from '../libs/sources';
import { createPool } from '../libs/store';
import { topics } from '../libs/topics';
import { stageNames as pipelineStages } from '../services/stages';
import { cliEntry } from '../libs/supervisor';
import { cases as casesStage } from '../services/cases';
import { startOpsApi } from '../services/ops-api';
import { createToken, revokeToken } from '../libs/tokens';

jest.setTimeout(600_000);

const run = promisify(execFile);
const kafka = createKafka({ brokers: config.kafkaBrokers });
const codec = createCodec({ url: config.schemaRegistryUrl });
const tag = crypto.randomBytes(3).toString('hex').toUpperCase();
const stages = new Stages();
const HOLD = '4012345000993';
const withCheck = (d: string) => d + String(gs1CheckDigit(d));
const unknownGtin = withCheck(`0401234599${String(crypto.randomInt(100, 999))}`);
const sscc = (n: number) => withCheck(`3401234${String(crypto.randomInt(1e8, 1e9 - 1))}${n}`.slice(0, 17));
let pool: pg.Pool;
let startOffsets: Map<string, { partition: number; offset: string }[]>;

/** The CLI as a person runs it: exit code and its one line of output. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run(process.execPath, [cliEntry(), ...args], { env: process.env });
    return { code: 0, out: r.stdout.trim(), err: r.stderr.trim() };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout.trim(), err: x.stderr.trim() };
  }
}

const lineage = { topic: '', partition: 0, offset: 0, schemaId: 0 };
const eventIdOf = (r: DemoRecord) => normalize(r.topic, r.value, { ...lineage, topic: r.topic }).eventId;

const wms = (movementType: WmsMovement['movementType'], at: number, extra: Partial<WmsMovement>) =>
  wmsRecord(`X${tag}`, movementType, at, extra);

const unitUri = (serial: string) => toDigitalLink(`(01)${world.gtins[0]}(21)${serial}`);
const signal = (i: number, kind: 'DAMAGED_LABEL' | 'OTHER', serial: string): FloorSignal => ({
  signalId: `MES:S${tag}-${i}:EXCEPTION_REPORT:0`,
  kind: 'EXCEPTION_REPORT',
  sourceSystem: 'MES',
  sourceEventId: `S${tag}-${i}`,
  deviceId: world.devices[0]!,
  siteGln: world.plantGln,
  lineId: '1',
  operatorId: 'op-1',
  eventTime: Date.now() - 60_000,
  receivedAt: Date.now(),
  gtin: world.gtins[0]!,
  subject: unitUri(serial),
  verification: null,
  exception: {
    kind,
    subjectType: 'UNIT',
    subject: serial,
    text: `${kind} in test ${tag}`,
    operatorId: 'op-1',
  },
  sourceRef: `ut.raw.mes.v1:0:${i}`,
});
const alert = (a: Partial<Alert> & Pick<Alert, 'alertId' | 'kind'>): Alert => ({
  severity: 'warning',
  message: `${a.kind} in test ${tag}`,
  recallId: null,
  partner: null,
  eventId: null,
  createdAt: Date.now() - 30_000,
  payload: null,
  ...a,
});

async function produce(topic: string, values: { key: string; value: unknown }[]): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const messages = await Promise.all(
      values.map(async (v) => ({ key: v.key, value: await codec.encode(topic, v.value) })),
    );
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

const casesByKey = async (keys: string[]) =>
  (
    await pool.query<{ incident_key: string; case_id: string; kind: string; status: string }>(
      'SELECT incident_key, case_id, kind, status FROM ut.cases WHERE incident_key = ANY($1) ORDER BY incident_key',
      [keys],
    )
  ).rows;

const landed = async (eventId: string) =>
  ((await pool.query('SELECT 1 FROM ut.events WHERE event_id = $1', [eventId])).rowCount ?? 0) > 0;

// What the test produces, and the case each should open.
const [P1, P2, C1, C2, C3, C4] = [1, 2, 3, 4, 5, 6].map(sscc) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const t0 = Date.now() - 3600_000;
const palletize = [
  wms('PALLETIZE', t0, {
    container: `(00)${P1}`,
    items: [`(00)${C1}`, `(00)${C2}`],
    warehouseGln: world.plantGln,
  }),
  wms('PALLETIZE', t0, { container: `(00)${P2}`, items: [`(00)${C4}`], warehouseGln: world.plantGln }),
];
// The clerk also reports it: one incident from two sources, one case.
const mislabeledReceive = wms('RECEIVE', t0 + 600_000, {
  container: `(00)${P1}`,
  items: [`(00)${C1}`, `(00)${C3}`],
  exceptionReport: {
    kind: 'MISLABELED_PALLET',
    subjectType: 'PALLET',
    subject: `(00)${P1}`,
    text: 'cases on the pallet are not the ones on its label',
    operatorId: 'clerk-1',
  },
});
const cleanReceive = wms('RECEIVE', t0 + 600_000, { container: `(00)${P2}`, items: [`(00)${C4}`] });
const unknownSku = wms('PICK', t0 + 700_000, { items: [`(01)${unknownGtin}(21)${tag}U1`] });
const signals = [signal(1, 'DAMAGED_LABEL', `${tag}D1`), signal(2, 'OTHER', `${tag}D2`)];
const episode = `device:${world.devices[1]}:print_grade:${t0}`;
const alerts = [
  alert({
    alertId: `quarantine_breach:R-${tag}:e1`,
    kind: 'quarantine_breach',
    payload: JSON.stringify({ identifiers: [unitUri(`${tag}Q1`)] }),
  }),
  alert({
    alertId: episode,
    kind: 'device_degrading',
    payload: JSON.stringify({
      device: world.devices[1],
      site: world.plantGln,
      metric: 'print_grade',
      value: 2.1,
      baseline: 3.7,
      since: t0,
      episodeId: episode,
    }),
  }),
];
const clean = generateDemo({ events: 26, seed: randomSeed() });

const expected = {
  damaged: `signal:${signals[0]!.signalId}`,
  other: `signal:${signals[1]!.signalId}`,
  breach: `alert:${alerts[0]!.alertId}`,
  device: `device:${episode}`,
  mislabeled: `mislabeled:${toDigitalLink(`(00)${P1}`)}`,
  missingSku: `missing_sku:${eventIdOf(unknownSku)}`,
};
const expectedKeys = Object.values(expected);

beforeAll(async () => {
  pool = createPool(config.databaseUrl);
  // The demo's master data holds the playbooks' hold zone (HOLD) already.
  const md = demoMasterdata().filter((m) => m.kind !== 'product' || m.id !== unknownGtin);
  expect(md.some((m) => m.kind === 'site' && m.id === HOLD)).toBe(true);
  await loadMasterdata(pool, kafka, codec, md);
  startOffsets = new Map();
  for (const topic of casesStage.inputs) {
    startOffsets.set(
      topic,
      (await withAdmin(kafka, (a) => a.fetchTopicOffsets(topic))).map((p) => ({
        partition: p.partition,
        offset: p.offset,
      })),
    );
  }
  await pipelineGroupsFree();
  stages.start(...pipelineStages);
});

afterAll(async () => {
  await stages.stopAll();
  await pool?.end();
});

describe('exception cases', () => {
  it('opens one case per incident from every source, through a SIGKILL and a replay, and none for clean records', async () => {
    // The pallets first, so that their contents are known when they are received.
    await produceRecords(kafka, codec, [...palletize, ...clean]);
    await waitFor(
      'the palletising to land',
      async () => (await landed(eventIdOf(palletize[0]!))) && landed(eventIdOf(palletize[1]!)),
    );
    await produceRecords(kafka, codec, [mislabeledReceive, cleanReceive, unknownSku]);
    await produce(
      topics.signals.name,
      signals.map((s) => ({ key: s.deviceId, value: s })),
    );
    await produce(
      topics.alerts.name,
      alerts.map((a) => ({ key: a.alertId, value: a })),
    );
    // Killed while it may be in the middle of a batch, then started again.
    await stages.signal('cases', 'SIGKILL');
    stages.start('cases');
    // The same records sent again (a producer's retry): still one case each.
    await produce(
      topics.signals.name,
      signals.map((s) => ({ key: s.deviceId, value: s })),
    );
    await produce(
      topics.alerts.name,
      alerts.map((a) => ({ key: a.alertId, value: a })),
    );
    await waitFor(
      'a case from every source',
      async () => (await casesByKey(expectedKeys)).length === expectedKeys.length,
    );

    // Replay the stage's whole input since the test began: nothing opens twice.
    await stages.signal('cases', 'SIGTERM');
    for (const [topic, partitions] of startOffsets)
      await withAdmin(kafka, (a) => a.setOffsets({ groupId: 'ut.cases', topic, partitions }));
    stages.start('cases');
    const cleared = alert({
      alertId: `${episode}:cleared`,
      kind: 'device_cleared',
      payload: JSON.stringify({ episodeId: episode }),
    });
    await produce(topics.alerts.name, [{ key: cleared.alertId, value: cleared }]);
    await waitFor('the device episode cleared note (after the replay)', async () => {
      const r = await pool.query(
        "SELECT 1 FROM ut.case_history WHERE case_id = $1 AND action = 'device_cleared'",
        [caseIdOf(expected.device)],
      );
      return (r.rowCount ?? 0) > 0;
    });
    const rows = await casesByKey(expectedKeys);
    expect(rows.map((r) => [r.incident_key, r.kind])).toEqual(
      [
        [expected.damaged, 'DAMAGED_LABEL'],
        [expected.other, 'OTHER'],
        [expected.breach, 'QUARANTINE_BREACH'],
        [expected.device, 'DEVICE_FAULT'],
        [expected.mislabeled, 'MISLABELED_PALLET'],
        [expected.missingSku, 'MISSING_SKU'],
      ].sort((a, b) => a[0]!.localeCompare(b[0]!)),
    );
    // One 'opened' entry per case, one cleared note and one corroboration despite the replay.
    const opened = await pool.query<{ case_id: string; action: string; n: string }>(
      "SELECT case_id, action, count(*) AS n FROM ut.case_history WHERE case_id = ANY($1) AND action IN ('opened', 'device_cleared', 'corroborated') GROUP BY case_id, action",
      [rows.map((r) => r.case_id)],
    );
    expect(opened.rows.every((r) => r.n === '1')).toBe(true);
    // The report and the receiving's mismatch: the second source is on the case, not a case of its own.
    expect(
      opened.rows
        .filter((r) => r.action === 'corroborated')
        .map((r) => r.case_id)
        .sort(),
    ).toEqual([caseIdOf(expected.mislabeled)]);
    const mislabeledSources = await pool.query<{ source: string }>(
      `SELECT entry::jsonb -> 'detail' ->> 'source' AS source FROM ut.case_history
        WHERE case_id = $1 AND action IN ('opened', 'corroborated') ORDER BY source`,
      [caseIdOf(expected.mislabeled)],
    );
    expect(mislabeledSources.rows.map((r) => r.source)).toEqual(['journey', 'signal']);
    // Nothing for the clean demo records or the pallet received as it was packed.
    const cleanIds = [...clean.map(eventIdOf), eventIdOf(cleanReceive), ...palletize.map(eventIdOf)];
    const stray = await pool.query(
      'SELECT case_id FROM ut.cases WHERE source_ref = ANY($1) OR event_id = ANY($1) OR incident_key = ANY($2)',
      [cleanIds, [`mislabeled:${toDigitalLink(`(00)${P2}`)}`]],
    );
    expect(stray.rows).toEqual([]);
    const mis = await pool.query('SELECT detail FROM ut.cases WHERE incident_key = $1', [
      expected.mislabeled,
    ]);
    expect(mis.rows[0].detail).toMatchObject({
      missing: [toDigitalLink(`(00)${C2}`)],
      unexpected: [toDigitalLink(`(00)${C3}`)],
    });
  });

  it('walks a damaged-label case through its playbook with the CLI: refusals, photo, containment, re-scan, arrival, close', async () => {
    const id = caseIdOf(expected.damaged);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cases-'));
    const photo = path.join(dir, 'label.png');
    fs.writeFileSync(photo, tinyPng(64, 48));
    const notPhoto = path.join(dir, 'label.jpg');
    fs.writeFileSync(notPhoto, 'this is text, not a JPEG');

    const early = await cli('exceptions', 'close', id);
    expect(early.code).not.toBe(0);
    expect(early.err).toBe(
      `unitrail exceptions close: case ${id} cannot close: required step 'photo_label' (Photograph the damaged label) has no photo evidence yet`,
    );
    const noPhoto = await cli('exceptions', 'step', id, 'photo_label');
    expect(noPhoto.code).not.toBe(0);
    expect(noPhoto.err).toMatch(/step 'photo_label' \(Photograph the damaged label\) needs photo evidence/);
    const bad = await cli('exceptions', 'evidence', id, notPhoto);
    expect([bad.code, bad.err]).toEqual([
      2,
      'unitrail exceptions evidence: the photo is not a JPEG or PNG (checked by its content)',
    ]);

    expect((await cli('exceptions', 'step', id, 'photo_label', '--photo', photo)).code).toBe(0);
    const contained = await cli('exceptions', 'step', id, 'contain');
    expect(contained.out).toMatch(new RegExp(`directive ${id}:\\d+ sent: move to ${HOLD}`));
    const before = await cli('exceptions', 'close', id);
    expect(before.err).toMatch(/required step 'rescan' .* has no re-scan yet$/);
    expect(
      (await cli('exceptions', 'step', id, 'rescan', '--code', `(01)${world.gtins[0]}(21)${tag}D1`)).code,
    ).toBe(0);

    // The containment event reached the ledger through the pipeline; the directive is on its topic.
    const view = JSON.parse((await cli('exceptions', 'show', id, '--json')).out);
    const step = view.history.find((h: { step: string }) => h.step === 'contain');
    const eventId: string = step.detail.containment.eventId;
    await waitFor('the containment event in the ledger', () => landed(eventId));
    const ledger = await pool.query('SELECT biz_step, disposition FROM ut.events WHERE event_id = $1', [
      eventId,
    ]);
    expect(ledger.rows[0]).toEqual({ biz_step: 'holding', disposition: 'non_sellable_other' });
    const directive = await directiveOn(step.detail.containment.directive.directiveId);
    expect(directive).toMatchObject({ caseId: id, units: [unitUri(`${tag}D1`)], containers: [], to: HOLD });
    expect(view.directives[0].items).toEqual([{ id: unitUri(`${tag}D1`), arrived: false, location: null }]);

    // The WMS moves the unit to the hold: the case shows it arrived.
    const move = wms('PUTAWAY', Date.now() + 1000, {
      warehouseGln: HOLD,
      items: [`(01)${world.gtins[0]}(21)${tag}D1`],
    });
    await produceRecords(kafka, codec, [move]);
    await waitFor('the unit to arrive at the hold', async () => {
      const v = JSON.parse((await cli('exceptions', 'show', id, '--json')).out);
      return v.directives[0].items[0].arrived === true;
    });
    expect((await cli('exceptions', 'show', id)).out).toMatch(/arrived +https:\/\/id\.gs1\.org\/01\//);

    const closed = await cli('exceptions', 'close', id, '--note', 'relabelled');
    expect([closed.code, closed.out]).toEqual([0, `${id}: closed`]);
    const row = await pool.query('SELECT status, closed_by FROM ut.cases WHERE case_id = $1', [id]);
    expect(row.rows[0].status).toBe('closed');
  });

  it('keeps the history append-only and tamper-evident', async () => {
    const id = caseIdOf(expected.damaged);
    expect((await cli('exceptions', 'verify', id)).out).toMatch(
      /^case history intact: \d+ entries in 1 cases; chain over all cases at entry \d+, [0-9a-f]{64}$/,
    );
    await expect(
      pool.query("UPDATE ut.case_history SET actor = 'x' WHERE case_id = $1", [id]),
    ).rejects.toThrow(/append-only/);
    await expect(pool.query('DELETE FROM ut.case_history WHERE case_id = $1', [id])).rejects.toThrow(
      /append-only/,
    );
    const client = await pool.connect();
    try {
      // Someone with the owner's rights switches the trigger off and rewrites entry 2; then puts it back.
      await client.query('BEGIN');
      await client.query('ALTER TABLE ut.case_history DISABLE TRIGGER refuse_update_delete');
      await client.query(
        'UPDATE ut.case_history SET entry = replace(entry, \'"evidence"\', \'"evidenc3"\') WHERE case_id = $1 AND seq = 2',
        [id],
      );
      await client.query('COMMIT');
      const tampered = await cli('exceptions', 'verify', id);
      expect([tampered.code, tampered.out]).toEqual([
        1,
        `case history TAMPERED: case ${id} entry 2: its hash does not match its text`,
      ]);
    } finally {
      await client.query(
        'UPDATE ut.case_history SET entry = replace(entry, \'"evidenc3"\', \'"evidence"\') WHERE case_id = $1 AND seq = 2',
        [id],
      );
      await client.query('ALTER TABLE ut.case_history ENABLE TRIGGER refuse_update_delete');
      client.release();
    }
    expect((await cli('exceptions', 'verify', id)).code).toBe(0);
  });

  it('notices a whole case deleted (its row and its history) by the chain over all cases', async () => {
    const gone = caseIdOf(expected.other);
    const intact = await cli('exceptions', 'verify');
    expect(intact.code).toBe(0);
    const client = await pool.connect();
    try {
      // Someone with the owner's rights deletes the case outright, keeping a copy to put back.
      await client.query('CREATE TEMP TABLE kept_case AS SELECT * FROM ut.cases WHERE case_id = $1', [gone]);
      await client.query(
        'CREATE TEMP TABLE kept_history AS SELECT * FROM ut.case_history WHERE case_id = $1',
        [gone],
      );
      const first = await client.query<{ gseq: string }>('SELECT min(gseq) AS gseq FROM kept_history');
      await client.query('BEGIN');
      await client.query('ALTER TABLE ut.case_history DISABLE TRIGGER refuse_update_delete');
      await client.query('DELETE FROM ut.case_history WHERE case_id = $1', [gone]);
      await client.query('DELETE FROM ut.cases WHERE case_id = $1', [gone]);
      await client.query('ALTER TABLE ut.case_history ENABLE TRIGGER refuse_update_delete');
      await client.query('COMMIT');
      // Its own chain is gone with it: only the chain over all cases can tell, at the entry after the gap.
      const after = (
        await client.query<{ case_id: string; seq: number; gseq: string }>(
          'SELECT case_id, seq, gseq FROM ut.case_history WHERE gseq > $1 ORDER BY gseq LIMIT 1',
          [first.rows[0]!.gseq],
        )
      ).rows[0]!;
      const tampered = await cli('exceptions', 'verify');
      expect([tampered.code, tampered.out]).toEqual([
        1,
        `case history TAMPERED: case ${after.case_id} entry ${after.seq}: entry ${first.rows[0]!.gseq} of the chain over all cases is missing (found ${after.gseq}): a case or an entry was deleted`,
      ]);
    } finally {
      await client.query('INSERT INTO ut.cases SELECT * FROM kept_case ON CONFLICT DO NOTHING');
      await client.query('INSERT INTO ut.case_history SELECT * FROM kept_history ON CONFLICT DO NOTHING');
      client.release();
    }
    expect((await cli('exceptions', 'verify')).code).toBe(0);
  });

  it('resolves the MISSING_SKU case when the record replayed after the master data load passes', async () => {
    const id = caseIdOf(expected.missingSku);
    const dlq = await pool.query('SELECT source_ref FROM ut.cases WHERE case_id = $1', [id]);
    expect(dlq.rows[0].source_ref).toMatch(/^validator\//);
    await loadMasterdata(pool, kafka, codec, [
      {
        kind: 'product',
        id: unknownGtin,
        name: 'Late product',
        attributes: {},
        deleted: false,
        updatedAt: Date.now(),
      },
    ]);
    // The validator applies master data from its compacted topic: replay until the record passes
    // (a replay that came too early fails again and joins the same case).
    await waitFor(
      'the case to be resolved by the replay',
      async () => {
        await cli('dlq', 'replay', '--reason', 'UNKNOWN_GTIN', '--source', 'WMS', '--since', '15m');
        return (await casesByKey([expected.missingSku]))[0]!.status === 'resolved';
      },
      { everyMs: 8000 },
    );
    const view = JSON.parse((await cli('exceptions', 'show', id, '--json')).out);
    expect(view.steps.find((s: { id: string }) => s.id === 'replay_passed').done).toMatchObject({
      actor: 'cases-stage',
    });
    expect(await casesByKey([expected.missingSku])).toHaveLength(1);
  });
});

describe('the ops API', () => {
  it('opens, refuses and takes evidence with the roles and statuses of docs/exceptions.md', async () => {
    const api = await startOpsApi({ config, port: 0 });
    const names = { quality: `it-cases-quality-${tag}`, viewer: `it-cases-viewer-${tag}` };
    const quality = (await createToken(pool, { name: names.quality, role: 'quality' })).token;
    const viewer = (await createToken(pool, { name: names.viewer, role: 'viewer' })).token;
    const call = (method: string, p: string, bearer: string, body?: unknown, type = 'application/json') =>
      fetch(`http://127.0.0.1:${api.port}${p}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, 'content-type': type },
        body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body),
      });
    try {
      const refused = await call('POST', '/cases', viewer, { kind: 'OTHER', title: 'x' });
      expect(refused.status).toBe(403);
      const opened = await call('POST', '/cases', quality, {
        kind: 'OTHER',
        title: `api ${tag}`,
        key: `api-${tag}`,
      });
      expect(opened.status).toBe(201);
      const { caseId } = (await opened.json()) as { caseId: string };
      expect(
        (await call('POST', '/cases', quality, { kind: 'OTHER', title: 'again', key: `api-${tag}` })).status,
      ).toBe(200);
      const notPhoto = await call(
        'POST',
        `/cases/${caseId}/evidence`,
        quality,
        Buffer.from('GIF89a not a photo'),
        'image/png',
      );
      expect([notPhoto.status, ((await notPhoto.json()) as { title: string }).title]).toEqual([
        400,
        'the photo is not a JPEG or PNG (checked by its content)',
      ]);
      const early = await call('POST', `/cases/${caseId}/close`, quality, {});
      expect(early.status).toBe(409);
      expect(((await early.json()) as { title: string }).title).toMatch(/required step 'describe'/);
      const photo = await call('POST', `/cases/${caseId}/evidence`, quality, tinyPng(5, 5), 'image/png');
      expect(photo.status).toBe(201);
      const { sha256 } = (await photo.json()) as { sha256: string };
      expect((await call('GET', `/cases/evidence/${sha256}`, viewer)).headers.get('content-type')).toBe(
        'image/png',
      );
      expect(
        (await call('POST', `/cases/${caseId}/steps`, quality, { step: 'describe', value: 'wrap torn' }))
          .status,
      ).toBe(201);
      expect((await call('POST', `/cases/${caseId}/close`, quality, {})).status).toBe(200);
      const view = (await (await call('GET', `/cases/${caseId}`, viewer)).json()) as {
        case: { status: string };
      };
      expect(view.case.status).toBe('closed');
      expect((await call('GET', '/cases/C-0000000000', viewer)).status).toBe(404);
    } finally {
      for (const n of Object.values(names)) await revokeToken(pool, n);
      await api.stop();
    }
  });
});

/** A directive on ut.wms.directives.v1, read from the beginning. */
async function directiveOn(directiveId: string): Promise<WmsDirective> {
  const consumer = kafka.consumer({ groupId: `ut.test.directives.${crypto.randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.wmsDirectives.name, fromBeginning: true });
  let found: WmsDirective | undefined;
  await consumer.run({
    eachMessage: async ({ message }) => {
      const { value } = await codec.decode<WmsDirective>(message.value!);
      if (value.directiveId === directiveId) found = value;
    },
  });
  try {
    return await waitFor('the directive on its topic', async () => found);
  } finally {
    await consumer.disconnect();
  }
}
