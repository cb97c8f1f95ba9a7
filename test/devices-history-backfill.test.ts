/**
 * The device health history's backfill on the real stack (issue 9, docs/devices.md "Backfilling
 * the history"): a store whose device-health applied records before migration 096 has no history
 * for them. Here the fault demo's first half goes through the validator and device-health, its
 * history is kept and deleted (the store as 096 found it: records applied, none counted), then the
 * second half goes through: the history now counts the second half only. The two halves' broker
 * times overlap almost wholly (each half's Kafka timestamps end at the time it was produced), so
 * most buckets hold records of both: buckets the stage partly counted, the harsh form of what a
 * device's records read out of broker-time order do around the moment 096 came (a boundary in time,
 * only the buckets before a device's first row, adds nothing here and fails). `unitrail devices history --backfill` must make
 * every row what the stage would have recorded had it counted from the start (the first half's rows
 * plus the second's), and a second run must change nothing; so must a backfill after a device's rows
 * and part of another's are deleted.
 *
 * The backfill counts what the topics hold below the stage's positions, and writes a device only if
 * that sums to the device's own counters. This test's groups start at the topics' ends (as the other
 * device-health tests do), so the records other runs left below that start are deleted from the
 * stage's inputs first (what retention does to a store's topics): the topics then hold only what
 * this test's stage applied, as they do for a stage that has read its inputs from their beginning.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { createCodec } from '../libs/avro';
import { demoMasterdata, produceRecords } from '../libs/demo';
import { HISTORY_INPUTS } from '../libs/devices';
import { createKafka, startGroupsAtEnd, withAdmin } from '../libs/kafka';
import { loadMasterdata } from '../libs/masterdata';
import { groupOffsets } from '../libs/stats';
import { cliEntry } from '../libs/supervisor';
import { rawTopics } from '../libs/topics';
import { stageGroups } from '../services/stages';
import { config, floorFaultDemo, freshDatabase, pipelineGroupsFree, Stages, waitFor } from './helpers';

jest.setTimeout(900_000);

const run = promisify(execFile);
const kafka = createKafka({ brokers: config.kafkaBrokers });
const codec = createCodec({ url: config.schemaRegistryUrl });
const group = 'ut.device-health';
const inputs = stageGroups[group]!;
const seed = crypto.randomInt(1, 2 ** 31 - 1);
const { records } = floorFaultDemo(seed);

let db: Awaited<ReturnType<typeof freshDatabase>>;
let stages: Stages;

type Row = Record<string, string | number>;

/** The history, one plain row per device and bucket, in order. */
async function history(): Promise<Row[]> {
  const r = await db.pool.query(
    `SELECT device, bucket_start::text AS bucket, verifications, no_reads, graded, grade_sum, low_grades, events
       FROM ut.device_health_history ORDER BY device, bucket_start`,
  );
  return r.rows as Row[];
}

/** Two histories added row by row (what one stage counting both halves would have recorded). */
function added(a: Row[], b: Row[]): Row[] {
  const out = new Map<string, Row>();
  for (const row of [...a, ...b]) {
    const k = `${row.device}|${row.bucket}`;
    const have = out.get(k);
    if (!have) out.set(k, { ...row });
    else
      for (const f of ['verifications', 'no_reads', 'graded', 'grade_sum', 'low_grades', 'events'])
        have[f] = Number(have[f]) + Number(row[f]);
  }
  return [...out.values()].sort(
    (x, y) =>
      String(x.device).localeCompare(String(y.device)) || String(x.bucket).localeCompare(String(y.bucket)),
  );
}

/** The CLI as a person runs it, on this test's database: its exit code and output. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [cliEntry(), ...args], {
      env: { ...process.env, DATABASE_URL: db.url },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Produces records and waits until the validator and device-health have applied them all. */
async function through(part: typeof records): Promise<void> {
  await produceRecords(kafka, codec, part);
  await waitFor(
    'the validator and device-health to catch up',
    async () => {
      const lag = await withAdmin(kafka, (admin) =>
        groupOffsets(admin, { [group]: inputs, 'ut.validator': rawTopics }),
      );
      return lag[group]!.lag === 0 && lag['ut.validator']!.lag === 0;
    },
    { timeoutMs: 600_000, everyMs: 2000 },
  );
}

beforeAll(async () => {
  await pipelineGroupsFree();
  db = await freshDatabase('history_backfill');
  await loadMasterdata(db.pool, kafka, codec, demoMasterdata());
  const set = await startGroupsAtEnd(kafka, { [group]: inputs, 'ut.validator': rawTopics });
  await withAdmin(kafka, async (admin) => {
    for (const [topic, partitions] of set.get(group)!)
      if (HISTORY_INPUTS.includes(topic)) {
        await admin.fetchTopicMetadata({ topics: [topic] }); // deleteTopicRecords needs it loaded
        await admin.deleteTopicRecords({ topic, partitions });
      }
  });
  stages = new Stages({ DATABASE_URL: db.url, BATCH_SIZE: '200' });
  stages.start('validator', 'device-health');
});

afterAll(async () => {
  await stages?.stopAll();
  await db?.drop();
});

describe('devices history --backfill on the stack', () => {
  it('rebuilds the history of records applied before it existed, exactly, and a second run changes nothing', async () => {
    const half = Math.floor(records.length / 2);
    await through(records.slice(0, half));
    const first = await history();
    expect(first.length).toBeGreaterThan(0);
    // The store as migration 096 found it: the first half applied (state, positions), not counted.
    await db.pool.query('DELETE FROM ut.device_health_history');
    await through(records.slice(half));
    const second = await history();
    const truth = added(first, second);
    const shared = second.filter((r) => first.some((f) => f.device === r.device && f.bucket === r.bucket));
    expect(shared.length).toBeGreaterThan(0); // buckets the stage partly counted

    const before = JSON.parse((await cli('devices', 'history', '--json')).stdout) as {
      devices: { device: string; verifications: { stored: number; applied: number } }[];
    };
    expect(before.devices.some((d) => d.verifications.stored < d.verifications.applied)).toBe(true);

    const once = await cli('devices', 'history', '--backfill', '--json');
    expect(once).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(once.stdout).added).toBeGreaterThan(0);
    expect(await history()).toEqual(truth);

    const twice = await cli('devices', 'history', '--backfill', '--json');
    expect(twice.code).toBe(0);
    expect(JSON.parse(twice.stdout).added).toBe(0);
    expect(await history()).toEqual(truth);

    // Part of it lost: one device's rows, and the newer half of another's buckets halved.
    await db.pool.query(`DELETE FROM ut.device_health_history WHERE device = 'wms-scanner-9'`);
    await db.pool.query(
      `UPDATE ut.device_health_history
          SET verifications = verifications / 2, no_reads = no_reads / 2, graded = graded / 2,
              grade_sum = grade_sum / 2, low_grades = low_grades / 2, events = events / 2
        WHERE device = 'line-1-printer'
          AND bucket_start >= (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY bucket_start)
                                 FROM ut.device_health_history WHERE device = 'line-1-printer')`,
    );
    expect(await history()).not.toEqual(truth);
    expect((await cli('devices', 'history', '--backfill')).code).toBe(0);
    expect(await history()).toEqual(truth);

    // Bad use: a clear line and a non-zero exit.
    const bad = await cli('devices', 'history', 'now');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});
