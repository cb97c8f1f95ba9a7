/**
 * The fused deployment end to end: `unitrail run pipeline` (validator → deduplicator → enricher →
 * router → journey-sink in one process, group ut.pipeline) beside the surge and DLQ sinks. The demo
 * stream must land exactly: the unique valid events by event id, the invalid ones in the DLQ under
 * the validator's name, duplicates dropped.
 */
import type Redis from 'ioredis';
import type pg from 'pg';
import { config, randomSeed, redis, seenPrefix, Stages, waitFor } from './helpers';
import { createKafka, withAdmin } from '../libs/kafka';
import { createCodec } from '../libs/avro';
import { createPool } from '../libs/store';
import { demoCounts, demoMasterdata, generateDemo } from '../libs/demo';
import { loadMasterdata } from '../libs/masterdata';
import { accountFor, produceRecords, rawEndOffsets } from '../libs/demo';
import { normalize } from '../libs/sources';
import { rawTopics } from '../libs/topics';
import { fusedPipeline } from '../services/stages';

jest.setTimeout(600_000);

const kafka = createKafka({ brokers: config.kafkaBrokers });
const codec = createCodec({ url: config.schemaRegistryUrl });
let pool: pg.Pool;
let r: Redis;
const stages = new Stages();

beforeAll(async () => {
  pool = createPool(config.databaseUrl);
  r = redis();
  await loadMasterdata(pool, kafka, codec, demoMasterdata());
  // The fused group starts where the raw topics end now: earlier tests' records are not its work.
  await withAdmin(kafka, async (admin) => {
    for (const topic of rawTopics)
      await admin.resetOffsets({ groupId: 'ut.pipeline', topic, earliest: false });
  });
  stages.start(fusedPipeline.name, ...fusedPipeline.alongside);
});
afterAll(async () => {
  await stages.stopAll();
  await pool.end();
  r.disconnect();
});

describe('unitrail run pipeline (fused)', () => {
  // A raw record that is not Avro at all counts in the validator's name here, as in the split
  // deployment: the fused stage names its first stage in the DLQ record of what it cannot decode.
  it('lands exactly the unique valid events, sends exactly the invalid ones to the DLQ, drops duplicates', async () => {
    const records = generateDemo({ events: 1000, dupRate: 0.05, invalidRate: 0.02, seed: randomSeed() });
    const expected = demoCounts(records);
    const before = await rawEndOffsets(kafka);
    await produceRecords(kafka, codec, records);
    const after = await rawEndOffsets(kafka);
    const accounts = await waitFor(
      'every record accounted for',
      async () => {
        const a = await accountFor(pool, r, before, after, await seenPrefix());
        return a.landed + a.duplicates + a.dlq >= a.produced && a;
      },
      { timeoutMs: 400_000 },
    );
    expect(accounts).toEqual({
      produced: 1000,
      landed: expected.unique_valid,
      duplicates: expected.duplicates,
      dlq: expected.invalid,
    });
    const ids: string[] = [];
    for (const topic of Object.keys(after)) {
      for (const [partition, to] of after[topic]!) {
        const rows = await pool.query<{ event_id: string }>(
          `SELECT event_id FROM ut.events WHERE lineage LIKE $1
              AND split_part(lineage, '/', 3)::bigint >= $2 AND split_part(lineage, '/', 3)::bigint < $3`,
          [`${topic}/${partition}/%`, before[topic]?.get(partition) ?? 0, to],
        );
        ids.push(...rows.rows.map((x) => x.event_id));
      }
    }
    const lineage = { topic: '', partition: 0, offset: 0, schemaId: 0 };
    const wanted = records
      .filter((x) => x.kind === 'valid')
      .map((x) => normalize(x.topic, x.value, { ...lineage, topic: x.topic }).eventId);
    expect(ids.sort()).toEqual(wanted.sort());
    for (const [name, child] of stages.children) {
      expect([name, child.exitCode, child.signalCode]).toEqual([name, null, null]);
    }
  });
});
