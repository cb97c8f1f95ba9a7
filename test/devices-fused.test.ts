/**
 * Device health in the fused deployment on the real stack: `unitrail run pipeline` (validator →
 * sink in one process, no ut.events.validated.v1) beside device-health. The validated events'
 * clocks reach device-health as samples on ut.devices.clock.v1, the verifications on
 * ut.signals.v1, so a floor demo with a degrading printer, a scanner losing reads and a drifting
 * truck clock is flagged as in the split deployment (test/devices.test.ts): one alert per fault,
 * none for the healthy devices. The fused process is SIGKILLed after a batch's outputs went out and
 * before its raw offsets were committed (its clock samples come again), device-health once at a
 * random moment: neither raises an alert twice.
 */
import crypto from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { createCodec } from '../libs/avro';
import { demoMasterdata, produceRecords } from '../libs/demo';
import { listDevices } from '../libs/devices';
import { createKafka, startGroupsAtEnd, withAdmin } from '../libs/kafka';
import { loadMasterdata } from '../libs/masterdata';
import { groupOffsets } from '../libs/stats';
import { rawTopics, topics } from '../libs/topics';
import { fusedPipeline, stageGroups } from '../services/stages';
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
const health = 'ut.device-health';
const pipeline = `ut.${fusedPipeline.name}`;
const seed = crypto.randomInt(1, 2 ** 31 - 1);
const { records, report } = floorFaultDemo(seed);

let db: Awaited<ReturnType<typeof freshDatabase>>;
const stages: Stages[] = [];
const clockFrom = new Map<number, number>();

/** Both groups start where their topics end now: only this test's records reach them. */
async function groupsAtTheEnd(): Promise<void> {
  const set = await startGroupsAtEnd(kafka, { [health]: stageGroups[health]!, [pipeline]: rawTopics });
  // device-health reads the clock topic: where it starts is where this test's clock records begin
  for (const p of set.get(health)!.get(topics.deviceClock.name)!)
    clockFrom.set(p.partition, Number(p.offset));
}

beforeAll(async () => {
  db = await freshDatabase('devices_fused');
  await loadMasterdata(db.pool, kafka, codec, demoMasterdata());
  await groupsAtTheEnd();
});

afterAll(async () => {
  for (const s of stages) await s.stopAll();
  await db?.drop();
});

describe('device health with the fused pipeline', () => {
  it('flags each injected fault once, the drifting clock included, across SIGKILLs of both processes', async () => {
    const env = { DATABASE_URL: db.url, BATCH_SIZE: '200' };
    const fused = new Stages({ ...env, UNITRAIL_FAULT: `${fusedPipeline.name}:after-produce:15` });
    const devices = new Stages(env);
    stages.push(fused, devices);
    fused.start(fusedPipeline.name);
    devices.start('device-health');
    const first = fused.children.get(fusedPipeline.name) as ChildProcess;
    const killedAtFault = new Promise<string | null>((res) => first.once('exit', (_c, s) => res(s)));
    await produceRecords(kafka, codec, records);

    // SIGKILL after batch 15's outputs (its clock samples) went out, before its raw offsets were committed.
    expect(await killedAtFault).toBe('SIGKILL');
    fused.children.delete(fusedPipeline.name);
    const again = new Stages(env);
    stages.push(again);
    again.start(fusedPipeline.name);
    // And device-health once, at a moment of the box's choosing, while it works.
    await new Promise((r) => setTimeout(r, 4000));
    await devices.signal('device-health', 'SIGKILL');
    devices.start('device-health');

    await waitFor(
      'the fused pipeline and device-health to catch up',
      async () => {
        const lag = await withAdmin(kafka, (admin) =>
          groupOffsets(admin, { [health]: stageGroups[health]!, [pipeline]: rawTopics }),
        );
        return lag[health]!.lag === 0 && lag[pipeline]!.lag === 0;
      },
      { timeoutMs: 600_000, everyMs: 2000 },
    );

    // The clocks came in bulk: a record per device and raw batch, far fewer than the events.
    const ends = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(topics.deviceClock.name));
    const clockRecords = ends.reduce((n, p) => n + Number(p.high) - (clockFrom.get(p.partition) ?? 0), 0);
    process.stderr.write(
      `devices (fused): ${clockRecords} clock records for ${records.length} raw records\n`,
    );
    expect(clockRecords).toBeGreaterThan(0);
    expect(clockRecords).toBeLessThan(records.length / 2);

    const { figures, kinds } = await storedDetection(db.pool, records, report);
    process.stderr.write(`devices (fused): seed ${seed} ${JSON.stringify(figures)}\n`);

    expect(kinds).toEqual(defaultFaultEpisodes);
    expect(figures.missed).toBe(0);
    expect(figures.falseAlarms).toEqual([]);
    const healthOf = Object.fromEntries((await listDevices(db.pool)).map((d) => [d.device, d.health]));
    expect(healthOf).toMatchObject({
      'line-1-printer': 'degrading',
      'line-2-printer': 'ok',
      'wms-scanner-7': 'ok',
      'wms-scanner-9': 'degrading',
      'truck-42': 'drifting',
    });
  });
});
