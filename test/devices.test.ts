/**
 * Device health on the real stack (issue 9 §2): a floor demo with a degrading printer, a scanner
 * losing reads and a drifting truck clock goes through the validator and device-health; the
 * device-health process is SIGKILLed twice mid-run (once right after an alert was produced and
 * stored, before its offsets were committed; once at a random moment) and restarted. Exactly
 * one alert per injected fault comes out, none for the healthy devices, and the state and
 * episodes are in PostgreSQL (a database of this test's own); the ops API lists and acks them.
 * The stage's history per bucket (ut.device_health_history) counts every record once across the
 * SIGKILLs, and a replay of the whole input leaves it as it was.
 */
import crypto from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { createCodec } from '../libs/avro';
import { demoMasterdata } from '../libs/demo';
import { produceRecords } from '../libs/demo';
import { listDevices } from '../libs/devices';
import { createKafka, startGroupsAtEnd, withAdmin, type PartitionOffsets } from '../libs/kafka';
import { loadMasterdata } from '../libs/masterdata';
import { groupOffsets } from '../libs/stats';
import { createToken } from '../libs/tokens';
import { rawTopics, topics } from '../libs/topics';
import { startOpsApi, type RunningOpsApi } from '../services/ops-api';
import { stageGroups } from '../services/stages';
import {
  config,
  defaultFaultEpisodes,
  floorFaultDemo,
  freshDatabase,
  Stages,
  storedDetection,
  waitFor,
} from './helpers';

jest.setTimeout(900_000);

const kafka = createKafka({ brokers: config.kafkaBrokers });
const codec = createCodec({ url: config.schemaRegistryUrl });
const group = 'ut.device-health';
// Every input (ut.devices.clock.v1 too: what fused runs left there is not this test's).
const inputs = stageGroups[group]!;
const seed = crypto.randomInt(1, 2 ** 31 - 1);
// The truck's records reach the stage out of broker-time order (two stages of partitions read batch
// by batch): its drift is flagged only if late records are told from a replay (libs/devices/detect.ts).
const { records, report } = floorFaultDemo(seed);

let db: Awaited<ReturnType<typeof freshDatabase>>;
let api: RunningOpsApi | undefined;
const stages = new Stages();
let health: Stages;
const alertsFrom = new Map<number, number>();
/** Where this test's records begin on each input: the group's start, and a replay's. */
const inputsFrom = new Map<string, PartitionOffsets>();

/**
 * The groups start where the topics end now: only this test's records reach its state (the
 * validator's too: on a stack where it never ran, it would start at the raw topics' first offsets
 * and hand device-health every floor demo that other tests and the fused pipeline left there).
 */
async function groupAtTheEnd(): Promise<void> {
  const set = await startGroupsAtEnd(kafka, { [group]: inputs, 'ut.validator': rawTopics });
  for (const [topic, from] of set.get(group)!) inputsFrom.set(topic, from);
  await withAdmin(kafka, async (admin) => {
    for (const p of await admin.fetchTopicOffsets(topics.alerts.name))
      alertsFrom.set(p.partition, Number(p.high));
  });
}

async function alertsOnTheTopic(): Promise<
  { alertId: string; kind: string; payload: Record<string, unknown> }[]
> {
  const consumer = kafka.consumer({ groupId: `it-devices-${seed}-${Date.now()}` });
  const out: { alertId: string; kind: string; payload: Record<string, unknown> }[] = [];
  const end = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(topics.alerts.name));
  const want = end.reduce((n, p) => n + Number(p.high) - (alertsFrom.get(p.partition) ?? 0), 0);
  await consumer.connect();
  await consumer.subscribe({ topic: topics.alerts.name, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      if (Number(message.offset) < (alertsFrom.get(partition) ?? 0)) return;
      const { value } = await codec.decode<{ alertId: string; kind: string; payload: string | null }>(
        message.value,
      );
      if (value.kind.startsWith('device_'))
        out.push({ ...value, payload: JSON.parse(value.payload ?? '{}') });
      else out.push({ ...value, payload: {} });
    },
  });
  await waitFor('the alerts topic read to its end', async () => out.length >= want, { timeoutMs: 60_000 });
  await consumer.disconnect();
  return out.filter((a) => a.kind.startsWith('device_'));
}

beforeAll(async () => {
  db = await freshDatabase('devices');
  await loadMasterdata(db.pool, kafka, codec, demoMasterdata());
  await groupAtTheEnd();
  health = new Stages({
    DATABASE_URL: db.url,
    UNITRAIL_FAULT: 'device-health:after-produce:40',
    BATCH_SIZE: '200',
  });
});

afterAll(async () => {
  await api?.stop();
  await stages.stopAll();
  await health?.stopAll();
  await db?.drop();
});

describe('device health on the stack', () => {
  it('flags each injected fault once, across two SIGKILLs of the stage, and nothing else', async () => {
    stages.start('validator');
    health.start('device-health');
    const first = health.children.get('device-health') as ChildProcess;
    const killedAtFault = new Promise<string | null>((res) =>
      first.once('exit', (_c, signal) => res(signal)),
    );
    await produceRecords(kafka, codec, records);

    // The fault point: SIGKILL after batch 40's alerts were produced and its state stored, before its commit.
    expect(await killedAtFault).toBe('SIGKILL');
    health.children.delete('device-health');
    const again = new Stages({ DATABASE_URL: db.url, BATCH_SIZE: '200' });
    again.start('device-health');
    // And once more at a moment of the box's choosing, while it works.
    await new Promise((r) => setTimeout(r, 4000));
    await again.signal('device-health', 'SIGKILL');
    again.start('device-health');
    health = again;

    await waitFor(
      'device-health to catch up',
      async () => {
        const lag = await withAdmin(kafka, (admin) =>
          groupOffsets(admin, {
            [group]: inputs,
            'ut.validator': [topics.rawMes.name, topics.rawWms.name, topics.rawTms.name],
          }),
        );
        return lag[group]!.lag === 0 && lag['ut.validator']!.lag === 0;
      },
      { timeoutMs: 600_000, everyMs: 2000 },
    );

    const raised = (await alertsOnTheTopic()).filter((a) => a.kind !== 'device_cleared');
    const episodes = [...new Set(raised.map((a) => a.alertId))];
    const { stored, figures, kinds } = await storedDetection(db.pool, records, report);
    process.stderr.write(`devices: seed ${seed} ${JSON.stringify(figures)}\n`);

    // One episode per fault, of the right kind, on the right device; none on a healthy device.
    expect(kinds).toEqual(defaultFaultEpisodes);
    expect(episodes.sort()).toEqual(stored.map((a) => a.alertId).sort());
    expect(figures.missed).toBe(0);
    expect(figures.falseAlarms).toEqual([]);
    for (const a of raised) {
      expect(a.payload).toMatchObject({
        device: expect.any(String),
        site: expect.stringMatching(/^\d{13}$/),
        metric: expect.any(String),
        value: expect.any(Number),
        baseline: expect.any(Number),
        since: expect.any(Number),
        episodeId: a.alertId,
        atRecord: expect.any(String),
        readTo: expect.any(String),
      });
    }

    const devices = await listDevices(db.pool);
    const healthOf = Object.fromEntries(devices.map((d) => [d.device, d.health]));
    expect(healthOf).toMatchObject({
      'line-1-printer': 'degrading',
      'line-2-printer': 'ok',
      'wms-scanner-7': 'ok',
      'wms-scanner-9': 'degrading',
      'truck-42': 'drifting',
    });
  });

  it('keeps a history that counts each record once, and a replay of the input leaves it as it was', async () => {
    const history = async () =>
      (await db.pool.query('SELECT * FROM ut.device_health_history ORDER BY device, bucket_start')).rows;
    const before = await history();
    expect(before.length).toBeGreaterThan(0);
    // Across the two SIGKILLs (one after a batch was stored, before its offsets were committed) each
    // record counted once: the history's sums are the state's own counts.
    const counts = await db.pool.query<{ device: string; counts: Record<string, number> }>(
      `SELECT device, state->'counts' AS counts FROM ut.device_health`,
    );
    for (const { device, counts: c } of counts.rows) {
      const mine = before.filter((b) => b.device === device);
      const sum = (k: string) => mine.reduce((a, b) => a + Number(b[k]), 0);
      expect({
        device,
        v: sum('verifications'),
        n: sum('no_reads'),
        g: sum('graded'),
        e: sum('events'),
      }).toEqual({
        device,
        v: c.verifications,
        n: c.noReads,
        g: c.graded,
        e: c.events,
      });
    }
    // Replay: the group goes back to this test's first records and the stage reads them all again.
    await health.signal('device-health', 'SIGTERM');
    await withAdmin(kafka, async (admin) => {
      for (const [topic, partitions] of inputsFrom)
        await admin.setOffsets({ groupId: group, topic, partitions });
    });
    health.start('device-health');
    await waitFor(
      'device-health to read its input again',
      async () => {
        const lag = await withAdmin(kafka, (admin) => groupOffsets(admin, { [group]: inputs }));
        return lag[group]!.lag === 0;
      },
      { timeoutMs: 600_000, everyMs: 2000 },
    );
    expect(await history()).toEqual(before);
  });

  it('lists the devices and takes an acknowledgement through the ops API, not from a viewer', async () => {
    api = await startOpsApi({ config: { ...config, databaseUrl: db.url }, port: 0 });
    const base = `http://127.0.0.1:${api.port}`;
    const admin = (await createToken(db.pool, { name: `it-devices-admin-${seed}`, role: 'admin' })).token;
    const viewer = (await createToken(db.pool, { name: `it-devices-viewer-${seed}`, role: 'viewer' })).token;
    const get = await fetch(`${base}/devices`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(get.status).toBe(200);
    const body = (await get.json()) as { devices: { device: string; openAlerts: { alertId: string }[] }[] };
    const printer = body.devices.find((d) => d.device === 'line-1-printer')!;
    expect(printer.openAlerts).toHaveLength(1);
    const id = printer.openAlerts[0]!.alertId;
    const ack = (token: string, note: unknown) =>
      fetch(`${base}/devices/${encodeURIComponent(id)}/ack`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ note }),
      });
    expect((await ack(viewer, 'cleaned the print head')).status).toBe(403);
    expect((await ack(admin, '')).status).toBe(400);
    const done = await ack(admin, 'cleaned the print head');
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({
      alertId: id,
      ackedBy: `it-devices-admin-${seed}`,
      ackNote: 'cleaned the print head',
    });
    const missing = await fetch(`${base}/devices/nope/ack`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ note: 'x' }),
    });
    expect(missing.status).toBe(404);
    expect(
      (await fetch(`${base}/devices?site=12`, { headers: { authorization: `Bearer ${viewer}` } })).status,
    ).toBe(400);
  });
});
